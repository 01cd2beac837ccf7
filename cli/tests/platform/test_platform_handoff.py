"""The ExecuteWorkflow handoff cannot be lost: heartbeats, retries, a new token for
a running engine, and the synchronous mode (real server, runner and dev server).

The contract gives ExecuteWorkflow a 20 s heartbeat timeout; before it, a task
lost with its runner stalled the execution for the whole 30-minute budget.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from e2e_platform import Platform, dsl_document, followed_to_end
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1.contract_temporal import EXECUTE_WORKFLOW
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl
from workflow_runner.bridge.execute_workflow import engine_workflow_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

#: Past the heartbeat timeout, so the attempt the dead runner held has expired.
OUTAGE = EXECUTE_WORKFLOW.heartbeat_timeout.total_seconds() + 5  # type: ignore[union-attr]
TIMEOUT = 120.0


async def _start(
    client: StigmerClient, document: dict[str, object], workflow_input: dict[str, object]
) -> str:
    workflow, _ = workflow_from_dsl(document)
    applied = await client.apply_workflow(workflow)
    execution = await client.start_execution(applied, workflow_input)
    return execution.metadata.id


async def test_runner_dead_past_the_heartbeat_timeout_then_back(platform: Platform) -> None:
    """Attempts held by a dead runner expire and are retried; the running engines
    get the new tokens (or their outcome is read) and every execution completes."""
    document = dsl_document(
        "outlives-runner",
        [
            {"before": {"set": {"n": "${ .n }"}}},
            {"nap": {"wait": {"seconds": 2}}},
            {"after": {"set": {"n": "${ .n + 1 }"}}},
        ],
    )
    assert platform.runner is not None
    async with StigmerClient(platform.server.address) as client:
        running = [await _start(client, document, {"n": n}) for n in range(3)]
        # Wait until the runner has handed every one of them to its engine.
        async with asyncio.timeout(TIMEOUT):
            for execution_id in running:
                async for update in client.subscribe(execution_id):
                    if update.status.phase != phase_pb2.PENDING:
                        break
        platform.runner.kill()  # SIGKILL: the tokens it heartbeated go silent
        # Created while no runner lives: their first attempts are never picked up.
        waiting = [await _start(client, document, {"n": n}) for n in range(3, 5)]
        await asyncio.sleep(OUTAGE)
        restarted = time.monotonic()
        platform.start_runner()
        finals = [await followed_to_end(client, execution_id) for execution_id in running + waiting]
        recovery = time.monotonic() - restarted
    for n, final in enumerate(finals):
        assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
        assert json_format.MessageToDict(final.status.output) == {"n": n + 1}
    logs = platform.runner.logs()
    # The retried attempts met engines that already existed: new token or outcome read.
    assert "handed it this attempt" in logs or "engine already ran" in logs, logs
    print(f"\n{len(finals)} executions completed {recovery:.1f} s after the runner came back")


async def test_synchronous_mode_waits_for_the_engine(platform: Platform) -> None:
    assert platform.runner is not None
    platform.runner.stop()
    platform.env["ENABLE_ASYNC_ACTIVITY_COMPLETION"] = "false"
    platform.start_runner()
    document = dsl_document(
        "synchronous",
        [
            {"nap": {"wait": {"milliseconds": 200}}},
            {"done": {"set": {"n": "${ .n * 2 }"}}},
        ],
    )
    async with StigmerClient(platform.server.address) as client:
        final = await followed_to_end(client, await _start(client, document, {"n": 21}))
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.status.output) == {"n": 42}
    assert "engine started" in platform.runner.logs()


async def test_an_engine_terminated_by_an_operator_ends_the_execution_failed(
    platform: Platform,
) -> None:
    """Nobody will complete the token of a terminated engine: the runner releases the
    attempt, its retry reads the engine's outcome, and the execution ends FAILED (not
    IN_PROGRESS until the 30-minute budget)."""
    document = dsl_document("terminated", [{"nap": {"wait": {"seconds": 600}}}])
    async with StigmerClient(platform.server.address) as client:
        execution_id = await _start(client, document, {})
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                if any(t.name == "nap" for t in update.status.tasks):
                    break
        engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
        await engine.terminate(reason="operator")
        final = await followed_to_end(client, execution_id)
    assert final.status.phase == phase_pb2.FAILED, platform.logs()
    assert "terminated" in final.status.error.message, final.status.error
    assert final.status.tasks[0].status == phase_pb2.FAILED  # not left IN_PROGRESS
