"""Determinism: histories recorded from the registry and the wired engine replay cleanly."""

from __future__ import annotations

import pytest
from stigmer_testing.reference_data import spec_dir
from temporalio.worker import Replayer
from tests.events.events_harness import WiredEngine, result
from workflow_runner.events.registry import EventRegistryWorkflow
from workflow_runner.wiring.worker import engine_sandbox
from workflow_runner.wiring.workflow import ServerlessWorkflow

pytestmark = pytest.mark.integration


async def test_registry_and_wired_engine_histories_replay(wired: WiredEngine) -> None:
    listener = await wired.start(
        (spec_dir() / "examples" / "listen-to-all.yaml").read_text("utf-8"), lifecycle=True
    )
    await wired.subscribed(listener)
    await wired.emit("com.fake-hospital.vitals.measurements.temperature", {"temperature": 39})
    await wired.emit("com.fake-hospital.vitals.measurements.bpm", {"bpm": 40})
    await result(listener)
    await wired.settle()
    histories = [
        await listener.fetch_history(),
        await wired.client.get_workflow_handle(wired.bus.registry_id).fetch_history(),
    ]
    replayer = Replayer(
        workflows=[ServerlessWorkflow, EventRegistryWorkflow],
        workflow_runner=engine_sandbox(),
        data_converter=wired.client.data_converter,
    )
    for history in histories:
        replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None, replayed.replay_failure
