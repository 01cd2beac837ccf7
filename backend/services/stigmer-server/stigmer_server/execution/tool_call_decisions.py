"""DecideToolCalls: a human's approve/reject of agent tool calls WAITING_APPROVAL.

Like Cancel and Pause, the decisions are recorded first, under the execution's
lock (same merge, persist and change feed as UpdateStatus, so watchers see them),
then sent to the orchestration workflow, which resumes the agent once every
waiting call has a decision. Sending the same decision again is accepted and
signals again (a client may retry after UNAVAILABLE); changing a decision, or
deciding a call that is not waiting, is FAILED_PRECONDITION.
"""

from __future__ import annotations

from typing import cast

from google.protobuf.message import Message
from stigmer.agentexecution.v1 import api_pb2, io_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import FailedPrecondition
from stigmer_server.execution.run_commands import RequireNotTerminal
from stigmer_server.execution.status_updater import UnderExecutionLock
from stigmer_server.kinds import KindDescriptor
from stigmer_server.pipeline import Pipeline, RequestContext, UnderLock
from stigmer_server.pipeline.steps.build_state import BumpVersion
from stigmer_server.pipeline.steps.load import LoadById
from stigmer_server.pipeline.steps.persist import AwaitDurable, Persist
from stigmer_server.pipeline.steps.publish import PublishChange
from stigmer_server.pipeline.steps.validate import ValidateRequest

DECIDED = (api_pb2.APPROVED, api_pb2.REJECTED)


def _request(ctx: RequestContext) -> io_pb2.AgentExecutionDecideToolCallsInput:
    return cast(io_pb2.AgentExecutionDecideToolCallsInput, ctx.request)


def _state(decision: api_pb2.ToolCallDecision) -> api_pb2.ApprovalState.ValueType:
    return api_pb2.APPROVED if decision.approved else api_pb2.REJECTED


class RecordDecisions:
    """Sets each named tool call's approval (and reason); refuses a call not waiting."""

    name = "record-decisions"

    async def run(self, ctx: RequestContext) -> None:
        request = _request(ctx)
        execution = cast(api_pb2.AgentExecution, ctx.require_resource())
        calls = {call.id: call for call in execution.status.tool_calls}
        changed = False
        for index, decision in enumerate(request.decisions):
            field = f"decisions[{index}].tool_call_id"
            call = calls.get(decision.tool_call_id)
            if call is None:
                raise FailedPrecondition(
                    f"execution {request.execution_id} has no tool call {decision.tool_call_id}",
                    field=field,
                )
            if call.approval in DECIDED:
                if call.approval != _state(decision):
                    raise FailedPrecondition(
                        f"tool call {call.id} was already "
                        f"{api_pb2.ApprovalState.Name(call.approval).lower()}",
                        field=field,
                    )
                continue  # the same decision again: signal again, record nothing new
            if call.approval != api_pb2.WAITING_APPROVAL:
                raise FailedPrecondition(
                    f"tool call {call.id} ({call.name}) is not waiting for approval",
                    field=field,
                )
            call.approval = _state(decision)
            call.approval_reason = decision.reason
            changed = True
        ctx.changed = changed


class SendDecisions:
    """After the decisions are durable: signal the orchestration workflow."""

    name = "send-decisions"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        request = _request(ctx)
        # Resolved per request: the orchestrator may connect after the server started.
        await self._deps.run_control.decide_tool_calls(
            request.execution_id, list(request.decisions)
        )


class ToolCallDecisionCommands:
    """The DecideToolCalls pipeline of agent executions."""

    def __init__(self, kind: KindDescriptor, deps: Dependencies) -> None:
        self._kind = kind
        self.decide = Pipeline(
            f"{kind.space}-decide-tool-calls",
            [
                ValidateRequest(),
                UnderExecutionLock(
                    deps,
                    [
                        LoadById(deps, field="execution_id"),
                        RequireNotTerminal("decide"),
                        RecordDecisions(),
                        BumpVersion(deps),
                        UnderLock(deps.repository.write_lock, [Persist(deps)]),
                        AwaitDurable(deps),
                        PublishChange(deps),
                    ],
                ),
                SendDecisions(deps),
            ],
        )

    async def run(self, request: Message, *, caller: str) -> Message:
        ctx = RequestContext(
            kind=self._kind, operation=self.decide.name, request=request, caller=caller
        )
        await self.decide.run(ctx)
        return ctx.require_resource()
