"""Protobuf-typed access to the store, for any kind.

Reads and writes run on the event loop: RocksDB reads of small records and
appending a batch to the memtable and WAL take microseconds. Writers are
serialized by :attr:`Repository.write_lock`, held by the pipelines from
"resolve references" to "persist", so a duplicate check and the write it
guards cannot interleave with another request. The fsync that makes a write
durable happens AFTER the lock is released (:meth:`Repository.wait_durable`,
a group commit), so concurrent requests share fsyncs instead of queueing
behind each other's.

Org scoping: inside an RPC, the caller's identity (see
:mod:`stigmer_server.auth.identity`) bounds every read: a resource of an org
the caller does not see is absent (so the API answers NOT_FOUND, the same as
for an id that never existed), and writing one is refused. Server-internal
code (orchestration activities, reconciliation) runs without an identity and
sees everything.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from stigmer_server.auth.identity import PermissionDenied, identity_or_none
from stigmer_server.errors import InvalidArgument
from stigmer_server.kinds import KindDescriptor
from stigmer_server.resource_fields import metadata_of
from stigmer_server.store import GroupSync, RecordIndex, RecordWrite, ResourceStore

DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class ResourceWrite:
    """A put (``resource`` set) or delete (``resource`` None) of one record."""

    kind: KindDescriptor
    resource_id: str
    resource: Message | None


@dataclass(frozen=True)
class ResourcePage:
    items: list[Message]
    next_page_token: str


class Repository:
    """The store seen as protobuf resources."""

    def __init__(self, store: ResourceStore) -> None:
        self._store = store
        self._group_sync = GroupSync(store.sync_wal)
        self.write_lock = asyncio.Lock()

    def get(self, kind: KindDescriptor, resource_id: str) -> Message | None:
        """The resource, or None (also when the caller's org scope excludes it)."""
        data = self._store.get(kind.space, resource_id)
        if data is None:
            return None
        resource = kind.resource_type()
        resource.ParseFromString(data)
        if not _visible(metadata_of(resource).org):
            return None
        return resource

    def get_by_slug(self, kind: KindDescriptor, org: str, slug: str) -> Message | None:
        resource_id = self.id_by_slug(kind, org, slug)
        return None if resource_id is None else self.get(kind, resource_id)

    def id_by_slug(self, kind: KindDescriptor, org: str, slug: str) -> str | None:
        if not _visible(org):
            return None
        return self._store.id_by_slug(kind.space, org, slug)

    def has_children(self, child_kind: KindDescriptor, parent_id: str) -> bool:
        return self._store.has_children(child_kind.space, parent_id)

    def list(
        self,
        kind: KindDescriptor,
        *,
        org: str,
        parent_id: str,
        page_size: int,
        page_token: str,
    ) -> ResourcePage:
        """One page, oldest first.

        Raises:
            InvalidArgument: The page token is not one this server issued.
        """
        after_id = _decode_page_token(page_token) if page_token else ""
        identity = identity_or_none()
        home = identity.home_org if identity is not None else None
        if org and not _visible(org):
            return ResourcePage([], "")
        if home:
            org = home  # a key bound to one org lists only that org (parents included)
        page = self._store.list(
            kind.space,
            org=org,
            parent_id=parent_id,
            limit=page_size or DEFAULT_PAGE_SIZE,
            after_id=after_id,
        )
        items: list[Message] = []
        for data in page.records:
            resource = kind.resource_type()
            resource.ParseFromString(data)
            items.append(resource)
        token = _encode_page_token(page.last_id) if page.last_id else ""
        return ResourcePage(items, token)

    def write(self, writes: Sequence[ResourceWrite]) -> int:
        """Applies all writes atomically (one batch), not yet fsynced.

        Returns:
            The sequence number to pass to :meth:`wait_durable` before the
            write is acknowledged to anyone.
        """
        for w in writes:
            if w.resource is not None and not _visible(metadata_of(w.resource).org):
                raise PermissionDenied(
                    f"is {metadata_of(w.resource).org!r}, an org this API key cannot write",
                    field="metadata.org",
                )
        records = [_record_write(w) for w in writes]
        seen = {(r.space, r.resource_id) for r in records}
        if len(seen) != len(records):
            raise ValueError("a batch may touch each record once")
        return self._store.write(records, sync=False)

    async def wait_durable(self, sequence: int) -> None:
        """Waits until a (shared) WAL fsync covers ``sequence``."""
        await self._group_sync.wait_durable(sequence)

    @property
    def fsyncs(self) -> int:
        """WAL fsyncs so far (group commits), for tests and metrics."""
        return self._group_sync.fsyncs


def _visible(org: str) -> bool:
    identity = identity_or_none()
    return identity is None or identity.sees(org)


def _record_write(write: ResourceWrite) -> RecordWrite:
    if write.resource is None:
        return RecordWrite(write.kind.space, write.resource_id, None)
    metadata = metadata_of(write.resource)
    index = RecordIndex(
        org=metadata.org, slug=metadata.slug, parent_ids=write.kind.parent_ids(write.resource)
    )
    return RecordWrite(
        write.kind.space, write.resource_id, write.resource.SerializeToString(), index
    )


_TOKEN_PREFIX = "after:"


def _encode_page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{last_id}".encode()).decode()


def _decode_page_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith(_TOKEN_PREFIX) or "/" in raw:
        raise InvalidArgument("not a page token issued by this server", field="page_token")
    return raw[len(_TOKEN_PREFIX) :]
