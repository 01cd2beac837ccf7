"""Build the state to persist: ids, versions, audit, initial execution phase."""

from __future__ import annotations

from stigmer.commons.v1 import phase_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import audit_of, metadata_of, status_of


class BuildCreatedState:
    """A new resource: fresh id (``{prefix}-{ulid}``), version 1, created audit,
    and PENDING for executions. Status fields filled by resolve steps are kept."""

    name = "build-new-state"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        metadata = metadata_of(resource)
        metadata.id = ctx.notes.get("new_id") or self._deps.ids.new_id(ctx.kind.kind)
        metadata.version = 1
        now = self._deps.clock()
        audit = audit_of(resource)
        audit.created_at.CopyFrom(now)
        audit.created_by = ctx.caller
        audit.updated_at.CopyFrom(now)
        audit.updated_by = ctx.caller
        if ctx.kind.is_execution:
            setattr(status_of(resource), "phase", phase_pb2.PENDING)  # noqa: B010


class BuildUpdatedState:
    """An updated resource: id, status and created audit stay the stored ones;
    metadata and spec come from the request; version + 1."""

    name = "build-updated-state"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        if ctx.existing is None:
            raise RuntimeError("build-updated-state needs load-existing first")
        status_of(resource).CopyFrom(status_of(ctx.existing))
        metadata = metadata_of(resource)
        stored = metadata_of(ctx.existing)
        metadata.id = stored.id
        metadata.version = stored.version + 1
        audit = audit_of(resource)
        audit.updated_at.CopyFrom(self._deps.clock())
        audit.updated_by = ctx.caller


class BumpVersion:
    """Status-only writes: version + 1 and updated audit."""

    name = "bump-version"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if not ctx.changed:
            return
        resource = ctx.require_resource()
        metadata_of(resource).version += 1
        audit = audit_of(resource)
        audit.updated_at.CopyFrom(self._deps.clock())
        audit.updated_by = ctx.caller
