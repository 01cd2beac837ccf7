"""The gateway's calls to stigmer-server, each with the caller's API key.

The browser sends its key as ``Authorization: Bearer <key>``; the gateway keeps
no key of its own and passes that header on as gRPC metadata, so the server's
own API-key check decides every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import struct_pb2
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import query_pb2_grpc as agent_query
from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as agent_execution_command
from stigmer.agentexecution.v1 import io_pb2 as agent_execution_io
from stigmer.agentexecution.v1 import query_pb2_grpc as agent_execution_query
from stigmer.commons.v1 import io_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_client.channel import Metadata, open_channel
from stigmer_client.tls import ChannelTls

#: Seconds one unary call may take (the server answers reads in milliseconds).
CALL_TIMEOUT = 15.0
#: Page size of List calls (the server's maximum).
PAGE_SIZE = 500
#: Items one list view reads at most (newest first once sorted).
MAX_LISTED = 2000


def key_metadata(authorization: str) -> Metadata:
    """gRPC metadata carrying the browser's ``Authorization`` header, if any."""
    return (("authorization", authorization),) if authorization else ()


class StigmerBackend:
    """One channel to stigmer-server shared by every request of the gateway."""

    def __init__(self, address: str, tls: ChannelTls | None = None) -> None:
        self.address = address
        self._channel = open_channel(address, tls)
        self._workflows = workflow_query.WorkflowQueryControllerStub(self._channel)
        self._executions = execution_query.WorkflowExecutionQueryControllerStub(self._channel)
        self._execution_commands = execution_command.WorkflowExecutionCommandControllerStub(
            self._channel
        )
        self._agents = agent_query.AgentQueryControllerStub(self._channel)
        self._agent_execution_commands = (
            agent_execution_command.AgentExecutionCommandControllerStub(self._channel)
        )
        self._agent_executions = agent_execution_query.AgentExecutionQueryControllerStub(
            self._channel
        )

    async def close(self) -> None:
        await self._channel.close()

    async def _all(self, list_rpc: Any, metadata: Metadata) -> list[Any]:
        """Every item of a List RPC, page by page (at most ``MAX_LISTED``)."""
        items: list[Any] = []
        token = ""
        while len(items) < MAX_LISTED:
            page = await list_rpc(
                io_pb2.ApiResourceListInput(page_size=PAGE_SIZE, page_token=token),
                metadata=metadata,
                timeout=CALL_TIMEOUT,
            )
            items.extend(page.items)
            token = page.next_page_token
            if not token:
                break
        return items

    async def list_executions(self, metadata: Metadata) -> list[execution_api.WorkflowExecution]:
        return await self._all(self._executions.List, metadata)

    async def list_workflows(self, metadata: Metadata) -> list[workflow_api.Workflow]:
        return await self._all(self._workflows.List, metadata)

    async def list_agent_executions(
        self, metadata: Metadata
    ) -> list[agent_execution_api.AgentExecution]:
        return await self._all(self._agent_executions.List, metadata)

    async def list_agents(self, metadata: Metadata) -> list[agent_api.Agent]:
        return await self._all(self._agents.List, metadata)

    async def get_agent_execution(
        self, execution_id: str, metadata: Metadata
    ) -> agent_execution_api.AgentExecution:
        found: agent_execution_api.AgentExecution = await self._agent_executions.Get(
            io_pb2.ApiResourceId(value=execution_id), metadata=metadata, timeout=CALL_TIMEOUT
        )
        return found

    async def get_agent(self, agent_id: str, metadata: Metadata) -> agent_api.Agent:
        found: agent_api.Agent = await self._agents.Get(
            io_pb2.ApiResourceId(value=agent_id), metadata=metadata, timeout=CALL_TIMEOUT
        )
        return found

    def subscribe_agent(
        self, execution_id: str, metadata: Metadata
    ) -> AsyncIterator[agent_execution_api.AgentExecution]:
        """Current state, then every change (messages, tool calls, todos...) until the end."""
        stream: AsyncIterator[agent_execution_api.AgentExecution] = (
            self._agent_executions.Subscribe(
                io_pb2.ApiResourceId(value=execution_id), metadata=metadata
            )
        )
        return stream

    async def get_execution(
        self, execution_id: str, metadata: Metadata
    ) -> execution_api.WorkflowExecution:
        found: execution_api.WorkflowExecution = await self._executions.Get(
            io_pb2.ApiResourceId(value=execution_id), metadata=metadata, timeout=CALL_TIMEOUT
        )
        return found

    async def get_workflow(self, workflow_id: str, metadata: Metadata) -> workflow_api.Workflow:
        found: workflow_api.Workflow = await self._workflows.Get(
            io_pb2.ApiResourceId(value=workflow_id), metadata=metadata, timeout=CALL_TIMEOUT
        )
        return found

    def subscribe(
        self, execution_id: str, metadata: Metadata
    ) -> AsyncIterator[execution_api.WorkflowExecution]:
        """Current state, then every change; the stream ends at a terminal phase."""
        stream: AsyncIterator[execution_api.WorkflowExecution] = self._executions.Subscribe(
            io_pb2.ApiResourceId(value=execution_id), metadata=metadata
        )
        return stream

    async def control(
        self, verb: str, execution_id: str, reason: str, metadata: Metadata
    ) -> execution_api.WorkflowExecution:
        """Cancel, Pause or Resume one execution."""
        rpc = {
            "cancel": self._execution_commands.Cancel,
            "pause": self._execution_commands.Pause,
            "resume": self._execution_commands.Resume,
        }[verb]
        reply: execution_api.WorkflowExecution = await rpc(
            execution_io.WorkflowExecutionControlInput(execution_id=execution_id, reason=reason),
            metadata=metadata,
            timeout=CALL_TIMEOUT,
        )
        return reply

    async def decide_tool_calls(
        self, execution_id: str, tool_call_ids: list[str], approved: bool, metadata: Metadata
    ) -> agent_execution_api.AgentExecution:
        """Approve or reject tool calls WAITING_APPROVAL."""
        request = agent_execution_io.AgentExecutionDecideToolCallsInput(
            execution_id=execution_id,
            decisions=[
                agent_execution_api.ToolCallDecision(
                    tool_call_id=call_id, approved=approved, reason="from the console"
                )
                for call_id in tool_call_ids
            ],
        )
        reply: agent_execution_api.AgentExecution = (
            await self._agent_execution_commands.DecideToolCalls(
                request, metadata=metadata, timeout=CALL_TIMEOUT
            )
        )
        return reply

    async def start_execution(
        self,
        workflow: workflow_api.Workflow,
        name: str,
        workflow_input: dict[str, Any],
        metadata: Metadata,
    ) -> execution_api.WorkflowExecution:
        execution = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        execution.metadata.name = name
        execution.spec.workflow_id = workflow.metadata.id
        input_struct = struct_pb2.Struct()
        input_struct.update(workflow_input)
        execution.spec.input.CopyFrom(input_struct)
        created: execution_api.WorkflowExecution = await self._execution_commands.Create(
            execution, metadata=metadata, timeout=CALL_TIMEOUT
        )
        return created
