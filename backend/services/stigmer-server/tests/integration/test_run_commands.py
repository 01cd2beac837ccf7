"""Cancel, Pause, Resume and the delete rules of executions, on a real in-process server.

No orchestrator here: executions stay PENDING until the test reports status
itself, and a recording ``RunControl`` shows what would reach Temporal (the
platform e2e tests cover the real workflows).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest
from api_client import field_of, stubs
from conftest import start
from samples import create
from stigmer.agentexecution.v1 import api_pb2 as aex
from stigmer.agentexecution.v1 import io_pb2 as aex_io
from stigmer.commons.v1 import io_pb2
from stigmer.commons.v1 import phase_pb2 as phase
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer_server import kinds
from stigmer_server.execution.change_feed import DELETED
from stigmer_server.execution.run_commands import EXECUTION_CANCELLED
from stigmer_server.execution.starter import ExecutionStarter, NoOrchestration
from stigmer_server.server import ServerServices, StigmerServer


class RecordingRunControl:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def cancel_workflow_execution(self, execution_id: str, reason: str) -> None:
        self.calls.append(("cancel", execution_id, reason))

    async def pause_workflow_execution(self, execution_id: str, reason: str) -> None:
        self.calls.append(("pause", execution_id, reason))

    async def resume_workflow_execution(self, execution_id: str, reason: str) -> None:
        self.calls.append(("resume", execution_id, reason))

    async def decide_tool_calls(self, execution_id: str, decisions: Sequence[Any]) -> None:
        self.calls.append(("decide", execution_id, ",".join(d.tool_call_id for d in decisions)))


class ControlledOrchestration:
    """Starts nothing (executions stay PENDING); records run control."""

    def __init__(self) -> None:
        self.control = RecordingRunControl()
        self._starter = NoOrchestration("test").starter

    @property
    def starter(self) -> ExecutionStarter:
        return self._starter

    @property
    def run_control(self) -> RecordingRunControl:
        return self.control

    async def stop_worker(self) -> None:
        return None

    async def close_client(self) -> None:
        return None


@pytest.fixture
async def controlled(tmp_path: Path) -> AsyncIterator[tuple[StigmerServer, RecordingRunControl]]:
    orchestration = ControlledOrchestration()

    async def factory(services: ServerServices) -> ControlledOrchestration:
        return orchestration

    server = await start(tmp_path / "data", factory=factory)
    try:
        yield server, orchestration.control
    finally:
        await server.stop()


@pytest.fixture
async def channel(
    controlled: tuple[StigmerServer, RecordingRunControl],
) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(controlled[0].address) as ch:
        yield ch


def _commands(channel: grpc.aio.Channel) -> Any:
    return stubs(channel, kinds.WORKFLOW_EXECUTION).command


def _control(execution_id: str, reason: str = "") -> wex_io.WorkflowExecutionControlInput:
    return wex_io.WorkflowExecutionControlInput(execution_id=execution_id, reason=reason)


async def _running(channel: grpc.aio.Channel) -> str:
    """An IN_PROGRESS execution with one finished and one open task."""
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    status = wex.WorkflowExecutionStatus(phase=phase.IN_PROGRESS)
    status.tasks.add(task_id="first", name="first", status=phase.COMPLETED)
    status.tasks.add(task_id="nap", name="nap", status=phase.IN_PROGRESS)
    await _commands(channel).UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=execution.metadata.id, status=status)
    )
    return str(execution.metadata.id)


@pytest.mark.parametrize("verb", ["Cancel", "Pause", "Resume"])
async def test_bad_control_requests_name_the_field(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl], verb: str
) -> None:
    rpc = getattr(_commands(channel), verb)
    cases = [
        (_control(""), grpc.StatusCode.INVALID_ARGUMENT, "execution_id"),
        (_control("wex-nope", "x" * 501), grpc.StatusCode.INVALID_ARGUMENT, "reason"),
        (_control("wex-nope"), grpc.StatusCode.NOT_FOUND, "execution_id"),
    ]
    for request, code, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await rpc(request)
        assert caught.value.code() == code, caught.value.details()
        assert field_of(caught.value) == field
        assert (caught.value.details() or "").startswith(f"{field}: ")
    assert controlled[1].calls == []


async def test_cancel_marks_cancelled_with_open_tasks_and_reaches_the_run(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    server, control = controlled
    eid = await _running(channel)
    seen: list[Any] = []

    async def subscribe() -> None:
        call = stubs(channel, kinds.WORKFLOW_EXECUTION).query.Subscribe(
            io_pb2.ApiResourceId(value=eid)
        )
        async for change in call:
            seen.append(change)

    reader = asyncio.create_task(subscribe())
    assert server.deps is not None
    for _ in range(1000):
        if server.deps.change_feed.subscriber_count(eid):
            break
        await asyncio.sleep(0.01)
    cancelled = await _commands(channel).Cancel(_control(eid, "changed my mind"))
    status = cancelled.status
    assert status.phase == phase.CANCELLED
    assert status.error.code == EXECUTION_CANCELLED
    assert "changed my mind" in status.error.message
    assert status.HasField("completed_at")
    assert [(t.task_id, t.status) for t in status.tasks] == [
        ("first", phase.COMPLETED),
        ("nap", phase.CANCELLED),
    ]
    assert status.tasks[1].HasField("completed_at")
    assert control.calls == [("cancel", eid, "changed my mind")]
    await asyncio.wait_for(reader, 10)  # the open stream ended at CANCELLED
    assert seen[-1].status.phase == phase.CANCELLED

    # A late report from the stopped engine cannot reopen the task or the execution.
    late = wex.WorkflowExecutionStatus(phase=phase.IN_PROGRESS)
    late.tasks.add(task_id="nap", status=phase.COMPLETED)
    late.tasks.add(task_id="after", status=phase.IN_PROGRESS)
    after = await _commands(channel).UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=eid, status=late)
    )
    assert after.status.phase == phase.CANCELLED
    assert {t.task_id: t.status for t in after.status.tasks} == {
        "first": phase.COMPLETED,
        "nap": phase.CANCELLED,
        "after": phase.CANCELLED,
    }

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _commands(channel).Cancel(_control(eid))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert field_of(caught.value) == "execution_id"
    assert "CANCELLED" in (caught.value.details() or "")
    assert len(control.calls) == 1


async def test_cancel_of_a_pending_execution(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    assert execution.status.phase == phase.PENDING
    cancelled = await _commands(channel).Cancel(_control(execution.metadata.id))
    assert cancelled.status.phase == phase.CANCELLED
    assert cancelled.status.error.message == "cancelled by request"
    assert controlled[1].calls == [("cancel", execution.metadata.id, "")]


async def test_pause_and_resume_toggle_status_and_signal_the_run(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    eid = await _running(channel)
    paused = await _commands(channel).Pause(_control(eid, "lunch"))
    assert paused.status.paused and paused.status.HasField("paused_at")
    assert paused.status.phase == phase.IN_PROGRESS
    again = await _commands(channel).Pause(_control(eid))  # idempotent: nothing written
    assert again.metadata.version == paused.metadata.version
    resumed = await _commands(channel).Resume(_control(eid))
    assert not resumed.status.paused and not resumed.status.HasField("paused_at")
    assert resumed.metadata.version == paused.metadata.version + 1
    assert controlled[1].calls == [
        ("pause", eid, "lunch"),
        ("pause", eid, ""),
        ("resume", eid, ""),
    ]
    # Cancel of a paused execution works and leaves nothing paused.
    await _commands(channel).Pause(_control(eid))
    cancelled = await _commands(channel).Cancel(_control(eid))
    assert cancelled.status.phase == phase.CANCELLED and not cancelled.status.paused
    for verb in ("Pause", "Resume"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await getattr(_commands(channel), verb)(_control(eid))
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert field_of(caught.value) == "execution_id"


async def test_delete_of_a_running_execution_is_refused(channel: grpc.aio.Channel) -> None:
    eid = await _running(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _commands(channel).Delete(io_pb2.ApiResourceId(value=eid))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "cancel it first" in (caught.value.details() or "")
    assert field_of(caught.value) == "value"
    await _commands(channel).Cancel(_control(eid))
    deleted = await _commands(channel).Delete(io_pb2.ApiResourceId(value=eid))
    assert deleted.metadata.id == eid
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stubs(channel, kinds.WORKFLOW_EXECUTION).query.Get(io_pb2.ApiResourceId(value=eid))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_delete_ends_the_executions_feed(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    server = controlled[0]
    assert server.deps is not None
    eid = await _running(channel)
    await _commands(channel).Cancel(_control(eid))
    with server.deps.change_feed.subscribe(eid) as queue:
        await _commands(channel).Delete(io_pb2.ApiResourceId(value=eid))
        assert await asyncio.wait_for(queue.get(), 5) is DELETED


async def test_an_open_subscribe_ends_not_found_when_its_feed_ends(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    # A stream stays open only while the execution runs, and a running execution
    # cannot be deleted; the stream's half of the rule is driven through the feed.
    server = controlled[0]
    assert server.deps is not None
    eid = await _running(channel)
    call = stubs(channel, kinds.WORKFLOW_EXECUTION).query.Subscribe(io_pb2.ApiResourceId(value=eid))
    assert (await call.read()).status.phase == phase.IN_PROGRESS
    server.deps.change_feed.end(eid)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(call.read(), 5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "deleted" in (caught.value.details() or "")


def _decide(execution_id: str, *decisions: tuple[str, bool]) -> Any:
    return aex_io.AgentExecutionDecideToolCallsInput(
        execution_id=execution_id,
        decisions=[
            aex.ToolCallDecision(tool_call_id=call_id, approved=approved, reason="why")
            for call_id, approved in decisions
        ],
    )


async def _waiting_agent_execution(channel: grpc.aio.Channel) -> str:
    """An IN_PROGRESS agent execution with one call waiting and one ordinary call."""
    execution = await create(channel, kinds.AGENT_EXECUTION)
    status = aex.AgentExecutionStatus(phase=phase.IN_PROGRESS)
    status.tool_calls.add(
        id="call-guarded", name="bump", status=phase.IN_PROGRESS, approval=aex.WAITING_APPROVAL
    )
    status.tool_calls.add(id="call-free", name="read", status=phase.COMPLETED)
    await stubs(channel, kinds.AGENT_EXECUTION).command.UpdateStatus(
        aex_io.AgentExecutionUpdateStatusInput(execution_id=execution.metadata.id, status=status)
    )
    return str(execution.metadata.id)


async def test_decide_tool_calls_refuses_bad_requests_naming_the_field(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    rpc = stubs(channel, kinds.AGENT_EXECUTION).command.DecideToolCalls
    eid = await _waiting_agent_execution(channel)
    cases = [
        (_decide("", ("call-guarded", True)), grpc.StatusCode.INVALID_ARGUMENT, "execution_id"),
        (_decide(eid), grpc.StatusCode.INVALID_ARGUMENT, "decisions"),
        (_decide(eid, ("", True)), grpc.StatusCode.INVALID_ARGUMENT, "decisions[0].tool_call_id"),
        (_decide("aex-nope", ("c", True)), grpc.StatusCode.NOT_FOUND, "execution_id"),
        (
            _decide(eid, ("call-guarded", True), ("call-free", True)),
            grpc.StatusCode.FAILED_PRECONDITION,
            "decisions[1].tool_call_id",
        ),
        (
            _decide(eid, ("nope", False)),
            grpc.StatusCode.FAILED_PRECONDITION,
            "decisions[0].tool_call_id",
        ),
    ]
    for request, code, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await rpc(request)
        assert caught.value.code() == code, caught.value.details()
        assert field_of(caught.value) == field, caught.value.details()
    assert controlled[1].calls == []
    stored = await stubs(channel, kinds.AGENT_EXECUTION).query.Get(io_pb2.ApiResourceId(value=eid))
    # A refused request recorded nothing (not even its valid first decision).
    assert stored.status.tool_calls[0].approval == aex.WAITING_APPROVAL


async def test_decide_tool_calls_records_then_signals_and_a_decision_is_final(
    channel: grpc.aio.Channel, controlled: tuple[StigmerServer, RecordingRunControl]
) -> None:
    rpc = stubs(channel, kinds.AGENT_EXECUTION).command.DecideToolCalls
    eid = await _waiting_agent_execution(channel)

    decided = await rpc(_decide(eid, ("call-guarded", False)))
    call = decided.status.tool_calls[0]
    assert (call.approval, call.approval_reason) == (aex.REJECTED, "why")
    assert controlled[1].calls == [("decide", eid, "call-guarded")]

    # The same decision again is accepted (a retry) and signals again; another is refused.
    await rpc(_decide(eid, ("call-guarded", False)))
    assert len(controlled[1].calls) == 2
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await rpc(_decide(eid, ("call-guarded", True)))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already rejected" in (caught.value.details() or "")

    # A later runner report (the call's result) keeps the recorded decision.
    report = aex.AgentExecutionStatus(phase=phase.IN_PROGRESS)
    report.tool_calls.add(id="call-guarded", name="bump", status=phase.FAILED)
    updated = await stubs(channel, kinds.AGENT_EXECUTION).command.UpdateStatus(
        aex_io.AgentExecutionUpdateStatusInput(execution_id=eid, status=report)
    )
    assert (updated.status.tool_calls[0].status, updated.status.tool_calls[0].approval) == (
        phase.FAILED,
        aex.REJECTED,
    )
