"""The Temporal side of stigmer-server: client, the two orchestration workers, the starter.

Built once in the server's lifecycle. The workers register ONLY the
orchestration workflows and their local status activities (the contracts'
``worker()`` refuses anything else), each on its own ``*_stigmer`` queue.
It implements the server's ``Orchestration`` port: shutdown, called after the
server stopped accepting RPCs, is ``stop_worker`` (in-flight workflow tasks
finish) then ``close_client``. The Python SDK has no explicit client close; its
connection is released with the last reference, which is why ``close_client``
forgets it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from stigmer.agentexecution.v1.contract_temporal import AGENT_EXECUTION_ORCHESTRATION
from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_ORCHESTRATION
from temporalio.client import Client
from temporalio.worker import Worker

from stigmer_server.orchestration.agent_execution import InvokeAgentExecutionWorkflow
from stigmer_server.orchestration.run_control import TemporalRunControl
from stigmer_server.orchestration.sandbox import orchestration_runner
from stigmer_server.orchestration.settings import OrchestrationQueues
from stigmer_server.orchestration.starter import TemporalExecutionStarter
from stigmer_server.orchestration.status_activities import StatusActivities
from stigmer_server.orchestration.status_writer import ExecutionStatusWriter
from stigmer_server.orchestration.workflow_execution import InvokeWorkflowExecutionWorkflow
from stigmer_server.secrets.execution_grants import ExecutionGrants

_log = logging.getLogger(__name__)

# Workers get this long to finish in-flight tasks before they are cancelled.
_GRACEFUL_SHUTDOWN = timedelta(seconds=5)


class Orchestration:
    """A connected client, the running orchestration workers and the starter.

    Args:
        client: A connected Temporal client (see ``connect_at_boot``).
        queues: The queues resolved at boot.
        writer: The in-process status merge the local activities persist through.
    """

    def __init__(
        self,
        client: Client,
        queues: OrchestrationQueues,
        writer: ExecutionStatusWriter,
        grants: ExecutionGrants | None = None,
    ) -> None:
        self._client: Client | None = client
        self._starter = TemporalExecutionStarter(client, queues, grants)
        self._run_control = TemporalRunControl(client)
        activities = StatusActivities(writer)
        self._workers: list[Worker] = [
            WORKFLOW_EXECUTION_ORCHESTRATION.worker(
                client,
                workflows=[InvokeWorkflowExecutionWorkflow],
                activities=[activities.update_workflow_execution_status],
                task_queue=queues.workflow_stigmer,
                graceful_shutdown_timeout=_GRACEFUL_SHUTDOWN,
                workflow_runner=orchestration_runner(),
            ),
            AGENT_EXECUTION_ORCHESTRATION.worker(
                client,
                workflows=[InvokeAgentExecutionWorkflow],
                activities=[activities.update_agent_execution_status],
                task_queue=queues.agent_stigmer,
                graceful_shutdown_timeout=_GRACEFUL_SHUTDOWN,
                workflow_runner=orchestration_runner(),
            ),
        ]
        self._runs: list[asyncio.Task[None]] = []

    @property
    def starter(self) -> TemporalExecutionStarter:
        """The starter the create pipelines call (the server's ``ExecutionStarter``)."""
        return self._starter

    @property
    def run_control(self) -> TemporalRunControl:
        """Cancel / pause / resume of running executions (the server's ``RunControl``)."""
        return self._run_control

    @property
    def client(self) -> Client:
        """The Temporal client (only until :meth:`close_client`)."""
        if self._client is None:
            raise RuntimeError("orchestration is shut down")
        return self._client

    @property
    def workers(self) -> list[Worker]:
        """The orchestration workers (polling once :meth:`start` ran)."""
        return list(self._workers)

    def start(self) -> None:
        """Start polling both orchestration queues in background tasks."""
        for worker in self._workers:
            task = asyncio.create_task(worker.run(), name=f"temporal-worker:{worker.task_queue}")
            task.add_done_callback(_report_worker_exit)
            self._runs.append(task)
        _log.info(
            "orchestration workers polling %s",
            ", ".join(worker.task_queue for worker in self._workers),
        )

    async def wait_worker_exit(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True if a worker stopped meanwhile (or before)."""
        if not self._runs:
            return True
        done, _ = await asyncio.wait(
            self._runs, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        return bool(done)

    async def stop_worker(self) -> None:
        """Stop both workers: in-flight tasks get a grace period, then are cancelled."""
        if not self._runs:  # never started, or already stopped
            return
        running = [w for w, run in zip(self._workers, self._runs, strict=True) if not run.done()]
        await asyncio.gather(*(worker.shutdown() for worker in running), return_exceptions=True)
        await asyncio.gather(*self._runs, return_exceptions=True)
        self._runs.clear()
        _log.info("orchestration workers stopped")

    async def close_client(self) -> None:
        """Release the client (the SDK has no close; dropping the last reference does it)."""
        self._client = None


def _report_worker_exit(task: asyncio.Task[None]) -> None:
    # A worker that dies while the server runs leaves executions unorchestrated;
    # say so loudly instead of failing silently in a background task.
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _log.error("orchestration worker %s stopped: %s", task.get_name(), error)
