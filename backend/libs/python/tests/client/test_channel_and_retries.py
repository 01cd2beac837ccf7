"""The channel (plaintext, TLS trusting a CA, the API key on every call) and the
runners' retry policy against a real loopback gRPC server."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from scripted_server import Script, echo_rpc, scripted_server
from stigmer.commons.v1 import io_pb2
from stigmer_client.channel import ServerTarget, key_metadata, open_channel
from stigmer_client.retrying import RetryingCalls
from stigmer_client.tls import ChannelTls
from stigmer_testing.tls import write_test_certificates
from temporalio.testing import ActivityEnvironment

REQUEST = io_pb2.ApiResourceId(value="wex-1")


async def _echo_with_retries(address: str, **options: Any) -> io_pb2.ApiResourceId:
    """One retried call of the scripted method (``options``: the key, the budget)."""
    budget = options.pop("retry_budget", timedelta(minutes=2))
    calls = RetryingCalls(ServerTarget(address, **options), retry_budget=budget)
    try:
        return await calls.call("Test.Echo", echo_rpc(calls.channel), REQUEST, io_pb2.ApiResourceId)
    finally:
        await calls.close()


def test_the_key_travels_as_a_bearer_header_and_no_key_sends_none() -> None:
    assert key_metadata("stg_k") == (("authorization", "Bearer stg_k"),)
    assert key_metadata("") == ()


async def test_a_plaintext_channel_carries_the_key() -> None:
    script = Script()
    async with scripted_server(script) as address:
        async with open_channel(address, None) as channel:
            reply = await echo_rpc(channel)(REQUEST, metadata=key_metadata("stg_k"), timeout=30)
    assert reply.value == "echo:wex-1"
    assert script.authorizations == ["Bearer stg_k"]


async def test_a_tls_channel_trusts_the_given_ca_and_refuses_another(tmp_path: Path) -> None:
    certs = write_test_certificates(tmp_path / "server")
    other = write_test_certificates(tmp_path / "other")
    script = Script()
    async with scripted_server(script, certs) as address:
        trusted = ChannelTls(certs.ca_file.read_bytes())
        async with open_channel(address, trusted) as channel:
            reply = await echo_rpc(channel)(REQUEST, timeout=30)
        assert reply.value == "echo:wex-1"
        untrusted = ChannelTls(other.ca_file.read_bytes())
        async with open_channel(address, untrusted) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await echo_rpc(channel)(REQUEST, timeout=30)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        # Plaintext against a TLS server is refused too (the handshake fails).
        async with open_channel(address, None) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await echo_rpc(channel)(REQUEST, timeout=30)
    assert len(script.authorizations) == 1


async def test_transient_failures_are_retried_with_the_key_until_an_answer() -> None:
    script = Script(failures=[grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
    async with scripted_server(script) as address:
        reply = await _echo_with_retries(address, api_key="stg_runner")
    assert reply.value == "echo:wex-1"
    assert script.authorizations == ["Bearer stg_runner"] * 3


async def test_a_final_answer_is_raised_at_once() -> None:
    script = Script(failures=[grpc.StatusCode.NOT_FOUND])
    async with scripted_server(script) as address:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _echo_with_retries(address)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert script.authorizations == [""]  # one attempt, and no key sent without one


async def test_the_budget_bounds_a_call_to_a_server_that_stays_down() -> None:
    script = Script(failures=[grpc.StatusCode.UNAVAILABLE] * 1000)
    async with scripted_server(script) as address:
        began = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as gave_up:
            await _echo_with_retries(address, retry_budget=timedelta(seconds=1))
    assert gave_up.value.code() == grpc.StatusCode.UNAVAILABLE
    # Several attempts within the budget (backoff 0.2 s, 0.4 s, ...), then the error;
    # the upper bound only says it gave up rather than retrying forever.
    assert len(script.authorizations) >= 2
    assert time.monotonic() - began < 60


async def test_each_retry_inside_an_activity_heartbeats() -> None:
    # A long outage must not look like a lost worker: one heartbeat per retry.
    script = Script(failures=[grpc.StatusCode.UNAVAILABLE] * 2)
    heartbeats: list[tuple[Any, ...]] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: heartbeats.append(details)
    async with scripted_server(script) as address:
        reply = await environment.run(_echo_with_retries, address)
    assert reply.value == "echo:wex-1"
    assert len(heartbeats) == 2
    assert len(script.authorizations) == 3
