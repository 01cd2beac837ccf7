"""WorkflowExecution end to end: server process + Temporal + a runner implementing
``ExecuteWorkflow`` by contract that reports progress over the UpdateStatus gRPC."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cross_service import Queues
from execution_stream import collect_until_end, phase_sequence
from resource_requests import workflow, workflow_execution
from runner_doubles import FailingRunner, ReportingRunner
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2, contract_pb2
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowexecution.v1.contract_temporal import (
    EXECUTE_WORKFLOW,
    INVOKE_WORKFLOW_EXECUTION,
    WORKFLOW_EXECUTION_RUNNER,
)
from stigmer_common.payload_codec import ENCODING
from stigmer_server.orchestration.memo import RUNNER_QUEUE_MEMO_KEY
from stigmer_testing.server_process import ServerProcess
from temporalio.client import Client, WorkflowFailureError

pytestmark = pytest.mark.integration

STREAM_TIMEOUT = 60


async def _create_execution(channel: grpc.aio.Channel) -> api_pb2.WorkflowExecution:
    created_workflow = await workflow_command.WorkflowCommandControllerStub(channel).Create(
        workflow()
    )
    stub = execution_command.WorkflowExecutionCommandControllerStub(channel)
    created: api_pb2.WorkflowExecution = await stub.Create(
        workflow_execution(created_workflow.metadata.id)
    )
    return created


async def test_subscribe_streams_pending_then_progress_then_completed_output(
    stigmer_server: ServerProcess,
    channel: grpc.aio.Channel,
    runner_client: Client,
    queues: Queues,
) -> None:
    runner = ReportingRunner(stigmer_server.address)
    worker = WORKFLOW_EXECUTION_RUNNER.worker(
        runner_client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
    )
    async with worker:
        execution = await _create_execution(channel)
        assert execution.status.phase == phase_pb2.PENDING
        stream = execution_query.WorkflowExecutionQueryControllerStub(channel).Subscribe(
            commons_io.ApiResourceId(value=execution.metadata.id)
        )
        seen = await asyncio.wait_for(collect_until_end(stream, runner.gate), STREAM_TIMEOUT)
        handle = runner_client.get_workflow_handle(
            INVOKE_WORKFLOW_EXECUTION.workflow_id(
                contract_pb2.InvokeWorkflowExecutionInput(execution=execution)
            )
        )
        result = await asyncio.wait_for(handle.result(), STREAM_TIMEOUT)
        description = await handle.describe()
        history = await handle.fetch_history()

    assert phase_sequence([item.status.phase for item in seen]) == [
        "PENDING",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    in_progress = [item for item in seen if item.status.phase == phase_pb2.IN_PROGRESS]
    assert in_progress[0].status.tasks[0].task_id == "greet"
    assert in_progress[0].status.tasks[0].status == phase_pb2.IN_PROGRESS
    last = seen[-1]
    # Upserted by task id: one entry, now COMPLETED, keeping the name and input
    # from the first report that the second (partial) report did not repeat.
    assert [(t.task_id, t.name, t.status) for t in last.status.tasks] == [
        ("greet", "greet", phase_pb2.COMPLETED)
    ]
    assert last.status.tasks[0].input.struct_value["data"]["who"] == "integration"
    assert last.status.output.struct_value["data"]["greeting"] == "hello integration"
    assert last.status.HasField("completed_at")
    # The orchestration ran on this test's queues, the runner queue came from the memo.
    assert description.task_queue == queues.workflow_stigmer
    assert await description.memo_value(RUNNER_QUEUE_MEMO_KEY) == queues.workflow_runner
    assert result.status.phase == phase_pb2.COMPLETED
    # The server sealed what it sent through Temporal (the runner shares the keyring).
    started_event = history.events[0].workflow_execution_started_event_attributes
    assert started_event.input.payloads[0].metadata["encoding"] == ENCODING
    stored = await execution_query.WorkflowExecutionQueryControllerStub(channel).Get(
        commons_io.ApiResourceId(value=execution.metadata.id)
    )
    assert stored.status.phase == phase_pb2.COMPLETED
    assert stored.status.output == last.status.output


async def test_failed_runner_activity_marks_the_execution_failed_with_the_error(
    channel: grpc.aio.Channel, runner_client: Client, queues: Queues
) -> None:
    runner = FailingRunner()
    worker = WORKFLOW_EXECUTION_RUNNER.worker(
        runner_client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
    )
    async with worker:
        execution = await _create_execution(channel)
        stream = execution_query.WorkflowExecutionQueryControllerStub(channel).Subscribe(
            commons_io.ApiResourceId(value=execution.metadata.id)
        )
        seen = await asyncio.wait_for(collect_until_end(stream, runner.gate), STREAM_TIMEOUT)
        handle = runner_client.get_workflow_handle(
            INVOKE_WORKFLOW_EXECUTION.workflow_id(
                contract_pb2.InvokeWorkflowExecutionInput(execution=execution)
            )
        )
        with pytest.raises(WorkflowFailureError):
            await asyncio.wait_for(handle.result(), STREAM_TIMEOUT)

    assert phase_sequence([item.status.phase for item in seen]) == ["PENDING", "FAILED"]
    error = seen[-1].status.error
    assert error.code == "ACTIVITY_FAILED"
    assert error.message == f"{EXECUTE_WORKFLOW.name} failed: engine crashed: out of memory"
    assert error.details["error_type"] == "EngineCrash"
    stored = await execution_query.WorkflowExecutionQueryControllerStub(channel).Get(
        commons_io.ApiResourceId(value=execution.metadata.id)
    )
    assert stored.status.phase == phase_pb2.FAILED
    assert stored.status.error.message == error.message
