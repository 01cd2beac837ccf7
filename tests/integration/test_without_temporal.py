"""Temporal unreachable: the server serves every query, executions are accepted and
stay PENDING (nothing FAILs them before the start deadline), the log says why once
and then, at every reconciliation pass, which executions are waiting.

(Once Temporal comes up they run: see test_reconciliation.py.)
"""

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
    server = start_stigmer_server(
        {"TEMPORAL_HOST_PORT": dead_address, "STIGMER_RECONCILE_INTERVAL_SECONDS": "0.5"}
    )
    async with grpc.aio.insecure_channel(server.address) as channel:
        created = await workflow_command.WorkflowCommandControllerStub(channel).Create(workflow())
        executions = execution_command.WorkflowExecutionCommandControllerStub(channel)
        first = await executions.Create(workflow_execution(created.metadata.id))
        second = await executions.Create(workflow_execution(created.metadata.id))
        assert first.status.phase == phase_pb2.PENDING

        await asyncio.sleep(2.5)  # reconnect attempts and passes: nothing may FAIL them
        queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
        stored = await queries.Get(commons_io.ApiResourceId(value=first.metadata.id))
        listed = await queries.List(commons_io.ApiResourceListInput())
        read_workflow = await workflow_query.WorkflowQueryControllerStub(channel).Get(
            commons_io.ApiResourceId(value=created.metadata.id)
        )

    assert stored.status.phase == phase_pb2.PENDING
    ids = {first.metadata.id, second.metadata.id}
    assert {e.metadata.id for e in listed.items} == ids
    assert all(e.status.phase == phase_pb2.PENDING for e in listed.items)
    assert read_workflow.metadata.id == created.metadata.id

    records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    unreachable = [r for r in records if "Temporal unreachable" in str(r.get("msg"))]
    assert len(unreachable) == 1, unreachable  # the background retries stay quiet
    assert unreachable[0]["level"] == "WARNING"
    assert dead_address in unreachable[0]["msg"]
    assert "PENDING" in unreachable[0]["msg"]
    # Nothing stays PENDING silently: each Create, then each pass, names them.
    deferred = [str(r["msg"]) for r in records if r.get("event") == "start_deferred"]
    assert all(any(i in m for m in deferred) for i in ids)
    assert any("2 executions stay PENDING" in m for m in deferred)
