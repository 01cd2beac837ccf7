"""ExecutionContext API: runtime values of one existing (workflow or agent) execution;
secrets sealed when stored, redacted when shown."""

from __future__ import annotations

from typing import cast

from stigmer.executioncontext.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.references import require
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.secrets.steps import SealSecrets, secret_presenter

KIND = kinds.EXECUTION_CONTEXT


class ResolveExecution:
    """``spec.execution_id`` names an existing workflow or agent execution."""

    name = "resolve-execution"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        execution_id = cast(api_pb2.ExecutionContext, ctx.require_resource()).spec.execution_id
        prefix = kinds.AGENT_EXECUTION.id_prefix + "-"
        kind = (
            kinds.AGENT_EXECUTION if execution_id.startswith(prefix) else kinds.WORKFLOW_EXECUTION
        )
        require(self._deps, kind, execution_id, "spec.execution_id")


def register(server: MethodTable, deps: Dependencies) -> None:
    pipelines = standard_pipelines(KIND, deps, resolve=[ResolveExecution(deps), SealSecrets(deps)])
    add_servicers(
        server,
        command_pb2_grpc.add_ExecutionContextCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, pipelines, present=secret_presenter(deps)),
        query_pb2_grpc.add_ExecutionContextQueryControllerServicer_to_server,
        # Runtime values and secrets of an execution: read by runners only.
        ResourceQueryServicer(KIND, deps, read_roles=("runner",), present=secret_presenter(deps)),
    )
