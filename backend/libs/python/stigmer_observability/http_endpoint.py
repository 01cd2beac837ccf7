"""The process's HTTP endpoint: ``/metrics``, ``/healthz`` (live), ``/readyz`` (ready).

Served by the standard library's threading HTTP server on daemon threads, so
a scrape or a probe never waits on (or blocks) the process's event loop, and
liveness keeps answering while the loop is busy (it reports the loop's
heartbeat age instead; see :class:`LoopHeartbeat`).

Paths (the same on every listener):

* ``/metrics``: Prometheus text format, ours then the Temporal SDK's.
* ``/healthz`` and ``/health``: 200 while the process is alive (its event loop
  turned recently), else 503.
* ``/readyz``: 200 when every readiness check passes, else 503; the JSON body
  names each check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():  # see metrics.py
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stigmer_observability.metrics import REGISTRY
from stigmer_observability.readiness import Readiness

#: A loop that has not turned for this long is reported dead (stuck, not busy).
LIVENESS_STALL_SECONDS = 60.0


class LoopHeartbeat:
    """Records that the event loop still runs: a task touching a timestamp every second."""

    def __init__(self) -> None:
        self._last = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat(), name="liveness-heartbeat")

    async def _beat(self) -> None:
        while True:
            self._last = time.monotonic()
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def age(self) -> float:
        """Seconds since the loop last turned (0 before :meth:`start`)."""
        return time.monotonic() - self._last if self._task is not None else 0.0


class Endpoint:
    """What the handler serves: the readiness checks, liveness and the SDK's metrics."""

    def __init__(
        self,
        service: str,
        readiness: Readiness,
        heartbeat: LoopHeartbeat,
        extra_metrics: Callable[[], bytes] | None = None,
    ) -> None:
        self.service = service
        self.readiness = readiness
        self.heartbeat = heartbeat
        self.extra_metrics = extra_metrics

    def metrics(self) -> bytes:
        # Refresh the readiness gauges so a scrape shows them without a probe.
        self.readiness.report()
        body: bytes = generate_latest(REGISTRY)
        if self.extra_metrics is not None:
            body += self.extra_metrics()
        return body

    def live(self) -> tuple[int, dict[str, Any]]:
        age = self.heartbeat.age()
        alive = age < LIVENESS_STALL_SECONDS
        return (200 if alive else 503), {
            "service": self.service,
            "status": "alive" if alive else "stalled",
            "event_loop_stalled_seconds": round(age, 3),
        }

    def ready(self) -> tuple[int, dict[str, Any]]:
        ready, checks = self.readiness.ready()
        return (200 if ready else 503), {
            "service": self.service,
            "status": "ready" if ready else "not ready",
            "checks": checks,
        }


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "stigmer-observability"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if path == "/metrics":
                self._send(200, endpoint.metrics(), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/health", "/livez"):
                self._json(*endpoint.live())
            elif path == "/readyz":
                self._json(*endpoint.ready())
            else:
                self._json(404, {"error": f"no {path}; try /metrics, /healthz, /readyz"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode() + b"\n", "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # probes every few seconds would drown the process log

    return Handler


class HttpEndpoint:
    """One listener serving :class:`Endpoint` on ``host:port`` (port 0: any free port)."""

    def __init__(self, endpoint: Endpoint, host: str, port: int) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(endpoint))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"http-{host}:{port}", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> HttpEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
