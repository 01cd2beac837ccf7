"""One real Temporal dev server for the event tests; a fresh bus + queue per test."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from tests.events.events_harness import RecordingServer, WiredEngine
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker


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


@pytest.fixture
async def wired(env: WorkflowEnvironment, bus_config: BusConfig) -> AsyncIterator[WiredEngine]:
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(KeyRing.generate()),
    )
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            client,
            task_queue=bus_config.task_queue,
            providers=EngineProviders(bus=bus_config, io_activities=build_io_activities(http)),
        ),
    ):
        yield WiredEngine(client, bus_config, EventPublisher(client, bus_config))


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
