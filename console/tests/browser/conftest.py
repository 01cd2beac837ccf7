"""Fixtures of the console tests: one real platform per module, a headless Debian chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from console_platform import ConsolePlatform, running_console_platform
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.testing import WorkflowEnvironment


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="module")
def console_platform(dev_server: WorkflowEnvironment) -> Iterator[ConsolePlatform]:
    tmp = Path(tempfile.mkdtemp(prefix="stigmer-console-"))
    try:
        with running_console_platform(
            dev_server.client.service_client.config.target_host, tmp
        ) as started:
            yield started
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: Bazel's undeclared outputs when set, else a temporary folder."""
    base = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    path = Path(base) / "console" if base else Path(tempfile.gettempdir()) / "stigmer-console-shots"
    path.mkdir(parents=True, exist_ok=True)
    return path
