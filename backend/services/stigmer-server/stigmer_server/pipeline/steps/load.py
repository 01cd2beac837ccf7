"""Load the stored resource a request targets."""

from __future__ import annotations

from typing import cast

from stigmer.commons.v1 import io_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import Aborted, InvalidArgument, NotFound
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of


class LoadExisting:
    """Update: the stored resource with ``metadata.id`` (NOT_FOUND otherwise)."""

    name = "load-existing"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource_id = metadata_of(ctx.require_resource()).id
        if not resource_id:
            raise InvalidArgument("is required to update", field="metadata.id")
        existing = self._deps.repository.get(ctx.kind, resource_id)
        if existing is None:
            raise NotFound(f"{ctx.kind.kind_name} {resource_id} not found", field="metadata.id")
        ctx.existing = existing


class CheckVersion:
    """Optimistic concurrency: a non-zero ``metadata.version`` must be the stored one."""

    name = "check-version"

    async def run(self, ctx: RequestContext) -> None:
        sent = metadata_of(ctx.require_resource()).version
        if ctx.existing is None or sent == 0:
            return
        stored = metadata_of(ctx.existing).version
        if sent != stored:
            raise Aborted(
                f"is {sent} but the stored resource is at {stored}; re-read and retry",
                field="metadata.version",
            )


class LoadById:
    """Delete / UpdateStatus: the resource named by an ``ApiResourceId`` request."""

    name = "load-by-id"

    def __init__(self, deps: Dependencies, *, field: str = "value") -> None:
        self._deps = deps
        self._field = field

    async def run(self, ctx: RequestContext) -> None:
        resource_id = str(getattr(ctx.request, self._field))
        existing = self._deps.repository.get(ctx.kind, resource_id)
        if existing is None:
            raise NotFound(f"{ctx.kind.kind_name} {resource_id} not found", field=self._field)
        ctx.existing = existing
        copy = ctx.kind.resource_type()
        copy.CopyFrom(existing)
        ctx.resource = copy


def request_id(request: object) -> str:
    return cast(io_pb2.ApiResourceId, request).value
