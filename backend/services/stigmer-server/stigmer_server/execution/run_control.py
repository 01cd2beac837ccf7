"""The port through which Cancel, Pause and Resume reach a running execution.

The API records the decision in the store first (CANCELLED, ``status.paused``)
and then asks the orchestrator to act on the running workflows through this
interface. The Temporal implementation lives in
:mod:`stigmer_server.orchestration.run_control`; without an orchestrator
nothing runs, so :class:`NothingToControl` has nothing to stop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api

from stigmer_server.errors import Unavailable

_log = logging.getLogger(__name__)


class RunControl(Protocol):
    """Acts on the durable run of a workflow execution.

    ``cancel_*`` never raises for a run that is gone or never started (the
    stored CANCELLED is the answer either way); ``pause_*`` and ``resume_*``
    raise :class:`~stigmer_server.errors.Unavailable` when the orchestrator
    cannot be reached, so the client retries (both are idempotent).
    """

    async def cancel_workflow_execution(self, execution_id: str, reason: str) -> None: ...

    async def pause_workflow_execution(self, execution_id: str, reason: str) -> None: ...

    async def resume_workflow_execution(self, execution_id: str, reason: str) -> None: ...

    async def decide_tool_calls(
        self, execution_id: str, decisions: Sequence[agent_execution_api.ToolCallDecision]
    ) -> None:
        """Passes recorded tool-call decisions to an agent execution's orchestration."""
        ...


class NothingToControl:
    """The :class:`RunControl` without an orchestrator: no run exists to act on."""

    async def cancel_workflow_execution(self, execution_id: str, reason: str) -> None:
        _log.debug("cancel %s: no orchestrator, nothing runs", execution_id)

    async def pause_workflow_execution(self, execution_id: str, reason: str) -> None:
        _log.debug("pause %s: no orchestrator, nothing runs", execution_id)

    async def resume_workflow_execution(self, execution_id: str, reason: str) -> None:
        _log.debug("resume %s: no orchestrator, nothing runs", execution_id)

    async def decide_tool_calls(
        self, execution_id: str, decisions: Sequence[agent_execution_api.ToolCallDecision]
    ) -> None:
        # Recorded, but the waiting run can only get them through the orchestrator:
        # the client retries (the same decisions again are accepted).
        raise Unavailable(
            f"execution {execution_id}: decisions recorded, but the orchestrator is not "
            "connected; retry"
        )
