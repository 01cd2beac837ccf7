"""Workflow API: a workflow's spec is validated down to each task's typed config."""

from __future__ import annotations

from typing import cast

import grpc
from google.protobuf.message import Message
from stigmer.workflow.v1 import api_pb2, command_pb2_grpc, query_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.registration import add_servicers
from stigmer_server.api.resource_servicers import ResourceCommandServicer, ResourceQueryServicer
from stigmer_server.api.standard_pipelines import standard_pipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.validation.field_violations import FieldViolation
from stigmer_server.validation.workflow_spec import task_config_violations

KIND = kinds.WORKFLOW


def validate_task_configs(resource: Message) -> list[FieldViolation]:
    """Typed task configs (the spec's own rules already passed)."""
    return task_config_violations(cast(api_pb2.Workflow, resource).spec)


def register(server: grpc.aio.Server, deps: Dependencies) -> None:
    pipelines = standard_pipelines(KIND, deps, extra_validation=validate_task_configs)
    add_servicers(
        server,
        command_pb2_grpc.add_WorkflowCommandControllerServicer_to_server,
        ResourceCommandServicer(KIND, deps, pipelines),
        query_pb2_grpc.add_WorkflowQueryControllerServicer_to_server,
        ResourceQueryServicer(KIND, deps),
    )
