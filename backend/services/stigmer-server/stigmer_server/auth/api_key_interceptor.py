"""A server interceptor resolving ``authorization: Bearer <key>`` to an :class:`Identity`.

Every call but health checks gets an identity bound to its handler (see
:mod:`stigmer_server.auth.identity`): the key's, or the local admin's when no
keys are configured. A call without a valid key is answered UNAUTHENTICATED
before its handler runs. The scheme is matched case-insensitively (RFC 7235).
Neither the configured hashes nor the presented keys are ever logged.

Client errors (:class:`~stigmer_server.errors.ApiError`, e.g. a refused role
check) escaping a handler become their status here too, so a servicer that
checks roles outside ``call_mapped`` still answers PERMISSION_DENIED.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc

from stigmer_server.api.error_mapping import abort_with
from stigmer_server.auth.identity import LOCAL_ADMIN, Identity, set_identity
from stigmer_server.auth.key_store import KeyStore
from stigmer_server.errors import ApiError

_log = logging.getLogger(__name__)

OPEN_SERVICE_PREFIXES = ("/grpc.health.v1.Health/",)
UNAUTHENTICATED_MESSAGE = "missing or invalid API key: send 'authorization: Bearer <key>'"


def presented_key(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    """The key of an ``authorization: Bearer <key>`` header ("" when there is none)."""
    for name, value in metadata or ():
        if name != "authorization":
            continue
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        scheme, _, credentials = text.strip().partition(" ")
        if scheme.lower() == "bearer":
            return credentials.strip()
    return ""


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Binds each call's identity to its handler.

    Args:
        keys: The configured keys; None is zero-config mode (every call is
            :data:`~stigmer_server.auth.identity.LOCAL_ADMIN`).
    """

    def __init__(self, keys: KeyStore | None) -> None:
        self._keys = keys
        # Built once per (method, identity): identities are one per configured key
        # (or the local admin), and grpcio asks for a handler on every call.
        self._bound: dict[tuple[str, Identity], tuple[Any, grpc.RpcMethodHandler]] = {}

    def _bound_handler(
        self, method: str, handler: grpc.RpcMethodHandler, identity: Identity
    ) -> grpc.RpcMethodHandler:
        cached = self._bound.get((method, identity))
        if cached is not None and cached[0] is handler:
            return cached[1]
        bound = _bound(handler, identity)
        self._bound[(method, identity)] = (handler, bound)
        return bound

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = str(handler_call_details.method)
        if handler is None or method.startswith(OPEN_SERVICE_PREFIXES):
            return handler
        if self._keys is None:
            return self._bound_handler(method, handler, LOCAL_ADMIN)
        identity = await self._keys.authenticate(
            presented_key(handler_call_details.invocation_metadata)
        )
        if identity is None:
            _log.info("unauthenticated call rejected", extra={"rpc": method})
            return _denying(handler)
        return self._bound_handler(method, handler, identity)


def _kwargs(handler: grpc.RpcMethodHandler) -> dict[str, Any]:
    return {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }


def _bound(handler: grpc.RpcMethodHandler, identity: Identity) -> grpc.RpcMethodHandler:
    """``handler`` running with ``identity`` bound (each RPC runs in a task of its
    own, so the binding ends with the call)."""

    def unary(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            set_identity(identity)
            try:
                return await behavior(request, context)
            except ApiError as error:
                await abort_with(context, error)

        return call

    def streaming(behavior: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.isasyncgenfunction(behavior):
            return unary(behavior)  # a coroutine writing with context.write()

        async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            set_identity(identity)
            try:
                async for item in behavior(request, context):
                    yield item
            except ApiError as error:
                await abort_with(context, error)

        return call

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(unary(handler.unary_unary), **_kwargs(handler))
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            streaming(handler.unary_stream), **_kwargs(handler)
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(unary(handler.stream_unary), **_kwargs(handler))
    return grpc.stream_stream_rpc_method_handler(
        streaming(handler.stream_stream), **_kwargs(handler)
    )


async def _deny(context: grpc.aio.ServicerContext) -> None:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE)


def _denying(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that answers UNAUTHENTICATED."""

    async def unary(request: object, context: grpc.aio.ServicerContext) -> None:
        await _deny(context)

    async def streaming(request: object, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        await _deny(context)
        yield None  # pragma: no cover - abort raises first

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(unary, **_kwargs(handler))
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streaming, **_kwargs(handler))
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(unary, **_kwargs(handler))
    return grpc.stream_stream_rpc_method_handler(streaming, **_kwargs(handler))
