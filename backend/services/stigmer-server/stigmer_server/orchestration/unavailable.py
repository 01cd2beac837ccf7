"""The starter used while stigmer-server has no connection to Temporal.

It refuses every start with :class:`OrchestrationNotConnected`; the create
pipeline then keeps the execution PENDING (answering OK: it is stored and
acknowledged) and reconciliation starts it once Temporal is reachable, or
fails it after the start deadline. The background reconnect already logged
why Temporal is missing, so this starter adds nothing to the log itself.
"""

from __future__ import annotations

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api


class OrchestrationNotConnected(RuntimeError):
    """Temporal is not connected (yet); the start is deferred to reconciliation."""


class NotConnectedStarter:
    """Refuses every start, naming the Temporal address it is waiting for."""

    def __init__(self, host_port: str) -> None:
        self._reason = f"Temporal at {host_port} is not connected"

    async def start_workflow_execution(self, execution: workflow_api.WorkflowExecution) -> bool:
        """Raise: nothing can be started without Temporal."""
        raise OrchestrationNotConnected(self._reason)

    async def start_agent_execution(self, execution: agent_api.AgentExecution) -> bool:
        """Raise: nothing can be started without Temporal."""
        raise OrchestrationNotConnected(self._reason)
