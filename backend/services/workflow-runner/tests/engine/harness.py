"""Running DSL definitions on a real Temporal dev server, for the engine and CTK tests.

:class:`EngineHarness` starts a worker on a fresh task queue per run (the
engine workflow with a recording observer, plus the I/O activities), executes
the definition, and returns a :class:`RunResult` with the output or the
problem details, the task trace and the workflow history. Every history is
also kept in :attr:`EngineHarness.histories` (and written to ``history_dir``)
so the replay test can feed them to Temporal's ``Replayer``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from stigmer_dsl.errors import WorkflowError
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.service import RPCError, RPCStatusCode
from tests.engine.tracing_workflow import TracingWorkflow
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import build_worker


@dataclass
class RunResult:
    """What one execution produced."""

    workflow_id: str
    output: Any = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    trace: list[list[Any]] = field(default_factory=list)
    published: list[Any] = field(default_factory=list)
    history: WorkflowHistory | None = None
    histories: list[WorkflowHistory] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.error is None

    def started_tasks(self) -> list[str]:
        """Task names in start order."""
        return [entry[2] for entry in self.trace if entry[0] == "task_started"]

    def task_event(self, name: str, event: str) -> list[Any] | None:
        return next((e for e in self.trace if e[0] == event and e[2] == name), None)


class EngineHarness:
    """Runs definitions on ``client``; one worker per run, on its own task queue."""

    def __init__(self, client: Client, history_dir: Path | None = None) -> None:
        self.client = client
        self.history_dir = history_dir
        self.histories: list[WorkflowHistory] = []

    async def run(
        self,
        definition: str,
        workflow_input: Any = None,
        *,
        secrets: Mapping[str, Any] | None = None,
        events: Sequence[Mapping[str, Any]] = (),
        signals: Sequence[tuple[str, Any]] = (),
        task_queue: str | None = None,
        activities: Sequence[Callable[..., Any]] = (),
        cancel_after: float | None = None,
        pass_through_engine: bool = False,
        record_trace: bool = True,
        add_to_corpus: bool = True,
    ) -> RunResult:
        """Execute ``definition``; ``events`` are signalled as CloudEvents right after start,
        then ``signals`` (name, argument), in order.

        ``record_trace=False`` skips the trace and published-events queries
        (a run of 100,000 tasks has a trace larger than a gRPC message).
        ``add_to_corpus=False`` keeps the histories out of the replay corpus
        (for tests that replay their own large histories).
        """
        queue = task_queue or f"engine-test-{uuid.uuid4()}"
        params = engine_input(definition, workflow_input, secrets=dict(secrets or {}))
        async with httpx.AsyncClient() as http:
            worker = build_worker(
                self.client,
                task_queue=queue,
                workflows=[TracingWorkflow],
                activities=[*build_io_activities(http), *activities],
                pass_through_engine=pass_through_engine,
            )
            async with worker:
                handle = await self.client.start_workflow(
                    TracingWorkflow.run, params, id=queue, task_queue=queue
                )
                for event in events:
                    try:
                        await handle.signal("cloudevent", dict(event))
                    except RPCError as error:
                        # The run may end before it needs every event (listen ... until).
                        if error.status != RPCStatusCode.NOT_FOUND:
                            raise
                        break
                for name, argument in signals:
                    await handle.signal(name, argument)
                if cancel_after is not None:
                    await asyncio.sleep(cancel_after)
                    await handle.cancel()
                result = RunResult(workflow_id=queue)
                try:
                    result.output = await handle.result()
                except WorkflowFailureError as failure:
                    result.error = _problem(failure.cause)
                    result.cancelled = isinstance(failure.cause, CancelledError)
                # The last run of the chain (after any continue-as-new).
                last = self.client.get_workflow_handle(queue)
                if record_trace:
                    result.trace = await last.query(TracingWorkflow.trace)
                    result.published = await last.query(TracingWorkflow.published)
                result.histories = await self._chain_histories(queue)
                result.history = result.histories[-1]
        if not add_to_corpus:
            return result
        self.histories.extend(result.histories)
        if self.history_dir is not None:
            for index, history in enumerate(result.histories):
                path = self.history_dir / f"{queue}-{index}.json"
                path.write_text(history.to_json(), encoding="utf-8")
        return result

    async def _chain_histories(self, workflow_id: str) -> list[WorkflowHistory]:
        """Histories of every run of the workflow id, oldest first (continue-as-new chains)."""
        runs = [
            execution
            async for execution in self.client.list_workflows(f"WorkflowId = '{workflow_id}'")
        ]
        if not runs:
            return [await self.client.get_workflow_handle(workflow_id).fetch_history()]
        runs.sort(key=lambda e: e.start_time)
        return [
            await self.client.get_workflow_handle(workflow_id, run_id=e.run_id).fetch_history()
            for e in runs
        ]


def _problem(cause: BaseException | None) -> dict[str, Any]:
    if isinstance(cause, ApplicationError):
        return error_from_failure(cause).to_dict()
    return WorkflowError.runtime(str(cause)).to_dict()


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
