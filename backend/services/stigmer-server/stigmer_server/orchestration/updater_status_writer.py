"""The server's UpdateStatus pipelines as the orchestration's ``ExecutionStatusWriter``.

Going through :class:`ExecutionStatusUpdater` (not the store directly) is what
makes a FAILED written by the orchestration behave exactly like a runner's
``UpdateStatus`` RPC: validation, the per-execution lock, the merge rules,
persistence and the push to subscribers.
"""

from __future__ import annotations

from typing import cast

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import io_pb2 as agent_io
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import io_pb2 as workflow_io

from stigmer_server.execution.status_updater import ExecutionStatusUpdater

# Recorded as the audit caller of status changes the orchestration makes.
ORCHESTRATION_CALLER = "system:orchestration"


class UpdaterStatusWriter:
    """Adapts the two kinds' status updaters to :class:`ExecutionStatusWriter`.

    Args:
        workflow_executions: The WorkflowExecution UpdateStatus pipeline.
        agent_executions: The AgentExecution UpdateStatus pipeline.
    """

    def __init__(
        self,
        *,
        workflow_executions: ExecutionStatusUpdater,
        agent_executions: ExecutionStatusUpdater,
    ) -> None:
        self._workflow_executions = workflow_executions
        self._agent_executions = agent_executions

    async def update_workflow_execution_status(
        self, request: workflow_io.WorkflowExecutionUpdateStatusInput
    ) -> workflow_api.WorkflowExecution:
        """Merge into a WorkflowExecution through its UpdateStatus pipeline."""
        stored = await self._workflow_executions.run(request, caller=ORCHESTRATION_CALLER)
        return cast(workflow_api.WorkflowExecution, stored)

    async def update_agent_execution_status(
        self, request: agent_io.AgentExecutionUpdateStatusInput
    ) -> agent_api.AgentExecution:
        """Merge into an AgentExecution through its UpdateStatus pipeline."""
        stored = await self._agent_executions.run(request, caller=ORCHESTRATION_CALLER)
        return cast(agent_api.AgentExecution, stored)
