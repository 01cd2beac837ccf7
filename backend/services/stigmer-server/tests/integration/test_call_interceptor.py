"""The server's one interceptor, on a real grpc.aio server on loopback: it counts every
call (refused and undecodable ones too), refuses calls without a valid key before
decoding, decodes requests (INVALID_ARGUMENT on corrupt bytes), maps client errors
escaping a stream, and serves a write-style streaming handler (health Watch).
Methods are served from a :class:`MethodTable` (grpcio's generic path)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from keyed_channel import keyed_channel, make_key
from stigmer.commons.v1 import io_pb2
from stigmer_observability.metrics import REGISTRY
from stigmer_server.api.call_interceptor import CallInterceptor
from stigmer_server.api.method_table import MethodTable
from stigmer_server.auth import KeyStore, current_identity
from stigmer_server.auth.bearer import UNAUTHENTICATED_MESSAGE
from stigmer_server.errors import NotFound

SERVICE = "probe.CallLayer"
USER_KEY, USER = make_key("layer-user", "user", "acme")


async def _echo(request: io_pb2.ApiResourceId, context: grpc.aio.ServicerContext) -> bytes:
    return f"{current_identity(context).key_id}:{request.value}".encode()


async def _items(
    request: io_pb2.ApiResourceId, context: grpc.aio.ServicerContext
) -> AsyncIterator[bytes]:
    yield request.value.encode()
    raise NotFound(f"{request.value} is gone", field="value")


async def _serve(keys: KeyStore | None) -> tuple[grpc.aio.Server, str, health.aio.HealthServicer]:
    table = MethodTable()
    decode = io_pb2.ApiResourceId.FromString
    table.add_registered_method_handlers(
        SERVICE,
        {
            "Echo": grpc.unary_unary_rpc_method_handler(_echo, request_deserializer=decode),
            "Items": grpc.unary_stream_rpc_method_handler(_items, request_deserializer=decode),
        },
    )
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, table.as_server())
    server = grpc.aio.server(interceptors=[CallInterceptor(keys)])
    table.install(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, f"127.0.0.1:{port}", checker


def _handled(method: str, code: str) -> float:
    labels = {"grpc_service": SERVICE, "grpc_method": method, "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


def _timed(method: str) -> float:
    labels = {"grpc_service": SERVICE, "grpc_method": method}
    return REGISTRY.get_sample_value("grpc_server_handling_seconds_count", labels) or 0.0


async def _code_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code()


async def test_counts_refuses_and_decodes_in_one_layer() -> None:
    server, address, _ = await _serve(KeyStore([USER]))
    before = {
        code: _handled("Echo", code) for code in ("OK", "UNAUTHENTICATED", "INVALID_ARGUMENT")
    }
    timed_before = _timed("Echo")
    request = io_pb2.ApiResourceId(value="wfl-1").SerializeToString()
    try:
        async with keyed_channel(address, USER_KEY) as channel:
            echo = channel.unary_unary(f"/{SERVICE}/Echo")
            assert await echo(request, timeout=30) == b"layer-user:wfl-1"
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await echo(b"\xff\xff\xff", timeout=30)  # not an ApiResourceId
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "stigmer.commons.v1.ApiResourceId" in (caught.value.details() or "")
        async with grpc.aio.insecure_channel(address) as anonymous:
            echo = anonymous.unary_unary(f"/{SERVICE}/Echo")
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await echo(b"\xff\xff\xff", timeout=30)  # refused before any decoding
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert caught.value.details() == UNAUTHENTICATED_MESSAGE
            async with keyed_channel(address, "sk-not-a-key") as bad:
                wrong = bad.unary_unary(f"/{SERVICE}/Echo")(request, timeout=30)
                assert await _code_of(wrong) == grpc.StatusCode.UNAUTHENTICATED
            # Health needs no key.
            reply = await health_pb2_grpc.HealthStub(anonymous).Check(
                health_pb2.HealthCheckRequest(), timeout=30
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(None)
    assert _handled("Echo", "OK") - before["OK"] == 1
    assert _handled("Echo", "INVALID_ARGUMENT") - before["INVALID_ARGUMENT"] == 1
    assert _handled("Echo", "UNAUTHENTICATED") - before["UNAUTHENTICATED"] == 2
    assert _timed("Echo") - timed_before == 4


async def test_a_client_error_ending_a_stream_is_its_status_and_counted() -> None:
    server, address, _ = await _serve(None)
    before = _handled("Items", "NOT_FOUND")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stream = channel.unary_stream(f"/{SERVICE}/Items")(
                io_pb2.ApiResourceId(value="wex-9").SerializeToString(), timeout=30
            )
            assert await stream.read() == b"wex-9"
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stream.read()
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
            assert caught.value.details() == "value: wex-9 is gone"
            assert ("stigmer-field", "value") in tuple(caught.value.trailing_metadata() or ())
    finally:
        await server.stop(None)
    assert _handled("Items", "NOT_FOUND") - before == 1


async def test_health_watch_streams_through_the_interceptor() -> None:
    # Watch is a coroutine writing with context.write(), not an async generator.
    server, address, checker = await _serve(KeyStore([USER]))
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(), timeout=30
            )
            first = await watch.read()
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            await checker.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
            second = await watch.read()
            assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
            watch.cancel()
    finally:
        await server.stop(None)


def test_method_table_finds_registered_then_generic_handlers() -> None:
    table = MethodTable()
    registered = grpc.unary_unary_rpc_method_handler(_echo)
    table.add_registered_method_handlers(SERVICE, {"Echo": registered})
    generic = grpc.unary_unary_rpc_method_handler(_echo)
    table.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("probe.Generic", {"Only": generic})]
    )

    class _Details:
        def __init__(self, method: str) -> None:
            self.method = method

    assert table.methods == [f"/{SERVICE}/Echo"]
    assert table.service(_Details(f"/{SERVICE}/Echo")) is registered
    assert table.service(_Details("/probe.Generic/Only")) is generic
    assert table.service(_Details("/probe.Generic/Missing")) is None
