"""Running a workflow-runner process: connect, start both workers, stop on a signal.

Used by ``python -m workflow_runner`` and embedded by ``stigmer server``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

import httpx
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW
from stigmer_observability import Observability
from stigmer_runner.temporal_client import connect_temporal

from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.bridge.engine_watch import StuckEngineWatch
from workflow_runner.bridge.handoff import HandoffKeeper, heartbeat_interval
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.bridge.workers import build_platform_engine_worker, build_runner_worker
from workflow_runner.events.http_endpoint import CloudEventsEndpoint
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.wiring.worker import build_registry_worker

_log = logging.getLogger("workflow_runner")


async def run_runner(
    settings: RunnerSettings, stop: asyncio.Event, observability: Observability | None = None
) -> None:
    """Run the runner and engine workers until ``stop`` is set, then shut them down.

    ``observability`` (the process's ``/readyz``) gets two checks: Temporal
    answers, and every worker of the process polls.
    """
    client = await connect_temporal(settings)
    api = StigmerApi(settings)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(api.close)
        http = await stack.enter_async_context(httpx.AsyncClient())
        keeper = HandoffKeeper(
            client,
            heartbeat_interval(EXECUTE_WORKFLOW.heartbeat_timeout),
            watch=StuckEngineWatch(client, api).check,
        )
        keeper.start()
        stack.push_async_callback(keeper.stop)
        engine = build_platform_engine_worker(
            client, api, settings, io_activities=build_io_activities(http)
        )
        runner = build_runner_worker(client, api, settings, keeper)
        bus = BusConfig(task_queue=settings.event_queue)
        registry = await stack.enter_async_context(build_registry_worker(client, bus))
        if settings.events_address:
            host, _, port = settings.events_address.rpartition(":")
            try:
                endpoint = CloudEventsEndpoint(
                    EventPublisher(client, bus).publish,
                    asyncio.get_running_loop(),
                    host=host or "127.0.0.1",
                    port=int(port),
                ).start()
            except OSError as error:
                # The endpoint is one way in for events; executions run without it.
                _log.error(
                    "no CloudEvents endpoint: cannot listen on %s (%s)",
                    settings.events_address,
                    error.strerror or error,
                )
            else:
                stack.callback(endpoint.stop)
                _log.info("accepting CloudEvents at %s", endpoint.url)
        await stack.enter_async_context(engine)
        await stack.enter_async_context(runner)
        if observability is not None:
            observability.track_temporal(lambda: client, lambda: (engine, runner, registry))
        _log.info(
            "workflow-runner polling %s (ExecuteWorkflow) and %s (engine); stigmer-server at %s",
            settings.runner_queue,
            settings.engine_queue,
            settings.stigmer_endpoint,
        )
        await stop.wait()
        _log.info("workflow-runner stopping")
