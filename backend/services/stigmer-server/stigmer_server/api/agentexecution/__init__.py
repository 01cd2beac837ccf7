"""AgentExecution API: resolve (or open) the session, persist PENDING, start the run."""

from __future__ import annotations

from stigmer.agentexecution.v1 import api_pb2, command_pb2_grpc, io_pb2, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.agentexecution.decisions import AgentExecutionCommandServicer
from stigmer_server.api.agentexecution.resolve import ResolveSession
from stigmer_server.api.execution_spec import KeepStoredSpec
from stigmer_server.api.execution_start import StartExecution
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ExecutionQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.execution.status_merge import merge_agent_execution_status
from stigmer_server.execution.status_updater import ExecutionStatusUpdater

KIND = kinds.AGENT_EXECUTION


def status_updater(deps: Dependencies) -> ExecutionStatusUpdater:
    def merge(current: object, report: object, now: object) -> bool:
        return merge_agent_execution_status(
            current,  # type: ignore[arg-type]
            report,  # type: ignore[arg-type]
            now,  # type: ignore[arg-type]
            lambda: f"msg-{deps.ids.new_id(KIND.kind).split('-', 1)[1]}",
        )

    return ExecutionStatusUpdater(KIND, deps, merge, io_pb2.AgentExecutionUpdateStatusInput)


def register(server: MethodTable, deps: Dependencies, updater: ExecutionStatusUpdater) -> None:
    async def start(execution: object) -> bool:
        assert isinstance(execution, api_pb2.AgentExecution)
        return await deps.starter.start_agent_execution(execution)

    pipelines = standard_pipelines(
        KIND,
        deps,
        resolve=[ResolveSession(deps)],
        update_resolve=[KeepStoredSpec()],
        side_effects=[StartExecution(start)],
    )
    add_servicers(
        server,
        command_pb2_grpc.add_AgentExecutionCommandControllerServicer_to_server,
        AgentExecutionCommandServicer(KIND, deps, pipelines, updater),
        query_pb2_grpc.add_AgentExecutionQueryControllerServicer_to_server,
        ExecutionQueryServicer(KIND, deps),
    )
