"""Every core task type and the data flow, on a real Temporal dev server."""

from __future__ import annotations

import pytest
from tests.engine.harness import EngineHarness

pytestmark = pytest.mark.integration

HEADER = """
document: {dsl: '1.0.3', namespace: test, name: core, version: '1.0.0'}
"""


def wf(body: str) -> str:
    return HEADER + body


async def test_set_replaces_output_and_expressions_see_input(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - first:
      set: {a: 1, keep: '${ .x }'}
  - second:
      set: '${ {b: (.a + 1), input: $input.a} }'
"""),
        {"x": "y"},
    )
    assert result.output == {"b": 2, "input": 1}


async def test_data_flow_order_input_output_export(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
input:
  schema: {format: json, document: {type: object, required: [user]}}
  from: '${ {user: .user, ctx: true} }'
do:
  - pick:
      input:
        from: .user
      set:
        name: ${ .name }
        rawTask: ${ $task.input.user.name }
        seenInput: ${ $input.name }
      output:
        as: '${ {name: .name, raw: $task.output.name, both: .rawTask} }'
        schema: {format: json, document: {type: object, required: [name]}}
      export:
        as: '${ $context + {exported: $output.name} }'
  - useContext:
      set:
        fromContext: ${ $context.exported }
        ctxFlag: ${ $context.ctx }
        prev: ${ .name }
output:
  as: '${ . + {wf: $workflow.input.user.name} }'
"""),
        {"user": {"name": "ada"}, "noise": 1},
    )
    assert result.output == {
        "fromContext": "ada",
        "ctxFlag": True,
        "prev": "ada",
        "wf": "ada",
    }


async def test_workflow_input_schema_violation_is_validation_error(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
input:
  schema: {format: json, document: {type: object, required: [needed]}}
do:
  - s: {set: {a: 1}}
"""),
        {"other": 1},
    )
    assert result.error is not None
    assert result.error["type"].endswith("/errors/validation")
    assert result.error["status"] == 400
    assert "needed" in result.error["detail"]


async def test_output_schema_violation_names_task(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - s:
      set: {a: 1}
      output:
        schema: {format: json, document: {type: object, required: [b]}}
"""),
    )
    assert result.error is not None
    assert result.error["type"].endswith("/errors/validation")
    assert result.error["instance"] == "/do/0/s"


async def test_if_false_skips_task_and_outputs_its_input(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - skipped:
      if: .go
      set: {changed: true}
  - kept:
      if: '${ .go == false }'
      set: {kept: '${ .go }'}
"""),
        {"go": False},
    )
    assert result.output == {"kept": False}
    assert result.started_tasks() == ["kept"]


async def test_then_backward_jump_loops_in_scope(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - inc:
      set: {n: '${ (.n // 0) + 1 }'}
  - check:
      switch:
        - again:
            when: .n < 3
            then: inc
        - done:
            then: exit
  - never:
      set: {never: true}
"""),
    )
    assert result.output == {"n": 3}
    assert result.started_tasks() == ["inc", "check", "inc", "check", "inc", "check"]


async def test_end_from_nested_scope_ends_workflow(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - outer:
      do:
        - inner:
            set: {stop: here}
            then: end
        - notRun:
            set: {bad: 1}
  - alsoNotRun:
      set: {bad: 2}
output:
  as: '${ . + {final: true} }'
"""),
    )
    assert result.output == {"stop": "here", "final": True}
    assert "notRun" not in result.started_tasks()
    assert "alsoNotRun" not in result.started_tasks()


async def test_exit_leaves_only_current_scope(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - outer:
      do:
        - inner:
            set: {v: 1}
            then: exit
        - skipped:
            set: {v: 2}
  - after:
      set: {v: '${ .v + 10 }'}
"""),
    )
    assert result.output == {"v": 11}


async def test_switch_default_anywhere_applies_only_without_match(harness: EngineHarness) -> None:
    definition = wf("""
do:
  - pick:
      switch:
        - other:
            then: fallback
        - red:
            when: .c == "red"
            then: isRed
  - isRed:
      set: {r: red}
      then: end
  - fallback:
      set: {r: other}
""")
    assert (await harness.run(definition, {"c": "red"})).output == {"r": "red"}
    assert (await harness.run(definition, {"c": "blue"})).output == {"r": "other"}


async def test_for_with_while_and_object_iteration(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - loop:
      for:
        each: n
        in: .numbers
        at: i
      while: .sum < 5
      do:
        - add:
            set:
              sum: ${ .sum + $n }
              last: ${ $i }
"""),
        {"numbers": [1, 2, 3, 4], "sum": 0},
    )
    # 0+1=1, +2=3, +3=6 -> stop before the 4th item
    assert result.output == {"sum": 6, "last": 2}


async def test_fork_without_compete_returns_outputs_in_declaration_order(
    harness: EngineHarness,
) -> None:
    result = await harness.run(
        wf("""
do:
  - branches:
      fork:
        branches:
          - slow:
              do:
                - w: {wait: {milliseconds: 50}}
                - s: {set: {who: slow}}
          - fast:
              set: {who: fast}
"""),
    )
    assert result.output == [{"who": "slow"}, {"who": "fast"}]


async def test_fork_compete_first_finisher_wins(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - race:
      fork:
        compete: true
        branches:
          - slow:
              do:
                - w: {wait: PT1S}
                - s: {set: {who: slow}}
          - fast:
              do:
                - w: {wait: {milliseconds: 10}}
                - s: {set: {who: fast}}
"""),
    )
    assert result.output == {"who": "fast"}


async def test_fork_branch_fault_faults_the_task(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - branches:
      fork:
        branches:
          - ok: {set: {a: 1}}
          - bad:
              raise:
                error: {type: https://example.com/bad, status: 418}
"""),
    )
    assert result.error == {
        "type": "https://example.com/bad",
        "status": 418,
        "instance": "/do/0/branches/fork/branches/1/bad",
    }


async def test_raise_reusable_error_with_expression_detail(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
use:
  errors:
    notFound:
      type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
      status: 404
      title: Not Found
      detail: '${ "no pet " + (.id | tostring) }'
do:
  - fail:
      raise:
        error: notFound
"""),
        {"id": 7},
    )
    assert result.error == {
        "type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
        "status": 404,
        "title": "Not Found",
        "detail": "no pet 7",
        "instance": "/do/0/fail",
    }
    assert result.trace[-2][0] == "task_faulted"


async def test_try_catch_filters_when_and_error_variable(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - attempt:
      try:
        - boom:
            raise:
              error:
                type: https://open-workflow-specification.org/spec/1.0.0/errors/runtime
                status: 503
                title: Down
      catch:
        errors:
          with:
            type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
            status: 503
        as: failure
        when: ${ $failure.title == "Down" }
        do:
          - handle:
              set:
                caught: ${ $failure.instance }
                input: ${ .x }
"""),
        {"x": 1},
    )
    assert result.output == {"caught": "/do/0/attempt/try/0/boom", "input": 1}


async def test_try_except_when_lets_error_through(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - attempt:
      try:
        - boom:
            raise:
              error: {type: https://example.com/e, status: 500}
      catch:
        exceptWhen: ${ $error.status == 500 }
"""),
    )
    assert result.error is not None and result.error["status"] == 500


async def test_try_retry_uses_durable_timers_until_success(harness: EngineHarness) -> None:
    # The loop counter lives in the context: each attempt exports it, so the
    # third attempt succeeds.
    result = await harness.run(
        wf("""
use:
  retries:
    quick:
      delay: {milliseconds: 10}
      backoff: {exponential: {}}
      jitter: {from: {milliseconds: 1}, to: {milliseconds: 5}}
      limit: {attempt: {count: 5}}
do:
  - attempt:
      try:
        - count:
            set: {n: '${ ($context.n // 0) + 1 }'}
            export:
              as: '${ {n: .n} }'
        - maybeFail:
            if: ${ $context.n < 3 }
            raise:
              error: {type: https://example.com/flaky, status: 503}
      catch:
        errors:
          with: {status: 503}
        retry: quick
"""),
        {},
    )
    assert result.output == {"n": 3}
    timers = [
        e for e in result.histories[-1].events if e.HasField("timer_started_event_attributes")
    ]
    assert len(timers) == 2


async def test_try_retry_limit_then_catch_do(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - attempt:
      try:
        - fail:
            raise:
              error: {type: https://example.com/e, status: 503}
      catch:
        retry:
          delay: {milliseconds: 1}
          backoff: {linear: {}}
          limit: {attempt: {count: 2}}
        do:
          - gaveUp: {set: {gaveUp: true}}
"""),
    )
    assert result.output == {"gaveUp": True}
    assert result.started_tasks().count("fail") == 3


async def test_wait_iso8601_and_expression(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - a: {wait: PT0.01S}
  - b: {wait: '${ .delay }'}
"""),
        {"delay": "PT0.02S"},
    )
    assert result.output == {"delay": "PT0.02S"}
    timers = [
        e for e in result.histories[-1].events if e.HasField("timer_started_event_attributes")
    ]
    assert len(timers) == 2


async def test_task_timeout_raises_timeout_error(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - slow:
      timeout: {after: {milliseconds: 50}}
      wait: PT5S
"""),
    )
    assert result.error is not None
    assert result.error["type"].endswith("/errors/timeout")
    assert result.error["status"] == 408
    assert result.error["instance"] == "/do/0/slow"


async def test_workflow_timeout_raises_timeout_error(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
timeout: {after: {milliseconds: 50}}
do:
  - slow: {wait: PT5S}
"""),
    )
    assert result.error is not None and result.error["status"] == 408


async def test_emit_generates_deterministic_envelope_and_publishes(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - say:
      emit:
        event:
          with:
            source: https://example.com
            type: com.example.greeted.v1
            data: {hello: '${ .name }'}
"""),
        {"name": "ada"},
    )
    event = result.output
    assert {k: event[k] for k in ("source", "type", "data", "specversion")} == {
        "source": "https://example.com",
        "type": "com.example.greeted.v1",
        "data": {"hello": "ada"},
        "specversion": "1.0",
    }
    assert event["id"] and event["time"].endswith("Z")
    assert result.published == [event]


async def test_listen_one_any_all_with_read_modes(harness: EngineHarness) -> None:
    events = [
        {"specversion": "1.0", "id": "1", "source": "s", "type": "a", "data": {"v": 1}},
        {"specversion": "1.0", "id": "2", "source": "s", "type": "b", "data": {"v": 2}},
        {"specversion": "1.0", "id": "3", "source": "s", "type": "c", "data": {"v": 30}},
    ]
    result = await harness.run(
        wf("""
do:
  - one:
      listen:
        to:
          one: {with: {type: a}}
  - all:
      listen:
        to:
          all:
            - with: {type: c, data: '${ .v > 10 }'}
            - with: {type: 'b'}
        read: envelope
      output:
        as: '${ map(.id) }'
"""),
        events=events,
    )
    assert result.output == ["2", "3"]


async def test_listen_any_until_with_foreach(harness: EngineHarness) -> None:
    events = [
        {"specversion": "1.0", "id": str(i), "source": "s", "type": "reading", "data": {"t": i}}
        for i in range(5)
    ]
    result = await harness.run(
        wf("""
do:
  - collect:
      listen:
        to:
          any:
            - with: {type: reading}
          until: '${ length >= 3 }'
      foreach:
        item: reading
        do:
          - double:
              set: {t2: '${ $reading.t * 2 }'}
        output:
          as: .t2
"""),
        events=events,
    )
    assert result.output == [0, 2, 4]


async def test_unsupported_call_kind_is_a_configuration_error(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - c:
      call: mcp
      with: {method: tools/list}
"""),
    )
    assert result.error is not None
    assert result.error["type"].endswith("/errors/configuration")
    assert result.error["instance"] == "/do/0/c"


async def test_runtime_expression_error_is_expression_error(harness: EngineHarness) -> None:
    result = await harness.run(wf("do:\n  - s: {set: {v: '${ .a + 1 }'}}\n"), {"a": "text"})
    assert result.error is not None
    assert result.error["type"].endswith("/errors/expression")
    assert result.error["instance"] == "/do/0/s"


async def test_now_is_the_workflow_clock_and_env_is_empty(harness: EngineHarness) -> None:
    result = await harness.run(
        wf(
            "do:\n  - s: {set: {now: '${ now }', env: '${ env }', wf: '${ $workflow.startedAt.epoch.seconds }'}}\n"
        )
    )
    assert result.output["env"] == {}
    assert abs(result.output["now"] - result.output["wf"]) < 5


async def test_loose_mode_evaluates_bare_strings(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
evaluate: {language: jq, mode: loose}
do:
  - s: {set: {v: .a, text: 'hello world'}}
"""),
        {"a": 5},
    )
    assert result.output == {"v": 5, "text": "hello world"}


async def test_fork_compete_losers_are_cancelled(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - race:
      fork:
        compete: true
        branches:
          - slow: {wait: PT30S}
          - fast: {set: {who: fast}}
"""),
    )
    assert result.output == {"who": "fast"}
    assert result.task_event("slow", "task_cancelled")


async def test_cancelling_the_workflow_is_reported(harness: EngineHarness) -> None:
    result = await harness.run(wf("do:\n  - pause: {wait: PT30S}\n"), cancel_after=0.5)
    assert result.cancelled
    assert result.task_event("pause", "task_cancelled")
    assert result.trace[-1][0] == "workflow_cancelled"


async def test_then_to_a_sibling_fork_branch_is_a_configuration_error(
    harness: EngineHarness,
) -> None:
    result = await harness.run(
        wf("""
do:
  - f:
      fork:
        branches:
          - a: {set: {a: 1}, then: b}
          - b: {set: {b: 1}}
"""),
    )
    assert result.error is not None
    assert result.error["type"].endswith("/errors/configuration")
    assert result.error["instance"] == "/do/0/f/fork/branches/0/a"


async def test_listen_any_until_event_strategy_excludes_the_stop_event(
    harness: EngineHarness,
) -> None:
    def event(i: int, kind: str) -> dict[str, object]:
        return {"specversion": "1.0", "id": str(i), "source": "s", "type": kind, "data": i}

    result = await harness.run(
        wf("""
do:
  - collect:
      listen:
        to:
          any:
            - with: {type: reading}
          until:
            one: {with: {type: stop}}
        read: raw
"""),
        events=[event(1, "reading"), event(2, "reading"), event(3, "stop"), event(4, "reading")],
    )
    assert result.output == [1, 2]


async def test_secrets_are_available_to_expressions(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - useSecret:
      input:
        from: '${ {token: $secrets.api.token} }'
      set: {authorization: '${ "Bearer " + .token }'}
"""),
        secrets={"api": {"token": "s3cret"}},
    )
    assert result.output == {"authorization": "Bearer s3cret"}


async def test_listen_to_any_empty_list_takes_every_event_until_condition(
    harness: EngineHarness,
) -> None:
    events = [
        {"specversion": "1.0", "id": str(i), "source": "s", "type": f"t{i}", "data": i}
        for i in range(4)
    ]
    result = await harness.run(
        wf("""
do:
  - collect:
      listen:
        to:
          any: []
          until:
            one: {with: {type: t2}}
"""),
        events=events,
    )
    assert result.output == [0, 1]


async def test_engine_passed_through_the_sandbox_runs_the_same(harness: EngineHarness) -> None:
    definition = wf("do:\n  - s: {set: {v: '${ .v + 1 }'}}\n  - w: {wait: {milliseconds: 1}}\n")
    sandboxed = await harness.run(definition, {"v": 1})
    passed = await harness.run(definition, {"v": 1}, pass_through_engine=True)
    assert sandboxed.output == passed.output == {"v": 2}
    assert [e.event_type for e in sandboxed.histories[-1].events] == [
        e.event_type for e in passed.histories[-1].events
    ]
