"""Undecodable request bytes answer INVALID_ARGUMENT, not UNKNOWN.

grpcio decodes a request before any servicer code runs, and a ``DecodeError``
there reaches the client as UNKNOWN with a Python exception name in it. This
interceptor takes over decoding of unary-request methods so a client sending
bytes that are not the method's message (wrong wire types, truncated data) gets
a proper client error naming the expected message type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]


class RequestDecodingInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Decodes unary requests itself; the wrapped handler of each method is built once.

    grpcio asks the interceptors for a handler on every call; the service's own
    handler object is the same each time, so its wrapper is cached by method (and
    rebuilt only if a different handler object comes back for that method).
    """

    def __init__(self) -> None:
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None or handler.request_streaming:
            return handler
        method = str(handler_call_details.method)
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = _decoding(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


def _decoding(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    """``handler`` with its request decoded here (INVALID_ARGUMENT on corrupt bytes)."""
    decode = handler.request_deserializer

    async def decoded(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
        try:
            return decode(raw)
        except DecodeError:
            expected = getattr(getattr(decode, "__self__", None), "DESCRIPTOR", None)
            name = expected.full_name if expected is not None else "the request message"
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"request: not a valid {name} (corrupt protobuf wire format) for {method}",
            )

    if handler.unary_unary is not None:
        behaviour = handler.unary_unary

        async def unary(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            return await behaviour(await decoded(raw, context), context)

        return grpc.unary_unary_rpc_method_handler(
            unary, response_serializer=handler.response_serializer
        )
    streaming = handler.unary_stream

    async def stream(raw: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async for item in streaming(await decoded(raw, context), context):
            yield item

    return grpc.unary_stream_rpc_method_handler(
        stream, response_serializer=handler.response_serializer
    )
