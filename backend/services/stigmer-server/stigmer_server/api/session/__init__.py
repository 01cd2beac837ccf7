"""Session API: a session belongs to an existing agent instance."""

from __future__ import annotations

from typing import cast

from stigmer.session.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.references import RequireParent
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies

KIND = kinds.SESSION


def register(server: MethodTable, deps: Dependencies) -> None:
    resolve = [
        RequireParent(
            deps,
            kinds.AGENT_INSTANCE,
            "spec.agent_instance_id",
            lambda r: cast(api_pb2.Session, r).spec.agent_instance_id,
        )
    ]
    add_servicers(
        server,
        command_pb2_grpc.add_SessionCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, standard_pipelines(KIND, deps, resolve=resolve)),
        query_pb2_grpc.add_SessionQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
