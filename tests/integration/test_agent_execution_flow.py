"""AgentExecution end to end: server process + Temporal + a runner implementing
``EnsureThread`` and ``ExecuteGraphton`` by contract, streaming over UpdateStatus."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cross_service import Queues
from execution_stream import collect_until_end, phase_sequence
from resource_requests import agent, agent_execution
from runner_doubles import ReportingAgentRunner
from stigmer.agent.v1 import command_pb2_grpc as agent_command
from stigmer.agentexecution.v1 import command_pb2_grpc as execution_command
from stigmer.agentexecution.v1 import contract_pb2
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.agentexecution.v1.contract_temporal import (
    AGENT_EXECUTION_RUNNER,
    INVOKE_AGENT_EXECUTION,
)
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer_testing.server_process import ServerProcess
from temporalio.client import Client

pytestmark = pytest.mark.integration

STREAM_TIMEOUT = 60


async def test_agent_execution_streams_pending_progress_completed(
    stigmer_server: ServerProcess,
    channel: grpc.aio.Channel,
    runner_client: Client,
    queues: Queues,
) -> None:
    runner = ReportingAgentRunner(stigmer_server.address)
    worker = AGENT_EXECUTION_RUNNER.worker(
        runner_client,
        activities=[runner.ensure_thread, runner.execute_graphton],
        task_queue=queues.agent_runner,
    )
    async with worker:
        created_agent = await agent_command.AgentCommandControllerStub(channel).Create(agent())
        execution = await execution_command.AgentExecutionCommandControllerStub(channel).Create(
            agent_execution(created_agent.metadata.id)
        )
        assert execution.status.phase == phase_pb2.PENDING
        stream = execution_query.AgentExecutionQueryControllerStub(channel).Subscribe(
            commons_io.ApiResourceId(value=execution.metadata.id)
        )
        seen = await asyncio.wait_for(collect_until_end(stream, runner.gate), STREAM_TIMEOUT)
        handle = runner_client.get_workflow_handle(
            INVOKE_AGENT_EXECUTION.workflow_id(
                contract_pb2.InvokeAgentExecutionInput(execution=execution)
            )
        )
        await asyncio.wait_for(handle.result(), STREAM_TIMEOUT)
        description = await handle.describe()

    assert phase_sequence([item.status.phase for item in seen]) == [
        "PENDING",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    first_progress = next(item for item in seen if item.status.phase == phase_pb2.IN_PROGRESS)
    assert [(c.id, c.name, c.status) for c in first_progress.status.tool_calls] == [
        ("tc1", "multiply", phase_pb2.IN_PROGRESS)
    ]
    last = seen[-1].status
    assert [(c.id, c.name, c.status) for c in last.tool_calls] == [
        ("tc1", "multiply", phase_pb2.COMPLETED)
    ]
    assert last.tool_calls[0].result.number_value == 42
    assert [m.content for m in last.messages] == ["Let me compute.", "42"]
    assert last.output.string_value == "42"
    assert runner.queues_seen == [queues.agent_runner]
    assert runner.thread_ids == [f"thread-{execution.metadata.id}"]
    assert description.task_queue == queues.agent_stigmer
