"""The data flow and flow directives, run directly (no Temporal worker needed).

Only tasks that never block on Temporal (set, do, switch, for, raise, try
without retry delays) are used here; the integration tests cover the rest on
a real dev server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions import ExpressionEvaluator
from stigmer_dsl.loader import load_workflow
from stigmer_dsl.pacing import BYTES_PER_UNIT, TASK_COST, WorkMeter, expression_cost
from workflow_runner.engine.checkpoint import ContinueAsNewRequested
from workflow_runner.engine.context import RunState
from workflow_runner.engine.flow import EndWorkflow, run_scope
from workflow_runner.engine.hooks import EngineHooks

HEADER = "document: {dsl: '1.0.3', namespace: t, name: n, version: '1.0.0'}\n"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Recorder:
    """Observer recording (event, name, payload)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    async def workflow_started(self, workflow_input: Any) -> None: ...
    async def workflow_completed(self, output: Any) -> None: ...
    async def workflow_faulted(self, error: WorkflowError) -> None: ...
    async def workflow_cancelled(self) -> None: ...

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        self.events.append(("started", name, task_input))

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        self.events.append(("completed", name, output))

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        self.events.append(("faulted", name, error.to_dict()))

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        self.events.append(("cancelled", name, None))


async def run(
    body: str,
    data: Any,
    *,
    context: Any = None,
    suggest: Callable[[], bool] = lambda: False,
    resume: list[dict[str, Any]] | None = None,
    meter: WorkMeter | None = None,
    on_yield: Callable[[], None] = lambda: None,
) -> tuple[Any, RunState, Recorder]:
    definition = load_workflow(HEADER + body)
    recorder = Recorder()

    async def yield_to_temporal() -> None:
        on_yield()

    state = RunState(
        definition=definition,
        evaluator=ExpressionEvaluator(
            definition.mode, clock=lambda: NOW.timestamp(), meter=meter or WorkMeter()
        ),
        yield_to_temporal=yield_to_temporal,
        hooks=EngineHooks(observer=recorder),
        secrets={"key": "k"},
        context=data if context is None else context,
        workflow_descriptor={"id": "wf-1", "input": data, "definition": definition.raw},
        runtime_descriptor={"name": "stigmer", "version": "test", "metadata": {}},
        scope_runner=run_scope,
        clock=lambda: NOW,
        continue_as_new_suggested=suggest,
        history_length=lambda: 3,  # never grows: nothing here yields to Temporal
    )
    output = await run_scope(state, definition.tasks, data, {}, resume=resume)
    return output, state, recorder


async def test_stage_order_and_arguments_of_one_task() -> None:
    output, state, _ = await run(
        """
do:
  - t:
      if: '${ .go and ($context.c == 1) and $task.name == "t" }'
      input:
        schema: {format: json, document: {required: [go]}}
        from: '${ {v: .v, secret: $secrets.key} }'
      set:
        doubled: ${ .v * 2 }
        input: ${ $input.v }
        rawTaskInput: ${ $task.input.go }
        started: ${ $task.startedAt.epoch.seconds }
      output:
        as: '${ {doubled, raw: $task.output.doubled, secret: $input.secret} }'
        schema: {format: json, document: {required: [doubled]}}
      export:
        as: '${ $context + {last: $output.doubled, out: ($output == .)} }'
""",
        {"go": True, "v": 21},
        context={"c": 1},
    )
    assert output == {"doubled": 42, "raw": 42, "secret": "k"}
    assert state.context == {"c": 1, "last": 42, "out": True}


async def test_if_sees_raw_input_and_no_input_argument() -> None:
    output, _, recorder = await run(
        "do:\n  - t:\n      if: ${ $input == null and .x == 1 }\n      set: {ran: true}\n", {"x": 1}
    )
    assert output == {"ran": True}
    output, _, recorder = await run(
        "do:\n  - t:\n      if: .x == 2\n      set: {ran: true}\n", {"x": 1}
    )
    assert output == {"x": 1}  # skipped: outputs its raw input
    assert recorder.events == []


async def test_transformed_output_feeds_the_next_task_and_context_persists() -> None:
    output, state, recorder = await run(
        """
do:
  - a:
      set: {n: 1}
      output: {as: '${ .n + 1 }'}
      export: {as: '${ {fromA: .} }'}
  - b:
      set: {prev: '${ . }', ctx: '${ $context.fromA }'}
""",
        {},
    )
    assert output == {"prev": 2, "ctx": 2}
    assert state.context == {"fromA": 2}
    assert [e[:2] for e in recorder.events] == [
        ("started", "a"),
        ("completed", "a"),
        ("started", "b"),
        ("completed", "b"),
    ]
    assert recorder.events[2][2] == 2  # b's input is a's transformed output


async def test_then_named_forward_and_backward_and_exit() -> None:
    output, _, _ = await run(
        """
do:
  - start:
      set: {trail: '${ (.trail // []) + ["start"] }'}
      then: third
  - second:
      set: {trail: '${ .trail + ["second"] }'}
      then: exit
  - third:
      set: {trail: '${ .trail + ["third"] }'}
      then: second
  - never:
      set: {trail: never}
""",
        {},
    )
    assert output == {"trail": ["start", "third", "second"]}


async def test_end_unwinds_from_depth_with_the_task_output() -> None:
    with pytest.raises(EndWorkflow) as ended:
        await run(
            "do:\n  - outer:\n      do:\n        - inner: {set: {v: 1}, then: end}\n"
            "        - after: {set: {v: 2}}\n",
            {},
        )
    assert ended.value.output == {"v": 1}


async def test_errors_are_stamped_with_the_innermost_reference_and_reported_once() -> None:
    with pytest.raises(WorkflowError) as caught:
        await run(
            "do:\n  - outer:\n      do:\n        - bad: {set: {v: '${ .a + 1 }'}}\n",
            {"a": "x"},
        )
    assert caught.value.instance == "/do/0/outer/do/0/bad"
    assert caught.value.kind == "expression"


async def test_export_schema_violation_is_a_validation_error() -> None:
    with pytest.raises(WorkflowError) as caught:
        await run(
            "do:\n  - t:\n      set: {a: 1}\n      export:\n        as: .\n"
            "        schema: {format: json, document: {required: [b]}}\n",
            {},
        )
    assert caught.value.kind == "validation"
    assert caught.value.instance == "/do/0/t"


async def test_for_switch_and_try_without_timers() -> None:
    output, _, _ = await run(
        """
do:
  - loop:
      for: {in: .items, each: it}
      do:
        - classify:
            switch:
              - big: {when: '$it > 1', then: addBig}
              - small: {then: continue}
        - addSmall:
            set: {small: '${ .small + 1 }', big: '${ .big }'}
            then: exit
        - addBig:
            set: {small: '${ .small }', big: '${ .big + 1 }'}
  - guarded:
      try:
        - fail: {raise: {error: {type: https://e.com/x, status: 400}}}
      catch:
        as: e
        do:
          - handle: {set: {caught: '${ $e.instance }', small: '${ .small }', big: '${ .big }'}}
""",
        {"items": [1, 2, 3], "small": 0, "big": 0},
    )
    assert output == {"caught": "/do/1/guarded/try/0/fail", "small": 1, "big": 2}


NESTED_LOOPS = """
do:
  - outer:
      for: {in: '${ [range(3)] }', each: row}
      do:
        - wrap:
            do:
              - inner:
                  for: {in: '${ [range(4)] }', each: col}
                  do:
                    - add:
                        set: {cells: '${ .cells + [[$row, $col]] }'}
"""


async def test_checkpoint_frames_resume_to_the_same_output() -> None:
    expected, _, _ = await run(NESTED_LOOPS, {"cells": []})
    calls = 0

    def every_fifth_check() -> bool:
        nonlocal calls
        calls += 1
        return calls % 5 == 0

    frames: list[dict[str, Any]] | None = None
    restarts = 0
    while True:
        try:
            output, _, _ = await run(
                NESTED_LOOPS, {"cells": []}, suggest=every_fifth_check, resume=frames
            )
            break
        except ContinueAsNewRequested as request:
            frames = list(reversed(request.frames))
            restarts += 1
    assert output == expected
    assert len(expected["cells"]) == 12
    assert restarts >= 2
    # outermost first: scope position, outer loop, its body scope, the do, inner loop
    assert [f["kind"] for f in frames or []] == ["task", "for", "task", "task", "for"]


LOOP = "do:\n  - loop:\n      for: {in: .items}\n      do:\n        - s: {set: {n: '${ $item }'}}\n"


async def test_a_data_only_loop_yields_to_temporal_after_each_budget_of_work() -> None:
    yields: list[int] = []
    # About ten loop iterations (a task + an expression each) per budget.
    budget = 10 * (TASK_COST + expression_cost(40))
    meter = WorkMeter(budget)
    output, _, _ = await run(
        LOOP, {"items": list(range(50))}, meter=meter, on_yield=lambda: yields.append(meter.spent)
    )
    assert output == {"n": 49}
    assert 4 <= meter.yields == len(yields) <= 6
    assert all(spent >= budget for spent in yields)
    # Same definition and data: the same yield points, run after run (replay-safe).
    again: list[int] = []
    second = WorkMeter(budget)
    await run(
        LOOP, {"items": list(range(50))}, meter=second, on_yield=lambda: again.append(second.spent)
    )
    assert again == yields


async def test_a_small_workflow_never_yields() -> None:
    meter = WorkMeter()
    body = "do:\n" + "".join(f"  - t{i}: {{set: {{v: '${{ . }}'}}}}\n" for i in range(10))
    await run(body, {"x": 1}, meter=meter)
    assert meter.yields == 0
    assert 0 < meter.spent < meter.budget // 10


async def test_expressions_are_charged_by_the_data_they_are_handed() -> None:
    small, large = WorkMeter(), WorkMeter()
    body = "do:\n  - t: {set: {n: '${ .items | length }'}}\n"
    await run(body, {"items": [1]}, meter=small)
    await run(body, {"items": list(range(10_000))}, meter=large)
    assert large.spent - small.spent > 40_000 // BYTES_PER_UNIT
