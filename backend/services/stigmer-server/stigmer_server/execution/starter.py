"""The port through which the server starts executions on an orchestrator.

The API only knows this interface. The Temporal implementation (orchestration
workflows, client, worker, reconciliation) plugs in through :class:`Orchestration`;
in a build without it, :class:`OrchestratorUnavailable` keeps executions PENDING
and says so once in the log.
"""

from __future__ import annotations

import logging
from typing import Protocol

from stigmer.agentexecution.v1 import api_pb2 as agentexecution_api
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api

from stigmer_server.execution.run_control import NothingToControl, RunControl

_log = logging.getLogger(__name__)


class ExecutionStarter(Protocol):
    """Starts the durable run of a persisted (PENDING) execution, at most once.

    Starting is idempotent: a second start of the same execution returns False
    and changes nothing. Implementations raise to signal a failed start; the
    execution then stays PENDING and reconciliation retries it (see
    ``execution.reconciliation``). True means this call handed the run over.
    """

    async def start_workflow_execution(
        self, execution: workflowexecution_api.WorkflowExecution
    ) -> bool: ...

    async def start_agent_execution(self, execution: agentexecution_api.AgentExecution) -> bool: ...


class Orchestration(Protocol):
    """What the server's lifecycle needs from an orchestrator integration.

    Shutdown calls ``stop_worker`` then ``close_client`` (after RPCs stopped and
    before the store closes).
    """

    @property
    def starter(self) -> ExecutionStarter: ...

    @property
    def run_control(self) -> RunControl: ...

    async def stop_worker(self) -> None: ...

    async def close_client(self) -> None: ...


class OrchestratorUnavailable:
    """A starter for when no orchestrator is connected: executions stay PENDING."""

    def __init__(self, reason: str) -> None:
        self._reason = reason
        self._warned = False

    def _warn_once(self) -> None:
        if not self._warned:
            self._warned = True
            _log.warning(
                "executions stay PENDING: no orchestrator (%s)",
                self._reason,
                extra={"event": "orchestrator_unavailable"},
            )

    async def start_workflow_execution(
        self, execution: workflowexecution_api.WorkflowExecution
    ) -> bool:
        self._warn_once()
        return False

    async def start_agent_execution(self, execution: agentexecution_api.AgentExecution) -> bool:
        self._warn_once()
        return False


class NoOrchestration:
    """The :class:`Orchestration` used when none is configured."""

    def __init__(self, reason: str) -> None:
        self._starter = OrchestratorUnavailable(reason)

    @property
    def starter(self) -> ExecutionStarter:
        return self._starter

    @property
    def run_control(self) -> RunControl:
        return NothingToControl()

    async def stop_worker(self) -> None:
        return None

    async def close_client(self) -> None:
        return None
