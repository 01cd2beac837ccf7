"""``TemporalRunControl``: Cancel, Pause and Resume of a workflow execution in Temporal.

Both workflow ids come from the contracts' id templates over the execution id:
the orchestration (``stigmer/workflow-execution/invoke/{id}``) and the engine
run it started (``stigmer/serverless-workflow/{id}``).

Cancel cancels the engine *directly*: Temporal delivers the cancellation to
the engine's pending timer, condition or activity at once, so a long ``wait``,
``listen`` or HTTP call stops within a workflow task instead of at the engine's
next progress report. The orchestration is cancelled too (it stops waiting for
the runner's activity). A workflow that does not exist (never started, already
ended) is not an error: the stored CANCELLED is the answer.

Pause and resume are signals to the engine (contract ``stigmer.engine.v1``). An
engine that does not exist yet is not an error either: the bridge starts it
with ``paused`` read from the stored status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
from stigmer.agentexecution.v1.contract_temporal import DECIDE_TOOL_CALLS, INVOKE_AGENT_EXECUTION
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import (
    EXECUTE_SERVERLESS_WORKFLOW,
    PAUSE_ENGINE,
    RESUME_ENGINE,
)
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract
from stigmer.workflowexecution.v1.contract_temporal import INVOKE_WORKFLOW_EXECUTION
from stigmer_temporal import SignalContract
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from stigmer_server.errors import Unavailable

_log = logging.getLogger(__name__)


def engine_workflow_id(execution_id: str) -> str:
    """The engine run of an execution (the runner's bridge uses the same template)."""
    return EXECUTE_SERVERLESS_WORKFLOW.workflow_id(
        engine_contract.ExecuteServerlessWorkflowInput(execution_id=execution_id)
    )


def orchestration_workflow_id(execution_id: str) -> str:
    """The orchestration workflow of an execution."""
    execution = workflow_api.WorkflowExecution()
    execution.metadata.id = execution_id
    return INVOKE_WORKFLOW_EXECUTION.workflow_id(
        workflow_contract.InvokeWorkflowExecutionInput(execution=execution)
    )


def agent_orchestration_workflow_id(execution_id: str) -> str:
    """The orchestration workflow of an agent execution."""
    execution = agent_execution_api.AgentExecution()
    execution.metadata.id = execution_id
    return INVOKE_AGENT_EXECUTION.workflow_id(
        agent_contract.InvokeAgentExecutionInput(execution=execution)
    )


class TemporalRunControl:
    """The server's ``RunControl`` port over a connected Temporal client."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def cancel_workflow_execution(self, execution_id: str, reason: str) -> None:
        # The engine first: it is what runs user tasks.
        for workflow_id in (
            engine_workflow_id(execution_id),
            orchestration_workflow_id(execution_id),
        ):
            try:
                await self._client.get_workflow_handle(workflow_id).cancel()
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    # CANCELLED is stored; the engine still stops at its next report.
                    _log.warning(
                        "could not cancel %s: %s",
                        workflow_id,
                        error.message,
                        extra={"execution_id": execution_id},
                    )
                continue
            _log.info("cancel requested for %s", workflow_id, extra={"execution_id": execution_id})

    async def pause_workflow_execution(self, execution_id: str, reason: str) -> None:
        await self._signal(PAUSE_ENGINE, execution_id, reason)

    async def resume_workflow_execution(self, execution_id: str, reason: str) -> None:
        await self._signal(RESUME_ENGINE, execution_id, reason)

    async def decide_tool_calls(
        self, execution_id: str, decisions: Sequence[agent_execution_api.ToolCallDecision]
    ) -> None:
        try:
            await DECIDE_TOOL_CALLS.send(
                self._client,
                agent_orchestration_workflow_id(execution_id),
                agent_contract.ToolCallDecisions(decisions=decisions),
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return  # the run ended (cancelled, timed out): nothing waits any more
            raise Unavailable(
                f"execution {execution_id}: decisions recorded, but the run could not be "
                f"signalled ({error.message}); retry",
            ) from error

    async def _signal(
        self,
        signal: SignalContract[engine_contract.EngineControlSignal],
        execution_id: str,
        reason: str,
    ) -> None:
        try:
            await signal.send(
                self._client,
                engine_workflow_id(execution_id),
                engine_contract.EngineControlSignal(reason=reason),
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return  # not started yet (starts with the stored state) or already ended
            raise Unavailable(
                f"execution {execution_id}: recorded, but the engine could not be "
                f"signalled ({error.message}); retry",
            ) from error
