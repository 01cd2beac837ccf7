"""Test runners: the runner side of the contracts, implemented in the test process.

Registered on the runner queue under the contract's names (``@EXECUTE_WORKFLOW.defn``
...), they report progress to the server over the ``UpdateStatus`` gRPC, as the
real runners do. Each waits on ``gate`` before reporting, so a test can start its
``Subscribe`` first (and, for the crash test, restart the server in between);
``started`` is set when the activity begins.
"""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf import struct_pb2
from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import command_pb2_grpc as agent_command
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
from stigmer.agentexecution.v1 import io_pb2 as agent_io
from stigmer.agentexecution.v1.contract_temporal import ENSURE_THREAD, EXECUTE_GRAPHTON
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2, contract_pb2, io_pb2
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW
from temporalio import activity
from temporalio.exceptions import ApplicationError


def _value(data: dict[str, str]) -> struct_pb2.Value:
    value = struct_pb2.Value()
    value.struct_value.update({"data": data})
    return value


class ReportingRunner:
    """``ExecuteWorkflow`` that reports a one-task run over gRPC, like the real runner.

    It waits for ``gate`` (set once the test's subscription saw the first state)
    and reports: IN_PROGRESS with the task running, the task COMPLETED, then the
    execution COMPLETED with its output.
    """

    def __init__(self, server_address: str, *, api_key: str = "") -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self._address = server_address
        # Sent as the runners send STIGMER_SERVICE_API_KEY when the server has auth on.
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else None

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        self, arg: contract_pb2.ExecuteWorkflowInput
    ) -> contract_pb2.ExecuteWorkflowOutput:
        self.started.set()
        await self.gate.wait()
        execution_id = arg.execution.metadata.id
        output = _value({"greeting": "hello integration"})
        async with grpc.aio.insecure_channel(self._address) as channel:
            stub = execution_command.WorkflowExecutionCommandControllerStub(channel)
            running = api_pb2.WorkflowTaskProgress(
                task_id="greet", name="greet", type="set", status=phase_pb2.IN_PROGRESS
            )
            running.input.CopyFrom(_value({"who": "integration"}))
            await stub.UpdateStatus(
                metadata=self._metadata,
                request=io_pb2.WorkflowExecutionUpdateStatusInput(
                    execution_id=execution_id,
                    status=api_pb2.WorkflowExecutionStatus(
                        phase=phase_pb2.IN_PROGRESS, tasks=[running]
                    ),
                ),
            )
            done = api_pb2.WorkflowTaskProgress(task_id="greet", status=phase_pb2.COMPLETED)
            done.output.CopyFrom(output)
            await stub.UpdateStatus(
                metadata=self._metadata,
                request=io_pb2.WorkflowExecutionUpdateStatusInput(
                    execution_id=execution_id,
                    status=api_pb2.WorkflowExecutionStatus(
                        phase=phase_pb2.IN_PROGRESS, tasks=[done]
                    ),
                ),
            )
            final = api_pb2.WorkflowExecutionStatus(phase=phase_pb2.COMPLETED, output=output)
            await stub.UpdateStatus(
                metadata=self._metadata,
                request=io_pb2.WorkflowExecutionUpdateStatusInput(
                    execution_id=execution_id, status=final
                ),
            )
        return contract_pb2.ExecuteWorkflowOutput(status=final)


class FailingRunner:
    """``ExecuteWorkflow`` that fails the way a crashed engine start would."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        self, arg: contract_pb2.ExecuteWorkflowInput
    ) -> contract_pb2.ExecuteWorkflowOutput:
        await self.gate.wait()
        raise ApplicationError(
            "engine crashed: out of memory", type="EngineCrash", non_retryable=True
        )


class ReportingAgentRunner:
    """The agent runner's two activities, reporting an agent turn with one tool call."""

    def __init__(self, server_address: str) -> None:
        self.gate = asyncio.Event()
        self.thread_ids: list[str] = []
        self.queues_seen: list[str] = []
        self._address = server_address

    @ENSURE_THREAD.defn
    async def ensure_thread(
        self, arg: agent_contract.EnsureThreadInput
    ) -> agent_contract.EnsureThreadOutput:
        self.queues_seen.append(activity.info().task_queue)
        return agent_contract.EnsureThreadOutput(thread_id=f"thread-{arg.execution.metadata.id}")

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(
        self, arg: agent_contract.ExecuteGraphtonInput
    ) -> agent_contract.ExecuteGraphtonOutput:
        self.thread_ids.append(arg.thread_id)
        await self.gate.wait()
        execution_id = arg.execution.metadata.id
        async with grpc.aio.insecure_channel(self._address) as channel:
            stub = agent_command.AgentExecutionCommandControllerStub(channel)

            async def report(status: agent_api.AgentExecutionStatus) -> None:
                await stub.UpdateStatus(
                    agent_io.AgentExecutionUpdateStatusInput(
                        execution_id=execution_id, status=status
                    )
                )

            await report(
                agent_api.AgentExecutionStatus(
                    phase=phase_pb2.IN_PROGRESS,
                    messages=[
                        agent_api.AgentMessage(
                            id="m1", type=agent_api.AI, content="Let me compute."
                        )
                    ],
                    tool_calls=[
                        agent_api.ToolCall(id="tc1", name="multiply", status=phase_pb2.IN_PROGRESS)
                    ],
                )
            )
            done = agent_api.ToolCall(id="tc1", status=phase_pb2.COMPLETED)
            done.result.number_value = 42
            await report(
                agent_api.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS, tool_calls=[done])
            )
            final = agent_api.AgentExecutionStatus(
                phase=phase_pb2.COMPLETED,
                messages=[agent_api.AgentMessage(id="m2", type=agent_api.AI, content="42")],
            )
            final.output.string_value = "42"
            await report(final)
        return agent_contract.ExecuteGraphtonOutput(status=final)
