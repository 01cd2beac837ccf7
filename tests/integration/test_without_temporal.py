"""Temporal unreachable at boot: the server serves every query, executions stay PENDING,
and the log says why exactly once."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from cross_service import ServerFactory
from resource_requests import workflow, workflow_execution
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_testing.server_process import free_port

pytestmark = pytest.mark.integration


async def test_queries_served_and_executions_stay_pending(
    start_stigmer_server: ServerFactory,
) -> None:
    dead_address = f"127.0.0.1:{free_port()}"
    server = start_stigmer_server({"TEMPORAL_HOST_PORT": dead_address})
    async with grpc.aio.insecure_channel(server.address) as channel:
        created = await workflow_command.WorkflowCommandControllerStub(channel).Create(workflow())
        executions = execution_command.WorkflowExecutionCommandControllerStub(channel)
        first = await executions.Create(workflow_execution(created.metadata.id))
        second = await executions.Create(workflow_execution(created.metadata.id))
        assert first.status.phase == phase_pb2.PENDING

        await asyncio.sleep(1.0)  # nothing may move it on behind our back
        queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
        stored = await queries.Get(commons_io.ApiResourceId(value=first.metadata.id))
        listed = await queries.List(commons_io.ApiResourceListInput())
        read_workflow = await workflow_query.WorkflowQueryControllerStub(channel).Get(
            commons_io.ApiResourceId(value=created.metadata.id)
        )

    assert stored.status.phase == phase_pb2.PENDING
    assert {e.metadata.id for e in listed.items} == {first.metadata.id, second.metadata.id}
    assert all(e.status.phase == phase_pb2.PENDING for e in listed.items)
    assert read_workflow.metadata.id == created.metadata.id

    records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    warnings = [r for r in records if r.get("level") == "WARNING"]
    assert len(warnings) == 1, warnings
    assert "Temporal unreachable" in warnings[0]["msg"]
    assert dead_address in warnings[0]["msg"]
    assert "PENDING" in warnings[0]["msg"]
