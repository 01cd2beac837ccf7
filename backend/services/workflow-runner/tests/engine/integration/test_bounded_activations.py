"""Large data-only workflows: bounded work per workflow activation (engine.pacing).

Temporal fails a workflow activation that runs 2 s without yielding and
retries it forever; the engine yields with a short timer after each budget of
counted work. These runs would otherwise take one activation of many seconds:
they must complete without a single failed workflow task, and replay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from stigmer_dsl.pacing import YIELD_DELAY
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from tests.engine.harness import EngineHarness, RunResult
from tests.engine.tracing_workflow import TracingWorkflow
from workflow_runner.engine.worker import sandbox_runner

pytestmark = pytest.mark.integration

HEADER = "document: {dsl: '1.0.3', namespace: test, name: big, version: '1.0.0'}\n"


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def _events(result: RunResult, event_type: EventType.ValueType) -> int:
    return sum(1 for h in result.histories for e in h.events if e.event_type == event_type)


def _yield_timers(result: RunResult) -> int:
    return sum(
        1
        for h in result.histories
        for e in h.events
        if e.HasField("timer_started_event_attributes")
        and e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == YIELD_DELAY
    )


async def _assert_replays(result: RunResult) -> None:
    replayer = Replayer(workflows=[TracingWorkflow], workflow_runner=sandbox_runner())
    outcome = await replayer.replay_workflows(
        _each(result.histories), raise_on_replay_failure=False
    )
    failures = {run_id: str(error) for run_id, error in outcome.replay_failures.items()}
    assert failures == {}


async def test_five_thousand_sequential_tasks_complete_in_bounded_activations(
    harness: EngineHarness,
) -> None:
    # Each task has its own expression: 5,000 programs to compile as well.
    tasks = "".join(f"  - t{i}:\n      set: {{sum: '${{ .sum + {i} }}'}}\n" for i in range(5000))
    result = await harness.run(
        HEADER + "do:\n" + tasks, {"sum": 0}, record_trace=False, add_to_corpus=False
    )
    assert result.error is None, result.error
    assert result.output == {"sum": sum(range(5000))}
    # Not one workflow task failed (the deadlock detector would fail them).
    assert _events(result, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) == 0
    assert _events(result, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) == 0
    assert _yield_timers(result) >= 5
    await _assert_replays(result)


async def test_a_hundred_thousand_iteration_data_only_loop_completes_and_replays(
    harness: EngineHarness,
) -> None:
    result = await harness.run(
        HEADER
        + """
do:
  - loop:
      for: {in: '${ [range(100000)] }', each: n}
      do:
        - add:
            set: {sum: '${ .sum + $n }'}
""",
        {"sum": 0},
        record_trace=False,
        add_to_corpus=False,
    )
    assert result.error is None, result.error
    assert result.output == {"sum": sum(range(100_000))}
    assert _events(result, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) == 0
    assert _events(result, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) == 0
    assert _yield_timers(result) >= 20
    await _assert_replays(result)


async def test_a_small_workflow_has_no_extra_history_events(harness: EngineHarness) -> None:
    tasks = "".join(f"  - t{i}:\n      set: {{n: '${{ .n + 1 }}'}}\n" for i in range(10))
    result = await harness.run(HEADER + "do:\n" + tasks, {"n": 0})
    assert result.output == {"n": 10}
    assert result.history is not None
    # started, task scheduled/started/completed, completed: nothing added.
    assert len(result.history.events) == 5
