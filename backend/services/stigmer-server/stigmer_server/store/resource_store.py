"""The resource store: serialized protos and their indexes in RocksDB (rocksdict).

A record and all of its index entries are written in ONE WriteBatch, so an
index never points at a missing record and a record is never unreachable by
slug, even across ``kill -9``. Writes are durable before they are acknowledged:
either synced one by one (``write(..., sync=True)``), or appended to the WAL
and then covered by a shared fsync (``sync_wal``, see :mod:`group_sync`), which
lets concurrent writers share one fsync instead of queueing for one each.

The store knows nothing about protobuf types: callers hand it bytes plus the
index facts (org, slug, parents) of each record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import rocksdict

from stigmer_server.store import keys
from stigmer_server.store.directory_lock import DirectoryLock

ROCKSDB_DIR_NAME = "rocksdb"


@dataclass(frozen=True)
class RecordIndex:
    """Index facts of one record."""

    org: str
    slug: str
    parent_ids: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        return json.dumps({"org": self.org, "slug": self.slug, "parents": self.parent_ids}).encode()

    @staticmethod
    def from_json(raw: bytes) -> RecordIndex:
        data = json.loads(raw)
        return RecordIndex(str(data["org"]), str(data["slug"]), tuple(data["parents"]))


@dataclass(frozen=True)
class RecordWrite:
    """Put (``data`` set) or delete (``data`` None) of one record."""

    space: str
    resource_id: str
    data: bytes | None
    index: RecordIndex | None = None


@dataclass(frozen=True)
class ListPage:
    """Records of one page, oldest first, and the id to continue after ("" at the end)."""

    records: list[bytes]
    last_id: str


class ResourceStore:
    """Owns the RocksDB directory for the life of the process."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._lock = DirectoryLock(data_dir)
        self._db: rocksdict.Rdict | None = None

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    def open(self) -> None:
        """Locks the directory, then opens (or creates) the database.

        Raises:
            DataDirectoryInUse: Another process owns the directory.
        """
        self._lock.acquire()
        try:
            options = rocksdict.Options(raw_mode=True)
            options.create_if_missing(True)
            db = rocksdict.Rdict(str(self._data_dir / ROCKSDB_DIR_NAME), options)
            self._synced = rocksdict.WriteOptions()
            self._synced.sync = True
            self._unsynced = rocksdict.WriteOptions()
            self._unsynced.sync = False
            db.set_write_options(self._synced)
        except BaseException:
            self._lock.release()
            raise
        self._db = db

    def close(self) -> None:
        """Flushes and closes the database, then releases the directory."""
        if self._db is not None:
            self._db.close()
            self._db = None
        self._lock.release()

    def compact(self) -> None:
        """Flushes the memtable and rewrites every file, dropping overwritten
        versions (e.g. secrets re-encrypted under a new key leave no old copy)."""
        self._rdb.flush(True)
        self._rdb.compact_range(None, None)

    @property
    def is_open(self) -> bool:
        """Whether the database is open (readiness)."""
        return self._db is not None

    @property
    def _rdb(self) -> rocksdict.Rdict:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    def get(self, space: str, resource_id: str) -> bytes | None:
        """The record bytes, or None."""
        value = self._rdb.get(keys.record(space, resource_id))
        return None if value is None else bytes(value)

    def id_by_slug(self, space: str, org: str, slug: str) -> str | None:
        """The id holding ``slug`` in ``org``, or None."""
        value = self._rdb.get(keys.slug(space, org, slug))
        return None if value is None else bytes(value).decode()

    def index_of(self, space: str, resource_id: str) -> RecordIndex | None:
        value = self._rdb.get(keys.index_entries(space, resource_id))
        return None if value is None else RecordIndex.from_json(bytes(value))

    def has_children(self, space: str, parent_id: str) -> bool:
        """Whether any record of ``space`` lists ``parent_id`` as a parent."""
        return next(self._scan(keys.child_prefix(space, parent_id), b""), None) is not None

    def write(self, writes: Sequence[RecordWrite], *, sync: bool = True) -> int:
        """Applies every put/delete and its index changes in one atomic batch.

        Reads the current index entries of each record to remove stale ones (a
        changed slug or parent), so callers need not know the previous state.

        Args:
            writes: Each record at most once.
            sync: fsync the WAL before returning. With False the batch is in the
                WAL (it survives a process crash) but only survives a machine
                crash once :meth:`sync_wal` returned a sequence number >= the
                one returned here.

        Returns:
            The database sequence number after this batch.
        """
        batch = rocksdict.WriteBatch(raw_mode=True)
        for write in writes:
            previous = self.index_of(write.space, write.resource_id)
            if write.data is None:
                if previous is not None:
                    self._delete_index(batch, write.space, write.resource_id, previous)
                batch.delete(keys.record(write.space, write.resource_id))
                batch.delete(keys.index_entries(write.space, write.resource_id))
                continue
            if write.index is None:
                raise ValueError(f"put of {write.space}/{write.resource_id} without index facts")
            batch.put(keys.record(write.space, write.resource_id), write.data)
            if previous == write.index:
                continue  # same org, slug and parents (every status update): index as it is
            if previous is not None:
                self._delete_index(batch, write.space, write.resource_id, previous)
            batch.put(keys.index_entries(write.space, write.resource_id), write.index.to_json())
            self._put_index(batch, write.space, write.resource_id, write.index)
        self._rdb.write(batch, self._synced if sync else self._unsynced)
        return int(self._rdb.latest_sequence_number())

    def sync_wal(self) -> int:
        """fsyncs the WAL; returns a sequence number every write up to which is durable."""
        covered = int(self._rdb.latest_sequence_number())
        self._rdb.flush_wal(True)
        return covered

    def list(
        self,
        space: str,
        *,
        org: str = "",
        parent_id: str = "",
        limit: int,
        after_id: str = "",
    ) -> ListPage:
        """Up to ``limit`` records, oldest first, starting after ``after_id``."""
        if parent_id:
            prefix = keys.child_prefix(space, parent_id)
        elif org:
            prefix = keys.org_prefix(space, org)
        else:
            prefix = keys.record_prefix(space)
        records: list[bytes] = []
        last_id = ""
        for resource_id in self._scan(prefix, after_id.encode()):
            if parent_id and org:
                index = self.index_of(space, resource_id)
                if index is None or index.org != org:
                    continue
            data = self.get(space, resource_id)
            if data is None:  # cannot happen with batched writes; be defensive on reads
                continue
            records.append(data)
            last_id = resource_id
            if len(records) == limit:
                # Only hand out a continuation when something follows.
                has_more = next(self._scan(prefix, resource_id.encode()), None) is not None
                return ListPage(records, last_id if has_more else "")
        return ListPage(records, "")

    def content_digest(self) -> str:
        """SHA-256 over every key and value: equal digests mean an unchanged store
        (used to prove rejected requests wrote nothing, indexes included)."""
        digest = hashlib.sha256()
        iterator = self._rdb.iter()
        iterator.seek_to_first()
        while iterator.valid():
            key, value = bytes(iterator.key()), bytes(iterator.value())
            digest.update(len(key).to_bytes(4, "big") + key + len(value).to_bytes(4, "big") + value)
            iterator.next()
        return digest.hexdigest()

    def _scan(self, prefix: bytes, after: bytes) -> Iterator[str]:
        """Ids (the last key segment) of keys under ``prefix``, after ``after``."""
        iterator = self._rdb.iter()
        iterator.seek(prefix + after)
        while iterator.valid():
            key = bytes(iterator.key())
            if not key.startswith(prefix):
                return
            resource_id = key[len(prefix) :].decode()
            if resource_id.encode() != after:
                yield resource_id
            iterator.next()

    @staticmethod
    def _put_index(
        batch: rocksdict.WriteBatch, space: str, resource_id: str, index: RecordIndex
    ) -> None:
        value = resource_id.encode()
        if index.slug:
            batch.put(keys.slug(space, index.org, index.slug), value)
        batch.put(keys.org_member(space, index.org, resource_id), b"")
        for parent_id in index.parent_ids:
            batch.put(keys.child(space, parent_id, resource_id), b"")

    @staticmethod
    def _delete_index(
        batch: rocksdict.WriteBatch, space: str, resource_id: str, index: RecordIndex
    ) -> None:
        if index.slug:
            batch.delete(keys.slug(space, index.org, index.slug))
        batch.delete(keys.org_member(space, index.org, resource_id))
        for parent_id in index.parent_ids:
            batch.delete(keys.child(space, parent_id, resource_id))
