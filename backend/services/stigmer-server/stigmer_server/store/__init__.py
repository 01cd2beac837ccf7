"""RocksDB storage of resources: records, secondary indexes, one owner process."""

from stigmer_server.store.directory_lock import DataDirectoryInUse, DirectoryLock
from stigmer_server.store.group_sync import GroupSync
from stigmer_server.store.resource_store import (
    ListPage,
    RecordIndex,
    RecordWrite,
    ResourceStore,
)

__all__ = [
    "DataDirectoryInUse",
    "DirectoryLock",
    "GroupSync",
    "ListPage",
    "RecordIndex",
    "RecordWrite",
    "ResourceStore",
]
