"""Telling stigmer-server when an engine run is stuck on a failing workflow task.

Temporal retries a failing workflow task forever (a bug, a deadlock, a broken
deployment): the run does not end, so without a word the execution would sit
IN_PROGRESS silently. For every engine this runner keeps alive (see
:mod:`.handoff`), the watch looks at the pending workflow task now and then;
from the second failed attempt on it reports the last failure to
stigmer-server as the status's ``engine_problem``, and clears it once the run
moves again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2, io_pb2
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionResponse,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from workflow_runner.bridge.execute_workflow import engine_workflow_id

_log = logging.getLogger(__name__)

#: ``ExecutionError.code`` of the report.
ENGINE_STUCK = "EngineWorkflowTaskFailing"
#: Attempts of one workflow task before it counts as stuck (the first retry is routine).
STUCK_AFTER_ATTEMPTS = 2


class StatusUpdates(Protocol):
    async def update_status(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> api_pb2.WorkflowExecution: ...


class StuckEngineWatch:
    """Reports (and clears) ``engine_problem`` for the executions it is asked about."""

    def __init__(self, client: Client, api: StatusUpdates) -> None:
        self._client = client
        self._api = api
        self._reported: dict[str, str] = {}

    async def check(self, execution_ids: Iterable[str]) -> set[str]:
        """Report stuck engines; return the executions whose engine is no longer running.

        A closed engine that still holds a handed-off attempt (terminated by an
        operator, say) will never complete it: the keeper stops heartbeating it,
        the attempt times out and its retry reads the engine's outcome.
        """
        closed: set[str] = set()
        for execution_id in set(execution_ids):
            try:
                engine = self._client.get_workflow_handle(engine_workflow_id(execution_id))
                description = await engine.describe()
                if description.status != WorkflowExecutionStatus.RUNNING:
                    closed.add(execution_id)
                    continue
                problem = await self._problem(engine.id, description.raw_description)
                await self._report(execution_id, problem)
            except Exception as error:  # a watch never breaks the keeper
                _log.warning("execution %s: engine check failed: %s", execution_id, error)
        for gone in set(self._reported) - set(execution_ids):
            del self._reported[gone]
        return closed

    async def _problem(
        self, engine_id: str, description: DescribeWorkflowExecutionResponse
    ) -> str | None:
        if not description.HasField("pending_workflow_task"):
            return None
        attempt = description.pending_workflow_task.attempt
        if attempt < STUCK_AFTER_ATTEMPTS:
            return None
        failure = await self._last_failure(engine_id) or "no failure recorded"
        return f"the engine's workflow task failed {attempt - 1} times; last: {failure}"

    async def _last_failure(self, workflow_id: str) -> str | None:
        try:
            page = await self._client.workflow_service.get_workflow_execution_history_reverse(
                GetWorkflowExecutionHistoryReverseRequest(
                    namespace=self._client.namespace,
                    execution=WorkflowExecution(workflow_id=workflow_id),
                    maximum_page_size=20,
                )
            )
        except RPCError:
            return None
        for event in page.history.events:
            if event.HasField("workflow_task_failed_event_attributes"):
                failure = event.workflow_task_failed_event_attributes.failure
                # The message is encoded (a secret may be in it): decode it with the
                # client's converter, as the worker encoded it.
                try:
                    error = await self._client.data_converter.decode_failure(failure)
                    message = getattr(error, "message", None) or str(error)
                except Exception:
                    message = failure.message
                return message.splitlines()[0] if message else None
        return None

    async def _report(self, execution_id: str, problem: str | None) -> None:
        if problem is None and execution_id not in self._reported:
            return
        if problem is not None and self._reported.get(execution_id) == problem:
            return
        status = api_pb2.WorkflowExecutionStatus(phase=phase_pb2.IN_PROGRESS)
        status.engine_problem.SetInParent()  # empty = cleared
        if problem is not None:
            status.engine_problem.code = ENGINE_STUCK
            status.engine_problem.message = problem
            _log.warning("execution %s: %s", execution_id, problem)
            self._reported[execution_id] = problem
        else:
            _log.info("execution %s: the engine moves again", execution_id)
            del self._reported[execution_id]
        await self._api.update_status(
            io_pb2.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)
        )
