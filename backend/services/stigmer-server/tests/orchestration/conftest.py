"""One real Temporal dev server for the orchestration tests; a fresh queue set per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from recording_status_writer import RecordingStatusWriter
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_server.orchestration.settings import OrchestrationQueues
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def queues() -> OrchestrationQueues:
    suffix = uuid.uuid4().hex[:12]
    return OrchestrationQueues(
        workflow_stigmer=f"wf-stigmer-{suffix}",
        workflow_runner=f"wf-runner-{suffix}",
        agent_stigmer=f"agent-stigmer-{suffix}",
        agent_runner=f"agent-runner-{suffix}",
    )


@pytest.fixture
def writer() -> RecordingStatusWriter:
    return RecordingStatusWriter()
