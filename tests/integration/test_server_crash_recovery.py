"""kill -9 of stigmer-server while an execution runs: nothing acknowledged is lost,
and the durable orchestration carries the execution to COMPLETED on the restarted
server (same data directory, same address)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cross_service import Queues, ServerFactory
from execution_stream import collect_until_end, phase_sequence
from resource_requests import workflow, workflow_execution
from runner_doubles import ReportingRunner
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import contract_pb2
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowexecution.v1.contract_temporal import (
    INVOKE_WORKFLOW_EXECUTION,
    WORKFLOW_EXECUTION_RUNNER,
)
from temporalio.client import Client

pytestmark = pytest.mark.integration

# Includes Temporal's sticky-queue timeout: the workflow's next task first goes to
# the killed server's worker and moves to the restarted one after a few seconds.
TIMEOUT = 90


async def test_execution_survives_a_server_crash_and_completes_after_restart(
    start_stigmer_server: ServerFactory,
    temporal_server_env: dict[str, str],
    runner_client: Client,
    queues: Queues,
) -> None:
    first = start_stigmer_server(temporal_server_env)
    runner = ReportingRunner(first.address)  # the restarted server keeps this address
    worker = WORKFLOW_EXECUTION_RUNNER.worker(
        runner_client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
    )
    async with worker:
        async with grpc.aio.insecure_channel(first.address) as channel:
            created_workflow = await workflow_command.WorkflowCommandControllerStub(channel).Create(
                workflow()
            )
            execution = await execution_command.WorkflowExecutionCommandControllerStub(
                channel
            ).Create(workflow_execution(created_workflow.metadata.id))
        # The orchestration handed the run to the runner; now the server dies hard.
        await asyncio.wait_for(runner.started.wait(), TIMEOUT)
        first.kill()

        second = start_stigmer_server(
            temporal_server_env, data_dir=first.data_dir, address=first.address
        )
        async with grpc.aio.insecure_channel(second.address) as channel:
            queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
            execution_id = commons_io.ApiResourceId(value=execution.metadata.id)
            # Every acknowledged write is still there.
            survived = await queries.Get(execution_id)
            survived_workflow = await workflow_query.WorkflowQueryControllerStub(channel).Get(
                commons_io.ApiResourceId(value=created_workflow.metadata.id)
            )
            seen = await asyncio.wait_for(
                collect_until_end(queries.Subscribe(execution_id), runner.gate), TIMEOUT
            )
            handle = runner_client.get_workflow_handle(
                INVOKE_WORKFLOW_EXECUTION.workflow_id(
                    contract_pb2.InvokeWorkflowExecutionInput(execution=execution)
                )
            )
            result = await asyncio.wait_for(handle.result(), TIMEOUT)
            final = await queries.Get(execution_id)

    assert survived.status.phase == phase_pb2.PENDING
    assert survived.spec == execution.spec
    assert survived_workflow.spec == created_workflow.spec
    assert phase_sequence([item.status.phase for item in seen]) == [
        "PENDING",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    assert result.status.phase == phase_pb2.COMPLETED
    assert final.status.phase == phase_pb2.COMPLETED
    assert final.status.output.struct_value["data"]["greeting"] == "hello integration"
    assert [t.task_id for t in final.status.tasks] == ["greet"]
