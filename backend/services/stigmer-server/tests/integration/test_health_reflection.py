"""gRPC health checking and server reflection are on, for every service."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from stigmer_server.server import service_names


async def test_health_reports_every_service_serving(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for name in ["", *service_names()]:
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
    assert len(service_names()) == 22


async def test_reflection_lists_and_describes_the_services(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = await call.read()
    names = {s.name for s in listed.list_services_response.service}
    assert set(service_names()) <= names
    await call.write(
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="stigmer.workflowexecution.v1.WorkflowExecutionQueryController"
        )
    )
    described = await call.read()
    assert described.file_descriptor_response.file_descriptor_proto
    await call.done_writing()
