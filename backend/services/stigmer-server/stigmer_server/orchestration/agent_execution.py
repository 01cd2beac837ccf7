"""``InvokeAgentExecutionWorkflow``: run one AgentExecution through the agent-runner.

Like the workflow-execution orchestration, it leaves IN_PROGRESS to the runner
(which reports it as the agent loop starts). Steps: ``EnsureThread`` (session →
conversation thread) then ``ExecuteGraphton`` (the agent loop) on the runner
queue named in the memo. When it returns waiting tool call ids (guarded tools,
WAITING_APPROVAL), wait, with no activity running, until the DecideToolCalls
signal brought a decision for each, then run ``ExecuteGraphton`` again with all
decisions (it resumes the thread). On the final return, persist the status; on a
system error in either activity, persist FAILED naming the activity, then fail;
when cancelled (while an activity runs or while decisions are awaited), persist
CANCELLED. A workflow's `call: agent` task cancels this workflow when the task
is cancelled. However it ends, an execution created by a
workflow's `call: agent` task (``spec.callback_workflow_id``) then signals that
engine run its final status, so the task completes without polling.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from stigmer.agentexecution.v1 import api_pb2, contract_pb2, io_pb2
    from stigmer.agentexecution.v1.contract_temporal import (
        DECIDE_TOOL_CALLS,
        ENSURE_THREAD,
        EXECUTE_GRAPHTON,
        INVOKE_AGENT_EXECUTION,
        UPDATE_EXECUTION_STATUS,
    )
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import AGENT_EXECUTION_ENDED

    from stigmer_server.orchestration import outcome
    from stigmer_server.orchestration.deadline import runner_budget
    from stigmer_server.orchestration.memo import runner_queue_from_memo


@INVOKE_AGENT_EXECUTION.defn
class InvokeAgentExecutionWorkflow:
    """Orchestrates one AgentExecution; see the module docstring for the steps."""

    def __init__(self) -> None:
        # Tool call id -> the first decision received for it.
        self._decisions: dict[str, api_pb2.ToolCallDecision] = {}
        # The runner activity being run (named by a FAILED status).
        self._step = ENSURE_THREAD.name

    @DECIDE_TOOL_CALLS.defn
    async def decide_tool_calls(self, arg: contract_pb2.ToolCallDecisions) -> None:
        """Decisions on waiting tool calls (the server recorded them first)."""
        for decision in arg.decisions:
            self._decisions.setdefault(decision.tool_call_id, decision)

    @workflow.run
    async def run(
        self, arg: contract_pb2.InvokeAgentExecutionInput
    ) -> contract_pb2.InvokeAgentExecutionOutput:
        """Run the agent on the runner and persist how it ended."""
        execution = arg.execution
        try:
            result = await self._run_agent(arg)
        except asyncio.CancelledError:
            # Cancelled while no activity runs (waiting for decisions), or in the
            # activation that delivered an activity's result.
            await self._cancelled(execution)
            raise
        except ActivityError as error:
            if isinstance(error.cause, CancelledError):
                # This workflow never cancels its activities itself: a cancelled
                # activity means the orchestration was cancelled.
                await self._cancelled(execution)
                raise asyncio.CancelledError() from error
            failure = outcome.activity_error(error, activity_name=self._step)
            failed = outcome.ended_status(
                api_pb2.AgentExecutionStatus, phase_pb2.FAILED, failure, now=workflow.now()
            )
            await self._persist(execution.metadata.id, failed)
            await _call_back(execution, failed)
            raise ApplicationError(
                failure.message, type=failure.code, non_retryable=True
            ) from error
        final = outcome.final_status(
            result.status, activity_name=EXECUTE_GRAPHTON.name, now=workflow.now()
        )
        await self._persist(execution.metadata.id, final)
        await _call_back(execution, final)
        return contract_pb2.InvokeAgentExecutionOutput(status=final)

    async def _run_agent(
        self, arg: contract_pb2.InvokeAgentExecutionInput
    ) -> contract_pb2.ExecuteGraphtonOutput:
        """The thread, then the agent loop until it returns with nothing waiting."""
        execution = arg.execution
        runner_queue = runner_queue_from_memo()
        self._step = ENSURE_THREAD.name
        thread = await ENSURE_THREAD.execute(
            contract_pb2.EnsureThreadInput(execution=execution),
            task_queue=runner_queue,
            schedule_to_close_timeout=_runner_budget(),
        )
        self._step = EXECUTE_GRAPHTON.name
        while True:
            result = await EXECUTE_GRAPHTON.execute(
                contract_pb2.ExecuteGraphtonInput(
                    execution=execution,
                    thread_id=thread.thread_id,
                    decisions=list(self._decisions.values()),
                    # Sealed by the payload codec like the input it came in.
                    grant=arg.grant,
                ),
                task_queue=runner_queue,
                schedule_to_close_timeout=_runner_budget(),
            )
            waiting = list(result.waiting_tool_call_ids)
            if not waiting:
                return result
            workflow.logger.info("%s waits for decisions on %s", execution.metadata.id, waiting)
            await workflow.wait_condition(functools.partial(self._decided, waiting))

    async def _cancelled(self, execution: api_pb2.AgentExecution) -> None:
        """Record CANCELLED, so the execution does not stay IN_PROGRESS, and call back."""
        cancelled = outcome.ended_status(
            api_pb2.AgentExecutionStatus,
            phase_pb2.CANCELLED,
            outcome.cancellation(),
            now=workflow.now(),
        )
        await self._persist(execution.metadata.id, cancelled)
        await _call_back(execution, cancelled)

    def _decided(self, tool_call_ids: list[str]) -> bool:
        return all(call_id in self._decisions for call_id in tool_call_ids)

    async def _persist(self, execution_id: str, status: api_pb2.AgentExecutionStatus) -> None:
        try:
            await UPDATE_EXECUTION_STATUS.execute(
                io_pb2.AgentExecutionUpdateStatusInput(execution_id=execution_id, status=status)
            )
        except ActivityError as error:
            # Refused for good: already terminal (the runner's report won) or deleted.
            cause = error.cause
            if not (
                isinstance(cause, ApplicationError)
                and cause.type == outcome.STATUS_REJECTED_ERROR_TYPE
            ):
                raise
            workflow.logger.info("status of %s not persisted: %s", execution_id, cause)


async def _call_back(
    execution: api_pb2.AgentExecution, status: api_pb2.AgentExecutionStatus
) -> None:
    """Signal the engine run waiting on this execution (if any) how it ended."""
    engine_workflow_id = execution.spec.callback_workflow_id
    if not engine_workflow_id:
        return
    ended = engine_contract.AgentExecutionEndedSignal(
        agent_execution_id=execution.metadata.id, phase=status.phase
    )
    if status.HasField("output"):
        ended.output.CopyFrom(status.output)
    if status.HasField("error"):
        ended.error.CopyFrom(status.error)
    try:
        await workflow.get_external_workflow_handle(engine_workflow_id).signal(
            AGENT_EXECUTION_ENDED.name, ended
        )
    except FailureError as error:
        # The engine run is gone (ended, cancelled): nobody waits any more.
        workflow.logger.info("engine %s not signalled: %s", engine_workflow_id, error)


def _runner_budget() -> timedelta | None:
    info = workflow.info()
    return runner_budget(info.execution_timeout, info.workflow_start_time, workflow.now())
