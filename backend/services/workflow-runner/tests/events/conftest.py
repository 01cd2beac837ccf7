"""One real Temporal dev server for the event tests; a fresh bus + queue per test."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_testing.temporal_dev_server import start_dev_server
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.workflow import EngineInput
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registry import EventRegistryWorkflow, RegistryStatus
from workflow_runner.wiring.settings import RunSettings
from workflow_runner.wiring.worker import build_wired_worker


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


@pytest.fixture
def bus_config() -> BusConfig:
    """A private registry and queue, so tests never see each other's events."""
    suffix = uuid.uuid4().hex[:12]
    return BusConfig(task_queue=f"events-{suffix}", bus=f"test-{suffix}")


@dataclass
class WiredEngine:
    """A wired engine worker (engine + registry on one queue) and helpers to drive it."""

    client: Client
    bus: BusConfig
    publisher: EventPublisher

    async def start(
        self, definition: str, workflow_input: Any = None, *, lifecycle: bool = False
    ) -> WorkflowHandle[Any, Any]:
        return await self.client.start_workflow(
            "ExecuteServerlessWorkflow",
            EngineInput(definition=definition, input=workflow_input or {}),
            id=f"wf-{uuid.uuid4()}",
            task_queue=self.bus.task_queue,
            memo=RunSettings(lifecycle_events=lifecycle).memo(),
        )

    async def status(self) -> RegistryStatus:
        handle = self.client.get_workflow_handle_for(
            EventRegistryWorkflow.run, self.bus.registry_id
        )
        return await handle.query(EventRegistryWorkflow.status)

    async def subscribed(self, handle: WorkflowHandle[Any, Any], count: int = 1) -> None:
        """Wait until ``handle`` has ``count`` subscriptions in the registry."""
        for _ in range(400):
            try:
                subs = (await self.status()).subscriptions
            except Exception:  # the registry starts on first use
                subs = []
            if sum(s.workflow_id == handle.id for s in subs) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{handle.id} never subscribed")

    async def settle(self) -> None:
        for _ in range(400):
            if (await self.status()).pending == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("registry did not drain")

    async def emit(self, type: str, data: Any = None, **extra: Any) -> dict[str, Any]:
        from workflow_runner.events.cloudevent import new_event

        event = new_event(type=type, source="https://test.local", data=data, extra=extra or None)
        await self.publisher.publish(event)
        return event


async def result(handle: WorkflowHandle[Any, Any]) -> Any:
    """A bounded wait, so a lost event fails the test instead of hanging it."""
    return await asyncio.wait_for(handle.result(), timeout=30)


async def is_running(handle: WorkflowHandle[Any, Any]) -> bool:
    from temporalio.client import WorkflowExecutionStatus

    return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


@pytest.fixture
async def wired(env: WorkflowEnvironment, bus_config: BusConfig) -> AsyncIterator[WiredEngine]:
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(KeyRing.generate()),
    )
    async with (
        httpx.AsyncClient() as http,
        build_wired_worker(
            client,
            task_queue=bus_config.task_queue,
            bus=bus_config,
            activities=build_io_activities(http),
        ),
    ):
        yield WiredEngine(client, bus_config, EventPublisher(client, bus_config))


@dataclass
class RecordingServer:
    url: str
    requests: list[dict[str, Any]]


@pytest.fixture
def recording_http() -> Iterator[RecordingServer]:
    """A local HTTP server answering 200 to everything and recording each request."""
    requests: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            requests.append({"path": self.path, "body": json.loads(body or b"null")})
            payload = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RecordingServer(f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()
