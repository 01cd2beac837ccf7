"""What the orchestration needs from the store: the status merge, in-process.

The local status activities persist through the same merge as the
``UpdateStatus`` RPC (per-execution lock, upsert by task id, forward-only
phases, subscribers notified), so a FAILED written by the orchestration reaches
``Subscribe`` exactly like a runner's report. The server wires its merge code in
behind this protocol; tests can pass any object with these two methods.
"""

from __future__ import annotations

from typing import Protocol

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import io_pb2 as agent_io
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import io_pb2 as workflow_io


class ExecutionStatusWriter(Protocol):
    """Merges a status report into a stored execution and returns the result."""

    async def update_workflow_execution_status(
        self, request: workflow_io.WorkflowExecutionUpdateStatusInput
    ) -> workflow_api.WorkflowExecution:
        """Merge into a WorkflowExecution (same semantics as its UpdateStatus RPC)."""
        ...

    async def update_agent_execution_status(
        self, request: agent_io.AgentExecutionUpdateStatusInput
    ) -> agent_api.AgentExecution:
        """Merge into an AgentExecution (same semantics as its UpdateStatus RPC)."""
        ...
