"""The contract other servicers rely on: ``current_identity`` and ``require_role``
inside any handler behind the interceptor, including outside ``call_mapped``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from keyed_channel import keyed_channel, make_key
from stigmer_server.api.call_interceptor import CallInterceptor
from stigmer_server.auth import KeyStore, current_identity, require_role

USER_KEY, USER = make_key("probe-user", "user", "acme")
RUNNER_KEY, RUNNER = make_key("probe-runner", "runner", "acme")


async def _resolve(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    require_role(context, "runner")  # raises; the interceptor turns it into the status
    identity = current_identity(context)
    return f"{identity.key_id}/{identity.role}/{identity.org}".encode()


async def _whoami_stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for _ in range(2):
        yield current_identity(context).key_id.encode()


async def _serve(keys: KeyStore | None) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server(interceptors=[CallInterceptor(keys)])
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "probe.Probe",
                {
                    "Resolve": grpc.unary_unary_rpc_method_handler(_resolve),
                    "WhoAmI": grpc.unary_stream_rpc_method_handler(_whoami_stream),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


async def test_require_role_outside_call_mapped_is_permission_denied() -> None:
    server, address = await _serve(KeyStore([USER, RUNNER]))
    try:
        async with keyed_channel(address, USER_KEY) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await channel.unary_unary("/probe.Probe/Resolve")(b"", timeout=30)
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "'probe-user' has role 'user'" in (caught.value.details() or "")
            stream = channel.unary_stream("/probe.Probe/WhoAmI")(b"", timeout=30)
            assert [item async for item in stream] == [b"probe-user", b"probe-user"]
        async with keyed_channel(address, RUNNER_KEY) as channel:
            reply = await channel.unary_unary("/probe.Probe/Resolve")(b"", timeout=30)
            assert reply == b"probe-runner/runner/acme"
    finally:
        await server.stop(None)


async def test_zero_config_identity_passes_role_checks() -> None:
    server, address = await _serve(None)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            reply = await channel.unary_unary("/probe.Probe/Resolve")(b"", timeout=30)
            assert reply == b"local/admin/*"
    finally:
        await server.stop(None)


def test_outside_an_rpc_there_is_no_identity() -> None:
    from stigmer_server.auth.identity import PermissionDenied

    with pytest.raises(PermissionDenied):
        current_identity(None)
