"""The orchestration used when Temporal was unreachable at boot.

``connect_at_boot`` already logged the one warning; this starter therefore
stays quiet (debug only) and leaves every new execution PENDING, which is what
the server promises when it runs without Temporal.
"""

from __future__ import annotations

import logging

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api

from stigmer_server.execution.run_control import NothingToControl

_log = logging.getLogger(__name__)


class PendingOnlyStarter:
    """Accepts executions without starting them (they stay PENDING)."""

    async def start_workflow_execution(self, execution: workflow_api.WorkflowExecution) -> None:
        """Leave the execution PENDING; the boot warning already explained why."""
        _log.debug("not started (no Temporal): %s", execution.metadata.id)

    async def start_agent_execution(self, execution: agent_api.AgentExecution) -> None:
        """Leave the execution PENDING; the boot warning already explained why."""
        _log.debug("not started (no Temporal): %s", execution.metadata.id)


class TemporalUnavailable:
    """The server's ``Orchestration`` port with nothing connected and nothing to stop."""

    def __init__(self) -> None:
        self._starter = PendingOnlyStarter()

    @property
    def starter(self) -> PendingOnlyStarter:
        """A starter that leaves executions PENDING."""
        return self._starter

    @property
    def run_control(self) -> NothingToControl:
        """Nothing was started, so there is nothing to cancel or pause."""
        return NothingToControl()

    async def stop_worker(self) -> None:
        """Nothing runs, nothing to stop."""

    async def close_client(self) -> None:
        """No client was connected."""
