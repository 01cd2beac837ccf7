"""The CLI's calls to stigmer-server for agents: apply Agent, McpServer, Skill and
Environment resources, start an AgentExecution, follow it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import command_pb2_grpc as agent_command
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as execution_command
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.commons.v1 import io_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.environment.v1 import command_pb2_grpc as environment_command
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer.mcpserver.v1 import command_pb2_grpc as mcp_command
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.skill.v1 import command_pb2_grpc as skill_command
from stigmer_client.channel import key_metadata

from stigmer_cli.api import get_by_id_or_slug, rpc_problem, updates
from stigmer_cli.errors import UsageError
from stigmer_cli.resource_kinds import kind_named

#: The kinds `stigmer apply -f` takes besides Workflow, by their `kind:` field.
AGENT_KINDS: dict[str, type[Message]] = {
    "Agent": agent_api.Agent,
    "McpServer": mcp_api.McpServer,
    "Skill": skill_api.Skill,
    "Environment": environment_api.Environment,
}


def parse_resource(data: dict[str, Any], where: str) -> Message:
    """The resource of an ``AGENT_KINDS`` kind in ``data`` (proto JSON field names).

    Raises:
        UsageError: an unknown field or a value of the wrong type (one line).
    """
    kind = str(data.get("kind"))
    resource = AGENT_KINDS[kind]()
    try:
        json_format.ParseDict(data, resource)
    except json_format.ParseError as error:
        # protobuf appends the list of valid fields on a second line: keep one line.
        first = str(error).splitlines()[0].strip()
        raise UsageError(f"{where}: not a valid {kind} resource: {first}") from None
    return resource


#: What ``find_agent`` looks up (its id prefix and query service).
AGENTS = kind_named("agents")


@dataclass
class AgentClient:
    """Agent calls over an open channel (the caller owns and closes it)."""

    channel: grpc.aio.Channel
    api_key: str = ""

    def __post_init__(self) -> None:
        self._metadata = key_metadata(self.api_key)
        self._apply: dict[str, Callable[..., Awaitable[Any]]] = {
            "Agent": agent_command.AgentCommandControllerStub(self.channel).Apply,
            "McpServer": mcp_command.McpServerCommandControllerStub(self.channel).Apply,
            "Skill": skill_command.SkillCommandControllerStub(self.channel).Apply,
            "Environment": environment_command.EnvironmentCommandControllerStub(self.channel).Apply,
        }
        self._commands = execution_command.AgentExecutionCommandControllerStub(self.channel)
        self._executions = execution_query.AgentExecutionQueryControllerStub(self.channel)

    async def apply(self, resource: Message) -> Message:
        kind = resource.DESCRIPTOR.name
        try:
            reply: Message = await self._apply[kind](resource, metadata=self._metadata, timeout=30)
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"apply {kind}") from None
        return reply

    async def find_agent(self, slug_or_id: str) -> agent_api.Agent:
        what = f"agent {slug_or_id!r}"
        found: agent_api.Agent = await get_by_id_or_slug(
            self.channel, AGENTS, slug_or_id, self._metadata, what
        )
        return found

    async def run(
        self, agent: agent_api.Agent, message: str, session_id: str = ""
    ) -> execution_api.AgentExecution:
        """Create an AgentExecution: ``message`` to ``agent`` (in ``session_id`` if given)."""
        execution = execution_api.AgentExecution(api_version="stigmer.ai/v1", kind="AgentExecution")
        base = (agent.metadata.slug or agent.metadata.name)[:50]
        execution.metadata.name = f"{base}-{uuid.uuid4().hex[:10]}"
        if session_id:
            execution.spec.session_id = session_id
        else:
            execution.spec.agent_id = agent.metadata.id
        execution.spec.message = message
        try:
            created: execution_api.AgentExecution = await self._commands.Create(
                execution, metadata=self._metadata, timeout=15
            )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, "agent run") from None
        return created

    def subscribe(self, execution_id: str) -> AsyncIterator[execution_api.AgentExecution]:
        call = self._executions.Subscribe(
            io_pb2.ApiResourceId(value=execution_id), metadata=self._metadata
        )
        return updates(call, f"follow {execution_id}")
