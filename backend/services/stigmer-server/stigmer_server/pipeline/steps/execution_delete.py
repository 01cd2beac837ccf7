"""Deleting an execution: only once it ended, and its open Subscribe streams end too."""

from __future__ import annotations

from stigmer.commons.v1 import phase_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import FailedPrecondition
from stigmer_server.execution.phase_rules import TERMINAL
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of, phase_of


class RequireEnded:
    """Refuse to delete a running execution: its workflows would run on for nobody
    (every task, then a FAILED "not found" orchestration). Cancel it first."""

    name = "require-ended"

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        phase = phase_of(resource)
        if phase not in TERMINAL:
            name = phase_pb2.ExecutionPhase.Name(phase)  # type: ignore[arg-type]
            raise FailedPrecondition(
                f"{ctx.kind.kind_name} {metadata_of(resource).id} is {name}; cancel it first",
                field="value",
            )


class EndSubscriptions:
    """After the delete is durable: open Subscribe streams end with NOT_FOUND."""

    name = "end-subscriptions"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        self._deps.change_feed.end(metadata_of(ctx.require_resource()).id)
