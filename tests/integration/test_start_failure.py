"""Temporal reachable but refusing every start: Create answers OK (the execution is
stored and acknowledged), reconciliation retries it, and after the start deadline
the execution ends FAILED with the reason; the log says so at every step."""

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
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query

pytestmark = pytest.mark.integration

TIMEOUT = 60.0


async def test_unstartable_execution_ends_failed_with_the_reason_after_the_deadline(
    start_stigmer_server: ServerFactory, temporal_server_env: dict[str, str]
) -> None:
    # The frontend answers, but this namespace does not exist: every start is refused.
    server = start_stigmer_server(
        {
            **temporal_server_env,
            "TEMPORAL_NAMESPACE": "no-such-namespace",
            "STIGMER_RECONCILE_INTERVAL_SECONDS": "0.5",
            "STIGMER_START_DEADLINE_SECONDS": "2",
        }
    )
    async with grpc.aio.insecure_channel(server.address) as channel:
        created = await workflow_command.WorkflowCommandControllerStub(channel).Create(workflow())
        accepted = await execution_command.WorkflowExecutionCommandControllerStub(channel).Create(
            workflow_execution(created.metadata.id)
        )
        assert accepted.status.phase == phase_pb2.PENDING
        queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
        execution_id = commons_io.ApiResourceId(value=accepted.metadata.id)
        seen = []
        async with asyncio.timeout(TIMEOUT):
            async for update in queries.Subscribe(execution_id):
                seen.append(update.status.phase)
                if update.status.phase != phase_pb2.PENDING:
                    break
        failed = await queries.Get(execution_id)

    assert seen[0] == phase_pb2.PENDING  # still waiting for a start at first
    assert failed.status.phase == phase_pb2.FAILED
    assert failed.status.error.code == "START_FAILED"
    assert failed.status.error.message.startswith("orchestration could not be started: ")
    assert "no-such-namespace" in failed.status.error.message
    records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    deferred = [r for r in records if r.get("event") == "start_deferred"]
    assert deferred and all(r["level"] == "WARNING" for r in deferred)
    [gave_up] = [r for r in records if r.get("event") == "start_deadline_exceeded"]
    assert gave_up["level"] == "ERROR"
    assert accepted.metadata.id in str(gave_up["msg"])
