"""A local HTTP endpoint accepting CloudEvents and publishing them to the bus.

Accepts POST on any path, in the CloudEvents HTTP binding's structured mode
(``Content-Type: application/cloudevents+json``), batch mode
(``application/cloudevents-batch+json``) and binary mode (``ce-*`` headers, the
body is the data). Answers 202 once the registry durably recorded the event(s),
400 with a message naming the problem otherwise.

Built on the standard library's threading HTTP server (no extra dependency):
request threads hand each event to the asyncio loop that owns the Temporal
client and wait for the publish to finish, so a 202 means "accepted durably".
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from workflow_runner.events.cloudevent import CloudEventError, from_http

Publish = Callable[[Mapping[str, Any]], Coroutine[Any, Any, None]]
_MAX_BODY = 4 * 1024 * 1024
_PUBLISH_TIMEOUT_S = 30.0


class CloudEventsEndpoint:
    """Serves the endpoint on a background thread until :meth:`stop`.

    Args:
        publish: coroutine function publishing one event (e.g.
            ``EventPublisher.publish``), run on ``loop``.
        loop: the running event loop owning the Temporal client.
        host: interface to bind; loopback by default, this is a local endpoint.
        port: 0 picks a free port (see :attr:`port`).
    """

    def __init__(
        self,
        publish: Publish,
        loop: asyncio.AbstractEventLoop,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        handler = _handler_class(publish, loop)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cloudevents-endpoint", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host!s}:{self.port}/"

    def start(self) -> CloudEventsEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(
    publish: Publish, loop: asyncio.AbstractEventLoop
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._reply(413, {"error": f"body larger than {_MAX_BODY} bytes"})
                return
            body = self.rfile.read(length) if length else b""
            try:
                events = from_http(dict(self.headers.items()), body)
            except CloudEventError as exc:
                self._reply(400, {"error": str(exc)})
                return
            try:
                for event in events:
                    future = asyncio.run_coroutine_threadsafe(publish(event), loop)
                    future.result(timeout=_PUBLISH_TIMEOUT_S)
            except CloudEventError as exc:
                self._reply(400, {"error": str(exc)})
                return
            except Exception as exc:  # the bus is unreachable: tell the sender to retry
                self._reply(503, {"error": f"could not publish: {exc}"})
                return
            self._reply(202, {"accepted": [e["id"] for e in events]})

        def _reply(self, status: int, payload: Mapping[str, Any]) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the CLI's stdout carries the workflow output only

    return Handler
