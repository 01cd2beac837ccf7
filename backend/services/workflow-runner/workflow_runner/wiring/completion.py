"""The end of a platform run: complete the paused ``ExecuteWorkflow`` by its task token.

:class:`TokenCompletion` is the engine's completion hook (workflow code); it
calls ``CompleteExternalActivity`` (contract ``stigmer.engine.v1``) as a local
activity: one marker event, and the run closes in the same workflow task.
:class:`CompleteExternalActivity` is that activity. It builds the final status,
with the task entries the progress observer had not reported yet (one report
fewer at the end; see ``ProgressObserver.take_rest``), and:

1. stores it on stigmer-server itself (``UpdateStatus``), so a watcher sees the
   end now instead of after the orchestration's next workflow task and its
   local status activity (~10 ms on an idle machine);
2. completes the activity by token with that status, saying it is stored
   (``status_stored``; the entries are left out, the orchestration then writes
   nothing). When the store fails (stigmer-server unreachable, a bug), the
   status goes with its entries, unstored, and the orchestration stores it as
   it always did: the write here only moves the end earlier, it is never the
   only one.

A faulted run completes the activity with a FAILED status carrying the problem
details rather than failing it: the fault is the workflow's outcome, not a
runner breakdown, and a failed activity would reach the orchestration as
"ExecuteWorkflow failed" with the problem details reduced to a message.
Breakdowns of the bridge itself (the engine never started) fail the activity
directly in ``ExecuteWorkflow``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final, Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import grpc
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import COMPLETE_EXTERNAL_ACTIVITY
    from stigmer.workflowexecution.v1 import api_pb2, contract_pb2, io_pb2
    from temporalio.client import AsyncActivityHandle, Client
    from temporalio.service import RPCError, RPCStatusCode

from stigmer_dsl.errors import WorkflowError

from workflow_runner.wiring.progress import observe_task_durations, problem_error, to_value

_log = logging.getLogger(__name__)

#: How long the activity tries to store the final status before leaving it to
#: the orchestration (the client retries transient failures inside it).
STORE_TIMEOUT_SECONDS: Final = 10.0
_TERMINAL: Final = frozenset({phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED})


class TokenCompletion:
    """Completion hook: hands the final output or fault to ``CompleteExternalActivity``.

    Args:
        current_token: the newest task token the run holds. When the token
            used was no longer valid (its attempt timed out) and a retried
            attempt has handed the run a newer one meanwhile, the completion is
            sent again with that one.
        progress: the run's progress observer (its last entries ride along).
        execution_id: the platform execution, whose final status the activity
            stores first (None: a run without one; the orchestration stores it).
    """

    def __init__(
        self,
        current_token: Callable[[], bytes | None],
        progress: RestOfProgress | None = None,
        *,
        execution_id: str | None = None,
    ) -> None:
        self._current_token = current_token
        self._progress = progress
        self._execution_id = execution_id

    async def completed(self, token: bytes, output: Any) -> None:
        ending = engine_contract.CompleteExternalActivityInput(output=to_value(output))
        await self._complete(token, ending)

    async def faulted(self, token: bytes, error: WorkflowError) -> None:
        ending = engine_contract.CompleteExternalActivityInput(error=problem_error(error))
        await self._complete(token, ending)

    async def _complete(
        self, token: bytes, ending: engine_contract.CompleteExternalActivityInput
    ) -> None:
        if self._progress is not None:
            ending.progress.CopyFrom(await self._progress.take_rest())
        if self._execution_id:
            ending.execution_id = self._execution_id
        tried: set[bytes] = set()
        while token not in tried:
            tried.add(token)
            ending.task_token = token
            try:
                result = await COMPLETE_EXTERNAL_ACTIVITY.execute(
                    ending, task_queue=workflow.info().task_queue
                )
            except ActivityError:
                # The orchestration's attempt will time out and be retried; the
                # retry reads this run's outcome. Do not fail the run for it.
                workflow.logger.exception("could not complete the ExecuteWorkflow activity")
                break
            if result.delivered:
                return
            token = self._current_token() or token
        if self._progress is not None:
            # Not delivered: the last entries go as a report, or they would be lost.
            await self._progress.report_rest(ending.progress)


class FinalStatusStore(Protocol):
    """Where the activity stores the final status first (stigmer-server's UpdateStatus).

    Unlike a progress report, the status goes as the run ended: the server
    scrubs it with the execution's own secrets, as it scrubs the orchestration's
    write. The runner's own scrub would also blank every value the run read
    through ``use.secrets``, plain environment values included, which the
    final output may show.
    """

    async def store_final_status(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> api_pb2.WorkflowExecution: ...


class RestOfProgress(Protocol):
    """The progress observer's end: what it had not reported yet (see ``ProgressObserver``)."""

    async def take_rest(self) -> api_pb2.WorkflowExecutionStatus: ...

    async def report_rest(self, rest: api_pb2.WorkflowExecutionStatus) -> None: ...


def final_status(
    arg: engine_contract.CompleteExternalActivityInput,
) -> api_pb2.WorkflowExecutionStatus:
    """The execution's final status carried back to the orchestration."""
    status = api_pb2.WorkflowExecutionStatus()
    status.CopyFrom(arg.progress)  # the last task entries, if the run carried them here
    if arg.HasField("error"):
        status.phase = phase_pb2.FAILED
        status.error.CopyFrom(arg.error)
    else:
        status.phase = phase_pb2.COMPLETED
        status.output.CopyFrom(arg.output)
    return status


class CompleteExternalActivity:
    """The activity implementation.

    Args:
        client: the Temporal client (same data converter as the server).
        store: stigmer-server, to store the final status first (None: the
            orchestration stores it, as for a run without an execution).
    """

    def __init__(self, client: Client, store: FinalStatusStore | None = None) -> None:
        self._client = client
        self._store_at = store

    @COMPLETE_EXTERNAL_ACTIVITY.defn
    async def complete_external_activity(
        self, arg: engine_contract.CompleteExternalActivityInput
    ) -> engine_contract.CompleteExternalActivityOutput:
        """Complete the paused activity by token with the run's final status."""
        handle: AsyncActivityHandle = self._client.get_async_activity_handle(
            task_token=arg.task_token
        )
        status = final_status(arg)
        stored = await self._store(arg.execution_id, status)
        if stored:
            status.ClearField("tasks")  # stored: the orchestration's history need not hold them
        try:
            await handle.complete(
                contract_pb2.ExecuteWorkflowOutput(status=status, status_stored=stored)
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                # Already completed (a retry of this activity) or timed out: nothing to do.
                _log.warning("ExecuteWorkflow activity gone: %s", error.message)
                return engine_contract.CompleteExternalActivityOutput(delivered=False)
            raise
        observe_task_durations(arg.progress.tasks)  # the entries no report carried
        _log.info(
            "ExecuteWorkflow completed: %s",
            phase_pb2.ExecutionPhase.Name(
                phase_pb2.FAILED if arg.HasField("error") else phase_pb2.COMPLETED
            ),
        )
        return engine_contract.CompleteExternalActivityOutput(delivered=True)

    async def _store(self, execution_id: str, status: api_pb2.WorkflowExecutionStatus) -> bool:
        """Whether stigmer-server now holds a terminal status for the execution.

        True also when it held one already (cancelled meanwhile, or a retry of
        this activity): nothing is left for the orchestration to write then.
        """
        if not execution_id or self._store_at is None:
            return False
        report = io_pb2.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
                stored = await self._store_at.store_final_status(report)
        except (grpc.aio.AioRpcError, TimeoutError) as error:
            reason = error.code().name if isinstance(error, grpc.aio.AioRpcError) else "timeout"
            _log.warning(
                "final status of %s not stored here (%s); the orchestration stores it",
                execution_id,
                reason,
            )
            return False
        except Exception:
            # A bug, not an outage: worth its traceback, but the end is still stored.
            _log.exception("final status of %s not stored here", execution_id)
            return False
        return stored.status.phase in _TERMINAL
