"""Long loops continue as new and keep every history bounded.

A dedicated dev server suggests continue-as-new after 150 events (instead of
the default 4,096) so a few hundred iterations exercise several restarts in
seconds; the mechanism is the same at any threshold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from google.protobuf import struct_pb2
from stigmer.commons.v1 import phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import AGENT_EXECUTION_ENDED, START_AGENT_EXECUTION
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio import activity
from tests.engine.harness import EngineHarness

pytestmark = pytest.mark.integration

SUGGEST_AFTER = 150


@activity.defn(name="test.double")
async def double(value: int) -> int:
    return value * 2


#: The AgentExecution the stand-in StartAgentExecution below "creates".
EARLY_AGENT_EXECUTION = "aex-ended-early"


@activity.defn(name=START_AGENT_EXECUTION.name)
async def start_agent_execution(
    request: engine_contract.StartAgentExecutionInput,
) -> engine_contract.StartAgentExecutionOutput:
    """Stands in for stigmer-server: every call is the execution that already ended."""
    return engine_contract.StartAgentExecutionOutput(agent_execution_id=EARLY_AGENT_EXECUTION)


@pytest.fixture(scope="module")
async def low_limit_harness(history_dir: object) -> AsyncIterator[EngineHarness]:
    env = await start_dev_server(
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}"
    )
    yield EngineHarness(env.client, history_dir)  # type: ignore[arg-type]
    await env.shutdown()


async def test_long_for_loop_continues_as_new_with_correct_output(
    low_limit_harness: EngineHarness,
) -> None:
    result = await low_limit_harness.run(
        """
document: {dsl: '1.0.3', namespace: test, name: long-loop, version: '1.0.0'}
do:
  - prepare:
      set: {sum: 0, items: '${ [range(120)] }'}
      export:
        as: '${ {seen: 0} }'
  - loop:
      for: {in: .items, each: n}
      do:
        - callIt:
            call: activity
            with: {name: test.double, input: '${ $n }'}
            output:
              as: '${ $input + {doubled: .} }'
        - add:
            set:
              sum: '${ .sum + .doubled }'
              items: '${ .items }'
            export:
              as: '${ {seen: ($context.seen + 1)} }'
  - finish:
      set: {sum: '${ .sum }', seen: '${ $context.seen }'}
  - early:
      listen:
        to:
          one: {with: {type: sent.at.start}}
      output:
        as: '${ $input + {event: .[0]} }'
""",
        {},
        activities=[double],
        # Signalled before the loop: it must survive every continue-as-new.
        events=[
            {
                "specversion": "1.0",
                "id": "e",
                "source": "s",
                "type": "sent.at.start",
                "data": "kept",
            }
        ],
    )
    assert result.error is None, result.error
    assert result.output == {"sum": 2 * sum(range(120)), "seen": 120, "event": "kept"}
    assert len(result.histories) >= 3, "expected several continue-as-new restarts"
    for history in result.histories:
        # bounded: the threshold plus one iteration's worth of events
        assert len(history.events) < SUGGEST_AFTER + 30


async def test_nested_loops_resume_inside_the_outer_iteration(
    low_limit_harness: EngineHarness,
) -> None:
    result = await low_limit_harness.run(
        """
document: {dsl: '1.0.3', namespace: test, name: nested-loop, version: '1.0.0'}
do:
  - outer:
      for: {in: '${ [range(3)] }', each: row}
      do:
        - wrap:
            do:
              - inner:
                  for: {in: '${ [range(25)] }', each: col}
                  do:
                    - callIt:
                        call: activity
                        with: {name: test.double, input: '${ $col }'}
                        output:
                          as: '${ $input + {total: ($input.total + . + $row)} }'
""",
        {"total": 0},
        activities=[double],
    )
    assert result.error is None, result.error
    expected = sum(2 * col + row for row in range(3) for col in range(25))
    assert result.output == {"total": expected}
    assert len(result.histories) >= 2


async def test_data_only_loop_yields_grow_the_history_and_continue_as_new(
    low_limit_harness: EngineHarness,
) -> None:
    # A data-only loop yields to Temporal (a 1 ms timer, 5 events) after each
    # activation's budget of work (engine.pacing); those events make Temporal
    # suggest continue-as-new like any other, so the history stays bounded.
    result = await low_limit_harness.run(
        """
document: {dsl: '1.0.3', namespace: test, name: busy-loop, version: '1.0.0'}
do:
  - loop:
      for: {in: '${ [range(40000)] }', each: n}
      do:
        - add:
            set: {sum: '${ .sum + $n }'}
""",
        {"sum": 0},
        record_trace=False,
    )
    assert result.error is None, result.error
    assert result.output == {"sum": sum(range(40000))}
    assert len(result.histories) >= 2, "expected a continue-as-new"
    for history in result.histories:
        assert len(history.events) < SUGGEST_AFTER + 30


async def test_ten_thousand_iterations_of_pure_data_steps(harness: EngineHarness) -> None:
    result = await harness.run(
        """
document: {dsl: '1.0.3', namespace: test, name: big-loop, version: '1.0.0'}
do:
  - loop:
      for: {in: '${ [range(10000)] }', each: n}
      do:
        - add:
            set: {sum: '${ .sum + $n }'}
""",
        {"sum": 0},
        record_trace=False,
    )
    assert result.output == {"sum": sum(range(10000))}
    # Pure data steps need no Temporal command: a handful of pacing yields
    # (one per ~100 ms of work, 5 events each), not events per task.
    assert len(result.histories) == 1
    assert len(result.histories[-1].events) < 100


async def test_an_agent_ending_received_before_the_call_waits_survives_continue_as_new(
    low_limit_harness: EngineHarness,
) -> None:
    # The agent-execution-ended signal arrives before the loop; the `call: agent`
    # task that consumes it runs only after several continue-as-new restarts.
    ended = engine_contract.AgentExecutionEndedSignal(
        agent_execution_id=EARLY_AGENT_EXECUTION,
        phase=phase_pb2.COMPLETED,
        output=struct_pb2.Value(string_value="answered before the restarts"),
    )
    result = await low_limit_harness.run(
        """
document: {dsl: '1.0.3', namespace: test, name: agent-across-restarts, version: '1.0.0'}
timeout:
  after: {minutes: 3}
do:
  - loop:
      for: {in: '${ [range(60)] }', each: n}
      do:
        - callIt:
            call: activity
            with: {name: test.double, input: '${ $n }'}
  - ask:
      call: agent
      with: {agent: helper, message: hello}
""",
        {},
        activities=[double, start_agent_execution],
        signals=[(AGENT_EXECUTION_ENDED.name, ended)],
    )
    assert result.error is None, result.error
    assert result.output == "answered before the restarts"
    assert len(result.histories) >= 2, "expected a continue-as-new before the call"
