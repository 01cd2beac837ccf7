"""WorkflowExecution API: resolve the instance, persist PENDING, start the run; cancel,
pause and resume it; delete it only once it ended."""

from __future__ import annotations

from stigmer.workflowexecution.v1 import api_pb2, command_pb2_grpc, io_pb2, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.execution_spec import KeepStoredSpec
from stigmer_server.api.execution_start import StartExecution
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import (
    ExecutionQueryServicer,
    WorkflowExecutionCommandServicer,
)
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.api.workflowexecution.resolve import ResolveWorkflowInstance
from stigmer_server.dependencies import Dependencies
from stigmer_server.execution.status_merge import merge_workflow_execution_status
from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.pipeline.steps.execution_delete import RequireEnded
from stigmer_server.validation.field_violations import FieldViolation
from stigmer_server.validation.json_numbers import non_finite_numbers

KIND = kinds.WORKFLOW_EXECUTION


def status_updater(deps: Dependencies) -> ExecutionStatusUpdater:
    return ExecutionStatusUpdater(
        KIND,
        deps,
        merge_workflow_execution_status,  # type: ignore[arg-type]
        io_pb2.WorkflowExecutionUpdateStatusInput,
    )


async def validate_input(resource: object) -> list[FieldViolation]:
    """The input must be JSON: a NaN stored would fail the run after the record exists."""
    assert isinstance(resource, api_pb2.WorkflowExecution)
    return non_finite_numbers(resource.spec.input, "spec.input")


def register(server: MethodTable, deps: Dependencies, updater: ExecutionStatusUpdater) -> None:
    async def start(execution: object) -> bool:
        assert isinstance(execution, api_pb2.WorkflowExecution)
        return await deps.starter.start_workflow_execution(execution)

    pipelines = standard_pipelines(
        KIND,
        deps,
        extra_validation=validate_input,
        resolve=[ResolveWorkflowInstance(deps)],
        update_resolve=[KeepStoredSpec()],
        side_effects=[StartExecution(start)],
        delete_checks=[RequireEnded()],
    )
    add_servicers(
        server,
        command_pb2_grpc.add_WorkflowExecutionCommandControllerServicer_to_server,
        WorkflowExecutionCommandServicer(KIND, deps, pipelines, updater),
        query_pb2_grpc.add_WorkflowExecutionQueryControllerServicer_to_server,
        ExecutionQueryServicer(KIND, deps),
    )
