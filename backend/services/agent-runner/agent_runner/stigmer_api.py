"""The agent-runner's gRPC client of stigmer-server: reads resources, reports status.

Like the workflow runner's client, every call survives a stigmer-server
restart (see :mod:`stigmer_client.retrying`): UNAVAILABLE and DEADLINE_EXCEEDED
are retried with backoff for up to ``retry_budget``; other answers are final at
once. Retrying is safe: reads have no effect and ``UpdateStatus`` merges by id
(a report applied twice changes nothing more).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import query_pb2_grpc as agent_query
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as execution_command
from stigmer.agentexecution.v1 import io_pb2 as execution_io
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.agentexecution.v1 import secrets_pb2 as execution_secrets
from stigmer.agentexecution.v1 import secrets_pb2_grpc as execution_secrets_grpc
from stigmer.agentinstance.v1 import api_pb2 as instance_api
from stigmer.agentinstance.v1 import query_pb2_grpc as instance_query
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import metadata_pb2, secret_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer.mcpserver.v1 import query_pb2_grpc as mcp_query
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.skill.v1 import query_pb2_grpc as skill_query
from stigmer_client.retrying import DEFAULT_RETRY_BUDGET, RetryingCalls

from agent_runner.settings import AgentRunnerSettings

_log = logging.getLogger(__name__)


class AgentServerApi(Protocol):
    """What the runner asks of stigmer-server (:class:`AgentApi` over gRPC)."""

    async def get_execution(self, execution_id: str) -> execution_api.AgentExecution: ...

    async def get_agent(self, agent_id: str) -> agent_api.Agent: ...

    async def get_mcp_server(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> mcp_api.McpServer: ...

    async def get_instance(self, instance_id: str) -> instance_api.AgentInstance: ...

    async def get_skill(self, reference: metadata_pb2.ApiResourceReference) -> skill_api.Skill: ...

    async def resolve_variables(
        self, execution_id: str, grant: secret_pb2.ExecutionGrant
    ) -> execution_secrets.ResolvedVariables: ...

    async def update_status(
        self, report: execution_io.AgentExecutionUpdateStatusInput
    ) -> execution_api.AgentExecution: ...


class AgentApi:
    """Typed calls to stigmer-server over one async channel; ``close()`` it after use."""

    def __init__(
        self,
        settings: AgentRunnerSettings,
        *,
        retry_budget: timedelta = DEFAULT_RETRY_BUDGET,
    ) -> None:
        self._calls = RetryingCalls(settings.server_target(), retry_budget=retry_budget, log=_log)
        channel = self._calls.channel
        self._executions = execution_query.AgentExecutionQueryControllerStub(channel)
        self._commands = execution_command.AgentExecutionCommandControllerStub(channel)
        self._agents = agent_query.AgentQueryControllerStub(channel)
        self._instances = instance_query.AgentInstanceQueryControllerStub(channel)
        self._mcp_servers = mcp_query.McpServerQueryControllerStub(channel)
        self._secrets = execution_secrets_grpc.AgentExecutionSecretControllerStub(channel)
        self._skills = skill_query.SkillQueryControllerStub(channel)

    async def close(self) -> None:
        await self._calls.close()

    async def get_execution(self, execution_id: str) -> execution_api.AgentExecution:
        return await self._calls.call(
            "AgentExecution.Get",
            self._executions.Get,
            commons_io.ApiResourceId(value=execution_id),
            execution_api.AgentExecution,
        )

    async def get_agent(self, agent_id: str) -> agent_api.Agent:
        return await self._calls.call(
            "Agent.Get", self._agents.Get, commons_io.ApiResourceId(value=agent_id), agent_api.Agent
        )

    async def get_instance(self, instance_id: str) -> instance_api.AgentInstance:
        return await self._calls.call(
            "AgentInstance.Get",
            self._instances.Get,
            commons_io.ApiResourceId(value=instance_id),
            instance_api.AgentInstance,
        )

    async def resolve_variables(
        self, execution_id: str, grant: secret_pb2.ExecutionGrant
    ) -> execution_secrets.ResolvedVariables:
        """The execution's variables with secrets in clear (runner-only RPC, refused
        without the execution's grant). Never log what it returns."""
        return await self._calls.call(
            "AgentExecution.ResolveVariables",
            self._secrets.ResolveVariables,
            execution_secrets.ResolveVariablesInput(execution_id=execution_id, grant=grant),
            execution_secrets.ResolvedVariables,
        )

    async def get_mcp_server(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> mcp_api.McpServer:
        return await self._calls.call(
            "McpServer.GetByReference",
            self._mcp_servers.GetByReference,
            reference,
            mcp_api.McpServer,
        )

    async def get_skill(self, reference: metadata_pb2.ApiResourceReference) -> skill_api.Skill:
        return await self._calls.call(
            "Skill.GetByReference", self._skills.GetByReference, reference, skill_api.Skill
        )

    async def update_status(
        self, report: execution_io.AgentExecutionUpdateStatusInput
    ) -> execution_api.AgentExecution:
        return await self._calls.call(
            "AgentExecution.UpdateStatus",
            self._commands.UpdateStatus,
            report,
            execution_api.AgentExecution,
        )
