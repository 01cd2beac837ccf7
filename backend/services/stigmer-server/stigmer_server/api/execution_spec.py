"""Executions are immutable once created: Update may change metadata only."""

from __future__ import annotations

from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import spec_of


class KeepStoredSpec:
    name = "keep-stored-spec"

    async def run(self, ctx: RequestContext) -> None:
        if ctx.existing is not None:
            spec_of(ctx.require_resource()).CopyFrom(spec_of(ctx.existing))
