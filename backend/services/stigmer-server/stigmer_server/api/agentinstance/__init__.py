"""AgentInstance API: an instance must name an existing agent and environments."""

from __future__ import annotations

from typing import cast

from google.protobuf.message import Message
from stigmer.agentinstance.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.references import RequireParent, RequireReferences, environment_references
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline import Step

KIND = kinds.AGENT_INSTANCE


def _spec(resource: Message) -> api_pb2.AgentInstanceSpec:
    return cast(api_pb2.AgentInstance, resource).spec


def register(server: MethodTable, deps: Dependencies) -> None:
    resolve: list[Step] = [
        RequireParent(deps, kinds.AGENT, "spec.agent_id", lambda r: _spec(r).agent_id),
        RequireReferences(deps, lambda r: environment_references(_spec(r).environment_refs)),
    ]
    add_servicers(
        server,
        command_pb2_grpc.add_AgentInstanceCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, standard_pipelines(KIND, deps, resolve=resolve)),
        query_pb2_grpc.add_AgentInstanceQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
