"""End to end: stigmer-server + workflow-runner processes on a real dev server.

Apply a workflow, create an execution, watch ``Subscribe``: PENDING ->
IN_PROGRESS with one tasks[] entry per executed task -> COMPLETED with the
engine's output; a faulting workflow ends FAILED with the problem details; a
runner killed with SIGKILL mid-run and restarted still completes the execution.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from e2e_platform import Platform
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import contract_pb2 as execution_contract
from stigmer_cli.api import StigmerClient
from stigmer_cli.errors import UsageError
from stigmer_dsl.converter import spec_to_yaml, workflow_from_dsl
from stigmer_server.orchestration.run_control import orchestration_workflow_id
from stigmer_testing.server_process import start_server
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer
from workflow_runner.bridge.execute_workflow import engine_workflow_id
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import build_worker
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow
from workflow_runner.wiring.progress import MAX_RUNS_PER_TASK
from workflow_runner.wiring.worker import engine_sandbox
from workflow_runner.wiring.workflow import ServerlessWorkflow

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 60.0
RAISE_TYPE = "https://serverlessworkflow.io/spec/1.0.0/errors/validation"


def _dsl(name: str, tasks: list[dict[str, object]]) -> dict[str, object]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "e2e", "name": name, "version": "1.0.0"},
        "do": tasks,
    }


async def _apply_and_start(
    platform: Platform, document: dict[str, object], workflow_input: dict[str, object]
) -> tuple[StigmerClient, str]:
    workflow, _ = workflow_from_dsl(document)
    client = StigmerClient(platform.server.address)
    applied = await client.apply_workflow(workflow)
    execution = await client.start_execution(applied, workflow_input)
    assert execution.status.phase == phase_pb2.PENDING
    return client, execution.metadata.id


async def _watch(client: StigmerClient, execution_id: str) -> list[execution_api.WorkflowExecution]:
    updates = []
    async with asyncio.timeout(TIMEOUT):
        async for update in client.subscribe(execution_id):
            updates.append(update)
    return updates


def _phases(updates: list[execution_api.WorkflowExecution]) -> list[str]:
    names: list[str] = []
    for update in updates:
        name = phase_pb2.ExecutionPhase.Name(update.status.phase)
        if not names or names[-1] != name:
            names.append(name)
    return names


async def test_hello_example_runs_with_per_task_progress(
    platform: Platform, hello_document: dict[str, object]
) -> None:
    document = hello_document
    started = time.perf_counter()
    client, execution_id = await _apply_and_start(platform, document, {"name": "Stigmer"})
    workflow_yaml = spec_to_yaml(workflow_from_dsl(document)[0].spec)
    async with client:
        updates = await _watch(client, execution_id)
    platform_seconds = time.perf_counter() - started
    final = updates[-1].status
    assert _phases(updates) == ["PENDING", "IN_PROGRESS", "COMPLETED"], platform.logs()
    assert json_format.MessageToDict(final.output) == {
        "message": "Hello, Stigmer! Ran plan, run, report.",
        "completed": True,
    }
    names = [task.name for task in final.tasks]
    # greet, the for task and its three iterations, pause, judge, celebrate.
    assert names == [
        "greet",
        "countSteps",
        "addStep",
        "addStep",
        "addStep",
        "pause",
        "judge",
        "celebrate",
    ]
    assert len({task.task_id for task in final.tasks}) == len(final.tasks)
    assert all(task.status == phase_pb2.COMPLETED for task in final.tasks)
    assert all(
        task.HasField("started_at") and task.HasField("completed_at") for task in final.tasks
    )
    greet = final.tasks[0]
    assert json_format.MessageToDict(greet.input) == {"name": "Stigmer"}
    assert json_format.MessageToDict(greet.output)["greeting"] == "Hello, Stigmer!"

    # History cost of progress reporting: events per executed task in the engine run.
    handle = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
    # The end is stored before the engine's completion returns: let the run close first.
    async with asyncio.timeout(TIMEOUT):
        await handle.result()
    events = [event async for event in handle.fetch_history_events()]
    markers = sum(1 for e in events if e.HasField("marker_recorded_event_attributes"))
    per_task = len(events) / len(final.tasks)
    # The recorded history replays on the current code (observer batching is deterministic).
    replayer = Replayer(
        workflows=[ServerlessWorkflow],
        data_converter=platform.client.data_converter,
        workflow_runner=engine_sandbox(),
    )
    await replayer.replay_workflow(await handle.fetch_history())

    bare_started = time.perf_counter()
    baseline = await _bare_engine_history_length(platform, workflow_yaml, {"name": "Stigmer"})
    bare_seconds = time.perf_counter() - bare_started
    print(
        f"\napply+run to COMPLETED over the platform: {platform_seconds * 1000:.0f} ms; "
        f"bare engine run of the same YAML: {bare_seconds * 1000:.0f} ms; "
        f"ratio {platform_seconds / bare_seconds:.2f}"
    )
    print(
        f"\nengine history: {len(events)} events for {len(final.tasks)} tasks "
        f"({per_task:.1f}/task; {markers} progress markers); bare engine, same run: "
        f"{baseline} events; ratio {len(events) / baseline:.2f}"
    )
    # Batched: the tasks before the timer share one report, the ones after another;
    # plus the completion by token.
    assert markers <= 4
    # What the platform adds: marker events only (progress reports and
    # CompleteExternalActivity are local activities; no extra workflow task).
    assert len(events) - baseline - markers == 0


async def _bare_engine_history_length(
    platform: Platform, definition: str, workflow_input: dict[str, object]
) -> int:
    """History length of the same definition on the engine without any hooks."""
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    async with build_worker(platform.client, task_queue=queue):
        handle = await platform.client.start_workflow(
            ExecuteServerlessWorkflow.run,
            engine_input(definition, workflow_input),
            id=queue,
            task_queue=queue,
        )
        await handle.result()
    return len([event async for event in handle.fetch_history_events()])


async def test_faulting_workflow_ends_failed_with_problem_details(platform: Platform) -> None:
    document = _dsl(
        "refuses",
        [
            {"check": {"set": {"ok": False}}},
            {
                "refuse": {
                    "raise": {
                        "error": {
                            "type": RAISE_TYPE,
                            "status": 422,
                            "title": "Refused",
                            "detail": '${ "not ok: " + (.ok | tostring) }',
                        }
                    }
                }
            },
        ],
    )
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        updates = await _watch(client, execution_id)
    final = updates[-1].status
    # A run that ends in its first activation sends no report of its own: its
    # task entries ride with the completion, so IN_PROGRESS may not be seen.
    assert _phases(updates) in (
        ["PENDING", "IN_PROGRESS", "FAILED"],
        ["PENDING", "FAILED"],
    ), platform.logs()
    assert final.HasField("started_at")
    assert [(t.name, t.status) for t in final.tasks] == [
        ("check", phase_pb2.COMPLETED),
        ("refuse", phase_pb2.FAILED),
    ]
    assert final.error.code == RAISE_TYPE
    assert final.error.message == "not ok: false"
    assert final.error.details["status"] == "422"
    assert final.error.details["title"] == "Refused"
    refuse = final.tasks[-1]
    assert (refuse.name, refuse.status) == ("refuse", phase_pb2.FAILED)
    assert refuse.error.code == RAISE_TYPE


async def test_every_task_entry_arrives_when_the_run_ends_in_one_activation(
    platform: Platform,
) -> None:
    """130 data tasks run back to back: more entries than one report carries.

    The run ends in the activation it started in, so its entries leave in
    reports of 50 and the rest with the completion; none may be lost, and
    they stay in task order.
    """
    names = [f"s{i}" for i in range(130)]
    document = _dsl("many", [{name: {"set": {"i": i}}} for i, name in enumerate(names)])
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        updates = await _watch(client, execution_id)
    final = updates[-1].status
    assert final.phase == phase_pb2.COMPLETED, platform.logs()
    assert [task.name for task in final.tasks] == names
    assert {task.status for task in final.tasks} == {phase_pb2.COMPLETED}
    assert final.HasField("started_at") and final.HasField("completed_at")
    assert json_format.MessageToDict(final.output) == {"i": 129}


async def test_the_runner_stores_the_end_and_the_orchestration_writes_nothing(
    platform: Platform,
) -> None:
    """The runner stores the final status itself, before completing its token, so a
    watcher sees the end one orchestration workflow task (and its local status
    activity) earlier; the orchestration then writes nothing: no marker in its
    history, no task entries in its result."""
    document = _dsl(
        "stored-by-runner",
        [{"a": {"set": {"n": 1}}}, {"b": {"set": {"n": "${ .n + 1 }"}}}],
    )
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        updates = await _watch(client, execution_id)
        stored = await client.get_execution(execution_id)
    final = updates[-1].status
    assert final.phase == phase_pb2.COMPLETED, platform.logs()
    assert [task.name for task in final.tasks] == ["a", "b"]
    assert json_format.MessageToDict(final.output) == {"n": 2}
    assert final.HasField("started_at") and final.HasField("completed_at")
    assert stored.status == final
    orchestration = platform.client.get_workflow_handle(
        orchestration_workflow_id(execution_id),
        result_type=execution_contract.InvokeWorkflowExecutionOutput,
    )
    async with asyncio.timeout(TIMEOUT):
        result = await orchestration.result()
    assert result.status.phase == phase_pb2.COMPLETED
    assert json_format.MessageToDict(result.status.output) == {"n": 2}
    assert not result.status.tasks
    events = [event async for event in orchestration.fetch_history_events()]
    assert not [event for event in events if event.HasField("marker_recorded_event_attributes")]


async def test_each_loop_run_is_an_entry_up_to_the_cap(platform: Platform) -> None:
    """A loop body's runs are entries of their own (``ref``, ``ref#2``...) up to the cap.

    Each entry holds what that run saw and made: run k's input is the total
    before it, its output the total after (one converted value serves as one
    run's output and the next run's input, not a transformed input); runs past
    the cap are left out.
    """
    cap = MAX_RUNS_PER_TASK
    document = _dsl(
        "loop-entries",
        [
            {
                "each": {
                    "for": {"in": f"${{ [range({cap + 5})] }}", "each": "n"},
                    "do": [{"add": {"set": {"total": "${ .total + $n }"}}}],
                }
            },
            {"after": {"input": {"from": "${ {x: .total} }"}, "set": {"done": "${ .x }"}}},
        ],
    )
    client, execution_id = await _apply_and_start(platform, document, {"total": 0})
    async with client:
        updates = await _watch(client, execution_id)
    final = updates[-1].status
    assert final.phase == phase_pb2.COMPLETED, platform.logs()
    runs = [task for task in final.tasks if task.name == "add"]
    assert len(runs) == cap
    reference = runs[0].task_id
    assert [task.task_id for task in runs] == [reference] + [
        f"{reference}#{k}" for k in range(2, cap + 1)
    ]
    for k, task in enumerate(runs):
        assert task.status == phase_pb2.COMPLETED
        assert json_format.MessageToDict(task.input) == {"total": sum(range(k))}
        assert json_format.MessageToDict(task.output) == {"total": sum(range(k + 1))}
        assert task.started_at.ToNanoseconds() <= task.completed_at.ToNanoseconds()
    after = final.tasks[-1]
    assert after.name == "after"
    assert json_format.MessageToDict(after.input) == {"x": sum(range(cap + 5))}
    assert json_format.MessageToDict(after.output) == {"done": sum(range(cap + 5))}


async def test_runner_killed_mid_wait_and_restarted_still_completes(platform: Platform) -> None:
    document = _dsl(
        "survives",
        [
            {"before": {"set": {"step": 1}}},
            {"nap": {"wait": {"seconds": 3}}},
            {"after": {"set": {"step": "${ .step + 1 }", "restarted": True}}},
        ],
    )
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                napping = [t for t in update.status.tasks if t.name == "nap"]
                if napping and napping[0].status == phase_pb2.IN_PROGRESS:
                    break
        assert platform.runner is not None
        platform.runner.kill()  # SIGKILL: no shutdown code runs
        await asyncio.sleep(0.5)
        platform.start_runner()
        updates = await _watch(client, execution_id)
    final = updates[-1].status
    assert final.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.output) == {"step": 2, "restarted": True}
    assert [t.name for t in final.tasks] == ["before", "nap", "after"]


async def test_spec_the_engine_refuses_is_rejected_at_apply(platform: Platform) -> None:
    # stigmer-server runs the engine's definition checks at Apply: an unknown
    # flow target is refused there, naming the spec field, and nothing is stored.
    document = _dsl("broken", [{"go": {"set": {"a": 1}, "then": "nowhere"}}])
    workflow, _ = workflow_from_dsl(document)
    async with StigmerClient(platform.server.address) as client:
        with pytest.raises(UsageError) as refused:
            await client.apply_workflow(workflow)
        with pytest.raises(UsageError, match="NOT_FOUND"):
            await client.find_workflow(workflow.metadata.name)
    message = str(refused.value)
    assert message.startswith("apply: INVALID_ARGUMENT: spec.tasks[0].flow.then: "), message
    assert "'nowhere'" in message and "\n" not in message


async def test_server_restarted_mid_run_loses_neither_progress_nor_the_execution(
    platform: Platform,
) -> None:
    # Progress reports made while stigmer-server is gone wait for it (the
    # runner's client retries through the outage); once it is back they are
    # delivered and the orchestration records COMPLETED.
    document = _dsl(
        "outlives-server",
        [
            {"before": {"set": {"step": 1}}},
            {"nap": {"wait": {"seconds": 2}}},
            {"after": {"set": {"step": "${ .step + 1 }"}}},
        ],
    )
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                if any(t.name == "nap" for t in update.status.tasks):
                    break
    platform.server.kill()
    # Past the nap: the engine's next reports find no server and wait.
    await asyncio.sleep(3)
    platform.server = start_server(
        platform.server.data_dir,
        log_path=platform.tmp / "server-restarted.log",
        env=platform.env,
        address=platform.server.address,
    )
    async with StigmerClient(platform.server.address) as client:
        updates = await _watch(client, execution_id)
    final = updates[-1].status
    assert final.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.output) == {"step": 2}
    assert [t.name for t in final.tasks] == ["before", "nap", "after"]  # nothing dropped
    assert all(t.status == phase_pb2.COMPLETED for t in final.tasks)
    assert platform.runner is not None
    assert "progress report for" not in platform.runner.logs()  # none dropped


async def test_cancelled_execution_stops_the_engine_at_its_next_report(platform: Platform) -> None:
    document = _dsl(
        "cancelled",
        [
            {"nap": {"wait": {"milliseconds": 1500}}},
            {"between": {"set": {"reached": True}}},
            {"nap2": {"wait": {"seconds": 30}}},
            {"never": {"set": {"ran": True}}},
        ],
    )
    client, execution_id = await _apply_and_start(platform, document, {})
    async with client:
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                if any(t.name == "nap" for t in update.status.tasks):
                    break
        orchestration = platform.client.get_workflow_handle(
            f"stigmer/workflow-execution/invoke/{execution_id}"
        )
        await orchestration.cancel()
        updates = await _watch(client, execution_id)
    assert updates[-1].status.phase == phase_pb2.CANCELLED, platform.logs()
    engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
    # Stopped at the report after the first nap, not 30 s later after nap2.
    async with asyncio.timeout(10):
        with pytest.raises(WorkflowFailureError) as failure:
            await engine.result()
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "ExecutionEnded"
