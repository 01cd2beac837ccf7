"""Large workflows through the platform while two CPU-bound processes keep both cores
busy: a 5,000-task workflow and a 100,000-iteration data-only loop complete, and no
engine workflow task fails (each activation stays far below the deadlock detector)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import pytest
from e2e_platform import Platform
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_cli.api import StigmerClient
from stigmer_common.json_values import from_struct
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.api.enums.v1 import EventType
from workflow_runner.bridge.execute_workflow import engine_workflow_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 600.0
DOCUMENT = {"dsl": "1.0.0", "namespace": "e2e", "version": "1.0.0"}


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Two CPU-bound processes for the duration of the test (the shared CI machine)."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


async def _run(
    platform: Platform, document: dict[str, object], workflow_input: dict[str, object]
) -> execution_api.WorkflowExecution:
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow_from_dsl(document)[0])
        execution = await client.start_execution(applied, workflow_input)
        last = execution
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution.metadata.id):
                assert not update.status.HasField("engine_problem"), update.status.engine_problem
                last = update
    return last


async def _failed_workflow_tasks(platform: Platform, execution_id: str) -> int:
    """Failed or timed-out workflow tasks over every run of the engine (continue-as-new)."""
    failed = 0
    run_id: str | None = None
    while True:
        handle = platform.client.get_workflow_handle(
            engine_workflow_id(execution_id), run_id=run_id
        )
        next_run = None
        async for event in handle.fetch_history_events():
            if event.event_type in (
                EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
            ):
                failed += 1
            if event.HasField("workflow_execution_continued_as_new_event_attributes"):
                next_run = (
                    event.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                )
        if next_run is None:
            return failed
        run_id = next_run


async def test_five_thousand_tasks_complete_on_busy_cores(
    platform: Platform, busy_cores: None
) -> None:
    tasks = [{f"t{i}": {"set": {"sum": f"${{ .sum + {i} }}"}}} for i in range(5000)]
    document = {"document": {**DOCUMENT, "name": "five-thousand"}, "do": tasks}
    final = await _run(platform, document, {"sum": 0})
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()[-4000:]
    assert from_struct(final.status.output) == {"sum": sum(range(5000))}
    assert await _failed_workflow_tasks(platform, final.metadata.id) == 0


async def test_a_hundred_thousand_iteration_loop_completes_on_busy_cores(
    platform: Platform, busy_cores: None
) -> None:
    document = {
        "document": {**DOCUMENT, "name": "hundred-thousand"},
        "do": [
            {
                "loop": {
                    "for": {"in": "${ [range(100000)] }", "each": "n"},
                    "do": [{"add": {"set": {"total": "${ .total + $n }"}}}],
                }
            }
        ],
    }
    final = await _run(platform, document, {"total": 0})
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()[-4000:]
    assert from_struct(final.status.output) == {"total": sum(range(100000))}
    assert await _failed_workflow_tasks(platform, final.metadata.id) == 0
