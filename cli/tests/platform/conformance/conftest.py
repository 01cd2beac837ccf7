"""One platform (stigmer-server + workflow-runner processes) for the whole target, an
engine harness on the same dev server for the `dsl` side, and the fake HTTP services."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from e2e_platform import Platform, running_platform
from temporalio.testing import WorkflowEnvironment
from tests.engine.harness import EngineHarness
from tests.support.fake_http_services import fake_http_server, fake_http_services
from tests.support.greeter_server import PROTO_DIR

__all__ = ["fake_http_server", "fake_http_services"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_platform(
    dev_server: WorkflowEnvironment, payload_keys: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """Started once for the whole target: every scenario and example runs on it.

    The runner serves CloudEvents on a free port (``STIGMER_EVENTS_ADDRESS``), and
    starts in the spec's gRPC example folder, where the example's relative
    ``file://app/greet.proto`` resolves (as the `dsl` side's test does with chdir).
    """
    tmp: Path = tmp_path_factory.mktemp("platform")
    events = {"STIGMER_EVENTS_ADDRESS": free_address()}
    async with running_platform(
        dev_server, payload_keys, tmp, runner_cwd=PROTO_DIR, extra_env=events
    ) as platform:
        yield platform


def free_address() -> str:
    """A loopback ``host:port`` nobody listens on (the runner's CloudEvents endpoint)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture(scope="session")
def engine(dev_server: WorkflowEnvironment) -> EngineHarness:
    return EngineHarness(dev_server.client)
