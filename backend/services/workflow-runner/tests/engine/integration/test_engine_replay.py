"""Replay every history recorded by this session: a determinism break fails CI.

The harness writes each run's history (all runs of continue-as-new chains) to
the session's ``history_dir``. This module runs last in its package (file
order) and feeds them all to Temporal's ``Replayer`` with the current engine
code. It also records a small corpus of its own first, so it is meaningful
when run alone, and checks that a divergent engine is caught.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from tests.engine.divergent_workflow import DivergentWorkflow
from tests.engine.harness import EngineHarness
from tests.engine.tracing_workflow import TracingWorkflow
from workflow_runner.engine.worker import sandbox_runner

pytestmark = pytest.mark.integration

CORPUS = [
    """
document: {dsl: '1.0.3', namespace: test, name: replay-corpus, version: '1.0.0'}
do:
  - loop:
      for: {in: '${ [range(3)] }', each: n}
      do:
        - pause: {wait: {milliseconds: 5}}
        - acc: {set: {n: '${ $n }', at: '${ now }'}}
  - race:
      fork:
        compete: true
        branches:
          - a: {wait: {milliseconds: 5}}
          - b: {set: {won: b}}
  - hello:
      emit:
        event:
          with: {source: https://example.com, type: com.example.replayed}
  - guarded:
      try:
        - boom:
            raise:
              error: {type: https://example.com/boom, status: 503}
      catch:
        retry: {delay: {milliseconds: 5}, limit: {attempt: {count: 1}}}
""",
]


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def _load(history_dir: Path) -> list[WorkflowHistory]:
    histories = []
    for path in sorted(history_dir.glob("*.json")):
        workflow_id = path.name.rsplit("-", 1)[0]
        histories.append(WorkflowHistory.from_json(workflow_id, path.read_text()))
    return histories


async def test_all_recorded_histories_replay(harness: EngineHarness, history_dir: Path) -> None:
    for definition in CORPUS:
        result = await harness.run(definition, {})
        assert result.error is None, result.error
    histories = _load(history_dir)
    assert histories, "no recorded histories"
    replayer = Replayer(workflows=[TracingWorkflow], workflow_runner=sandbox_runner())
    results = await replayer.replay_workflows(_each(histories), raise_on_replay_failure=False)
    failures = {run_id: str(failure) for run_id, failure in results.replay_failures.items()}
    assert failures == {}, f"{len(failures)} of {len(histories)} histories failed to replay"


async def test_the_engine_input_is_the_contract_message(harness: EngineHarness) -> None:
    """Recorded histories start (and continue as new) with ExecuteServerlessWorkflowInput."""
    result = await harness.run(CORPUS[0], {"b": 1, "a": [1, 2.5]})
    assert result.error is None, result.error
    assert result.history is not None
    started = result.history.events[0].workflow_execution_started_event_attributes
    payload = started.input.payloads[0]
    assert payload.metadata["encoding"] == b"binary/protobuf"
    assert (
        payload.metadata["messageType"]
        == EXECUTE_SERVERLESS_WORKFLOW.input_type.DESCRIPTOR.full_name.encode()
    )
    message = EXECUTE_SERVERLESS_WORKFLOW.input_type.FromString(payload.data)
    # The input is JSON text: key order and integers exactly as given.
    assert message.input_json == b'{"b":1,"a":[1,2.5]}'


async def test_a_divergent_engine_fails_replay(harness: EngineHarness) -> None:
    result = await harness.run(CORPUS[0], {})
    assert result.history is not None
    replayer = Replayer(workflows=[DivergentWorkflow], workflow_runner=sandbox_runner())
    outcome = await replayer.replay_workflows(
        _each([result.history]), raise_on_replay_failure=False
    )
    assert outcome.replay_failures, "the divergent engine replayed cleanly: the check is blind"
