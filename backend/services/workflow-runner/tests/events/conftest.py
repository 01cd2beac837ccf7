"""One real Temporal dev server for the event tests; a fresh bus + queue per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from stigmer_testing.temporal_dev_server import start_dev_server
from temporalio.testing import WorkflowEnvironment
from workflow_runner.events.publisher import BusConfig


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


@pytest.fixture
def bus_config() -> BusConfig:
    """A private registry and queue, so tests never see each other's events."""
    suffix = uuid.uuid4().hex[:12]
    return BusConfig(task_queue=f"events-{suffix}", bus=f"test-{suffix}")
