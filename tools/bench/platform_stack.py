"""A platform for the benchmarks: dev server, stigmer-server and workflow-runner processes.

Shared by ``platform_vs_engine.py``, ``async_completion.py`` and ``floor.py``. Everything
runs on loopback in fresh directories: a Temporal dev server, a
``stigmer-server`` process (its own RocksDB directory, WARNING logs), a
``workflow-runner`` process (restartable with other settings), a loopback HTTP
server for ``call: http``, and a Temporal client sealing payloads with the same
keyring as both processes.

The runner is started with the Temporal SDK's Prometheus exporter on a
loopback port (a default runtime set before the runner's ``main``), so a
benchmark can read the runner's worker slot gauges while it runs; the runner
code itself is unchanged.

Also here: a reader of one Prometheus gauge. The drivers (closed loop,
alternating sequential runs) and their figures are in ``closed_loop``.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

from engine_vs_plain import JsonHandler
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import ServerProcess, free_port, start_server
from temporalio.client import Client

#: Run in the runner's interpreter: Prometheus metrics on argv[1], then the runner's main.
_RUNNER_WITH_METRICS = """
import os, sys
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
Runtime.set_default(
    Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=sys.argv[1]))),
    error_if_already_set=True,
)
from workflow_runner.__main__ import main
code = main([])
sys.stdout.flush(); sys.stderr.flush()
os._exit(code)
"""

_READY_LINE = "workflow-runner polling"


@dataclass
class RunnerProcess:
    """A running workflow-runner with its Prometheus endpoint."""

    process: subprocess.Popen[bytes]
    log_path: Path
    metrics_url: str

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Stack:
    """The platform's processes and names; see the module docstring."""

    server: ServerProcess
    client: Client
    env: dict[str, str]
    tmp: Path
    runner: RunnerProcess | None = None
    runner_starts: int = field(default=0)

    @property
    def runner_queue(self) -> str:
        return self.env["TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE"]

    @property
    def engine_queue(self) -> str:
        return self.env["TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE"]

    def start_runner(
        self, extra_env: Mapping[str, str] | None = None, *, ready_timeout: float = 60.0
    ) -> RunnerProcess:
        """Start a runner (the previous one must be stopped) and wait until it polls."""
        self.runner_starts += 1
        log_path = self.tmp / f"runner-{self.runner_starts}.log"
        metrics_address = f"127.0.0.1:{free_port()}"
        # The runner logs its readiness line at INFO.
        env = {**os.environ, **self.env, "STIGMER_LOG_LEVEL": "INFO", **(extra_env or {})}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env["PYTHONUNBUFFERED"] = "1"
        env["STIGMER_SERVICE_ENDPOINT"] = self.server.address
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", _RUNNER_WITH_METRICS, metrics_address],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        runner = RunnerProcess(process, log_path, f"http://{metrics_address}/metrics")
        self.runner = runner
        deadline = time.monotonic() + ready_timeout
        while _READY_LINE not in runner.logs():
            if process.poll() is not None or time.monotonic() > deadline:
                runner.stop()
                raise RuntimeError(f"workflow-runner did not start:\n{runner.logs()}")
            time.sleep(0.1)
        return runner

    def stop_runner(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None


@asynccontextmanager
async def platform_stack(
    runner_env: Mapping[str, str] | None = None, *, start_runner: bool = True
) -> AsyncIterator[Stack]:
    """Dev server + stigmer-server + workflow-runner (unless not asked), stopped on exit."""
    temporal = await start_dev_server()
    try:
        target = temporal.client.service_client.config.target_host
        keys = "bench=" + base64.b64encode(os.urandom(32)).decode()
        suffix = uuid.uuid4().hex[:8]
        env = {
            "TEMPORAL_HOST_PORT": target,
            "STIGMER_PAYLOAD_KEYS": keys,
            "STIGMER_LOG_LEVEL": "WARNING",
            "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE": f"wf-stigmer-{suffix}",
            "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": f"wf-runner-{suffix}",
            "TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE": f"engine-{suffix}",
        }
        client = await Client.connect(
            target,
            data_converter=encrypted_data_converter(load_keyring({"STIGMER_PAYLOAD_KEYS": keys})),
        )
        with tempfile.TemporaryDirectory(prefix="stigmer-bench-") as directory:
            tmp = Path(directory)
            server = start_server(tmp / "data", log_path=tmp / "server.log", env=env)
            stack = Stack(server=server, client=client, env=env, tmp=tmp)
            try:
                if start_runner:
                    stack.start_runner(runner_env)
                yield stack
            finally:
                stack.stop_runner()
                server.stop()
    finally:
        await temporal.shutdown()


@contextmanager
def local_http_server() -> Iterator[str]:
    """A loopback JSON server for ``call: http``; yields its ``/item`` URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), JsonHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/item"
    finally:
        server.shutdown()
        server.server_close()


_SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)"
)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def read_gauge(metrics_url: str, name: str, labels: Mapping[str, str]) -> float | None:
    """The value of metric ``name`` whose labels include ``labels`` (None: not exported)."""
    with urllib.request.urlopen(metrics_url, timeout=5) as reply:
        text = reply.read().decode()
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(_LABEL.findall(match["labels"] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match["value"])
    return None
