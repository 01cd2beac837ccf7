"""The server's one interceptor: metrics, the caller's identity, request decoding.

grpcio runs one coroutine per interceptor layer around every call's behaviour.
These three concerns used to be three interceptors (three wrappers, three
awaits, three cache lookups per call); here one wrapper applies them in the
order they nested, each concern's logic staying in its own module:

1. metrics outermost (:class:`~stigmer_observability.ServerCallMetrics`), so
   refused and undecodable calls are counted and timed too;
2. the caller's identity (:mod:`stigmer_server.auth.bearer`): a call without a
   valid key is answered UNAUTHENTICATED before anything else (an
   unauthenticated caller learns nothing, not even decode errors); health
   checks need no key;
3. request decoding (:mod:`stigmer_server.api.request_decoding`): bytes that are
   not the method's message answer INVALID_ARGUMENT, not UNKNOWN;

then the handler, and a client error (:class:`~stigmer_server.errors.ApiError`,
e.g. a refused role check outside ``call_mapped``) escaping it becomes its status.

grpcio asks for a handler on every call: the wrapper of each (method, identity)
is built once and reused while the handler below stays the same object.
Identities are one per configured key (or the local admin), so the cache stays
as small as methods x keys.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

import grpc
from google.protobuf.message import DecodeError
from stigmer_observability import ServerCallMetrics

from stigmer_server.api.error_mapping import abort_with
from stigmer_server.api.request_decoding import refuse_undecodable
from stigmer_server.auth.bearer import identify, is_open, refuse_unauthenticated
from stigmer_server.auth.identity import LOCAL_ADMIN, Identity, set_identity
from stigmer_server.auth.key_store import KeyStore
from stigmer_server.errors import ApiError

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]

#: How a call is bound: to an identity, or one of these (no key needed; refused).
OPEN = "open"
REFUSED = "refused"
Binding = Identity | str


class _Refused(Exception):
    """A call answered before its handler runs (no key, undecodable request)."""

    def __init__(self, answer: Callable[[grpc.aio.ServicerContext], Awaitable[NoReturn]]) -> None:
        super().__init__()
        self.answer = answer


class CallInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Metrics, identity and decoding of every call, in one wrapper per call.

    Args:
        keys: The configured API keys; None is zero-config mode (every caller
            is :data:`~stigmer_server.auth.identity.LOCAL_ADMIN`).
    """

    def __init__(self, keys: KeyStore | None) -> None:
        self._keys = keys
        self._wrapped: dict[tuple[str, Binding], tuple[Any, grpc.RpcMethodHandler]] = {}
        self._metrics: dict[str, ServerCallMetrics] = {}

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None  # UNIMPLEMENTED, answered by grpcio
        method = str(handler_call_details.method)
        binding: Binding
        if is_open(method):
            binding = OPEN
        elif self._keys is None:
            binding = LOCAL_ADMIN
        else:
            identity = await identify(self._keys, handler_call_details.invocation_metadata, method)
            binding = REFUSED if identity is None else identity
        cached = self._wrapped.get((method, binding))
        if cached is not None and cached[0] is handler:
            return cached[1]
        metrics = self._metrics.get(method)
        if metrics is None:
            metrics = self._metrics[method] = ServerCallMetrics(method)
        wrapped = wrap_call(handler, method, binding, metrics)
        self._wrapped[(method, binding)] = (handler, wrapped)
        return wrapped


def wrap_call(
    handler: grpc.RpcMethodHandler, method: str, binding: Binding, metrics: ServerCallMetrics
) -> grpc.RpcMethodHandler:
    """``handler`` metered, bound to ``binding`` and decoding its own request."""
    record = metrics.record
    identity = binding if isinstance(binding, Identity) else None
    refused = binding == REFUSED
    # Streaming requests are decoded message by message by grpcio (never here).
    decode = None if handler.request_streaming else handler.request_deserializer

    def prepare(request: Any) -> Any:
        # Synchronous on purpose: no extra coroutine per call on the way in.
        if refused:
            raise _Refused(refuse_unauthenticated)
        if identity is not None:
            set_identity(identity)  # each RPC runs in its own task: ends with the call
        if decode is None:
            return request
        try:
            return decode(request)
        except DecodeError:
            raise _Refused(lambda context: refuse_undecodable(context, decode, method)) from None

    def once(behaviour: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                try:
                    request = prepare(request)
                except _Refused as refusal:
                    await refusal.answer(context)
                try:
                    return await behaviour(request, context)
                except ApiError as api_error:
                    await abort_with(context, api_error)
            except BaseException as raised:
                error = raised
                raise
            finally:
                record(started, context, error)

        return call

    def streamed(behaviour: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.isasyncgenfunction(behaviour):
            return once(behaviour)  # a coroutine writing with context.write() (health Watch)

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                try:
                    request = prepare(request)
                except _Refused as refusal:
                    await refusal.answer(context)
                try:
                    async for item in behaviour(request, context):
                        yield item
                except ApiError as api_error:
                    await abort_with(context, api_error)
            except BaseException as raised:
                error = raised
                raise
            finally:
                record(started, context, error)

        return stream

    serializers = {
        "request_deserializer": None if decode is not None else handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(once(handler.unary_unary), **serializers)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streamed(handler.unary_stream), **serializers)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(once(handler.stream_unary), **serializers)
    return grpc.stream_stream_rpc_method_handler(streamed(handler.stream_stream), **serializers)
