"""RocksDB storage of resources: records, secondary indexes, one owner process."""

from stigmer_server.store.directory_lock import DataDirectoryInUse, DirectoryLock
from stigmer_server.store.resource_store import (
    ListPage,
    RecordIndex,
    RecordWrite,
    ResourceStore,
)

__all__ = [
    "DataDirectoryInUse",
    "DirectoryLock",
    "ListPage",
    "RecordIndex",
    "RecordWrite",
    "ResourceStore",
]
