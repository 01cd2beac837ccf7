"""stigmer-server: the gRPC API of Stigmer resources, stored in RocksDB."""
