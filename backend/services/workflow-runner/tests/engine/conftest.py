"""Fixtures of the engine tests: one dev server per session, a harness per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.testing import WorkflowEnvironment
from tests.engine.harness import EngineHarness
from tests.support.fake_http_services import fake_http_server, fake_http_services

__all__ = ["fake_http_server", "fake_http_services"]


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def history_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every recorded workflow history of the session is written (replay corpus)."""
    return tmp_path_factory.mktemp("histories")


@pytest.fixture(scope="session")
def harness(temporal_env: WorkflowEnvironment, history_dir: Path) -> EngineHarness:
    return EngineHarness(temporal_env.client, history_dir)
