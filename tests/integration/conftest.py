"""Cross-service fixtures: a real Temporal dev server, a real stigmer-server process
(its own RocksDB directory), and a Temporal client for the test runner workers.

The server process and the test workers share a payload keyring (the server
seals every Temporal payload), exactly as a deployment's runners must.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from cross_service import Queues, ServerFactory
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import ServerProcess, start_server
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

PAYLOAD_KEYS = "itest=" + base64.b64encode(os.urandom(32)).decode()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def runner_client(temporal_env: WorkflowEnvironment) -> Client:
    """A client with the server's data converter (same keyring), for test runner workers."""
    return await Client.connect(
        temporal_env.client.service_client.config.target_host,
        namespace=temporal_env.client.namespace,
        data_converter=encrypted_data_converter(
            load_keyring({"STIGMER_PAYLOAD_KEYS": PAYLOAD_KEYS})
        ),
    )


@pytest.fixture
def payload_keys() -> str:
    """The keyring every server process of this session seals payloads with."""
    return PAYLOAD_KEYS


@pytest.fixture
def queues() -> Queues:
    suffix = uuid.uuid4().hex[:12]
    return Queues(
        workflow_stigmer=f"it-wf-stigmer-{suffix}",
        workflow_runner=f"it-wf-runner-{suffix}",
        agent_stigmer=f"it-agent-stigmer-{suffix}",
        agent_runner=f"it-agent-runner-{suffix}",
    )


@pytest.fixture
def start_stigmer_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start server processes on fresh data dirs; every one is stopped at teardown.

    A server that does not shut down cleanly (exit code != 0 after SIGTERM)
    fails the test: graceful shutdown is part of what is tested.
    """
    started: list[ServerProcess] = []

    def start(
        env: dict[str, str], *, data_dir: Path | None = None, address: str | None = None
    ) -> ServerProcess:
        index = len(started)
        server = start_server(
            data_dir or tmp_path / f"data-{index}",
            log_path=tmp_path / f"server-{index}.log",
            env={"STIGMER_PAYLOAD_KEYS": PAYLOAD_KEYS, "STIGMER_LOG_FORMAT": "json", **env},
            address=address,
        )
        started.append(server)
        return server

    yield start
    # Servers a test killed on purpose are done; the others must stop cleanly.
    running = [server for server in started if server.process.poll() is None]
    codes = [(server, server.stop()) for server in running]
    for server, code in codes:
        assert code == 0, f"server exited with {code} on SIGTERM:\n{server.logs()}"


@pytest.fixture
def temporal_server_env(temporal_env: WorkflowEnvironment, queues: Queues) -> dict[str, str]:
    """Server environment pointing at the dev server and this test's queues."""
    return {
        "TEMPORAL_HOST_PORT": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": temporal_env.client.namespace,
        **queues.env(),
    }


@pytest.fixture
def stigmer_server(
    start_stigmer_server: ServerFactory, temporal_server_env: dict[str, str]
) -> ServerProcess:
    """A server connected to the dev server, on this test's queues."""
    return start_stigmer_server(temporal_server_env)


@pytest_asyncio.fixture
async def channel(stigmer_server: ServerProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(stigmer_server.address) as opened:
        yield opened
