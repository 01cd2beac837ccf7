"""Running an agent-runner process: connect, open the checkpointer, poll, stop on a signal."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from typing import Any

from stigmer.agentexecution.v1.contract_temporal import AGENT_EXECUTION_RUNNER
from stigmer_observability import Observability
from stigmer_runner.temporal_client import connect_temporal
from temporalio.client import Client
from temporalio.worker import Worker

from agent_runner.checkpointer import open_checkpointer
from agent_runner.execute import AgentActivities
from agent_runner.mcp_sessions import McpSessions
from agent_runner.settings import AgentRunnerSettings
from agent_runner.stigmer_api import AgentApi

_log = logging.getLogger("agent_runner")


def build_worker(
    client: Client, activities: AgentActivities, settings: AgentRunnerSettings, **options: Any
) -> Worker:
    """The worker of exactly the AgentExecutionRunner contract (no workflows)."""
    return AGENT_EXECUTION_RUNNER.worker(
        client,
        activities=[activities.ensure_thread, activities.execute_graphton],
        task_queue=settings.runner_queue,
        **options,
    )


async def run_agent_runner(
    settings: AgentRunnerSettings,
    stop: asyncio.Event,
    observability: Observability | None = None,
) -> None:
    """Serve the runner queue until ``stop`` is set, then shut down (checkpoints stay).

    ``observability`` (the process's ``/readyz``) gets the ``temporal`` and
    ``workers`` checks, and ``checkpoints``: the thread store answers.
    """
    client = await connect_temporal(settings)
    async with AsyncExitStack() as stack:
        api = AgentApi(settings)
        stack.push_async_callback(api.close)
        saver, store_open, store = await open_checkpointer(settings, stack)
        mcp_sessions = McpSessions()
        stack.push_async_callback(mcp_sessions.close)
        worker = build_worker(client, AgentActivities(api, settings, saver, mcp_sessions), settings)
        await stack.enter_async_context(worker)
        if observability is not None:
            observability.track_temporal(lambda: client, lambda: (worker,))
            observability.readiness.add("checkpoints", store_open)
        _log.info(
            "agent-runner polling %s; threads in %s; stigmer-server at %s; default model %s%s",
            settings.runner_queue,
            store,
            settings.stigmer_endpoint,
            settings.models.model,
            f" at {settings.models.openai_base_url}" if settings.models.openai_base_url else "",
        )
        await stop.wait()
        _log.info("agent-runner stopping")
