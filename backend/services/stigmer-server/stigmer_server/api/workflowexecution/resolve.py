"""Which instance (and workflow) a new workflow execution runs."""

from __future__ import annotations

from typing import cast

from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2
from stigmer.workflowinstance.v1 import api_pb2 as workflowinstance_api

from stigmer_server import kinds
from stigmer_server.api.default_instances import workflow_default_instance
from stigmer_server.api.references import require
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument
from stigmer_server.pipeline.context import RequestContext


class ResolveWorkflowInstance:
    """``spec.workflow_instance_id`` if given, else ``spec.workflow_id``'s default
    instance (created on demand); both ids are recorded in status."""

    name = "resolve-workflow-instance"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        execution = cast(api_pb2.WorkflowExecution, ctx.require_resource())
        spec = execution.spec
        if spec.workflow_instance_id:
            instance = cast(
                workflowinstance_api.WorkflowInstance,
                require(
                    self._deps,
                    kinds.WORKFLOW_INSTANCE,
                    spec.workflow_instance_id,
                    "spec.workflow_instance_id",
                ),
            )
            workflow_id = instance.spec.workflow_id
            if spec.workflow_id and spec.workflow_id != workflow_id:
                raise InvalidArgument(
                    f"is {spec.workflow_id} but instance {spec.workflow_instance_id} runs {workflow_id}",
                    field="spec.workflow_id",
                )
            instance_id = spec.workflow_instance_id
        else:
            workflow = cast(
                workflow_api.Workflow,
                require(self._deps, kinds.WORKFLOW, spec.workflow_id, "spec.workflow_id"),
            )
            workflow_id = workflow.metadata.id
            instance_id = workflow_default_instance(self._deps, ctx, workflow)
        execution.status.workflow_instance_id = instance_id
        execution.status.workflow_id = workflow_id
