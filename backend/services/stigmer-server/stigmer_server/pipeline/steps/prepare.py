"""Copy the request into the state being built, dropping client-sent status."""

from __future__ import annotations

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of


class PrepareResource:
    """First step of create/update/apply.

    Status is server-owned: whatever a client sends there is dropped here, before
    any other step can look at it. Kinds with generated names (executions,
    sessions) get their id now and use it as their name when none was given.
    """

    name = "prepare-resource"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.kind.resource_type()
        resource.CopyFrom(ctx.request)
        resource.ClearField("status")
        if ctx.kind.generated_name and ctx.operation == "create":
            new_id = self._deps.ids.new_id(ctx.kind.kind)
            ctx.notes["new_id"] = new_id
            metadata = metadata_of(resource)
            if not metadata.name:
                metadata.name = new_id
        ctx.resource = resource
