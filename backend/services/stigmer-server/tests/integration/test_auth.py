"""API-key auth: every RPC but health needs ``authorization: Bearer <key>``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from api_client import stubs
from conftest import start
from grpc_health.v1 import health_pb2, health_pb2_grpc
from samples import sample
from stigmer.commons.v1 import io_pb2
from stigmer_server import kinds
from stigmer_server.server import StigmerServer

KEY = "s3cret-key-value"


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[StigmerServer]:
    server = await start(tmp_path, api_keys=(KEY, "second-key"))
    yield server
    await server.stop()


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


@pytest.mark.parametrize(
    "metadata",
    [(), bearer("wrong"), bearer(""), (("authorization", KEY),)],
    ids=["none", "wrong-key", "empty-key", "no-bearer-prefix"],
)
async def test_calls_without_a_valid_key_are_unauthenticated(
    secured: StigmerServer, metadata: tuple[tuple[str, str], ...]
) -> None:
    async with grpc.aio.insecure_channel(secured.address) as channel:
        api = stubs(channel, kinds.SKILL)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await api.query.List(io_pb2.ApiResourceListInput(), metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        executions = stubs(channel, kinds.WORKFLOW_EXECUTION)
        stream = executions.query.Subscribe(io_pb2.ApiResourceId(value="wex-x"), metadata=metadata)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stream.read()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_valid_keys_pass_and_health_stays_open(
    secured: StigmerServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with grpc.aio.insecure_channel(secured.address) as channel:
        api = stubs(channel, kinds.SKILL)
        created = await api.command.Create(await sample(channel, kinds.SKILL), metadata=bearer(KEY))
        assert created.status.audit.created_by.startswith("api-key:")
        assert KEY not in created.status.audit.created_by
        await api.query.List(io_pb2.ApiResourceListInput(), metadata=bearer("second-key"))
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert KEY not in logged and "second-key" not in logged


async def test_auth_off_when_no_keys(channel: grpc.aio.Channel) -> None:
    assert await stubs(channel, kinds.SKILL).query.List(io_pb2.ApiResourceListInput()) is not None
