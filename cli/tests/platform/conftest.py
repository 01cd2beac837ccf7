"""Real components for the end-to-end tests: one dev server per session; per test a
stigmer-server process (own RocksDB dir), a workflow-runner process and fresh queues."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from e2e_platform import Platform
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import start_server
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def payload_keys() -> str:
    """A session keyring shared by server, runner and the test's client (no key file written)."""
    return "k1=" + base64.b64encode(os.urandom(32)).decode()


@pytest_asyncio.fixture(loop_scope="session")
async def platform(
    dev_server: WorkflowEnvironment, payload_keys: str, tmp_path: Path
) -> AsyncIterator[Platform]:
    suffix = uuid.uuid4().hex[:8]
    target = dev_server.client.service_client.config.target_host
    env = {
        "TEMPORAL_HOST_PORT": target,
        "STIGMER_PAYLOAD_KEYS": payload_keys,
        "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE": f"wf-stigmer-{suffix}",
        "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": f"wf-runner-{suffix}",
        "TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE": f"engine-{suffix}",
    }
    server = start_server(tmp_path / "data", log_path=tmp_path / "server.log", env=env)
    client = await Client.connect(
        target,
        data_converter=encrypted_data_converter(
            load_keyring({"STIGMER_PAYLOAD_KEYS": payload_keys})
        ),
    )
    platform = Platform(server=server, env=env, tmp=tmp_path, client=client)
    platform.start_runner()
    try:
        yield platform
    finally:
        if platform.runner is not None:
            platform.runner.stop()
        platform.server.stop()  # the test may have replaced (restarted) it


@pytest.fixture
def hello_document() -> dict[str, object]:
    """The README's example workflow, parsed."""
    document: dict[str, object] = yaml.safe_load(
        (EXAMPLES / "hello-stigmer.yaml").read_text(encoding="utf-8")
    )
    return document


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end over real processes")
