"""Workflow API: a workflow's spec is validated down to each task's typed config,
then by the engine's own definition checks (what is stored can run)."""

from __future__ import annotations

import asyncio
from typing import cast

from google.protobuf.message import Message
from stigmer.workflow.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.method_table import MethodTable
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.validation.dsl_definition import dsl_violations
from stigmer_server.validation.field_violations import FieldViolation
from stigmer_server.validation.workflow_spec import task_config_violations

KIND = kinds.WORKFLOW


async def validate_workflow(resource: Message) -> list[FieldViolation]:
    """Typed task configs, then the engine's checks (the spec's own rules already passed)."""
    spec = cast(api_pb2.Workflow, resource).spec
    violations = task_config_violations(spec)
    if violations:
        return violations
    # In a thread: compiling a large workflow's expressions takes seconds, which
    # must not stall the other calls this server's event loop is serving.
    return await asyncio.to_thread(dsl_violations, spec)


def register(server: MethodTable, deps: Dependencies) -> None:
    pipelines = standard_pipelines(KIND, deps, extra_validation=validate_workflow)
    add_servicers(
        server,
        command_pb2_grpc.add_WorkflowCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, pipelines),
        query_pb2_grpc.add_WorkflowQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
