"""The port through which the server starts executions on an orchestrator.

The API only knows this interface. The Temporal implementation (orchestration
workflows, client, worker) plugs in through :class:`Orchestration`; until it is
there, or when Temporal cannot be reached at boot, :class:`OrchestratorUnavailable`
keeps executions PENDING and says so once in the log.
"""

from __future__ import annotations

import logging
from typing import Protocol

from stigmer.agentexecution.v1 import api_pb2 as agentexecution_api
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api

from stigmer_server.execution.run_control import NothingToControl, RunControl

_log = logging.getLogger(__name__)


class ExecutionStarter(Protocol):
    """Starts the durable run of a persisted (PENDING) execution.

    Implementations raise to signal a failed start; the server then marks the
    execution FAILED and answers UNAVAILABLE. Returning normally means the run
    was handed over (or deliberately deferred).
    """

    async def start_workflow_execution(
        self, execution: workflowexecution_api.WorkflowExecution
    ) -> None: ...

    async def start_agent_execution(self, execution: agentexecution_api.AgentExecution) -> None: ...


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
    ) -> None:
        self._warn_once()

    async def start_agent_execution(self, execution: agentexecution_api.AgentExecution) -> None:
        self._warn_once()


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
