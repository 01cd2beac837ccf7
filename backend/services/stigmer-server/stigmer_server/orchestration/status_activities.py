"""The LOCAL status activities of the orchestration workflows.

They run in the server process (local activities execute on the worker that
runs the workflow), which owns the store, so a status change needs no gRPC hop.
Errors a retry cannot fix (the execution was deleted, the report is invalid)
are raised non-retryable so the workflow sees them at once instead of after
five attempts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from stigmer.agentexecution.v1 import contract_pb2 as agent_contract_pb2
from stigmer.agentexecution.v1 import io_pb2 as agent_io
from stigmer.agentexecution.v1.contract_temporal import UPDATE_EXECUTION_STATUS
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract_pb2
from stigmer.workflowexecution.v1 import io_pb2 as workflow_io
from stigmer.workflowexecution.v1.contract_temporal import UPDATE_WORKFLOW_EXECUTION_STATUS
from temporalio.exceptions import ApplicationError

from stigmer_server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from stigmer_server.orchestration.outcome import STATUS_REJECTED_ERROR_TYPE
from stigmer_server.orchestration.status_writer import ExecutionStatusWriter

_T = TypeVar("_T")

# Errors a retry cannot fix; anything else (UNAVAILABLE, ABORTED, a bug) is retried
# by the contract's retry policy.
_PERMANENT_ERRORS = (InvalidArgument, NotFound, FailedPrecondition, AlreadyExists)


async def _merge(call: Callable[[], Awaitable[_T]]) -> _T:
    try:
        return await call()
    except _PERMANENT_ERRORS as error:
        raise ApplicationError(
            error.message, type=STATUS_REJECTED_ERROR_TYPE, non_retryable=True
        ) from error


class StatusActivities:
    """Local activity implementations bound to the server's status merge.

    Args:
        writer: The in-process status merge (see :class:`ExecutionStatusWriter`).
    """

    def __init__(self, writer: ExecutionStatusWriter) -> None:
        self._writer = writer

    @UPDATE_WORKFLOW_EXECUTION_STATUS.defn
    async def update_workflow_execution_status(
        self, request: workflow_io.WorkflowExecutionUpdateStatusInput
    ) -> workflow_contract_pb2.UpdateWorkflowExecutionStatusOutput:
        """Persist a WorkflowExecution status change (e.g. FAILED after a system error)."""
        execution = await _merge(lambda: self._writer.update_workflow_execution_status(request))
        return workflow_contract_pb2.UpdateWorkflowExecutionStatusOutput(
            phase=execution.status.phase
        )

    @UPDATE_EXECUTION_STATUS.defn
    async def update_agent_execution_status(
        self, request: agent_io.AgentExecutionUpdateStatusInput
    ) -> agent_contract_pb2.UpdateExecutionStatusOutput:
        """Persist an AgentExecution status change (e.g. FAILED after a system error)."""
        execution = await _merge(lambda: self._writer.update_agent_execution_status(request))
        return agent_contract_pb2.UpdateExecutionStatusOutput(phase=execution.status.phase)
