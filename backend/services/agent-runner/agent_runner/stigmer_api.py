"""The agent-runner's gRPC client of stigmer-server: reads resources, reports status.

Like the workflow runner's client, every call survives a stigmer-server
restart: UNAVAILABLE and DEADLINE_EXCEEDED are retried with backoff for up to
``retry_budget``; other answers are final at once. Retrying is safe: reads
have no effect and ``UpdateStatus`` merges by id (a report applied twice
changes nothing more). Retries heartbeat inside an activity, so an outage is
not mistaken for a lost runner.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import Message
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
from stigmer_observability import client_metrics_interceptors
from temporalio import activity

from agent_runner.settings import AgentRunnerSettings

_log = logging.getLogger(__name__)

RPC_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_BUDGET = timedelta(minutes=2)
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_FIRST_BACKOFF_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 2.0
# gRPC's reconnect backoff grows to two minutes by default: keep it short so a
# restarted server is used as soon as it answers.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

ReplyT = TypeVar("ReplyT", bound=Message)


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
        if settings.stigmer_use_tls:
            roots = None
            if settings.stigmer_ca_file:
                with open(settings.stigmer_ca_file, "rb") as ca:
                    roots = ca.read()
            self._channel = grpc.aio.secure_channel(
                settings.stigmer_endpoint,
                grpc.ssl_channel_credentials(root_certificates=roots),
                options=_CHANNEL_OPTIONS,
                interceptors=client_metrics_interceptors(),
            )
        else:
            self._channel = grpc.aio.insecure_channel(
                settings.stigmer_endpoint,
                options=_CHANNEL_OPTIONS,
                interceptors=client_metrics_interceptors(),
            )
        self._endpoint = settings.stigmer_endpoint
        self._budget = retry_budget.total_seconds()
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {settings.stigmer_api_key}"),)
            if settings.stigmer_api_key
            else ()
        )
        self._executions = execution_query.AgentExecutionQueryControllerStub(self._channel)
        self._commands = execution_command.AgentExecutionCommandControllerStub(self._channel)
        self._agents = agent_query.AgentQueryControllerStub(self._channel)
        self._instances = instance_query.AgentInstanceQueryControllerStub(self._channel)
        self._mcp_servers = mcp_query.McpServerQueryControllerStub(self._channel)
        self._secrets = execution_secrets_grpc.AgentExecutionSecretControllerStub(self._channel)
        self._skills = skill_query.SkillQueryControllerStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def get_execution(self, execution_id: str) -> execution_api.AgentExecution:
        return await self._call(
            "AgentExecution.Get",
            self._executions.Get,
            commons_io.ApiResourceId(value=execution_id),
            execution_api.AgentExecution,
        )

    async def get_agent(self, agent_id: str) -> agent_api.Agent:
        return await self._call(
            "Agent.Get", self._agents.Get, commons_io.ApiResourceId(value=agent_id), agent_api.Agent
        )

    async def get_instance(self, instance_id: str) -> instance_api.AgentInstance:
        return await self._call(
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
        return await self._call(
            "AgentExecution.ResolveVariables",
            self._secrets.ResolveVariables,
            execution_secrets.ResolveVariablesInput(execution_id=execution_id, grant=grant),
            execution_secrets.ResolvedVariables,
        )

    async def get_mcp_server(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> mcp_api.McpServer:
        return await self._call(
            "McpServer.GetByReference",
            self._mcp_servers.GetByReference,
            reference,
            mcp_api.McpServer,
        )

    async def get_skill(self, reference: metadata_pb2.ApiResourceReference) -> skill_api.Skill:
        return await self._call(
            "Skill.GetByReference", self._skills.GetByReference, reference, skill_api.Skill
        )

    async def update_status(
        self, report: execution_io.AgentExecutionUpdateStatusInput
    ) -> execution_api.AgentExecution:
        return await self._call(
            "AgentExecution.UpdateStatus",
            self._commands.UpdateStatus,
            report,
            execution_api.AgentExecution,
        )

    async def _call(
        self,
        name: str,
        rpc: Callable[..., Awaitable[Any]],
        request: Message,
        reply_type: type[ReplyT],
    ) -> ReplyT:
        """``rpc(request)``, retried on transient failures within the budget."""
        deadline = time.monotonic() + self._budget
        backoff = _FIRST_BACKOFF_SECONDS
        attempt = 1
        while True:
            remaining = deadline - time.monotonic()
            try:
                reply = await rpc(
                    request,
                    metadata=self._metadata,
                    timeout=max(0.1, min(RPC_TIMEOUT_SECONDS, remaining)),
                    wait_for_ready=True,
                )
            except grpc.aio.AioRpcError as error:
                delay = backoff * random.uniform(0.8, 1.2)
                if error.code() not in RETRYABLE_CODES or time.monotonic() + delay >= deadline:
                    raise
                if attempt == 1:
                    _log.warning(
                        "%s on %s: %s; retrying for up to %.0fs",
                        name,
                        self._endpoint,
                        error.code().name,
                        self._budget,
                    )
                if activity.in_activity() and not activity.info().is_local:
                    activity.heartbeat()
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                attempt += 1
                continue
            assert isinstance(reply, reply_type)
            return reply
