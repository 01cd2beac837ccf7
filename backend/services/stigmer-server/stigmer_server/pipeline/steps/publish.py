"""Push an accepted execution change to its subscribers."""

from __future__ import annotations

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of


class PublishChange:
    name = "publish-change"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if not ctx.changed or not ctx.kind.is_execution:
            return
        resource = ctx.require_resource()
        self._deps.change_feed.publish(metadata_of(resource).id, resource)
