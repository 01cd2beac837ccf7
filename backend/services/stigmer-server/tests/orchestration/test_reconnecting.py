"""The background connect/reconcile loop on a real dev server, with a recording reconciler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import cast

import pytest
from recording_status_writer import RecordingStatusWriter
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_server.execution.reconciliation import PassReport, Reconciler
from stigmer_server.execution.starter import ExecutionStarter
from stigmer_server.orchestration.reconnecting import ReconnectingOrchestration
from stigmer_server.orchestration.runtime import Orchestration
from stigmer_server.orchestration.settings import OrchestrationQueues, OrchestrationSettings
from stigmer_server.orchestration.unavailable import OrchestrationNotConnected
from stigmer_testing.server_process import free_port
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

TIMEOUT = 30.0


class RecordingReconciler:
    """Stands in for the reconciler: records why each pass ran."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def run_pass(self, reason: str) -> PassReport:
        self.reasons.append(reason)
        return PassReport()


def _settings(host_port: str, queues: OrchestrationQueues) -> OrchestrationSettings:
    return OrchestrationSettings(
        host_port=host_port,
        namespace="default",
        connect_timeout=timedelta(seconds=1),
        queues=queues,
        reconcile_interval=timedelta(seconds=0.3),
    )


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not condition():  # noqa: ASYNC110 (polls plain state of the fakes)
            await asyncio.sleep(0.05)


async def test_install_failure_is_retried_and_reconciliation_goes_on(
    temporal_env: WorkflowEnvironment,
    queues: OrchestrationQueues,
    writer: RecordingStatusWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reconciler = RecordingReconciler()
    installs: list[str] = []

    def install(client: Client) -> Orchestration:
        installs.append("attempt")
        if len(installs) == 1:
            raise ValueError("payload keyring unusable")
        return Orchestration(temporal_env.client, queues, writer)

    def build(starter: ExecutionStarter) -> Reconciler:
        return cast(Reconciler, reconciler)

    target = temporal_env.client.service_client.config.target_host
    orchestration = ReconnectingOrchestration(_settings(target, queues), install, build)
    execution = workflow_api.WorkflowExecution()
    execution.metadata.id = "wex-reconnect"
    caplog.set_level(logging.INFO, logger="stigmer_server.orchestration")
    with pytest.raises(OrchestrationNotConnected):  # nothing connected before start()
        await orchestration.starter.start_workflow_execution(execution)
    orchestration.start()
    try:
        await _until(lambda: "connected" in reconciler.reasons)
        await _until(lambda: reconciler.reasons.count("periodic") >= 2)
    finally:
        await orchestration.stop_worker()
        await orchestration.close_client()
    assert len(installs) == 2
    assert reconciler.reasons[0] == "boot"  # reconciled before the connection too
    assert any("cannot install the orchestration workers" in r.getMessage() for r in caplog.records)
    stopped = len(reconciler.reasons)
    await asyncio.sleep(0.6)
    assert len(reconciler.reasons) == stopped  # stop_worker ended the loop


async def test_temporal_coming_up_later_is_connected_without_a_restart(
    queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    port = free_port()
    reconciler = RecordingReconciler()
    clients: list[Client] = []

    def install(client: Client) -> Orchestration:
        clients.append(client)
        return Orchestration(client, queues, writer)

    connected: list[int] = []  # the server freezes the heap the connection loaded here
    orchestration = ReconnectingOrchestration(
        _settings(f"127.0.0.1:{port}", queues),
        install,
        lambda _: cast(Reconciler, reconciler),
        on_connected=lambda: connected.append(len(orchestration.workers)),
    )
    orchestration.start()
    env: WorkflowEnvironment | None = None
    try:
        await _until(lambda: reconciler.reasons.count("periodic") >= 2)  # down: still passes
        assert clients == []
        assert connected == []
        env = await start_dev_server(port=port)
        await _until(lambda: "connected" in reconciler.reasons)
        assert len(clients) == 1
        assert len(connected) == 1 and connected[0] > 0  # once, with the workers installed
    finally:
        await orchestration.stop_worker()
        await orchestration.close_client()
        if env is not None:
            await env.shutdown()
