"""``ReconnectingOrchestration``: Temporal when it is there, reconciliation always.

The server installs this at boot without waiting for Temporal. A background
task connects (retrying quietly after one warning while Temporal is
unreachable), installs the orchestration workers once connected, and runs the
:class:`~stigmer_server.execution.reconciliation.Reconciler`: at boot, right
after every (re)connection, and every ``reconcile_interval``. If the workers
stop (Temporal lost for good, a fatal poll error) it tears them down and
connects again. Meanwhile the starter it hands to the create pipelines
delegates to the connected one, or refuses with ``OrchestrationNotConnected``
(the execution stays PENDING and the next pass after the connection starts it).

A Temporal that drops and comes back while connected needs nothing from here:
the SDK client reconnects by itself and the workers resume polling; the starts
refused meanwhile are picked up by the next periodic pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from temporalio.client import Client
from temporalio.worker import Worker

from stigmer_server.execution.reconciliation import Reconciler
from stigmer_server.execution.run_control import NothingToControl, RunControl
from stigmer_server.execution.starter import ExecutionStarter
from stigmer_server.orchestration.connection import connect_at_boot
from stigmer_server.orchestration.runtime import Orchestration
from stigmer_server.orchestration.settings import OrchestrationSettings
from stigmer_server.orchestration.unavailable import NotConnectedStarter

_log = logging.getLogger(__name__)

# Reconnect attempts are at most this far apart (sooner if the reconcile
# interval is shorter), so executions start within seconds of Temporal's return.
MAX_RECONNECT_DELAY = timedelta(seconds=2)


class SwitchableStarter:
    """The starter the create pipelines hold for the server's lifetime.

    It delegates to ``target``: the connected Temporal starter, or the
    not-connected one while there is no connection.
    """

    def __init__(self, target: ExecutionStarter) -> None:
        self.target = target

    async def start_workflow_execution(self, execution: workflow_api.WorkflowExecution) -> bool:
        """Start through the current target (raises while not connected)."""
        return await self.target.start_workflow_execution(execution)

    async def start_agent_execution(self, execution: agent_api.AgentExecution) -> bool:
        """Start through the current target (raises while not connected)."""
        return await self.target.start_agent_execution(execution)


class SwitchableRunControl:
    """The run control the run commands hold: the connected one, or nothing to control.

    Without a connection no run can be reached; the stored decision (CANCELLED,
    ``status.paused``) is read by the run when it starts (reconciliation).
    """

    def __init__(self) -> None:
        self.target: RunControl = NothingToControl()

    async def cancel_workflow_execution(self, execution_id: str, reason: str) -> None:
        await self.target.cancel_workflow_execution(execution_id, reason)

    async def pause_workflow_execution(self, execution_id: str, reason: str) -> None:
        await self.target.pause_workflow_execution(execution_id, reason)

    async def resume_workflow_execution(self, execution_id: str, reason: str) -> None:
        await self.target.resume_workflow_execution(execution_id, reason)

    async def decide_tool_calls(
        self, execution_id: str, decisions: Sequence[agent_api.ToolCallDecision]
    ) -> None:
        await self.target.decide_tool_calls(execution_id, decisions)


class ReconnectingOrchestration:
    """The server's ``Orchestration`` port: connect in the background, reconcile.

    Args:
        settings: Where Temporal is, and the reconcile interval.
        install: Builds the (not yet started) workers and starter on a connected client.
        reconciler: Builds the reconciler, given the starter it must start through.
        on_connected: Called after each connection's workers are installed (the
            server freezes the heap the first connection loaded: see startup_heap).
    """

    def __init__(
        self,
        settings: OrchestrationSettings,
        install: Callable[[Client], Orchestration],
        reconciler: Callable[[ExecutionStarter], Reconciler],
        *,
        on_connected: Callable[[], object] = lambda: None,
    ) -> None:
        self._settings = settings
        self._install = install
        self._not_connected = NotConnectedStarter(settings.host_port)
        self._starter = SwitchableStarter(self._not_connected)
        self._run_control = SwitchableRunControl()
        self._reconciler = reconciler(self._starter)
        self._on_connected = on_connected
        self._connected: Orchestration | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def starter(self) -> SwitchableStarter:
        """The starter the create pipelines call (the server's ``ExecutionStarter``)."""
        return self._starter

    @property
    def run_control(self) -> SwitchableRunControl:
        """Cancel/pause/resume through the connected client (nothing while not connected)."""
        return self._run_control

    @property
    def client(self) -> Client | None:
        """The connected client, None while not connected."""
        return self._connected.client if self._connected is not None else None

    @property
    def workers(self) -> list[Worker]:
        """The orchestration workers of the current connection (none while not connected)."""
        return self._connected.workers if self._connected is not None else []

    def start(self) -> None:
        """Start connecting and reconciling in the background."""
        self._task = asyncio.create_task(self._run(), name="temporal-orchestration")
        self._task.add_done_callback(_report_exit)

    async def _run(self) -> None:
        interval = self._settings.reconcile_interval.total_seconds()
        retry_delay = min(interval, MAX_RECONNECT_DELAY.total_seconds())
        warn = True  # the first failed attempt of each outage warns, the retries do not
        last_pass = -math.inf
        reason = "boot"
        worker_failures = 0
        while True:
            if self._connected is None:
                client = await connect_at_boot(self._settings, warn=warn)
                warn = client is not None
                if client is not None:
                    try:
                        self._use(client)
                    except Exception:
                        # E.g. an unusable payload keyring: keep serving and
                        # reconciling (the deadline applies), retry with backoff.
                        worker_failures += 1
                        _log.exception(
                            "cannot install the orchestration workers on Temporal at %s",
                            self._settings.host_port,
                        )
                        await asyncio.sleep(_backoff(worker_failures, retry_delay, interval))
                    else:
                        self._on_connected()
                        reason = "connected"
                        last_pass = -math.inf  # reconcile right away
            if time.monotonic() - last_pass >= interval:
                await self._reconciler.run_pass(reason)
                last_pass = time.monotonic()
                reason = "periodic"
            wait = max(0.0, interval - (time.monotonic() - last_pass))
            if self._connected is None:
                await asyncio.sleep(min(wait, retry_delay))
            elif await self._connected.wait_worker_exit(wait):
                # Workers that die right after every connection (e.g. a namespace
                # that does not exist) are retried with backoff, not in a hot loop.
                worker_failures += 1
                delay = _backoff(worker_failures, retry_delay, interval)
                _log.error(
                    "orchestration workers stopped; reconnecting to Temporal at %s in %.1fs",
                    self._settings.host_port,
                    delay,
                )
                await self._drop()
                await asyncio.sleep(delay)
            else:
                worker_failures = 0

    def _use(self, client: Client) -> None:
        orchestration = self._install(client)
        orchestration.start()
        self._connected = orchestration
        self._starter.target = orchestration.starter
        self._run_control.target = orchestration.run_control
        _log.info(
            "connected to Temporal at %s (namespace %s); starting PENDING executions",
            self._settings.host_port,
            self._settings.namespace,
            extra={"event": "temporal_connected"},
        )

    async def _drop(self) -> None:
        connected, self._connected = self._connected, None
        self._starter.target = self._not_connected
        self._run_control.target = NothingToControl()
        if connected is not None:
            await connected.stop_worker()
            await connected.close_client()

    async def stop_worker(self) -> None:
        """Stop reconnecting and reconciling, then stop the workers (in-flight tasks finish)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connected is not None:
            await self._connected.stop_worker()

    async def close_client(self) -> None:
        """Release the client, if one was connected."""
        connected, self._connected = self._connected, None
        self._starter.target = self._not_connected
        self._run_control.target = NothingToControl()
        if connected is not None:
            await connected.close_client()


def _backoff(failures: int, first: float, limit: float) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (doubling, capped)."""
    doublings: int = max(0, min(failures - 1, 8))
    return min(limit, first * (1 << doublings))


def _report_exit(task: asyncio.Task[None]) -> None:
    # The loop only ends by cancellation; anything else would leave executions
    # unstarted without a word, so say it loudly.
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _log.error("orchestration supervisor stopped: %r", error, exc_info=error)
