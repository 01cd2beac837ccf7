"""I/O tasks through the platform: `call: http` and `run: shell` run on the runner's
engine worker (real processes), and JSON integers stay integers end to end."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from e2e_platform import Platform, dsl_document
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_cli.api import StigmerClient, result_json
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from workflow_runner.bridge.execute_workflow import engine_workflow_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 90.0


class _JsonHandler(BaseHTTPRequestHandler):
    def answer(self, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Greeter(_JsonHandler):
    def do_GET(self) -> None:
        self.answer({"path": self.path, "count": 3, "ratio": 0.5})


@pytest.fixture
def http_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Greeter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Held(_JsonHandler):
    """Answers once the test releases it (``server.release``)."""

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.server.release.wait(TIMEOUT)  # type: ignore[attr-defined]
        self.answer({"held": True})


@pytest.fixture
def held_http() -> Iterator[tuple[str, threading.Event, list[str]]]:
    """The base URL, the event releasing every request, and the paths asked so far."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Held)
    release = threading.Event()
    paths: list[str] = []
    server.release = release  # type: ignore[attr-defined]
    server.paths = paths  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", release, paths
    finally:
        release.set()
        server.shutdown()
        server.server_close()


async def _run(
    platform: Platform, document: dict[str, object], workflow_input: dict[str, object]
) -> execution_api.WorkflowExecution:
    workflow, _ = workflow_from_dsl(document)
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        execution = await client.start_execution(applied, workflow_input)
        last = execution
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution.metadata.id):
                last = update
    return last


async def test_call_http_runs_on_the_platform(platform: Platform, http_base: str) -> None:
    document = dsl_document(
        "http-get",
        [
            {
                "fetch": {
                    "call": "http",
                    "with": {"method": "get", "endpoint": f"{http_base}/greet?n=1"},
                }
            }
        ],
    )
    final = await _run(platform, document, {})
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.status.output) == {
        "path": "/greet?n=1",
        "count": 3,
        "ratio": 0.5,
    }


async def test_a_waiting_call_shows_running_with_no_report_of_its_own(
    platform: Platform, held_http: tuple[str, threading.Event, list[str]]
) -> None:
    """While the HTTP call waits, the execution shows it IN_PROGRESS with its input
    (and the task before it done): its activity carried those entries. The
    engine's history holds one marker, the completion's: no progress report held
    the workflow task open before the call started."""
    base, release, _ = held_http
    document = dsl_document(
        "http-held",
        [
            {"prep": {"set": {"n": 1}}},
            {"fetch": {"call": "http", "with": {"method": "get", "endpoint": f"{base}/slow"}}},
        ],
    )
    workflow, _ = workflow_from_dsl(document)
    running: execution_api.WorkflowExecutionStatus | None = None
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        execution = await client.start_execution(applied, {})
        final = execution
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution.metadata.id):
                final = update
                tasks = {task.name: task for task in update.status.tasks}
                fetch = tasks.get("fetch")
                if running is None and fetch is not None:
                    running = update.status
                    release.set()
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert running is not None
    tasks = {task.name: task for task in running.tasks}
    assert tasks["fetch"].status == phase_pb2.IN_PROGRESS
    assert json_format.MessageToDict(tasks["fetch"].input) == {"n": 1}
    assert tasks["prep"].status == phase_pb2.COMPLETED
    assert json_format.MessageToDict(final.status.output) == {"held": True}
    history = platform.client.get_workflow_handle(engine_workflow_id(execution.metadata.id))
    # The end is stored before the engine's completion returns: let the run close first.
    async with asyncio.timeout(TIMEOUT):
        await history.result()
    markers = [
        event
        async for event in history.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert len(markers) == 1  # the completion (a local activity); no report


async def test_a_carried_report_that_finds_the_execution_ended_stops_the_engine(
    platform: Platform, held_http: tuple[str, threading.Event, list[str]]
) -> None:
    """The orchestration is cancelled while a call waits; the next call's activity
    carries the next entries, learns the execution ended, and signals the run:
    the engine stops with ExecutionEnded before the third call (no timer, so no
    report of the workflow's own would have told it)."""
    base, release, paths = held_http
    document = dsl_document(
        "http-ended",
        [
            {"first": {"call": "http", "with": {"method": "get", "endpoint": f"{base}/1"}}},
            {"second": {"call": "http", "with": {"method": "get", "endpoint": f"{base}/2"}}},
            {"third": {"call": "http", "with": {"method": "get", "endpoint": f"{base}/3"}}},
            {"never": {"set": {"ran": True}}},
        ],
    )
    workflow, _ = workflow_from_dsl(document)
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        execution = await client.start_execution(applied, {})
        execution_id = execution.metadata.id
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                if any(task.name == "first" for task in update.status.tasks):
                    break
        orchestration = platform.client.get_workflow_handle(
            f"stigmer/workflow-execution/invoke/{execution_id}"
        )
        await orchestration.cancel()
        async with asyncio.timeout(TIMEOUT):
            async for update in client.subscribe(execution_id):
                final = update
        assert final.status.phase == phase_pb2.CANCELLED, platform.logs()
        release.set()
    engine = platform.client.get_workflow_handle(engine_workflow_id(execution_id))
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(WorkflowFailureError) as failure:
            await engine.result()
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "ExecutionEnded"
    assert paths == ["/1", "/2"]


async def test_run_shell_runs_on_the_platform(platform: Platform) -> None:
    document = dsl_document(
        "shell",
        [{"say": {"run": {"shell": {"command": "echo hello-from-shell"}}}}],
    )
    final = await _run(platform, document, {})
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert "hello-from-shell" in json.dumps(json_format.MessageToDict(final.status.output))


async def test_integers_stay_integers(platform: Platform) -> None:
    document = dsl_document(
        "integers",
        [{"count": {"set": {"n": "${ .n }", "eleven": 11, "half": 0.5, "big": 9007199254740993}}}],
    )
    final = await _run(platform, document, {"n": 5})
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    # What `stigmer run` prints: integers without a fraction, non-integers as they are.
    printed = json.loads(result_json(final))
    assert printed == {"n": 5, "eleven": 11, "half": 0.5, "big": 9007199254740992.0}
    assert [type(printed[key]) for key in ("n", "eleven", "half")] == [int, int, float]
