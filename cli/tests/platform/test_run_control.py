"""End to end: Cancel, Pause, Resume and Delete of executions on real processes.

stigmer-server and workflow-runner processes on a dev server (see conftest.py).
Cancel must reach the engine workflow itself (cancelled in Temporal, not
completed, not failed at its next report), interrupt a long ``wait`` or HTTP
call, and mark every open task CANCELLED; pause holds the engine between tasks
until resume; a running execution cannot be deleted.
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from e2e_platform import Platform
from google.protobuf import json_format
from run_control_support import get_execution, task_phase, wait_until
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.workflowexecution.v1 import command_pb2_grpc
from stigmer_cli.api import StigmerClient
from stigmer_cli.errors import UsageError
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from workflow_runner.bridge.execute_workflow import engine_workflow_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 60.0
TERMINAL_PHASES = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)


def _dsl(name: str, tasks: list[dict[str, object]]) -> dict[str, object]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "e2e", "name": name, "version": "1.0.0"},
        "do": tasks,
    }


async def _start(
    platform: Platform, document: dict[str, object], workflow_input: dict[str, object]
) -> tuple[StigmerClient, str]:
    workflow, _ = workflow_from_dsl(document)
    client = StigmerClient(platform.server.address)
    applied = await client.apply_workflow(workflow)
    execution = await client.start_execution(applied, workflow_input)
    return client, execution.metadata.id


def _running(name: str) -> object:
    return lambda e: task_phase(e, name) == phase_pb2.IN_PROGRESS


async def _assert_engine_cancelled(platform: Platform, execution_id: str) -> None:
    engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
    async with asyncio.timeout(30):
        with pytest.raises(WorkflowFailureError) as failure:
            await engine.result()
    assert isinstance(failure.value.cause, CancelledError), failure.value.cause
    assert (await engine.describe()).status == WorkflowExecutionStatus.CANCELED
    orchestration = platform.client.get_workflow_handle(
        f"stigmer/workflow-execution/invoke/{execution_id}"
    )
    async with asyncio.timeout(30):
        with pytest.raises(WorkflowFailureError) as ended:
            await orchestration.result()
    assert isinstance(ended.value.cause, CancelledError), repr(ended.value.cause)
    assert (await orchestration.describe()).status == WorkflowExecutionStatus.CANCELED


async def test_cancel_inside_a_long_wait_stops_the_engine(platform: Platform) -> None:
    document = _dsl(
        "cancel-wait",
        [
            {"first": {"set": {"step": 1}}},
            {"nap": {"wait": {"seconds": 60}}},
            {"never": {"set": {"ran": True}}},
        ],
    )
    client, execution_id = await _start(platform, document, {})
    async with client:
        await wait_until(client, execution_id, _running("nap"))  # type: ignore[arg-type]
        cancelled = await client.control_execution("cancel", execution_id, "e2e")
        assert cancelled.status.phase == phase_pb2.CANCELLED
        final = await wait_until(
            client, execution_id, lambda e: e.status.phase == phase_pb2.CANCELLED
        )
    # Cancelled in Temporal long before the 60 s wait would have ended.
    await _assert_engine_cancelled(platform, execution_id)
    stored = await get_execution(platform.server.address, execution_id)
    assert stored.status.phase == phase_pb2.CANCELLED, platform.logs()
    assert "e2e" in stored.status.error.message
    assert [(t.name, t.status) for t in stored.status.tasks] == [
        ("first", phase_pb2.COMPLETED),
        ("nap", phase_pb2.CANCELLED),
    ]
    assert final.metadata.version <= stored.metadata.version


class _SlowSink(BaseHTTPRequestHandler):
    """Answers after ``delay`` seconds, unless the client hangs up first (counted)."""

    delay = 60.0
    requests = 0
    finished = 0
    hung_up = 0
    closing = threading.Event()

    def do_GET(self) -> None:
        type(self).requests += 1
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not self.closing.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                type(self).hung_up += 1
                return
        if self.closing.is_set():
            return
        type(self).finished += 1
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"late": true}')

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def slow_sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSink)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SlowSink.requests = _SlowSink.finished = _SlowSink.hung_up = 0
    _SlowSink.closing.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow"
    finally:
        _SlowSink.closing.set()
        server.shutdown()
        server.server_close()


async def test_cancel_inside_a_slow_http_call_stops_the_engine(
    platform: Platform, slow_sink: str
) -> None:
    document = _dsl(
        "cancel-http",
        [
            {"fetch": {"call": "http", "with": {"method": "get", "endpoint": slow_sink}}},
            {"never": {"set": {"ran": True}}},
        ],
    )
    client, execution_id = await _start(platform, document, {})
    async with client:
        await wait_until(client, execution_id, _running("fetch"))  # type: ignore[arg-type]
        for _ in range(600):  # the activity has sent its request
            if _SlowSink.requests:
                break
            await asyncio.sleep(0.05)
        await client.control_execution("cancel", execution_id)
    await _assert_engine_cancelled(platform, execution_id)
    stored = await get_execution(platform.server.address, execution_id)
    assert [(t.name, t.status) for t in stored.status.tasks] == [("fetch", phase_pb2.CANCELLED)]
    # The activity learns of the cancellation at its next heartbeat and abandons
    # the request: the sink sees the client hang up instead of answering.
    for _ in range(600):
        if _SlowSink.hung_up:
            break
        await asyncio.sleep(0.05)
    assert (_SlowSink.requests, _SlowSink.hung_up, _SlowSink.finished) == (1, 1, 0)


async def test_cancel_of_a_paused_execution(platform: Platform) -> None:
    document = _dsl(
        "cancel-paused",
        [{"nap": {"wait": {"seconds": 1}}}, {"never": {"set": {"ran": True}}}],
    )
    client, execution_id = await _start(platform, document, {})
    async with client:
        await wait_until(client, execution_id, _running("nap"))  # type: ignore[arg-type]
        await client.control_execution("pause", execution_id)
        held = await wait_until(
            client, execution_id, lambda e: task_phase(e, "nap") == phase_pb2.COMPLETED
        )
        assert held.status.paused
        cancelled = await client.control_execution("cancel", execution_id)
    assert cancelled.status.phase == phase_pb2.CANCELLED and not cancelled.status.paused
    await _assert_engine_cancelled(platform, execution_id)
    stored = await get_execution(platform.server.address, execution_id)
    assert [t.name for t in stored.status.tasks] == ["nap"]


async def test_paused_before_the_engine_starts_holds_the_first_task(platform: Platform) -> None:
    # No runner: the engine cannot exist yet, so the pause signal has no target
    # and the bridge must start the engine held, from the stored status.
    assert platform.runner is not None
    platform.runner.stop()
    document = _dsl("paused-early", [{"only": {"set": {"ran": True}}}])
    client, execution_id = await _start(platform, document, {})
    async with client:
        paused = await client.control_execution("pause", execution_id)
        assert paused.status.phase == phase_pb2.PENDING and paused.status.paused
        platform.start_runner()
        engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
        for _ in range(600):  # the bridge has started the engine
            try:
                await engine.describe()
                break
            except Exception:
                await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # long enough for `only` to have run unheld
        during = await get_execution(platform.server.address, execution_id)
        assert during.status.phase == phase_pb2.PENDING and not during.status.tasks
        await client.control_execution("resume", execution_id)
        final = await wait_until(
            client, execution_id, lambda e: e.status.phase == phase_pb2.COMPLETED
        )
    assert json_format.MessageToDict(final.status.output) == {"ran": True}


async def test_pause_holds_the_next_task_until_resume(platform: Platform) -> None:
    document = _dsl(
        "pause-resume",
        [
            {"one": {"set": {"n": 1}}},
            {"nap": {"wait": {"seconds": 1}}},
            {"two": {"set": {"n": "${ .n + 1 }"}}},
            {"three": {"set": {"n": "${ .n + 1 }", "done": True}}},
        ],
    )
    client, execution_id = await _start(platform, document, {})
    async with client:
        await wait_until(client, execution_id, _running("nap"))  # type: ignore[arg-type]
        paused = await client.control_execution("pause", execution_id, "e2e")
        assert paused.status.paused
        # The running task finishes; the next one is held.
        held = await wait_until(
            client, execution_id, lambda e: task_phase(e, "nap") == phase_pb2.COMPLETED
        )
        assert held.status.paused and held.status.phase == phase_pb2.IN_PROGRESS
        await asyncio.sleep(3)  # long enough for `two` and `three` to have run unheld
        during = await get_execution(platform.server.address, execution_id)
        assert [t.name for t in during.status.tasks] == ["one", "nap"], platform.logs()
        resumed = await client.control_execution("resume", execution_id)
        assert not resumed.status.paused
        final = await wait_until(client, execution_id, lambda e: e.status.phase in TERMINAL_PHASES)
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.status.output) == {"n": 3, "done": True}
    assert [t.name for t in final.status.tasks] == ["one", "nap", "two", "three"]
    two = final.status.tasks[2]
    # `two` started after the resume request, not when `nap` ended.
    assert two.started_at.ToDatetime() >= resumed.status.audit.updated_at.ToDatetime()
    engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
    assert await engine.result() == {"n": 3, "done": True}


async def test_delete_of_a_running_execution_is_refused(platform: Platform) -> None:
    document = _dsl("no-delete", [{"nap": {"wait": {"seconds": 60}}}])
    client, execution_id = await _start(platform, document, {})
    async with (
        client,
        grpc.aio.insecure_channel(platform.server.address) as channel,
    ):
        await wait_until(client, execution_id, _running("nap"))  # type: ignore[arg-type]
        commands = command_pb2_grpc.WorkflowExecutionCommandControllerStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await commands.Delete(io_pb2.ApiResourceId(value=execution_id))
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "cancel it first" in (refused.value.details() or "")
        await client.control_execution("cancel", execution_id)
        deleted = await commands.Delete(io_pb2.ApiResourceId(value=execution_id))
        assert deleted.status.phase == phase_pb2.CANCELLED
        with pytest.raises(UsageError, match="NOT_FOUND"):
            await wait_until(client, execution_id, lambda e: False, within=15)
    await _assert_engine_cancelled(platform, execution_id)


def _stigmer(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args, "--server", platform.server.address],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_cli_cancel_pause_resume(platform: Platform) -> None:
    document = _dsl("cli-control", [{"nap": {"wait": {"seconds": 60}}}])
    client, execution_id = await _start(platform, document, {})
    async with client:
        await wait_until(client, execution_id, _running("nap"))  # type: ignore[arg-type]
    pause = await asyncio.to_thread(_stigmer, platform, "pause", execution_id)
    assert (pause.returncode, pause.stdout) == (0, f"{execution_id} IN_PROGRESS (paused)\n")
    resume = await asyncio.to_thread(_stigmer, platform, "resume", execution_id)
    assert (resume.returncode, resume.stdout) == (0, f"{execution_id} IN_PROGRESS\n")
    cancel = await asyncio.to_thread(
        _stigmer, platform, "cancel", execution_id, "--reason", "from the CLI"
    )
    assert (cancel.returncode, cancel.stdout) == (0, f"{execution_id} CANCELLED\n")
    stored = await get_execution(platform.server.address, execution_id)
    assert "from the CLI" in stored.status.error.message
    for args, expected in [
        (("cancel", execution_id), "FAILED_PRECONDITION"),
        (("pause", "wex-doesnotexist"), "NOT_FOUND"),
        (("resume", " "), "EXECUTION must be an execution id"),
    ]:
        refused = await asyncio.to_thread(_stigmer, platform, *args)
        assert refused.returncode == 2, refused
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], refused.stderr
        assert "Traceback" not in refused.stderr
