"""Running DSL definitions through the real engine on a real Temporal dev server.

Each run gets a fresh task queue and a worker registering the engine workflow
plus the I/O activities (built around one httpx client, as in production).
Every completed run's history is replayed with Temporal's ``Replayer``, so a
task runner that is not deterministic fails the test that used it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.engine.worker import build_worker, sandbox_runner
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow


@dataclass
class EngineRunner:
    """Runs definitions on ``client`` with the I/O activities of ``http_client``."""

    client: Client
    http_client: httpx.AsyncClient

    async def _execute(
        self,
        definition: str,
        workflow_input: Any,
        secrets: dict[str, Any] | None,
        extra_activities: Sequence[Callable[..., Any]],
    ) -> Any:
        queue = f"io-tasks-{uuid.uuid4()}"
        activities = [*build_io_activities(self.http_client), *extra_activities]
        async with build_worker(self.client, task_queue=queue, activities=activities):
            handle = await self.client.start_workflow(
                WORKFLOW_TYPE,
                engine_input(definition=definition, input=workflow_input, secrets=secrets),
                id=f"io-{uuid.uuid4()}",
                task_queue=queue,
            )
            try:
                return await handle.result()
            finally:
                history = await handle.fetch_history()
                replayer = Replayer(
                    workflows=[ExecuteServerlessWorkflow], workflow_runner=sandbox_runner()
                )
                await replayer.replay_workflow(history)

    async def run(
        self,
        definition: str,
        workflow_input: Any = None,
        *,
        secrets: dict[str, Any] | None = None,
        extra_activities: Sequence[Callable[..., Any]] = (),
    ) -> Any:
        """The workflow output (the test fails if the workflow faults)."""
        try:
            return await self._execute(definition, workflow_input, secrets, extra_activities)
        except WorkflowFailureError as exc:
            pytest.fail(f"workflow faulted: {problem_of(exc)}")

    async def fault(
        self,
        definition: str,
        workflow_input: Any = None,
        *,
        secrets: dict[str, Any] | None = None,
        extra_activities: Sequence[Callable[..., Any]] = (),
    ) -> dict[str, Any]:
        """The problem details of a run that must fault."""
        try:
            output = await self._execute(definition, workflow_input, secrets, extra_activities)
        except WorkflowFailureError as exc:
            return problem_of(exc)
        pytest.fail(f"workflow completed with {output!r} but should have faulted")


def problem_of(error: WorkflowFailureError) -> dict[str, Any]:
    """The problem-details dict a faulted engine run carries."""
    cause = error.cause
    assert isinstance(cause, ApplicationError), cause
    details = cause.details[0]
    assert isinstance(details, dict), details
    return details
