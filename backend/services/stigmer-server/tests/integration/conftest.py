"""A real stigmer-server (in-process, gRPC on loopback, RocksDB in a tmp dir) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest
from stigmer_server.config import ServerConfig
from stigmer_server.server import OrchestrationFactory, StigmerServer

pytestmark = pytest.mark.integration


async def start(
    data_dir: Path,
    *,
    factory: OrchestrationFactory | None = None,
    **config: object,
) -> StigmerServer:
    server = StigmerServer(
        ServerConfig(data_dir=data_dir, grpc_address="127.0.0.1:0", **config),  # type: ignore[arg-type]
        orchestration_factory=factory,
    )
    await server.start()
    return server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[StigmerServer]:
    running = await start(tmp_path / "data")
    yield running
    await running.stop()


@pytest.fixture
async def channel(server: StigmerServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server.address) as ch:
        yield ch


@pytest.fixture
def store_digest(server: StigmerServer) -> Callable[[], str]:
    """Digest of every key and value in the server's RocksDB."""
    return server._store.content_digest
