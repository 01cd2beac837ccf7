"""Cancel, Pause and Resume of a workflow execution, as pipelines.

Each one records the decision under the execution's lock first (the same lock,
merge rules and change feed as UpdateStatus, so subscribers see it and a
racing runner report cannot undo it), then asks the orchestrator to act on the
running workflows (:class:`~stigmer_server.execution.run_control.RunControl`).
Recording first makes the stored state the answer: a runner report arriving
after a cancel finds the execution terminal and its engine stops, even if the
orchestrator could not be reached.

Refusals: INVALID_ARGUMENT for a bad request (field path), NOT_FOUND for an
unknown execution, FAILED_PRECONDITION once the execution is terminal. Pause
and Resume are idempotent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from google.protobuf.message import Message
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2, io_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import FailedPrecondition
from stigmer_server.execution.phase_rules import TERMINAL
from stigmer_server.execution.status_merge import merge_workflow_execution_status
from stigmer_server.execution.status_updater import UnderExecutionLock
from stigmer_server.kinds import KindDescriptor
from stigmer_server.pipeline import Pipeline, RequestContext, UnderLock
from stigmer_server.pipeline.steps.build_state import BumpVersion
from stigmer_server.pipeline.steps.execution_metrics import CountExecutionEnd
from stigmer_server.pipeline.steps.load import LoadById
from stigmer_server.pipeline.steps.persist import AwaitDurable, Persist
from stigmer_server.pipeline.steps.publish import PublishChange
from stigmer_server.pipeline.steps.validate import ValidateRequest

#: ``status.error.code`` of an execution stopped by Cancel (same as a cancelled orchestration).
EXECUTION_CANCELLED = "EXECUTION_CANCELLED"

Act = Callable[[str, str], Awaitable[None]]


def _request(ctx: RequestContext) -> io_pb2.WorkflowExecutionControlInput:
    return cast(io_pb2.WorkflowExecutionControlInput, ctx.request)


def _status(ctx: RequestContext) -> api_pb2.WorkflowExecutionStatus:
    return cast(api_pb2.WorkflowExecution, ctx.require_resource()).status


class RequireNotTerminal:
    """FAILED_PRECONDITION once the execution ended: there is nothing left to control."""

    name = "require-not-terminal"

    def __init__(self, verb: str) -> None:
        self._verb = verb

    async def run(self, ctx: RequestContext) -> None:
        status = _status(ctx)
        if status.phase in TERMINAL:
            phase = phase_pb2.ExecutionPhase.Name(status.phase)
            raise FailedPrecondition(
                f"execution {_request(ctx).execution_id} already ended ({phase}); "
                f"nothing to {self._verb}",
                field="execution_id",
            )


class MarkCancelled:
    """Merges CANCELLED (with the reason) like a report: open tasks become CANCELLED too."""

    name = "mark-cancelled"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        request = _request(ctx)
        report = api_pb2.WorkflowExecutionStatus(phase=phase_pb2.CANCELLED)
        report.error.code = EXECUTION_CANCELLED
        report.error.message = (
            f"cancelled: {request.reason}" if request.reason else "cancelled by request"
        )
        report.error.details["cancelled_by"] = ctx.caller
        ctx.changed = merge_workflow_execution_status(_status(ctx), report, self._deps.clock())


class SetPaused:
    """Sets or clears ``status.paused`` (and ``paused_at``); no change when already so."""

    name = "set-paused"

    def __init__(self, deps: Dependencies, paused: bool) -> None:
        self._deps = deps
        self._paused = paused

    async def run(self, ctx: RequestContext) -> None:
        status = _status(ctx)
        if status.paused == self._paused:
            ctx.changed = False
            return
        status.paused = self._paused
        if self._paused:
            status.paused_at.CopyFrom(self._deps.clock())
        else:
            status.ClearField("paused_at")


class ActOnRun:
    """After the decision is durable: cancel / signal the running workflows."""

    def __init__(self, name: str, act: Callable[[Dependencies], Act], deps: Dependencies) -> None:
        self.name = name
        self._act = act
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        request = _request(ctx)
        # Resolved per request: the orchestrator may connect after the server started.
        await self._act(self._deps)(request.execution_id, request.reason)


class WorkflowExecutionRunCommands:
    """The Cancel, Pause and Resume pipelines of workflow executions."""

    def __init__(self, kind: KindDescriptor, deps: Dependencies) -> None:
        self._kind = kind

        def pipeline(
            name: str, decide: list[object], act: Callable[[Dependencies], Act]
        ) -> Pipeline:
            return Pipeline(
                f"{kind.space}-{name}",
                [
                    ValidateRequest(),
                    UnderExecutionLock(
                        deps,
                        [
                            LoadById(deps, field="execution_id"),
                            RequireNotTerminal(name),
                            *decide,  # type: ignore[list-item]
                            BumpVersion(deps),
                            UnderLock(deps.repository.write_lock, [Persist(deps)]),
                            AwaitDurable(deps),
                            PublishChange(deps),
                            CountExecutionEnd(),
                        ],
                    ),
                    ActOnRun(f"{name}-run", act, deps),
                ],
            )

        self.cancel = pipeline(
            "cancel", [MarkCancelled(deps)], lambda d: d.run_control.cancel_workflow_execution
        )
        self.pause = pipeline(
            "pause", [SetPaused(deps, True)], lambda d: d.run_control.pause_workflow_execution
        )
        self.resume = pipeline(
            "resume", [SetPaused(deps, False)], lambda d: d.run_control.resume_workflow_execution
        )

    async def run(self, pipeline: Pipeline, request: Message, *, caller: str) -> Message:
        ctx = RequestContext(
            kind=self._kind, operation=pipeline.name, request=request, caller=caller
        )
        await pipeline.run(ctx)
        return ctx.require_resource()
