"""The ``call: grpc`` activity: a unary call built from a proto file at run time."""

from __future__ import annotations

from typing import Any, Final

import grpc
from google.protobuf import json_format
from temporalio import activity

from workflow_runner.activities import names
from workflow_runner.activities.grpc_models import GrpcCallInput, GrpcCallOutput
from workflow_runner.activities.grpc_proto import ProtoCache, resolve_method
from workflow_runner.activities.heartbeat import heartbeating
from workflow_runner.activities.http_auth import HttpAuthenticator
from workflow_runner.activities.problem import ErrorType, problem
from workflow_runner.activities.resource_fetch import ResourceFetcher, file_path

# gRPC status -> (DSL error type, HTTP-equivalent status), per the gRPC/HTTP mapping
# in google.rpc.Code, so `catch: errors: with: status: 404` works for NOT_FOUND.
_STATUS_MAP: Final[dict[grpc.StatusCode, tuple[ErrorType, int]]] = {
    grpc.StatusCode.INVALID_ARGUMENT: ("communication", 400),
    grpc.StatusCode.FAILED_PRECONDITION: ("communication", 400),
    grpc.StatusCode.OUT_OF_RANGE: ("communication", 400),
    grpc.StatusCode.UNAUTHENTICATED: ("communication", 401),
    grpc.StatusCode.PERMISSION_DENIED: ("communication", 403),
    grpc.StatusCode.NOT_FOUND: ("communication", 404),
    grpc.StatusCode.ABORTED: ("communication", 409),
    grpc.StatusCode.ALREADY_EXISTS: ("communication", 409),
    grpc.StatusCode.RESOURCE_EXHAUSTED: ("communication", 429),
    grpc.StatusCode.CANCELLED: ("communication", 499),
    grpc.StatusCode.UNIMPLEMENTED: ("communication", 501),
    grpc.StatusCode.UNAVAILABLE: ("communication", 503),
    grpc.StatusCode.DEADLINE_EXCEEDED: ("timeout", 408),
}


class GrpcActivities:
    """gRPC calls of the DSL.

    Args:
        fetcher: Reads proto files (``file:`` or ``http(s):``).
        authenticator: Produces ``authorization`` metadata.
        default_timeout_seconds: Call deadline when the input sets none.
    """

    def __init__(
        self,
        fetcher: ResourceFetcher,
        authenticator: HttpAuthenticator,
        default_timeout_seconds: float = 60.0,
    ) -> None:
        self._fetcher = fetcher
        self._authenticator = authenticator
        self._default_timeout = default_timeout_seconds
        self._protos = ProtoCache()

    @activity.defn(name=names.CALL_GRPC)
    async def call_grpc(self, call: GrpcCallInput) -> GrpcCallOutput:
        """Make the call; fail with a problem-details ``ApplicationError``.

        Heartbeats while waiting: a cancelled task abandons its call, and a lost
        worker is noticed within the heartbeat timeout instead of at the 3-minute bound.
        """
        return await heartbeating(self._call(call))

    async def _call(self, call: GrpcCallInput) -> GrpcCallOutput:
        text = await self._fetcher.read_text(call.proto_uri, "proto.endpoint")
        local = file_path(call.proto_uri)
        pool = await self._protos.pool_for(text, local.parent.resolve() if local else None)
        method = resolve_method(pool, call.service_name, call.method)
        try:
            request = json_format.ParseDict(call.arguments, method.request_class())
        except json_format.ParseError as exc:
            raise problem(
                "validation",
                "Invalid gRPC arguments",
                f"'arguments' do not match {method.path} request message: {exc}",
            ) from exc
        port = call.port if call.port is not None else 443
        target = f"{call.host}:{port}"
        authorization = await self._authenticator.authorization_header(call.authentication)
        metadata = (("authorization", authorization),) if authorization else None
        timeout = (
            call.timeout_seconds if call.timeout_seconds is not None else self._default_timeout
        )
        channel = (
            grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
            if port == 443
            else grpc.aio.insecure_channel(target)
        )
        try:
            stub = channel.unary_unary(
                method.path,
                request_serializer=_serialize,
                response_deserializer=method.response_class.FromString,
            )
            response = await stub(request, timeout=timeout, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            error_type, status = _STATUS_MAP.get(exc.code(), ("communication", 500))
            raise problem(
                error_type,
                f"gRPC {exc.code().name}",
                f"{method.path} at {target} failed: {exc.details() or exc.code().name}",
                status=status,
            ) from exc
        finally:
            await channel.close()
        return GrpcCallOutput(
            value=json_format.MessageToDict(
                response,
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            )
        )


def _serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data
