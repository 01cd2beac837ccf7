"""An in-memory stand-in for stigmer-server's agent API: serves the agent and MCP
servers a test defines, merges status reports the way the server does, and
records them (count, time), for activity-level tests of the runner."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import io_pb2 as execution_io
from stigmer.agentexecution.v1 import secrets_pb2 as execution_secrets
from stigmer.agentinstance.v1 import api_pb2 as instance_api
from stigmer.commons.v1 import metadata_pb2, secret_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer_server.execution.status_merge import merge_agent_execution_status


@dataclass
class RecordingApi:
    agent: agent_api.Agent
    mcp_servers: dict[str, mcp_api.McpServer] = field(default_factory=dict)
    status: execution_api.AgentExecutionStatus = field(
        default_factory=execution_api.AgentExecutionStatus
    )
    reports: list[tuple[float, execution_api.AgentExecutionStatus]] = field(default_factory=list)
    instances: dict[str, instance_api.AgentInstance] = field(default_factory=dict)
    # What ResolveVariables answers, by execution id (the server's merge of the
    # instance's Environments and runtime_env is tested on the server).
    variables: dict[str, execution_secrets.ResolvedVariables] = field(default_factory=dict)
    # (execution id, grant) of each ResolveVariables call.
    variable_requests: list[tuple[str, secret_pb2.ExecutionGrant]] = field(default_factory=list)
    skills: dict[str, skill_api.Skill] = field(default_factory=dict)

    async def get_skill(self, reference: metadata_pb2.ApiResourceReference) -> skill_api.Skill:
        return self.skills[reference.slug]

    async def get_instance(self, instance_id: str) -> instance_api.AgentInstance:
        return self.instances.get(instance_id) or instance_api.AgentInstance()

    async def resolve_variables(
        self, execution_id: str, grant: secret_pb2.ExecutionGrant
    ) -> execution_secrets.ResolvedVariables:
        self.variable_requests.append((execution_id, grant))
        return self.variables.get(execution_id) or execution_secrets.ResolvedVariables()

    async def get_agent(self, agent_id: str) -> agent_api.Agent:
        return self.agent

    async def get_execution(self, execution_id: str) -> execution_api.AgentExecution:
        raise AssertionError("the test's executions name their agent")

    async def get_mcp_server(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> mcp_api.McpServer:
        return self.mcp_servers[reference.slug]

    async def update_status(
        self, report: execution_io.AgentExecutionUpdateStatusInput
    ) -> execution_api.AgentExecution:
        copy = execution_api.AgentExecutionStatus()
        copy.CopyFrom(report.status)
        self.reports.append((time.monotonic(), copy))
        now = Timestamp()
        now.GetCurrentTime()
        merge_agent_execution_status(self.status, report.status, now, lambda: "msg-x")
        return execution_api.AgentExecution(status=self.status)

    async def close(self) -> None:
        pass
