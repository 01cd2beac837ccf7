"""Runtime-expression durations (retry delay, task and workflow timeouts) and the ``details`` catch filter.

The file name sorts before ``test_engine_replay.py``, so these histories are replayed too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.engine.harness import EngineHarness, RunResult

pytestmark = pytest.mark.integration


def wf(body: str) -> str:
    return "document: {dsl: '1.0.0-alpha5', namespace: test, name: t, version: '1.0.0'}\n" + body


def _timer_durations(result: RunResult) -> list[timedelta]:
    assert result.history is not None
    return [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in result.history.events
        if e.HasField("timer_started_event_attributes")
    ]


async def test_retry_delay_from_a_runtime_expression(harness: EngineHarness) -> None:
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
          delay: ${ .pause }
          backoff: {linear: {}}
          limit: {attempt: {count: 2}}
        do:
          - gaveUp: {set: {gaveUp: true}}
"""),
        {"pause": "PT0.03S"},
    )
    assert result.output == {"gaveUp": True}
    assert _timer_durations(result) == [timedelta(milliseconds=30), timedelta(milliseconds=60)]


async def test_task_timeout_after_a_runtime_expression(harness: EngineHarness) -> None:
    result = await harness.run(
        wf("""
do:
  - slow:
      timeout: {after: '${ .limit }'}
      wait: PT30S
"""),
        {"limit": "PT0.05S"},
    )
    assert result.error is not None, result.output
    assert result.error["status"] == 408
    assert result.error["instance"] == "/do/0/slow"


async def test_reusable_and_workflow_timeouts_from_runtime_expressions(
    harness: EngineHarness,
) -> None:
    result = await harness.run(
        wf("""
use:
  timeouts:
    short: {after: '${ {milliseconds: .ms} }'}
timeout: {after: '${ $workflow.input.total }'}
do:
  - quick: {timeout: short, set: {ok: true}}
  - slow: {wait: PT30S}
"""),
        {"ms": 5000, "total": "PT0.1S"},
    )
    assert result.error is not None, result.output
    assert result.error["status"] == 408
    assert result.error["instance"] == "/"


async def test_a_timeout_expression_that_is_not_a_duration_faults_naming_the_field(
    harness: EngineHarness,
) -> None:
    result = await harness.run(
        wf("""
do:
  - slow:
      timeout: {after: '${ .limit }'}
      wait: PT1S
"""),
        {"limit": 5},
    )
    assert result.error is not None, result.output
    assert result.error["type"].endswith("/errors/configuration")
    assert result.error["detail"].startswith(
        "/do/0/slow/timeout/after: '${ .limit }' evaluated to 5, which is not a duration"
    )


CATCH_BY_DETAILS = """
do:
  - attempt:
      try:
        - boom:
            raise:
              error: {type: https://example.com/quota, status: 429, detail: daily quota exceeded}
      catch:
        errors:
          with: {status: 429, details: %s}
        do:
          - handled: {set: {handled: true}}
"""


async def test_catch_errors_with_details_matches_the_error_detail(harness: EngineHarness) -> None:
    caught = await harness.run(wf(CATCH_BY_DETAILS % "daily quota exceeded"))
    assert caught.output == {"handled": True}, caught.error
    missed = await harness.run(wf(CATCH_BY_DETAILS % "monthly quota exceeded"))
    assert missed.error is not None
    assert missed.error["detail"] == "daily quota exceeded"
