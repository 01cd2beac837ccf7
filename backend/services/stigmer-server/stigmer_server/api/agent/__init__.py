"""Agent API: skills and MCP servers an agent uses must exist; a cost cap has prices."""

from __future__ import annotations

from typing import cast

from google.protobuf.message import Message
from stigmer.agent.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc
from stigmer.commons.v1 import metadata_pb2

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.references import RequireReferences
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.validation.agent_limits import validate_agent_limits

KIND = kinds.AGENT


def agent_references(resource: Message) -> list[tuple[str, metadata_pb2.ApiResourceReference]]:
    """Field path and reference of every skill / MCP server the agent (and its sub-agents) use."""
    spec = cast(api_pb2.Agent, resource).spec
    found = [(f"spec.skill_refs[{i}]", r) for i, r in enumerate(spec.skill_refs)]
    found += [
        (f"spec.mcp_servers[{i}].mcp_server_ref", u.mcp_server_ref)
        for i, u in enumerate(spec.mcp_servers)
    ]
    for s, sub in enumerate(spec.sub_agents):
        found += [
            (f"spec.sub_agents[{s}].skill_refs[{i}]", r) for i, r in enumerate(sub.skill_refs)
        ]
        found += [
            (f"spec.sub_agents[{s}].mcp_servers[{i}].mcp_server_ref", u.mcp_server_ref)
            for i, u in enumerate(sub.mcp_servers)
        ]
    return found


def register(server: MethodTable, deps: Dependencies) -> None:
    pipelines = standard_pipelines(
        KIND,
        deps,
        extra_validation=validate_agent_limits,
        resolve=[RequireReferences(deps, agent_references)],
    )
    add_servicers(
        server,
        command_pb2_grpc.add_AgentCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, pipelines),
        query_pb2_grpc.add_AgentQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
