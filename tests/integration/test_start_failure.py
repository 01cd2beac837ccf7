"""Temporal reachable but refusing the start: the execution is FAILED and the RPC errors."""

from __future__ import annotations

import json

import grpc
import pytest
from cross_service import ServerFactory
from resource_requests import workflow, workflow_execution
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query

pytestmark = pytest.mark.integration


async def test_refused_start_marks_the_execution_failed(
    start_stigmer_server: ServerFactory, temporal_server_env: dict[str, str]
) -> None:
    # The frontend answers, but this namespace does not exist: every start is refused.
    server = start_stigmer_server(
        {**temporal_server_env, "TEMPORAL_NAMESPACE": "no-such-namespace"}
    )
    async with grpc.aio.insecure_channel(server.address) as channel:
        created = await workflow_command.WorkflowCommandControllerStub(channel).Create(workflow())
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await execution_command.WorkflowExecutionCommandControllerStub(channel).Create(
                workflow_execution(created.metadata.id)
            )
        listed = await execution_query.WorkflowExecutionQueryControllerStub(channel).List(
            commons_io.ApiResourceListInput()
        )

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "no-such-namespace" in (refused.value.details() or "")
    # The record stays and tells the truth.
    assert len(listed.items) == 1
    failed = listed.items[0]
    assert failed.status.phase == phase_pb2.FAILED
    assert "no-such-namespace" in failed.status.error.message
    records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    assert any(r.get("level") == "ERROR" for r in records)
