"""Real components for the end-to-end tests: one dev server per session; per test a
stigmer-server process (own RocksDB dir), a workflow-runner process and fresh queues
(``running_platform`` in e2e_platform.py; the conformance target starts one for all its tests)."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from e2e_platform import Platform, running_platform
from stigmer_common.temporal_dev_server import start_dev_server
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
    async with running_platform(dev_server, payload_keys, tmp_path) as started:
        yield started


@pytest.fixture
def hello_document() -> dict[str, object]:
    """The README's example workflow, parsed."""
    document: dict[str, object] = yaml.safe_load(
        (EXAMPLES / "hello-stigmer.yaml").read_text(encoding="utf-8")
    )
    return document


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end over real processes")
