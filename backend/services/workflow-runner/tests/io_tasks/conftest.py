"""One dev server for the package, a fresh queue per run (see support/engine_runner.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.testing import WorkflowEnvironment
from tests.support.engine_runner import EngineRunner
from tests.support.fake_http_services import fake_http_server, fake_http_services
from tests.support.greeter_server import start_greeter_server

__all__ = ["fake_http_server", "fake_http_services"]


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def greeter_port(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[int]:
    server, port = await start_greeter_server(tmp_path_factory.mktemp("greeter_gen"))
    yield port
    await server.stop(None)


@pytest.fixture
async def engine(temporal_env: WorkflowEnvironment) -> AsyncIterator[EngineRunner]:
    async with httpx.AsyncClient() as http_client:
        yield EngineRunner(temporal_env.client, http_client)


@pytest.fixture
def greeter_proto() -> Path:
    return Path(__file__).parents[1] / "support" / "protos" / "greeter.proto"
