"""AgentExecution end to end: server process + Temporal + a runner implementing
``EnsureThread`` and ``ExecuteGraphton`` by contract, streaming over UpdateStatus."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cross_service import Queues
from execution_stream import collect_until_end, phase_sequence
from resource_requests import agent, agent_execution
from stigmer.agent.v1 import command_pb2_grpc as agent_command
from stigmer.agentexecution.v1 import api_pb2, contract_pb2, io_pb2
from stigmer.agentexecution.v1 import command_pb2_grpc as execution_command
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.agentexecution.v1.contract_temporal import (
    AGENT_EXECUTION_RUNNER,
    ENSURE_THREAD,
    EXECUTE_GRAPHTON,
    INVOKE_AGENT_EXECUTION,
)
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer_testing.server_process import ServerProcess
from temporalio import activity
from temporalio.client import Client

pytestmark = pytest.mark.integration

STREAM_TIMEOUT = 60


class ReportingAgentRunner:
    """The agent runner's two activities, reporting an agent turn with one tool call."""

    def __init__(self, server_address: str) -> None:
        self.gate = asyncio.Event()
        self.thread_ids: list[str] = []
        self.queues_seen: list[str] = []
        self._address = server_address

    @ENSURE_THREAD.defn
    async def ensure_thread(
        self, arg: contract_pb2.EnsureThreadInput
    ) -> contract_pb2.EnsureThreadOutput:
        self.queues_seen.append(activity.info().task_queue)
        return contract_pb2.EnsureThreadOutput(thread_id=f"thread-{arg.execution.metadata.id}")

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(
        self, arg: contract_pb2.ExecuteGraphtonInput
    ) -> contract_pb2.ExecuteGraphtonOutput:
        self.thread_ids.append(arg.thread_id)
        await self.gate.wait()
        execution_id = arg.execution.metadata.id
        async with grpc.aio.insecure_channel(self._address) as channel:
            stub = execution_command.AgentExecutionCommandControllerStub(channel)

            async def report(status: api_pb2.AgentExecutionStatus) -> None:
                await stub.UpdateStatus(
                    io_pb2.AgentExecutionUpdateStatusInput(execution_id=execution_id, status=status)
                )

            await report(
                api_pb2.AgentExecutionStatus(
                    phase=phase_pb2.IN_PROGRESS,
                    messages=[
                        api_pb2.AgentMessage(id="m1", type=api_pb2.AI, content="Let me compute.")
                    ],
                    tool_calls=[
                        api_pb2.ToolCall(id="tc1", name="multiply", status=phase_pb2.IN_PROGRESS)
                    ],
                )
            )
            done = api_pb2.ToolCall(id="tc1", status=phase_pb2.COMPLETED)
            done.result.number_value = 42
            await report(
                api_pb2.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS, tool_calls=[done])
            )
            final = api_pb2.AgentExecutionStatus(
                phase=phase_pb2.COMPLETED,
                messages=[api_pb2.AgentMessage(id="m2", type=api_pb2.AI, content="42")],
            )
            final.output.string_value = "42"
            await report(final)
        return contract_pb2.ExecuteGraphtonOutput(status=final)


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
