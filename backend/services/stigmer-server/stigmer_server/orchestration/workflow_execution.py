"""``InvokeWorkflowExecutionWorkflow``: run one WorkflowExecution through the runner.

The orchestration does not mark the execution IN_PROGRESS itself: the runner
reports IN_PROGRESS when it actually starts (with its first task), so an
execution whose runner never picks it up honestly stays PENDING. The workflow:

1. calls ``ExecuteWorkflow`` on the runner queue named in its memo, handing on
   the execution's grant (issued by the starter; sealed in history by the codec);
2. on return, persists the returned final status, unless the runner says it
   stored it already (``status_stored``: it writes the final status itself so a
   watcher sees the end one workflow task earlier); a runner whose write failed
   leaves it to this step, the safety net;
3. on a system error (activity failure, timeout), persists FAILED with the
   error through the local status activity, then fails itself so Temporal
   shows the run as failed too;
4. when the orchestration is cancelled, persists CANCELLED, then ends cancelled.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from stigmer.commons.v1 import phase_pb2
    from stigmer.workflowexecution.v1 import api_pb2, contract_pb2, io_pb2
    from stigmer.workflowexecution.v1.contract_temporal import (
        EXECUTE_WORKFLOW,
        INVOKE_WORKFLOW_EXECUTION,
        UPDATE_WORKFLOW_EXECUTION_STATUS,
    )

    from stigmer_server.orchestration import outcome
    from stigmer_server.orchestration.deadline import runner_budget
    from stigmer_server.orchestration.memo import runner_queue_from_memo


@INVOKE_WORKFLOW_EXECUTION.defn
class InvokeWorkflowExecutionWorkflow:
    """Orchestrates one WorkflowExecution; see the module docstring for the steps."""

    @workflow.run
    async def run(
        self, arg: contract_pb2.InvokeWorkflowExecutionInput
    ) -> contract_pb2.InvokeWorkflowExecutionOutput:
        """Run the execution on the runner and persist how it ended."""
        execution_id = arg.execution.metadata.id
        try:
            result = await EXECUTE_WORKFLOW.execute(
                contract_pb2.ExecuteWorkflowInput(execution=arg.execution, grant=arg.grant),
                task_queue=runner_queue_from_memo(),
                schedule_to_close_timeout=_runner_budget(),
            )
        except ActivityError as error:
            if isinstance(error.cause, CancelledError):
                # This workflow never cancels its activities itself: a cancelled
                # activity means the orchestration was cancelled. Record it so the
                # execution does not stay IN_PROGRESS, then end cancelled.
                await self._persist(
                    execution_id,
                    outcome.ended_status(
                        api_pb2.WorkflowExecutionStatus,
                        phase_pb2.CANCELLED,
                        outcome.cancellation(),
                        now=workflow.now(),
                    ),
                )
                raise asyncio.CancelledError() from error
            failure = outcome.activity_error(error, activity_name=EXECUTE_WORKFLOW.name)
            await self._persist(
                execution_id,
                outcome.ended_status(
                    api_pb2.WorkflowExecutionStatus, phase_pb2.FAILED, failure, now=workflow.now()
                ),
            )
            raise ApplicationError(
                failure.message, type=failure.code, non_retryable=True
            ) from error
        final = outcome.final_status(
            result.status, activity_name=EXECUTE_WORKFLOW.name, now=workflow.now()
        )
        if not result.status_stored:
            await self._persist(execution_id, final)
        # The task entries the runner carried are stored now; the run's result
        # (recorded in history once more) keeps only how it ended.
        final.ClearField("tasks")
        return contract_pb2.InvokeWorkflowExecutionOutput(status=final)

    async def _persist(self, execution_id: str, status: api_pb2.WorkflowExecutionStatus) -> None:
        try:
            await UPDATE_WORKFLOW_EXECUTION_STATUS.execute(
                io_pb2.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)
            )
        except (ActivityError, ApplicationError) as error:
            # Refused for good: already terminal (the runner's report won) or deleted
            # (Cancel, then Delete). Nothing left to record; anything else is a real
            # fault and propagates.
            if not _is_rejection(error):
                raise
            workflow.logger.info("status of %s not persisted: %s", execution_id, error)


def _runner_budget() -> timedelta | None:
    info = workflow.info()
    return runner_budget(info.execution_timeout, info.workflow_start_time, workflow.now())


def _is_rejection(error: ActivityError | ApplicationError) -> bool:
    # A failed *local* activity reaches the workflow as its ApplicationError
    # itself, not wrapped in an ActivityError.
    cause = error.cause if isinstance(error, ActivityError) else error
    return isinstance(cause, ApplicationError) and cause.type == outcome.STATUS_REJECTED_ERROR_TYPE
