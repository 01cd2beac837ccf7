"""Executions: default instances and sessions on demand, starting, status merge, Subscribe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from api_client import field_of, stubs
from conftest import start
from google.protobuf.message import Message
from samples import create, sample
from stigmer.commons.v1 import io_pb2
from stigmer.commons.v1 import phase_pb2 as phase
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer_server import kinds
from stigmer_server.execution.run_control import NothingToControl
from stigmer_server.execution.starter import ExecutionStarter
from stigmer_server.server import ServerServices, StigmerServer


async def test_execution_with_only_a_workflow_uses_its_default_instance(
    channel: grpc.aio.Channel,
) -> None:
    workflow = await create(channel, kinds.WORKFLOW)
    executions = stubs(channel, kinds.WORKFLOW_EXECUTION)
    request = wex.WorkflowExecution(
        spec=wex.WorkflowExecutionSpec(workflow_id=workflow.metadata.id)
    )
    first = await executions.command.Create(request)
    second = await executions.command.Create(request)
    assert first.status.phase == phase.PENDING
    assert first.status.workflow_instance_id.startswith("win-")
    assert second.status.workflow_instance_id == first.status.workflow_instance_id
    stored = await stubs(channel, kinds.WORKFLOW).query.Get(
        io_pb2.ApiResourceId(value=workflow.metadata.id)
    )
    assert stored.status.default_instance_id == first.status.workflow_instance_id
    instances = await stubs(channel, kinds.WORKFLOW_INSTANCE).query.List(
        io_pb2.ApiResourceListInput(parent_id=workflow.metadata.id)
    )
    assert [i.metadata.id for i in instances.items] == [first.status.workflow_instance_id]


async def test_agent_execution_opens_a_session_on_the_default_instance(
    channel: grpc.aio.Channel,
) -> None:
    execution = await create(channel, kinds.AGENT_EXECUTION)
    status: Any = execution.status
    assert status.session_id.startswith("ses-") and status.agent_instance_id.startswith("ain-")
    follow_up = await sample(channel, kinds.AGENT_EXECUTION)
    follow_up.spec.agent_id = ""
    follow_up.spec.session_id = status.session_id
    second = await stubs(channel, kinds.AGENT_EXECUTION).command.Create(follow_up)
    assert (second.status.session_id, second.status.agent_id) == (
        status.session_id,
        status.agent_id,
    )


async def test_agent_execution_refuses_another_orgs_agent_and_session(
    channel: grpc.aio.Channel,
) -> None:
    # The zero-config caller sees every org (like the platform's runner key), so
    # only this check keeps an execution in acme off globex's agent and session.
    executions = stubs(channel, kinds.AGENT_EXECUTION)
    agent = await create(channel, kinds.AGENT, org="globex")
    in_globex = await sample(channel, kinds.AGENT_EXECUTION, org="globex")
    in_globex.spec.agent_id = agent.metadata.id
    globex = await executions.command.Create(in_globex)
    by_agent = await sample(channel, kinds.AGENT_EXECUTION, org="acme")
    by_agent.spec.agent_id = globex.status.agent_id
    by_session = await sample(channel, kinds.AGENT_EXECUTION, org="acme")
    by_session.spec.agent_id = ""
    by_session.spec.session_id = globex.status.session_id
    for request, field in ((by_agent, "spec.agent_id"), (by_session, "spec.session_id")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await executions.command.Create(request)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
        assert field_of(refused.value) == field
        assert "not found in org 'acme'" in (refused.value.details() or "")


async def _subscribe(channel: grpc.aio.Channel, execution_id: str, into: list[Any]) -> None:
    call = stubs(channel, kinds.WORKFLOW_EXECUTION).query.Subscribe(
        io_pb2.ApiResourceId(value=execution_id)
    )
    async for change in call:
        into.append(change)


async def _report(
    channel: grpc.aio.Channel, execution_id: str, status: wex.WorkflowExecutionStatus
) -> Any:
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)
    )


async def _wait_for_subscriber(server: StigmerServer, execution_id: str) -> None:
    assert server.deps is not None
    for _ in range(200):
        if server.deps.change_feed.subscriber_count(execution_id):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscriber never registered")


async def test_subscribe_streams_current_state_then_changes_until_terminal(
    server: StigmerServer, channel: grpc.aio.Channel
) -> None:
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    eid = execution.metadata.id
    seen: list[Any] = []
    reader = asyncio.create_task(_subscribe(channel, eid, seen))
    await _wait_for_subscriber(server, eid)
    running = wex.WorkflowExecutionStatus(phase=phase.IN_PROGRESS)
    running.tasks.add(task_id="greet", name="greet", type="SET", status=phase.IN_PROGRESS)
    await _report(channel, eid, running)
    done = wex.WorkflowExecutionStatus(phase=phase.COMPLETED)
    done.tasks.add(task_id="greet", status=phase.COMPLETED).output.string_value = "hi"
    done.output.struct_value.update({"greeting": "hi"})
    await _report(channel, eid, done)
    late = wex.WorkflowExecutionStatus(phase=phase.IN_PROGRESS)  # must not reopen it
    after = await _report(channel, eid, late)
    await asyncio.wait_for(reader, 5)  # the stream ended by itself at COMPLETED
    assert [s.status.phase for s in seen] == [phase.PENDING, phase.IN_PROGRESS, phase.COMPLETED]
    assert [t.status for t in seen[1].status.tasks] == [phase.IN_PROGRESS]
    final = seen[-1].status
    assert (final.tasks[0].name, final.tasks[0].output.string_value) == ("greet", "hi")
    assert final.output.struct_value["greeting"] == "hi"
    assert after.status.phase == phase.COMPLETED
    assert after.metadata.version == seen[-1].metadata.version  # ignored report wrote nothing


async def test_subscribe_to_a_finished_execution_sends_one_message(
    channel: grpc.aio.Channel,
) -> None:
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    await _report(channel, execution.metadata.id, wex.WorkflowExecutionStatus(phase=phase.FAILED))
    seen: list[Any] = []
    await asyncio.wait_for(_subscribe(channel, execution.metadata.id, seen), 5)
    assert [s.status.phase for s in seen] == [phase.FAILED]


async def test_client_cancel_ends_the_subscription(
    server: StigmerServer, channel: grpc.aio.Channel
) -> None:
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    eid = execution.metadata.id
    call = stubs(channel, kinds.WORKFLOW_EXECUTION).query.Subscribe(io_pb2.ApiResourceId(value=eid))
    assert (await call.read()).status.phase == phase.PENDING
    call.cancel()
    assert server.deps is not None
    for _ in range(200):
        if server.deps.change_feed.subscriber_count(eid) == 0:
            break
        await asyncio.sleep(0.01)
    assert server.deps.change_feed.subscriber_count(eid) == 0


async def test_concurrent_reports_all_land(channel: grpc.aio.Channel) -> None:
    execution = await create(channel, kinds.WORKFLOW_EXECUTION)
    eid = execution.metadata.id

    def one(i: int) -> wex.WorkflowExecutionStatus:
        s = wex.WorkflowExecutionStatus(phase=phase.IN_PROGRESS)
        s.tasks.add(task_id=f"t{i}", status=phase.COMPLETED)
        return s

    await asyncio.gather(*(_report(channel, eid, one(i)) for i in range(20)))
    stored = await stubs(channel, kinds.WORKFLOW_EXECUTION).query.Get(
        io_pb2.ApiResourceId(value=eid)
    )
    assert sorted(t.task_id for t in stored.status.tasks) == sorted(f"t{i}" for i in range(20))


class RecordingStarter:
    """Checks the execution is already persisted PENDING when the start is requested."""

    def __init__(self, server: list[StigmerServer], fail: bool) -> None:
        self._server = server
        self.fail = fail
        self.started: list[str] = []

    async def start_workflow_execution(self, execution: Message) -> bool:
        return await self._start(execution)

    async def start_agent_execution(self, execution: Message) -> bool:
        return await self._start(execution)

    async def _start(self, execution: Any) -> bool:
        deps = self._server[0].deps
        assert deps is not None
        kind = (
            kinds.WORKFLOW_EXECUTION
            if execution.metadata.id.startswith("wex-")
            else kinds.AGENT_EXECUTION
        )
        stored: Any = deps.repository.get(kind, execution.metadata.id)
        assert stored is not None and stored.status.phase == phase.PENDING
        self.started.append(execution.metadata.id)
        if self.fail:
            raise ConnectionError("temporal frontend refused the start")
        return True


class FakeOrchestration:
    def __init__(self, starter: ExecutionStarter) -> None:
        self._starter = starter

    @property
    def starter(self) -> ExecutionStarter:
        return self._starter

    @property
    def run_control(self) -> NothingToControl:
        return NothingToControl()

    async def stop_worker(self) -> None:
        return None

    async def close_client(self) -> None:
        return None


@pytest.mark.parametrize(
    "kind", [kinds.WORKFLOW_EXECUTION, kinds.AGENT_EXECUTION], ids=lambda k: k.space
)
async def test_failed_start_is_acknowledged_and_stays_pending(
    tmp_path: Path, kind: kinds.KindDescriptor, caplog: pytest.LogCaptureFixture
) -> None:
    # Stored means acknowledged: the Create answers OK and reconciliation starts
    # the execution later (or FAILs it after the start deadline).
    holder: list[StigmerServer] = []
    starter = RecordingStarter(holder, fail=True)

    async def factory(services: ServerServices) -> FakeOrchestration:
        return FakeOrchestration(starter)

    server = await start(tmp_path, factory=factory)
    holder.append(server)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            created = await create(channel, kind)
            assert created.status.phase == phase.PENDING
            [eid] = starter.started
            assert eid == created.metadata.id
            stored = await stubs(channel, kind).query.Get(io_pb2.ApiResourceId(value=eid))
            assert stored.status.phase == phase.PENDING
    finally:
        await server.stop()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING" and eid in r.getMessage()]
    assert "temporal frontend refused" in warning.getMessage()


async def test_started_executions_reach_the_starter(tmp_path: Path) -> None:
    holder: list[StigmerServer] = []
    starter = RecordingStarter(holder, fail=False)

    async def factory(services: ServerServices) -> FakeOrchestration:
        return FakeOrchestration(starter)

    server = await start(tmp_path, factory=factory)
    holder.append(server)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            created = await create(channel, kinds.WORKFLOW_EXECUTION)
            assert starter.started == [created.metadata.id]
    finally:
        await server.stop()


async def test_unreachable_orchestrator_at_boot_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def factory(services: ServerServices) -> FakeOrchestration:
        raise ConnectionRefusedError("nobody on 127.0.0.1:1")

    server = await start(tmp_path, factory=factory)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            first = await create(channel, kinds.WORKFLOW_EXECUTION)
            await create(channel, kinds.WORKFLOW_EXECUTION)
            assert first.status.phase == phase.PENDING
    finally:
        await server.stop()
    warnings = [r for r in caplog.records if "executions stay PENDING" in r.getMessage()]
    assert len(warnings) == 1
