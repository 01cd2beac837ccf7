"""The fault matrix's HTTP sink: counts the requests of each execution, with their times.

Every ``GET /hit?key=K&n=N`` is recorded under ``K`` on arrival and answered
``{"key": K, "n": N}`` after a delay, so a kill can land while a call is open
(:attr:`Sink.open` tells how many are).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Each HTTP answer is held this long, so a kill can land inside a call.
SINK_DELAY_SECONDS = 0.3


class Sink:
    """A loopback HTTP server recording every ``GET /hit?key=K&n=N`` with its arrival time."""

    def __init__(self, delay: float = SINK_DELAY_SECONDS) -> None:
        self.requests: dict[str, list[float]] = {}
        self.open = 0  # requests received and not yet answered
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                key = query.get("key", [""])[0]
                with sink._lock:
                    sink.requests.setdefault(key, []).append(time.monotonic())
                    sink.open += 1
                try:
                    time.sleep(delay)
                    self._answer(key, query)
                finally:
                    with sink._lock:
                        sink.open -= 1

            def _answer(self, key: str, query: dict[str, list[str]]) -> None:
                body = json.dumps({"key": key, "n": int(query.get("n", ["0"])[0])}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A caller killed mid-request leaves a broken pipe: nothing to report.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def times(self, key: str) -> list[float]:
        with self._lock:
            return list(self.requests.get(key, []))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
