"""Persist the built state (and any extra records) in one atomic batch, then
wait for it to be durable.

``Persist`` / ``PersistDelete`` run under the write lock and only append the
batch; ``AwaitDurable`` runs after the lock and returns once a (shared) WAL
fsync covers it. Every pipeline that persists must end its locked section with
a persist step and follow it with ``AwaitDurable`` before anything is
acknowledged or published.
"""

from __future__ import annotations

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import FailedPrecondition
from stigmer_server.kinds import CHILD_KINDS
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.repository import ResourceWrite
from stigmer_server.resource_fields import metadata_of


class Persist:
    name = "persist"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if not ctx.changed:
            return
        resource = ctx.require_resource()
        writes = [ResourceWrite(ctx.kind, metadata_of(resource).id, resource)]
        writes.extend(ResourceWrite(w.kind, w.resource_id, w.resource) for w in ctx.extra_writes)
        ctx.wal_sequence = self._deps.repository.write(writes)


class AwaitDurable:
    """Blocks the response until the persisted batch is fsynced (group commit)."""

    name = "await-durable"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if ctx.wal_sequence:
            await self._deps.repository.wait_durable(ctx.wal_sequence)


class CheckNoChildren:
    """Delete: refuse while other resources still hang under this one."""

    name = "check-no-children"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource_id = metadata_of(ctx.require_resource()).id
        for child in CHILD_KINDS.get(ctx.kind.kind, ()):
            if self._deps.repository.has_children(child, resource_id):
                raise FailedPrecondition(
                    f"{ctx.kind.kind_name} {resource_id} still has {child.kind_name} "
                    "resources; delete them first",
                    field="value",
                )


class PersistDelete:
    name = "persist-delete"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource_id = metadata_of(ctx.require_resource()).id
        writes = [ResourceWrite(ctx.kind, resource_id, None)]
        writes.extend(ResourceWrite(w.kind, w.resource_id, w.resource) for w in ctx.extra_writes)
        ctx.wal_sequence = self._deps.repository.write(writes)
