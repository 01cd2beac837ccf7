"""A loopback gRPC server with one method whose answers a test scripts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from stigmer.commons.v1 import io_pb2
from stigmer_testing.tls import TlsFiles

SERVICE = "stigmer.test.Scripted"
METHOD = f"/{SERVICE}/Echo"


@dataclass
class Script:
    """Codes to fail with, in order, before answering; what each call carried."""

    failures: list[grpc.StatusCode] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)

    async def echo(
        self, request: io_pb2.ApiResourceId, context: grpc.aio.ServicerContext
    ) -> io_pb2.ApiResourceId:
        metadata = dict(context.invocation_metadata() or ())
        self.authorizations.append(str(metadata.get("authorization", "")))
        if self.failures:
            await context.abort(self.failures.pop(0), "scripted")
        return io_pb2.ApiResourceId(value=f"echo:{request.value}")


@asynccontextmanager
async def scripted_server(script: Script, tls: TlsFiles | None = None) -> AsyncIterator[str]:
    """Serve ``script`` on a free loopback port (TLS with ``tls``); yields the address."""
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(
        script.echo,
        request_deserializer=io_pb2.ApiResourceId.FromString,
        response_serializer=io_pb2.ApiResourceId.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {"Echo": handler}),)
    )
    if tls is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        credentials = grpc.ssl_server_credentials(
            [(tls.key_file.read_bytes(), tls.cert_file.read_bytes())]
        )
        port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(grace=None)


def echo_rpc(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable:
    """The scripted method as a stub would call it."""
    return channel.unary_unary(
        METHOD,
        request_serializer=io_pb2.ApiResourceId.SerializeToString,
        response_deserializer=io_pb2.ApiResourceId.FromString,
    )
