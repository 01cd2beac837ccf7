"""Count executions that reach a terminal phase (``stigmer_executions_finished_total``)."""

from __future__ import annotations

from stigmer.commons.v1 import phase_pb2
from stigmer_observability.metrics import EXECUTIONS_FINISHED

from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import status_of

_TERMINAL = frozenset({phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED})
#: Label values: the kind without its store suffix ("workflow", "agent").
_KIND_LABELS = {"workflow_execution": "workflow", "agent_execution": "agent"}


class CountExecutionEnd:
    """After persisting: the execution moved from a live phase to a terminal one."""

    name = "count-execution-end"

    async def run(self, ctx: RequestContext) -> None:
        if not ctx.changed or not ctx.kind.is_execution or ctx.existing is None:
            return
        before: int = getattr(status_of(ctx.existing), "phase", 0)
        after: phase_pb2.ExecutionPhase.ValueType = getattr(
            status_of(ctx.require_resource()), "phase", phase_pb2.EXECUTION_PHASE_UNSPECIFIED
        )
        if after in _TERMINAL and before not in _TERMINAL:
            EXECUTIONS_FINISHED.labels(
                kind=_KIND_LABELS.get(ctx.kind.space, ctx.kind.space),
                phase=phase_pb2.ExecutionPhase.Name(after),
            ).inc()
