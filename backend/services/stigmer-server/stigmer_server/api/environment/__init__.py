"""Environment API: the standard steps; secrets sealed when stored, redacted when shown."""

from __future__ import annotations

from stigmer.environment.v1 import command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.secrets.steps import SealSecrets, secret_presenter

KIND = kinds.ENVIRONMENT


def register(server: MethodTable, deps: Dependencies) -> None:
    add_servicers(
        server,
        command_pb2_grpc.add_EnvironmentCommandControllerServicer_to_server,
        ResourceCommandServicer(
            KIND,
            deps,
            standard_pipelines(KIND, deps, resolve=[SealSecrets(deps)]),
            present=secret_presenter(deps),
        ),
        query_pb2_grpc.add_EnvironmentQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps, present=secret_presenter(deps)),
    )
