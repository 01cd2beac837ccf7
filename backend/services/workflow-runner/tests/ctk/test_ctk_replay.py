"""Replay the histories the CTK scenarios recorded (runs after test_ctk.py: pytest collects files in name order)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from tests.ctk.conftest import BackgroundHarness
from tests.engine.tracing_workflow import TracingWorkflow
from workflow_runner.engine.worker import sandbox_runner

pytestmark = pytest.mark.integration


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def test_ctk_histories_replay(ctk_harness: BackgroundHarness) -> None:
    histories = list(ctk_harness.harness.histories)
    if not histories:
        pytest.skip("no CTK scenario ran in this session")
    replayer = Replayer(workflows=[TracingWorkflow], workflow_runner=sandbox_runner())
    results = ctk_harness.call(
        replayer.replay_workflows(_each(histories), raise_on_replay_failure=False)
    )
    failures = {run_id: str(error) for run_id, error in results.replay_failures.items()}
    assert failures == {}, f"{len(failures)} of {len(histories)} histories failed to replay"
