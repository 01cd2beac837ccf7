"""``ExecuteWorkflow``: the runner-queue activity that hands an execution to the engine.

Implemented by contract (``stigmer.workflowexecution.v1`` EXECUTE_WORKFLOW). It
reads execution -> instance -> workflow from stigmer-server, converts the spec
to DSL YAML and starts ``ExecuteServerlessWorkflow`` under an id derived from
the execution id, so a second start can never run the execution twice. Then:

* async completion (default): the activity returns *pending*
  (``raise_complete_async``) with its task token in the engine's input, so no
  worker slot is held while the workflow runs for minutes or hours; the engine
  completes the activity by token at the end (see :mod:`.completion`) and this
  runner heartbeats the token meanwhile (see :mod:`.handoff`);
* synchronous mode: the activity waits for the engine's result, heartbeating.

The attempt heartbeats from its first moment, so a runner that dies before or
after the handoff is noticed within the contract's heartbeat timeout and the
attempt is retried. A retry finds the engine already started: a running engine
gets the new token by signal (it completes that one), a finished one has its
outcome read and returned directly.

Errors the user must fix (no such workflow, a spec the converter refuses)
fail the activity non-retryably with a message naming what is wrong; the
orchestration workflow then persists FAILED with it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any, NoReturn

import grpc
from stigmer.commons.v1 import phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import (
    EXECUTE_SERVERLESS_WORKFLOW,
    UPDATE_COMPLETION_TOKEN,
)
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2, contract_pb2
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW, INVALID_EXECUTION_ERROR
from stigmer_common.json_values import from_struct
from stigmer_dsl.converter import ConversionError, spec_to_document
from stigmer_dsl.errors import WorkflowError
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    TerminatedError,
    WorkflowAlreadyStartedError,
)
from temporalio.service import RPCError, RPCStatusCode

from workflow_runner.bridge.handoff import HandoffKeeper, heartbeat_interval, heartbeating
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.inputs import engine_input
from workflow_runner.wiring.completion import final_status
from workflow_runner.wiring.progress import problem_error, to_value
from workflow_runner.wiring.settings import RunSettings

_log = logging.getLogger(__name__)

#: ``ApplicationError.type`` of failures the user must fix (never retried).
INVALID_EXECUTION = INVALID_EXECUTION_ERROR


@functools.lru_cache(maxsize=128)
def _definition_text(spec: bytes) -> str:
    """The DSL text the engine runs for a serialized WorkflowSpec.

    JSON text: the engine parses it ~20x faster than YAML, inside an activation.
    Kept per spec (most runs repeat a few workflows; converting 100 tasks costs
    ~1 ms); keyed by the spec's bytes, so an updated workflow converts again.
    """
    document = spec_to_document(workflow_api.WorkflowSpec.FromString(spec))
    return json.dumps(document, separators=(",", ":"))


def engine_workflow_id(execution_id: str) -> str:
    """The engine run's workflow id, from the contract's id template."""
    return EXECUTE_SERVERLESS_WORKFLOW.workflow_id(
        engine_contract.ExecuteServerlessWorkflowInput(execution_id=execution_id)
    )


class ExecuteWorkflowActivity:
    """Holds the activity's dependencies; register :meth:`execute_workflow`.

    Args:
        api: stigmer-server reads.
        client: the runner's Temporal client (starts and signals the engine).
        settings: engine queue and the completion mode.
        keeper: keeps handed-off attempts alive (async completion).
    """

    def __init__(
        self, api: StigmerApi, client: Client, settings: RunnerSettings, keeper: HandoffKeeper
    ) -> None:
        self._api = api
        self._client = client
        self._settings = settings
        self._keeper = keeper
        self._beat_every = heartbeat_interval(EXECUTE_WORKFLOW.heartbeat_timeout)

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        self, arg: contract_pb2.ExecuteWorkflowInput
    ) -> contract_pb2.ExecuteWorkflowOutput:
        """Hand the execution to its engine run (see the module docstring)."""
        execution_id = arg.execution.metadata.id
        if not execution_id:
            _invalid("execution.metadata.id is empty")
        info = activity.info()
        async with heartbeating(activity.heartbeat, self._beat_every):
            engine = self._client.get_workflow_handle(engine_workflow_id(execution_id))
            if info.attempt > 1 and await _is_running(engine):
                # A retried attempt: the engine runs already, no need to read anything.
                return await self._rejoin(engine, execution_id, info.task_token)
            params = await self._engine_input(execution_id, arg.execution)
            if arg.HasField("grant"):
                # Sealed in the engine's history by the codec, like this input.
                params.grant.CopyFrom(arg.grant)
            try:
                await self._client.start_workflow(
                    EXECUTE_SERVERLESS_WORKFLOW.name,
                    params,
                    id=engine.id,
                    task_queue=self._settings.engine_queue,
                    memo=RunSettings(
                        lifecycle_events=self._settings.lifecycle_events,
                        execution_id=execution_id,
                    ).memo(),
                    # A second start for the same execution must not run it twice.
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
                _log.info(
                    "execution %s: engine started on %s", execution_id, self._settings.engine_queue
                )
            except WorkflowAlreadyStartedError:
                return await self._rejoin(engine, execution_id, info.task_token)
            if not self._settings.async_completion:
                return await _outcome(engine)
        self._hand_off(execution_id, info.task_token)

    async def _engine_input(
        self, execution_id: str, started: api_pb2.WorkflowExecution
    ) -> engine_contract.ExecuteServerlessWorkflowInput:
        """Read execution, instance and workflow and build the engine's input.

        The orchestration's copy of the execution (``started``) already names the
        instance and workflow resolved at Create (both immutable), so the three
        reads go out at once; the execution is still read afresh (a pause since
        Create must hold the engine). Without those ids: one after the other.
        """
        hinted_instance = started.status.workflow_instance_id
        hinted_workflow = started.status.workflow_id
        if hinted_instance and hinted_workflow:
            execution, instance, workflow = await asyncio.gather(
                self._read(self._api.get_execution, execution_id, "execution"),
                self._read(self._api.get_instance, hinted_instance, "workflow instance"),
                self._read(self._api.get_workflow, hinted_workflow, "workflow"),
            )
            instance_id, workflow_id = hinted_instance, hinted_workflow
            if instance.spec.workflow_id != workflow_id:
                _invalid(
                    f"execution {execution_id} names workflow {workflow_id} but its instance "
                    f"{instance_id} runs {instance.spec.workflow_id}"
                )
        else:
            execution = await self._read(self._api.get_execution, execution_id, "execution")
            instance_id = (
                execution.status.workflow_instance_id or execution.spec.workflow_instance_id
            )
            if not instance_id:
                _invalid(f"execution {execution_id} has no resolved workflow instance")
            instance = await self._read(self._api.get_instance, instance_id, "workflow instance")
            workflow_id = instance.spec.workflow_id
            workflow = await self._read(self._api.get_workflow, workflow_id, "workflow")
        try:
            definition = _definition_text(workflow.spec.SerializeToString(deterministic=True))
        except ConversionError as error:
            _invalid(f"workflow {workflow_id} cannot be converted to DSL: {error}")
        workflow_input: dict[str, Any] = from_struct(instance.spec.default_input)
        workflow_input.update(from_struct(execution.spec.input))
        return engine_input(
            definition,
            input=workflow_input,
            # Synchronous mode: this activity reports the result, the engine completes nothing.
            completion_token=activity.info().task_token
            if self._settings.async_completion
            else None,
            execution_id=execution_id,
            # Paused before the engine existed: it starts held (Pause could not signal it).
            paused=execution.status.paused,
            runtime_metadata={
                "executionId": execution_id,
                "workflowId": workflow_id,
                "workflowInstanceId": instance_id,
            },
        )

    async def _rejoin(
        self, engine: WorkflowHandle[Any, Any], execution_id: str, token: bytes
    ) -> contract_pb2.ExecuteWorkflowOutput:
        """The engine exists: hand the running one this attempt's token, or read its outcome."""
        if self._settings.async_completion:
            try:
                await UPDATE_COMPLETION_TOKEN.send(
                    self._client,
                    engine.id,
                    engine_contract.CompletionTokenSignal(task_token=token),
                )
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                # Finished meanwhile (its completion went to an expired token).
            else:
                _log.info("execution %s: engine running; handed it this attempt", execution_id)
                self._hand_off(execution_id, token)
        _log.info("execution %s: engine already ran; reporting its outcome", execution_id)
        return await _outcome(engine)

    def _hand_off(self, execution_id: str, token: bytes) -> NoReturn:
        self._keeper.hold(token, execution_id)
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


async def _is_running(engine: WorkflowHandle[Any, Any]) -> bool:
    try:
        description = await engine.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.status == WorkflowExecutionStatus.RUNNING


async def _outcome(engine: WorkflowHandle[Any, Any]) -> contract_pb2.ExecuteWorkflowOutput:
    """Wait for the engine run (and its continuations) and report how it ended."""
    completion = engine_contract.CompleteExternalActivityInput()
    try:
        completion.output.CopyFrom(to_value(await engine.result()))
    except WorkflowFailureError as failure:
        if isinstance(failure.cause, CancelledError):
            return contract_pb2.ExecuteWorkflowOutput(
                status=api_pb2.WorkflowExecutionStatus(phase=phase_pb2.CANCELLED)
            )
        if isinstance(failure.cause, TerminatedError):
            error = WorkflowError.runtime(f"the engine run was terminated: {failure.cause}")
        else:
            error = error_from_failure(failure.cause)
        completion.error.CopyFrom(problem_error(error))
    return contract_pb2.ExecuteWorkflowOutput(status=final_status(completion))
