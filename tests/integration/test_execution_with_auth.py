"""API-key auth on: clients and runners need the bearer key; the orchestration's
in-process status writes do not go through gRPC, so they need none."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cross_service import Queues, ServerFactory
from execution_stream import collect_until_end, phase_sequence
from resource_requests import workflow, workflow_execution
from runner_doubles import FailingRunner, ReportingRunner
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_RUNNER
from stigmer_common.api_keys import new_key
from temporalio.client import Client

pytestmark = pytest.mark.integration

# A user creates and watches; the runner reports with a runner key (the only role
# UpdateStatus accepts).
API_KEY, API_KEY_ENTRY = new_key("integration-user", "user", "acme", n=2**4)
RUNNER_KEY, RUNNER_KEY_ENTRY = new_key("integration-runner", "runner", "*", n=2**4)
BEARER = (("authorization", f"Bearer {API_KEY}"),)
TIMEOUT = 60


async def _run_one(address: str) -> tuple[api_pb2.WorkflowExecution, grpc.aio.Channel]:
    channel = grpc.aio.insecure_channel(address)
    created = await workflow_command.WorkflowCommandControllerStub(channel).Create(
        workflow(), metadata=BEARER
    )
    execution: api_pb2.WorkflowExecution = (
        await execution_command.WorkflowExecutionCommandControllerStub(channel).Create(
            workflow_execution(created.metadata.id), metadata=BEARER
        )
    )
    return execution, channel


async def test_runner_with_the_key_completes_and_failures_are_recorded_in_process(
    start_stigmer_server: ServerFactory,
    temporal_server_env: dict[str, str],
    runner_client: Client,
    queues: Queues,
) -> None:
    server = start_stigmer_server(
        {
            **temporal_server_env,
            "STIGMER_API_KEYS": f"{API_KEY_ENTRY.line()},{RUNNER_KEY_ENTRY.line()}",
        }
    )
    reporting = ReportingRunner(server.address, api_key=RUNNER_KEY)
    async with WORKFLOW_EXECUTION_RUNNER.worker(
        runner_client, activities=[reporting.execute_workflow], task_queue=queues.workflow_runner
    ):
        execution, channel = await _run_one(server.address)
        async with channel:
            queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as anonymous:
                await queries.Get(commons_io.ApiResourceId(value=execution.metadata.id))
            stream = queries.Subscribe(
                commons_io.ApiResourceId(value=execution.metadata.id), metadata=BEARER
            )
            seen = await asyncio.wait_for(collect_until_end(stream, reporting.gate), TIMEOUT)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert phase_sequence([i.status.phase for i in seen]) == ["PENDING", "IN_PROGRESS", "COMPLETED"]

    failing = FailingRunner()
    async with WORKFLOW_EXECUTION_RUNNER.worker(
        runner_client, activities=[failing.execute_workflow], task_queue=queues.workflow_runner
    ):
        execution, channel = await _run_one(server.address)
        async with channel:
            stream = execution_query.WorkflowExecutionQueryControllerStub(channel).Subscribe(
                commons_io.ApiResourceId(value=execution.metadata.id), metadata=BEARER
            )
            seen = await asyncio.wait_for(collect_until_end(stream, failing.gate), TIMEOUT)
    assert seen[-1].status.phase == phase_pb2.FAILED
    assert "engine crashed" in seen[-1].status.error.message
    assert API_KEY not in server.logs() and RUNNER_KEY not in server.logs()
