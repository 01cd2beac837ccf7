"""The server's interceptor builds a method's wrapped handler once, not on every call.

grpcio asks the interceptor for a handler on every RPC; rebuilding the wrapper
each time was a measurable share of a Get's server CPU. The cache must still
follow the handler below (a new handler object gets a new wrapper) and keep one
binding per caller identity. (The observability library's own
``ServerMetricsInterceptor``, for other servers, caches the same way.)
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from stigmer_common.api_keys import new_key
from stigmer_observability import ServerMetricsInterceptor
from stigmer_server.api.call_interceptor import CallInterceptor
from stigmer_server.auth import KeyStore
from stigmer_server.auth.identity import LOCAL_ADMIN, Identity, identity_or_none

METHOD = "/probe.Probe/Call"
_, SOME_KEY = new_key("someone", "user", "acme", n=2)


class _Details:
    def __init__(self, method: str, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.method = method
        self.invocation_metadata = metadata


async def _whoami(request: Any, context: Any) -> Identity | None:
    return identity_or_none()


async def _other(request: Any, context: Any) -> None:
    return None


def _handler(behaviour: Any = _whoami) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(behaviour, request_deserializer=bytes)


async def _chain(
    interceptor: grpc.aio.ServerInterceptor,
    handler: grpc.RpcMethodHandler,
    details: _Details,
) -> grpc.RpcMethodHandler:
    async def continuation(_: object) -> grpc.RpcMethodHandler:
        return handler

    return await interceptor.intercept_service(continuation, details)


@pytest.mark.parametrize(
    "interceptor",
    [ServerMetricsInterceptor(), CallInterceptor(None), CallInterceptor(KeyStore([SOME_KEY]))],
    ids=["library-metrics", "server-zero-config", "server-no-valid-key"],
)
async def test_same_handler_below_gives_the_same_wrapper(
    interceptor: grpc.aio.ServerInterceptor,
) -> None:
    handler = _handler()
    first = await _chain(interceptor, handler, _Details(METHOD))
    again = await _chain(interceptor, handler, _Details(METHOD))
    assert first is not handler  # it does wrap
    assert again is first
    replaced = await _chain(interceptor, _handler(_other), _Details(METHOD))
    assert replaced is not first  # a different handler below is never served a stale wrapper
    other_method = await _chain(interceptor, handler, _Details("/probe.Probe/Other"))
    assert other_method is not first


async def test_zero_config_binding_is_cached_and_still_binds_the_local_admin() -> None:
    interceptor = CallInterceptor(None)
    handler = _handler()
    bound = await _chain(interceptor, handler, _Details(METHOD))
    assert await bound.unary_unary(b"", None) == LOCAL_ADMIN


async def test_each_key_keeps_its_own_identity_across_cached_calls() -> None:
    alice_key, alice = new_key("alice", "user", "acme", n=2)
    bob_key, bob = new_key("bob", "runner", "globex", n=2)
    interceptor = CallInterceptor(KeyStore([alice, bob]))
    handler = _handler()

    async def identity_of(key: str) -> Identity | None:
        details = _Details(METHOD, (("authorization", f"Bearer {key}"),))
        bound = await _chain(interceptor, handler, details)
        return await bound.unary_unary(b"", None)  # type: ignore[no-any-return]

    for _ in range(3):  # alternating: a cache keyed by method alone would mix them up
        assert (await identity_of(alice_key)) == Identity("alice", "user", "acme")
        assert (await identity_of(bob_key)) == Identity("bob", "runner", "globex")


async def test_metrics_wraps_a_handler_it_cannot_key() -> None:
    class _Unhashable:
        __hash__ = None  # type: ignore[assignment]

        async def __call__(self, request: Any, context: Any) -> None:
            return None

    handler = _handler(_Unhashable())
    wrapped = await _chain(ServerMetricsInterceptor(), handler, _Details(METHOD))
    assert wrapped is not handler and wrapped.unary_unary is not None
