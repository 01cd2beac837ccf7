"""RPC latency and outcome metrics: a server interceptor and a client interceptor.

Named as grpc-ecosystem's exporters name them (``grpc_server_handling_seconds``,
``grpc_server_handled_total{grpc_code}``; ``grpc_client_*`` likewise), so the
usual dashboards work unchanged.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from stigmer_observability.metrics import (
    GRPC_CLIENT_HANDLED,
    GRPC_CLIENT_HANDLING,
    GRPC_SERVER_HANDLED,
    GRPC_SERVER_HANDLING,
    split_method,
)

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]


def server_code(context: Any, error: BaseException | None) -> str:
    """The status the client gets: set on the context (abort, set_code) or UNKNOWN for a crash."""
    code = None
    try:
        code = context.code()
    except Exception:
        code = None
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    if error is None:
        return "OK"
    if type(error).__name__ == "CancelledError":
        return "CANCELLED"
    return "UNKNOWN"


class ServerCallMetrics:
    """The metrics of one server method: its histogram child and one counter child per
    status code, looked up once (a server's own interceptor calls :meth:`record` at the
    end of every call of that method).
    """

    __slots__ = ("_handled", "_handling", "_method", "_service")

    def __init__(self, full_method: str) -> None:
        self._service, self._method = split_method(full_method)
        self._handling = GRPC_SERVER_HANDLING.labels(
            grpc_service=self._service, grpc_method=self._method
        )
        self._handled: dict[str, Any] = {}

    def record(self, started: float, context: Any, error: BaseException | None) -> None:
        """One call ended: ``started`` is its ``time.perf_counter()`` at the start."""
        self._handling.observe(time.perf_counter() - started)
        code = server_code(context, error)
        counter = self._handled.get(code)
        if counter is None:
            counter = self._handled[code] = GRPC_SERVER_HANDLED.labels(
                grpc_service=self._service, grpc_method=self._method, grpc_code=code
            )
        counter.inc()


class ServerMetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Observes every RPC of a ``grpc.aio`` server (put it first: it then times the others).

    grpcio asks for a handler on every call: the timing wrapper of each (method,
    handler below) and its metric children are built once and reused. Interceptors
    below may hand out one handler per caller identity, hence the handler in the
    key; handlers made per call (a refused key's) would grow it, hence the bound.
    """

    _MAX_CACHED = 4096

    def __init__(self) -> None:
        self._wrapped: dict[tuple[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = str(handler_call_details.method)
        key = (method, handler)
        try:
            wrapped = self._wrapped.get(key)
        except TypeError:  # a handler holding something unhashable: wrap it per call
            return _timed(handler, method)
        if wrapped is None:
            if len(self._wrapped) >= self._MAX_CACHED:
                self._wrapped.clear()
            wrapped = self._wrapped[key] = _timed(handler, method)
        return wrapped


def _timed(handler: grpc.RpcMethodHandler, full_method: str) -> grpc.RpcMethodHandler:
    """``handler`` observed under its method's metrics."""
    record = ServerCallMetrics(full_method).record

    serializers = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        unary_behaviour = handler.unary_unary

        async def unary_unary(request: Any, context: Any) -> Any:
            started, error = time.perf_counter(), None
            try:
                return await unary_behaviour(request, context)
            except BaseException as raised:
                error = raised
                raise
            finally:
                record(started, context, error)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **serializers)
    if handler.stream_unary is not None:
        stream_behaviour = handler.stream_unary

        async def stream_unary(requests: Any, context: Any) -> Any:
            started, error = time.perf_counter(), None
            try:
                return await stream_behaviour(requests, context)
            except BaseException as raised:
                error = raised
                raise
            finally:
                record(started, context, error)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **serializers)
    streaming = handler.unary_stream or handler.stream_stream

    async def streamed(request: Any, context: Any) -> AsyncIterator[Any]:
        started, error = time.perf_counter(), None
        try:
            async for item in streaming(request, context):
                yield item
        except BaseException as raised:
            error = raised
            raise
        finally:
            record(started, context, error)

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streamed, **serializers)
    return grpc.stream_stream_rpc_method_handler(streamed, **serializers)


class _UnaryUnaryMetrics(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self, continuation: Callable[..., Awaitable[Any]], client_call_details: Any, request: Any
    ) -> Any:
        method = client_call_details.method
        service, name = split_method(method.decode() if isinstance(method, bytes) else str(method))
        started = time.perf_counter()
        call = await continuation(client_call_details, request)
        try:
            await call
        except grpc.aio.AioRpcError as error:
            code = error.code().name
        except BaseException:
            code = "CANCELLED"
            raise
        else:
            code = (await call.code()).name
        finally:
            GRPC_CLIENT_HANDLING.labels(grpc_service=service, grpc_method=name).observe(
                time.perf_counter() - started
            )
        GRPC_CLIENT_HANDLED.labels(grpc_service=service, grpc_method=name, grpc_code=code).inc()
        return call


def client_metrics_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors for a ``grpc.aio`` channel (unary calls, what the runners make)."""
    return [_UnaryUnaryMetrics()]
