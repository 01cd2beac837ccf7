"""A server interceptor requiring ``authorization: Bearer <key>``.

Keys are compared with ``hmac.compare_digest`` against every configured key
(no early exit), so response time does not reveal how much of a key matched.
Health checks stay open so orchestrators can probe the server. Neither the
configured keys nor the presented ones are ever logged.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc

_log = logging.getLogger(__name__)

OPEN_SERVICE_PREFIXES = ("/grpc.health.v1.Health/",)
UNAUTHENTICATED_MESSAGE = "missing or invalid API key: send 'authorization: Bearer <key>'"


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("ApiKeyInterceptor needs at least one key")
        self._keys = [k.encode() for k in keys]

    def _authorized(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> bool:
        presented = b""
        for name, value in metadata or ():
            if name == "authorization":
                raw = value.encode() if isinstance(value, str) else value
                if raw.startswith(b"Bearer "):
                    presented = raw[len(b"Bearer ") :]
        matched = False
        for accepted in self._keys:
            matched |= hmac.compare_digest(presented, accepted)
        return matched and bool(presented)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = str(handler_call_details.method)
        if method.startswith(OPEN_SERVICE_PREFIXES) or self._authorized(
            handler_call_details.invocation_metadata
        ):
            return await continuation(handler_call_details)
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        _log.info("unauthenticated call rejected", extra={"rpc": method})
        return _denying(handler)


async def _deny(context: grpc.aio.ServicerContext) -> None:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE)


def _denying(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that answers UNAUTHENTICATED."""
    kwargs: dict[str, Any] = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }

    async def unary(request: object, context: grpc.aio.ServicerContext) -> None:
        await _deny(context)

    async def streaming(request: object, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        await _deny(context)
        yield None  # pragma: no cover - abort raises first

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(unary, **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streaming, **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(unary, **kwargs)
    return grpc.stream_stream_rpc_method_handler(streaming, **kwargs)
