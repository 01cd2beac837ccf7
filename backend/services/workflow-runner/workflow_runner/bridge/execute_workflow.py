"""``ExecuteWorkflow``: the runner-queue activity that hands an execution to the engine.

Implemented by contract (``stigmer.workflowexecution.v1`` EXECUTE_WORKFLOW). It
reads execution -> instance -> workflow from stigmer-server, converts the spec
to DSL YAML, starts ``ExecuteServerlessWorkflow`` with this activity's task
token in the input, and returns *pending* (``raise_complete_async``), so no
worker slot is held while the workflow runs for minutes or hours. The engine
completes the activity by token at the end (see :mod:`.completion`).

Errors the user must fix (no such workflow, a spec the converter refuses)
fail the activity non-retryably with a message naming what is wrong; the
orchestration workflow then persists FAILED with it.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import grpc
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW
from stigmer.workflowexecution.v1 import contract_pb2
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW
from stigmer_common.json_values import from_struct
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.converter import ConversionError, spec_to_yaml
from workflow_runner.engine.workflow import EngineInput

_log = logging.getLogger(__name__)

#: ``ApplicationError.type`` of failures the user must fix (never retried).
INVALID_EXECUTION = "InvalidExecution"


def engine_workflow_id(execution_id: str) -> str:
    """The engine run's workflow id, from the contract's id template."""
    return EXECUTE_SERVERLESS_WORKFLOW.workflow_id(
        engine_contract.ExecuteServerlessWorkflowInput(execution_id=execution_id)
    )


class ExecuteWorkflowActivity:
    """Holds the activity's dependencies; register :meth:`execute_workflow`."""

    def __init__(self, api: StigmerApi, client: Client, engine_queue: str) -> None:
        self._api = api
        self._client = client
        self._engine_queue = engine_queue

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        self, arg: contract_pb2.ExecuteWorkflowInput
    ) -> contract_pb2.ExecuteWorkflowOutput:
        """Start the engine for ``arg.execution`` and return pending (see module docstring)."""
        execution_id = arg.execution.metadata.id
        if not execution_id:
            _invalid("execution.metadata.id is empty")
        token = activity.info().task_token
        execution = await self._read(self._api.get_execution, execution_id, "execution")
        instance_id = execution.status.workflow_instance_id or execution.spec.workflow_instance_id
        if not instance_id:
            _invalid(f"execution {execution_id} has no resolved workflow instance")
        instance = await self._read(self._api.get_instance, instance_id, "workflow instance")
        workflow_id = instance.spec.workflow_id
        workflow = await self._read(self._api.get_workflow, workflow_id, "workflow")
        try:
            definition = spec_to_yaml(workflow.spec)
        except ConversionError as error:
            _invalid(f"workflow {workflow_id} cannot be converted to DSL: {error}")
        workflow_input: dict[str, Any] = from_struct(instance.spec.default_input)
        workflow_input.update(from_struct(execution.spec.input))
        params = EngineInput(
            definition=definition,
            input=workflow_input,
            completion_token=token,
            execution_id=execution_id,
            runtime_metadata={
                "executionId": execution_id,
                "workflowId": workflow_id,
                "workflowInstanceId": instance_id,
            },
        )
        try:
            await self._client.start_workflow(
                EXECUTE_SERVERLESS_WORKFLOW.name,
                params,
                id=engine_workflow_id(execution_id),
                task_queue=self._engine_queue,
                # A second start for the same execution must not run it twice.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            _log.info("execution %s: engine started on %s", execution_id, self._engine_queue)
        except WorkflowAlreadyStartedError:
            _log.info("execution %s: engine already started; waiting for it", execution_id)
        activity.raise_complete_async()

    @staticmethod
    async def _read(get: Any, resource_id: str, what: str) -> Any:
        try:
            return await get(resource_id)
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                _invalid(f"{what} {resource_id} not found: {error.details()}")
            # UNAVAILABLE and friends: the orchestration records a system failure.
            raise


def _invalid(message: str) -> NoReturn:
    raise ApplicationError(message, type=INVALID_EXECUTION, non_retryable=True)
