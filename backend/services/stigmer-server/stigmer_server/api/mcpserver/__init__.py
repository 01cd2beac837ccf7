"""McpServer API: plain create/update/delete with the standard steps."""

from __future__ import annotations

from stigmer.mcpserver.v1 import command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies

KIND = kinds.MCP_SERVER


def register(server: MethodTable, deps: Dependencies) -> None:
    add_servicers(
        server,
        command_pb2_grpc.add_McpServerCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, standard_pipelines(KIND, deps)),
        query_pb2_grpc.add_McpServerQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
