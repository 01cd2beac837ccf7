"""The reconciler on a real RocksDB store, with a scripted starter and a fake clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message
from stigmer.commons.v1 import phase_pb2 as phase
from stigmer.workflowexecution.v1 import api_pb2 as wex_api
from stigmer_server import kinds
from stigmer_server.api.workflowexecution import status_updater
from stigmer_server.dependencies import Dependencies
from stigmer_server.execution.reconciliation import START_FAILED, ReconciledKind, Reconciler
from stigmer_server.execution.starter import OrchestratorUnavailable
from stigmer_server.pipeline import RequestContext
from stigmer_server.pipeline.steps.build_state import BuildCreatedState
from stigmer_server.pipeline.steps.persist import Persist
from stigmer_server.repository import Repository
from stigmer_server.store import ResourceStore

DEADLINE = timedelta(seconds=60)


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    store = ResourceStore(tmp_path)
    store.open()
    yield Dependencies(repository=Repository(store), starter=OrchestratorUnavailable("test"))
    store.close()


class ScriptedStarter:
    """Starts what it is told to; refuses with ``error`` while it is set."""

    def __init__(self) -> None:
        self.error: Exception | None = None
        self.started: set[str] = set()
        self.calls: list[str] = []

    async def start(self, execution: Message) -> bool:
        execution_id = execution.metadata.id  # type: ignore[attr-defined]
        self.calls.append(execution_id)
        if self.error is not None:
            raise self.error
        if execution_id in self.started:
            return False
        self.started.add(execution_id)
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _execution(deps: Dependencies, name: str, phase_value: int = phase.PENDING) -> str:
    execution = wex_api.WorkflowExecution()
    execution.metadata.org = "local"
    execution.metadata.slug = execution.metadata.name = name
    ctx = RequestContext(
        kind=kinds.WORKFLOW_EXECUTION, operation="create", request=execution, resource=execution
    )
    await BuildCreatedState(deps).run(ctx)
    execution.status.phase = phase_value  # type: ignore[assignment]
    await Persist(deps).run(ctx)
    return execution.metadata.id


def _reconciler(deps: Dependencies, starter: ScriptedStarter, clock: Clock) -> Reconciler:
    kind = ReconciledKind(
        kinds.WORKFLOW_EXECUTION,
        starter.start,
        status_updater(deps),
        wex_api.WorkflowExecutionStatus,
    )
    return Reconciler(
        deps.repository,
        [kind],
        start_deadline=DEADLINE,
        interval=timedelta(seconds=30),
        clock=clock,
    )


def _phase(deps: Dependencies, execution_id: str) -> wex_api.WorkflowExecution:
    stored = deps.repository.get(kinds.WORKFLOW_EXECUTION, execution_id)
    assert isinstance(stored, wex_api.WorkflowExecution)
    return stored


async def test_only_pending_executions_are_started_and_only_once(deps: Dependencies) -> None:
    pending = [await _execution(deps, f"p{i}") for i in range(3)]
    running = await _execution(deps, "r", phase.IN_PROGRESS)
    done = await _execution(deps, "d", phase.COMPLETED)
    starter = ScriptedStarter()
    reconciler = _reconciler(deps, starter, Clock())

    first = await reconciler.run_pass("boot")
    second = await reconciler.run_pass("periodic")

    assert sorted(first.started) == sorted(pending)
    assert set(starter.calls) == set(pending)  # never the running or finished ones
    assert running not in starter.calls and done not in starter.calls
    assert second.started == []  # idempotent: already started
    assert second.pending == 3


async def test_unstartable_execution_fails_after_the_deadline_with_the_reason(
    deps: Dependencies, caplog: pytest.LogCaptureFixture
) -> None:
    execution_id = await _execution(deps, "stuck")
    starter = ScriptedStarter()
    starter.error = ConnectionError("Temporal at 127.0.0.1:1 is not connected")
    clock = Clock()
    reconciler = _reconciler(deps, starter, clock)
    caplog.set_level(logging.INFO, logger="stigmer_server.execution.reconciliation")

    deferred = await reconciler.run_pass("boot")
    clock.now += DEADLINE.total_seconds() - 1
    still = await reconciler.run_pass("periodic")
    assert deferred.deferred == still.deferred == [execution_id]
    assert _phase(deps, execution_id).status.phase == phase.PENDING
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and all(execution_id in w and "PENDING" in w for w in warnings)

    clock.now += 1
    failed = await reconciler.run_pass("periodic")

    assert failed.failed == [execution_id]
    stored = _phase(deps, execution_id)
    assert stored.status.phase == phase.FAILED
    assert stored.status.error.code == START_FAILED
    assert stored.status.error.message == (
        "orchestration could not be started: Temporal at 127.0.0.1:1 is not connected"
    )
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and execution_id in errors[0]
    # FAILED is final: the next pass leaves it alone.
    starter.error = None
    assert (await reconciler.run_pass("periodic")).pending == 0


async def test_a_start_that_succeeds_before_the_deadline_resets_it(deps: Dependencies) -> None:
    execution_id = await _execution(deps, "late")
    starter = ScriptedStarter()
    starter.error = RuntimeError("frontend down")
    clock = Clock()
    reconciler = _reconciler(deps, starter, clock)

    await reconciler.run_pass("boot")
    clock.now += DEADLINE.total_seconds() - 1
    starter.error = None
    recovered = await reconciler.run_pass("connected")
    clock.now += DEADLINE.total_seconds() * 2
    later = await reconciler.run_pass("periodic")

    assert recovered.started == [execution_id]
    assert later.failed == [] and later.deferred == []
    assert _phase(deps, execution_id).status.phase == phase.PENDING  # started, runner's turn
