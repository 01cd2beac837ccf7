"""Running a workflow-runner process: connect, start both workers, stop on a signal.

Used by ``python -m workflow_runner`` and embedded by ``stigmer server``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

import httpx
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from temporalio.client import Client

from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.bridge.handoff import HandoffKeeper, heartbeat_interval
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.bridge.workers import build_engine_worker, build_runner_worker

_log = logging.getLogger("workflow_runner")


async def connect(settings: RunnerSettings) -> Client:
    """A Temporal client sealing payloads with the deployment's keyring (as the server does)."""
    return await Client.connect(
        settings.temporal_host_port,
        namespace=settings.temporal_namespace,
        data_converter=encrypted_data_converter(load_keyring()),
    )


async def run_runner(settings: RunnerSettings, stop: asyncio.Event) -> None:
    """Run the runner and engine workers until ``stop`` is set, then shut them down."""
    client = await connect(settings)
    api = StigmerApi(settings)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(api.close)
        http = await stack.enter_async_context(httpx.AsyncClient())
        keeper = HandoffKeeper(client, heartbeat_interval(EXECUTE_WORKFLOW.heartbeat_timeout))
        keeper.start()
        stack.push_async_callback(keeper.stop)
        engine = build_engine_worker(client, api, settings, io_activities=build_io_activities(http))
        runner = build_runner_worker(client, api, settings, keeper)
        await stack.enter_async_context(engine)
        await stack.enter_async_context(runner)
        _log.info(
            "workflow-runner polling %s (ExecuteWorkflow) and %s (engine); stigmer-server at %s",
            settings.runner_queue,
            settings.engine_queue,
            settings.stigmer_endpoint,
        )
        await stop.wait()
        _log.info("workflow-runner stopping")


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT/SIGTERM set ``stop`` (graceful worker shutdown) instead of raising."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
