"""The orchestration workflows on a real dev server, with test runner activities.

The runner side is replaced by registering other implementations under the
contract's names (``@EXECUTE_WORKFLOW.defn`` ...) on the queue the memo names.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf import struct_pb2
from recording_status_writer import RecordingStatusWriter
from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
from stigmer.agentexecution.v1.contract_temporal import (
    AGENT_EXECUTION_RUNNER,
    ENSURE_THREAD,
    EXECUTE_GRAPHTON,
    INVOKE_AGENT_EXECUTION,
)
from stigmer.commons.v1 import phase_pb2, secret_pb2
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract
from stigmer.workflowexecution.v1.contract_temporal import (
    EXECUTE_WORKFLOW,
    INVOKE_WORKFLOW_EXECUTION,
    WORKFLOW_EXECUTION_RUNNER,
)
from stigmer_server.orchestration.agent_execution import InvokeAgentExecutionWorkflow
from stigmer_server.orchestration.deadline import RECORDING_MARGIN
from stigmer_server.orchestration.memo import RUNNER_QUEUE_MEMO_KEY
from stigmer_server.orchestration.runtime import Orchestration
from stigmer_server.orchestration.settings import OrchestrationQueues
from stigmer_server.orchestration.workflow_execution import InvokeWorkflowExecutionWorkflow
from stigmer_server.secrets.execution_grants import ExecutionGrants
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Replayer

pytestmark = pytest.mark.integration


def _workflow_execution(writer: RecordingStatusWriter) -> workflow_api.WorkflowExecution:
    execution = workflow_api.WorkflowExecution(kind="WorkflowExecution")
    execution.metadata.id = f"wex-{uuid.uuid4().hex}"
    execution.spec.workflow_id = "wfl-test"
    execution.status.phase = phase_pb2.PENDING
    stored = workflow_api.WorkflowExecution()
    stored.CopyFrom(execution)
    writer.workflow_executions[execution.metadata.id] = stored
    return execution


@asynccontextmanager
async def _orchestrated(
    client: Client,
    queues: OrchestrationQueues,
    writer: RecordingStatusWriter,
    execution: workflow_api.WorkflowExecution,
    execute_workflow: Callable[..., Any],
) -> AsyncIterator[Any]:
    """The orchestration and a runner worker with ``execute_workflow``, the execution
    started; yields its orchestration's handle, workers stopped on exit."""
    orchestration = Orchestration(client, queues, writer)
    runner = WORKFLOW_EXECUTION_RUNNER.worker(
        client, activities=[execute_workflow], task_queue=queues.workflow_runner
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_workflow_execution(execution)
            yield client.get_workflow_handle(
                INVOKE_WORKFLOW_EXECUTION.workflow_id(
                    workflow_contract.InvokeWorkflowExecutionInput(execution=execution)
                )
            )
    finally:
        await orchestration.stop_worker()
        await orchestration.close_client()


def _agent_execution(writer: RecordingStatusWriter) -> agent_api.AgentExecution:
    execution = agent_api.AgentExecution(kind="AgentExecution")
    execution.metadata.id = f"aex-{uuid.uuid4().hex}"
    execution.spec.agent_id = "agt-test"
    execution.spec.message = "hello"
    execution.status.phase = phase_pb2.PENDING
    stored = agent_api.AgentExecution()
    stored.CopyFrom(execution)
    writer.agent_executions[execution.metadata.id] = stored
    return execution


async def test_completed_run_persists_the_runner_result_and_uses_the_memo_queue(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    seen: list[str] = []
    grants_seen: list[secret_pb2.ExecutionGrant] = []

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        arg: workflow_contract.ExecuteWorkflowInput,
    ) -> workflow_contract.ExecuteWorkflowOutput:
        seen.append(activity.info().task_queue)
        grants_seen.append(arg.grant)
        output = struct_pb2.Value()
        output.struct_value.update({"greeting": f"hi {arg.execution.metadata.id}"})
        return workflow_contract.ExecuteWorkflowOutput(
            status=workflow_api.WorkflowExecutionStatus(phase=phase_pb2.COMPLETED, output=output)
        )

    execution = _workflow_execution(writer)
    execution.metadata.org = "acme"
    grants = ExecutionGrants.ephemeral()
    orchestration = Orchestration(client, queues, writer, grants)
    runner = WORKFLOW_EXECUTION_RUNNER.worker(
        client, activities=[execute_workflow], task_queue=queues.workflow_runner
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_workflow_execution(execution)
            handle = client.get_workflow_handle(
                INVOKE_WORKFLOW_EXECUTION.workflow_id(
                    workflow_contract.InvokeWorkflowExecutionInput(execution=execution)
                ),
            )
            result = await handle.result()
            description = await handle.describe()
            history = await handle.fetch_history()
    finally:
        await orchestration.stop_worker()
        await orchestration.close_client()

    # Deterministic: the recorded history replays against the workflow code.
    await Replayer(workflows=[InvokeWorkflowExecutionWorkflow]).replay_workflow(history)

    assert handle.id == INVOKE_WORKFLOW_EXECUTION.id_template.replace(
        "{execution.metadata.id}", execution.metadata.id
    )
    assert description.workflow_type == INVOKE_WORKFLOW_EXECUTION.name
    assert description.task_queue == queues.workflow_stigmer
    assert await description.memo_value(RUNNER_QUEUE_MEMO_KEY) == queues.workflow_runner
    assert seen == [queues.workflow_runner]
    # The runner got the grant the starter issued for this execution and its org.
    (grant,) = grants_seen
    assert grants.verify(grant, execution.metadata.id) and grant.org == "acme"
    stored = writer.workflow_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.COMPLETED
    assert stored.status.output.struct_value["greeting"] == f"hi {execution.metadata.id}"
    assert stored.status.HasField("completed_at")
    assert result.status.phase == phase_pb2.COMPLETED


async def test_a_status_the_runner_stored_is_not_written_again(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    # The runner stores the final status itself (so watchers see the end one
    # workflow task earlier) and says so: no local status activity, no marker.
    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        arg: workflow_contract.ExecuteWorkflowInput,
    ) -> workflow_contract.ExecuteWorkflowOutput:
        output = struct_pb2.Value(string_value="done")
        return workflow_contract.ExecuteWorkflowOutput(
            status=workflow_api.WorkflowExecutionStatus(phase=phase_pb2.COMPLETED, output=output),
            status_stored=True,
        )

    execution = _workflow_execution(writer)
    async with _orchestrated(client, queues, writer, execution, execute_workflow) as handle:
        result = await handle.result()
        history = await handle.fetch_history()

    await Replayer(workflows=[InvokeWorkflowExecutionWorkflow]).replay_workflow(history)
    assert result.status.phase == phase_pb2.COMPLETED
    assert result.status.output.string_value == "done"
    assert writer.reports == []
    assert not any(event.HasField("marker_recorded_event_attributes") for event in history.events)


async def test_runner_failure_persists_failed_with_the_runner_error(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        arg: workflow_contract.ExecuteWorkflowInput,
    ) -> workflow_contract.ExecuteWorkflowOutput:
        raise ApplicationError("engine exploded: disk full", type="EngineError", non_retryable=True)

    execution = _workflow_execution(writer)
    async with _orchestrated(client, queues, writer, execution, execute_workflow) as handle:
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()

    assert "engine exploded: disk full" in str(failure.value.cause)
    stored = writer.workflow_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.FAILED
    assert stored.status.error.code == "ACTIVITY_FAILED"
    assert (
        stored.status.error.message == f"{EXECUTE_WORKFLOW.name} failed: engine exploded: disk full"
    )
    assert stored.status.error.details["error_type"] == "EngineError"
    assert stored.status.error.details["activity"] == EXECUTE_WORKFLOW.name


async def test_agent_run_ensures_the_thread_then_runs_graphton(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    calls: list[tuple[str, str]] = []

    @ENSURE_THREAD.defn
    async def ensure_thread(
        arg: agent_contract.EnsureThreadInput,
    ) -> agent_contract.EnsureThreadOutput:
        calls.append((activity.info().activity_type, activity.info().task_queue))
        return agent_contract.EnsureThreadOutput(thread_id=f"thread-{arg.execution.metadata.id}")

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(
        arg: agent_contract.ExecuteGraphtonInput,
    ) -> agent_contract.ExecuteGraphtonOutput:
        calls.append((activity.info().activity_type, arg.thread_id))
        agent_grants_seen.append(arg.grant)
        status = agent_api.AgentExecutionStatus(phase=phase_pb2.COMPLETED)
        status.output.string_value = "the answer is 42"
        return agent_contract.ExecuteGraphtonOutput(status=status)

    agent_grants_seen: list[secret_pb2.ExecutionGrant] = []
    execution = _agent_execution(writer)
    grants = ExecutionGrants.ephemeral()
    orchestration = Orchestration(client, queues, writer, grants)
    runner = AGENT_EXECUTION_RUNNER.worker(
        client, activities=[ensure_thread, execute_graphton], task_queue=queues.agent_runner
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_agent_execution(execution)
            handle = client.get_workflow_handle(
                INVOKE_AGENT_EXECUTION.workflow_id(
                    agent_contract.InvokeAgentExecutionInput(execution=execution)
                )
            )
            await handle.result()
            description = await handle.describe()
            history = await handle.fetch_history()
    finally:
        await orchestration.stop_worker()

    await Replayer(workflows=[InvokeAgentExecutionWorkflow]).replay_workflow(history)
    assert description.task_queue == queues.agent_stigmer
    assert calls == [
        (ENSURE_THREAD.name, queues.agent_runner),
        (EXECUTE_GRAPHTON.name, f"thread-{execution.metadata.id}"),
    ]
    stored = writer.agent_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.COMPLETED
    assert stored.status.output.string_value == "the answer is 42"
    # ExecuteGraphton got the grant the starter issued for this execution and its org
    # (ResolveVariables refuses the runner without it).
    (grant,) = agent_grants_seen
    assert grants.verify(grant, execution.metadata.id)
    assert grant.org == execution.metadata.org


async def test_agent_thread_failure_persists_failed_naming_the_step(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    @ENSURE_THREAD.defn
    async def ensure_thread(
        arg: agent_contract.EnsureThreadInput,
    ) -> agent_contract.EnsureThreadOutput:
        raise ApplicationError("session ses-1 not found", non_retryable=True)

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(arg: Any) -> agent_contract.ExecuteGraphtonOutput:
        raise AssertionError("must not run without a thread")

    execution = _agent_execution(writer)
    orchestration = Orchestration(client, queues, writer)
    runner = AGENT_EXECUTION_RUNNER.worker(
        client, activities=[ensure_thread, execute_graphton], task_queue=queues.agent_runner
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_agent_execution(execution)
            handle = client.get_workflow_handle(
                INVOKE_AGENT_EXECUTION.workflow_id(
                    agent_contract.InvokeAgentExecutionInput(execution=execution)
                )
            )
            with pytest.raises(WorkflowFailureError):
                await handle.result()
    finally:
        await orchestration.stop_worker()

    stored = writer.agent_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.FAILED
    assert stored.status.error.message == f"{ENSURE_THREAD.name} failed: session ses-1 not found"
    assert stored.status.error.details["activity"] == ENSURE_THREAD.name


async def test_starting_the_same_execution_again_is_a_no_op_even_after_it_closed(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    # Reconciliation may start an execution Create already started (or whose
    # orchestration already ended): it must never run twice.
    execution = _workflow_execution(writer)
    orchestration = Orchestration(client, queues, writer)  # workers not started: stays queued
    assert await orchestration.starter.start_workflow_execution(execution) is True
    handle = client.get_workflow_handle(
        INVOKE_WORKFLOW_EXECUTION.workflow_id(
            workflow_contract.InvokeWorkflowExecutionInput(execution=execution)
        )
    )
    first_run = (await handle.describe()).run_id
    assert await orchestration.starter.start_workflow_execution(execution) is False
    await handle.terminate("test over")
    assert await orchestration.starter.start_workflow_execution(execution) is False
    assert (await handle.describe()).run_id == first_run  # no second run, open or closed
    await orchestration.stop_worker()  # never started: a no-op, not an error


async def test_cancelled_orchestration_persists_cancelled(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    started = asyncio.Event()

    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        arg: workflow_contract.ExecuteWorkflowInput,
    ) -> workflow_contract.ExecuteWorkflowOutput:
        started.set()
        await asyncio.sleep(60)  # cancelled with the worker at teardown
        raise AssertionError("the orchestration was cancelled; nobody waits for this")

    execution = _workflow_execution(writer)
    orchestration = Orchestration(client, queues, writer)
    runner = WORKFLOW_EXECUTION_RUNNER.worker(
        client,
        activities=[execute_workflow],
        task_queue=queues.workflow_runner,
        graceful_shutdown_timeout=timedelta(seconds=0),
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_workflow_execution(execution)
            await asyncio.wait_for(started.wait(), 30)
            handle = client.get_workflow_handle(
                INVOKE_WORKFLOW_EXECUTION.workflow_id(
                    workflow_contract.InvokeWorkflowExecutionInput(execution=execution)
                )
            )
            await handle.cancel()
            with pytest.raises(WorkflowFailureError) as failure:
                await asyncio.wait_for(handle.result(), 30)
    finally:
        await orchestration.stop_worker()

    assert isinstance(failure.value.cause, CancelledError)
    stored = writer.workflow_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.CANCELLED
    assert stored.status.error.code == "EXECUTION_CANCELLED"


async def test_agent_cancelled_while_waiting_for_decisions_persists_cancelled(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    # No activity runs while a guarded tool call waits for its decision: the
    # cancellation (e.g. from a workflow's cancelled `call: agent`) reaches the
    # wait itself, and the execution must not stay waiting for ever.
    waiting = asyncio.Event()

    @ENSURE_THREAD.defn
    async def ensure_thread(
        arg: agent_contract.EnsureThreadInput,
    ) -> agent_contract.EnsureThreadOutput:
        return agent_contract.EnsureThreadOutput(thread_id="thread-guarded")

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(
        arg: agent_contract.ExecuteGraphtonInput,
    ) -> agent_contract.ExecuteGraphtonOutput:
        waiting.set()
        return agent_contract.ExecuteGraphtonOutput(
            status=agent_api.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS),
            waiting_tool_call_ids=["call-guarded"],
        )

    execution = _agent_execution(writer)
    orchestration = Orchestration(client, queues, writer)
    runner = AGENT_EXECUTION_RUNNER.worker(
        client, activities=[ensure_thread, execute_graphton], task_queue=queues.agent_runner
    )
    orchestration.start()
    try:
        async with runner:
            await orchestration.starter.start_agent_execution(execution)
            await asyncio.wait_for(waiting.wait(), 30)
            handle = client.get_workflow_handle(
                INVOKE_AGENT_EXECUTION.workflow_id(
                    agent_contract.InvokeAgentExecutionInput(execution=execution)
                )
            )
            await handle.cancel()
            with pytest.raises(WorkflowFailureError) as failure:
                await asyncio.wait_for(handle.result(), 30)
            history = await handle.fetch_history()
    finally:
        await orchestration.stop_worker()

    await Replayer(workflows=[InvokeAgentExecutionWorkflow]).replay_workflow(history)
    assert isinstance(failure.value.cause, CancelledError)
    stored = writer.agent_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.CANCELLED
    assert stored.status.error.code == "EXECUTION_CANCELLED"


async def test_runner_outliving_the_workflow_deadline_is_recorded_as_a_timeout(
    client: Client, queues: OrchestrationQueues, writer: RecordingStatusWriter
) -> None:
    @EXECUTE_WORKFLOW.defn
    async def execute_workflow(
        arg: workflow_contract.ExecuteWorkflowInput,
    ) -> workflow_contract.ExecuteWorkflowOutput:
        await asyncio.sleep(60)  # far past the budget; cancelled at worker shutdown
        raise AssertionError("the budget should have run out")

    execution = _workflow_execution(writer)
    orchestration = Orchestration(client, queues, writer)
    runner = WORKFLOW_EXECUTION_RUNNER.worker(
        client,
        activities=[execute_workflow],
        task_queue=queues.workflow_runner,
        graceful_shutdown_timeout=timedelta(seconds=0),
    )
    orchestration.start()
    try:
        async with runner:
            # A workflow deadline 3 s past the recording margin: the runner gets ~3 s.
            handle = await INVOKE_WORKFLOW_EXECUTION.start(
                client,
                workflow_contract.InvokeWorkflowExecutionInput(execution=execution),
                task_queue=queues.workflow_stigmer,
                memo={RUNNER_QUEUE_MEMO_KEY: queues.workflow_runner},
                execution_timeout=RECORDING_MARGIN + timedelta(seconds=3),
            )
            with pytest.raises(WorkflowFailureError):
                await asyncio.wait_for(handle.result(), 30)
    finally:
        await orchestration.stop_worker()

    stored = writer.workflow_executions[execution.metadata.id]
    assert stored.status.phase == phase_pb2.FAILED
    assert stored.status.error.code == "ACTIVITY_TIMEOUT"
    assert stored.status.error.details["timeout_type"] == "SCHEDULE_TO_CLOSE"
