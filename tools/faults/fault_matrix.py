"""The fault matrix: executions under kill -9 of each platform process, with real processes.

A round creates executions at a steady pace (workflows mixing ``set``, a short
``wait`` and a ``call: http`` to a loopback sink that counts requests per
execution), kills one process with SIGKILL at a random moment (seeded), keeps
it down for a random moment and restarts it. Then every execution whose Create
answered OK must reach COMPLETED with the right output, and every execution
the server stored must end, within the recovery limit counted from the
restart. Kinds of kill:

* ``runner``: the workflow runner (bridge and engine worker);
* ``server``: stigmer-server (RocksDB and gRPC address kept);
* ``temporal``: the Temporal dev server (``--db-filename``, same ports);
* ``supervisor``: the whole ``stigmer server`` (its children die with it),
  restarted on the same data dir.

The first three run on processes this harness starts itself (fixed ports, so a
restarted process is found where the old one was); the supervisor rounds run on
``stigmer server`` over the same data dir layout (``db/``, ``temporal.db``),
which the harness switches to before the first of them.

A duplicate HTTP side effect is a request for an execution's key seen again.
Each must follow a kill that happened after the previous request for that key
(the killed activity was retried); at most one duplicate per kill per key.

Run from the virtualenv (import roots as in pyproject.toml)::

    PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server:\
backend/services/workflow-runner:cli:tools/faults \\
      .venv/bin/python tools/faults/fault_matrix.py --rounds 12 --executions 300

or ``bazel run //tools/faults:fault_matrix -- --seed 7``. Prints a JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_common.temporal_dev_server import FAST_DEV_SERVER_ARGS, temporal_cli_path
from workflow_runner.converter import workflow_from_dsl

KINDS = ("runner", "server", "temporal", "supervisor")
TERMINAL = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)
SUPERVISOR_READY_LINE = "Ctrl-C to stop"
RUNNER_READY_LINE = "workflow-runner polling"
# Each HTTP answer is held this long, so a kill can land inside a call.
SINK_DELAY_SECONDS = 0.3
# The gRPC channel reconnects at least this often while the server is down.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what())
        time.sleep(0.1)


# -- the HTTP sink ------------------------------------------------------------------------------


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


# -- workflows ----------------------------------------------------------------------------------


def workflow_documents(sink_base: str) -> list[dict[str, Any]]:
    """Three shapes: wait then call, call then wait, a longer wait then call."""

    def doc(name: str, middle: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "document": {"dsl": "1.0.0", "namespace": "faults", "name": name, "version": "1.0.0"},
            "do": [
                {"init": {"set": {"key": "${ .key }", "n": "${ .n }"}}},
                *middle,
                {"done": {"set": {"key": "${ .key }", "twice": "${ .n * 2 }", "done": True}}},
            ],
        }

    def wait(seconds: int) -> dict[str, Any]:
        return {f"pause{seconds}": {"wait": {"seconds": seconds}}}

    hit = {
        "hit": {
            "call": "http",
            "with": {
                "method": "get",
                "endpoint": f"{sink_base}/hit",
                "query": {"key": "${ .key }", "n": "${ .n | tostring }"},
            },
        }
    }
    return [
        doc("wait-then-call", [wait(1), hit]),
        doc("call-then-wait", [hit, wait(2)]),
        doc("long-wait-then-call", [wait(3), hit]),
    ]


def expected_output(key: str, n: int) -> dict[str, Any]:
    return {"key": key, "twice": 2 * n, "done": True}


# -- processes ----------------------------------------------------------------------------------


def _python_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _spawn(argv: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        out.write(f"\n===== {time.strftime('%H:%M:%S')} start {' '.join(argv[:3])}\n".encode())
        out.flush()
        return subprocess.Popen(
            list(argv),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[1] == str(pid) and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


class Stack:
    """The platform's processes on one data dir; each can be killed and restarted."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.data_dir = work / "data"
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.server_address = f"127.0.0.1:{free_port()}"
        self.temporal_address = f"127.0.0.1:{free_port()}"
        self._temporal_ports = (str(free_port()), str(free_port()))  # http, metrics
        self.events_address = f"127.0.0.1:{free_port()}"
        keys = "k1=" + base64.b64encode(os.urandom(32)).decode()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
        self.env["STIGMER_PAYLOAD_KEYS"] = keys
        self.procs: dict[str, subprocess.Popen[bytes] | None] = {
            "temporal": None,
            "server": None,
            "runner": None,
            "supervisor": None,
        }
        self.supervised = False

    # components
    def start_temporal(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        http_port, metrics_port = self._temporal_ports
        argv = [
            temporal_cli_path(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            self.temporal_address.rpartition(":")[2],
            "--http-port",
            http_port,
            "--metrics-port",
            metrics_port,
            "--headless",
            "--log-level",
            "error",
            *FAST_DEV_SERVER_ARGS,
            "--db-filename",
            str(self.data_dir / "temporal.db"),
        ]
        process = _spawn(argv, dict(self.env), self.logs / "temporal.log")
        self.procs["temporal"] = process

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    f"temporal exited {process.returncode}:\n{self._tail('temporal')}"
                )
            return reachable(self.temporal_address)

        wait_until(up, 60, lambda: f"temporal not reachable:\n{self._tail('temporal')}")

    def start_server(self) -> None:
        env = _python_env(self.env)
        env.update(
            TEMPORAL_HOST_PORT=self.temporal_address,
            STIGMER_DATA_DIR=str(self.data_dir / "db"),
            STIGMER_GRPC_ADDRESS=self.server_address,
        )
        process = _spawn([sys.executable, "-m", "stigmer_server"], env, self.logs / "server.log")
        self.procs["server"] = process
        self._wait_serving(process)

    def start_runner(self) -> None:
        """The runner, returned once it polls its task queues."""
        env = _python_env(self.env)
        env.update(
            TEMPORAL_HOST_PORT=self.temporal_address,
            STIGMER_SERVICE_ENDPOINT=self.server_address,
            STIGMER_EVENTS_ADDRESS=self.events_address,
        )
        log = self.logs / "runner.log"
        start = log.stat().st_size if log.exists() else 0
        process = _spawn([sys.executable, "-m", "workflow_runner"], env, log)
        self.procs["runner"] = process

        def polling() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"runner exited {process.returncode}:\n{self._tail('runner')}")
            return RUNNER_READY_LINE in log.read_bytes()[start:].decode(errors="replace")

        wait_until(polling, 90, lambda: f"runner not polling:\n{self._tail('runner')}")

    # the supervisor
    def start_supervisor(self) -> None:
        """``stigmer server`` on the data dir; returns once it printed its ready line."""
        if reachable("127.0.0.1:7233"):
            # `stigmer server` would use that Temporal instead of the data dir's.
            raise RuntimeError("127.0.0.1:7233 is in use: the supervisor rounds need it free")
        log = self.logs / "supervisor.log"
        start = log.stat().st_size if log.exists() else 0
        argv = [
            sys.executable,
            "-m",
            "stigmer_cli",
            "server",
            "--data-dir",
            str(self.data_dir),
            "--address",
            self.server_address,
            "--events",
            self.events_address,
        ]
        process = _spawn(argv, _python_env(self.env), log)
        self.procs["supervisor"] = process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    f"stigmer server exited {process.returncode}:\n{self._tail('supervisor')}"
                )
            return SUPERVISOR_READY_LINE in log.read_bytes()[start:].decode(errors="replace")

        wait_until(ready, 90, lambda: f"stigmer server not ready:\n{self._tail('supervisor')}")
        self._wait_serving(process)

    def switch_to_supervisor(self) -> None:
        """Stop the harness's own processes and run ``stigmer server`` on the same data."""
        if self.supervised:
            return
        for name in ("runner", "server", "temporal"):
            process = self.procs[name]
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _kill_group(process)
            self.procs[name] = None
        self.supervised = True
        self.start_supervisor()

    def start(self, kind: str) -> None:
        {
            "temporal": self.start_temporal,
            "server": self.start_server,
            "runner": self.start_runner,
            "supervisor": self.start_supervisor,
        }[kind]()

    def start_components(self) -> None:
        self.start_temporal()
        self.start_server()
        self.start_runner()

    def kill(self, kind: str) -> None:
        """SIGKILL, and wait until it (for the supervisor: each of its children) is gone."""
        process = self.procs[kind]
        if process is None:
            return
        if kind != "supervisor":
            _kill_group(process)
            return
        children = _children(process.pid)
        process.kill()  # the supervisor alone: its children must die with it
        process.wait()
        wait_until(
            lambda: not any(_running(pid) for pid in children),
            60,
            lambda: f"children of the killed supervisor still running: {children}",
        )

    def stop(self) -> None:
        supervisor = self.procs["supervisor"]
        if supervisor is not None and supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill("supervisor")
        for name in ("runner", "server", "temporal"):
            process = self.procs[name]
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _kill_group(process)

    def _wait_serving(self, process: subprocess.Popen[bytes]) -> None:
        with grpc.insecure_channel(self.server_address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            def serving() -> bool:
                if process.poll() is not None:
                    raise RuntimeError(f"process exited {process.returncode}:\n{self.log_tails()}")
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                except grpc.RpcError:
                    return False
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

            wait_until(serving, 90, lambda: f"server not serving:\n{self.log_tails()}")

    def _tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_files(self) -> list[Path]:
        found = sorted(self.logs.glob("*.log"))
        supervised = self.data_dir / "logs"
        if supervised.exists():
            found += sorted(supervised.glob("*.log"))
        return found

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in self.log_files()
        )


# -- rounds -------------------------------------------------------------------------------------


@dataclass
class Created:
    key: str
    n: int
    round: int
    execution_id: str = ""  # empty: Create did not answer OK
    error: str = ""


@dataclass
class RoundReport:
    round: int
    kind: str
    kill_at: float  # seconds after the round started
    down_for: float
    http_open_at_kill: int = 0  # sink requests unanswered when the kill landed
    created_ok: int = 0
    create_failed: int = 0
    recovery_seconds: float = -1.0  # restart issued -> all of the round's executions ended
    restart_seconds: float = 0.0  # restart issued -> process ready


@dataclass
class MatrixReport:
    seed: int
    rounds: list[RoundReport] = field(default_factory=list)
    executions_created: int = 0
    executions_completed: int = 0
    create_failures: int = 0
    stored_not_acknowledged: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    unexplained_duplicates: list[str] = field(default_factory=list)
    missing_requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        recoveries = [r.recovery_seconds for r in self.rounds if r.recovery_seconds >= 0]
        by_kind: dict[str, list[float]] = {}
        for r in self.rounds:
            if r.recovery_seconds >= 0:
                by_kind.setdefault(r.kind, []).append(round(r.recovery_seconds, 1))
        return {
            "seed": self.seed,
            "executions_created": self.executions_created,
            "executions_completed": self.executions_completed,
            "create_failures": self.create_failures,
            "stored_not_acknowledged": self.stored_not_acknowledged,
            "kills": self.kills,
            "recovery_seconds_by_kind": by_kind,
            "recovery_seconds_max": round(max(recoveries), 1) if recoveries else None,
            "duplicate_http_requests": self.duplicates,
            "unexplained_duplicates": self.unexplained_duplicates,
            "problems": self.problems,
            "wall_seconds": round(self.wall_seconds, 1),
            "rounds": [
                {
                    "round": r.round,
                    "kind": r.kind,
                    "kill_at": round(r.kill_at, 2),
                    "down_for": round(r.down_for, 2),
                    "http_open_at_kill": r.http_open_at_kill,
                    "created_ok": r.created_ok,
                    "create_failed": r.create_failed,
                    "restart_seconds": round(r.restart_seconds, 1),
                    "recovery_seconds": round(r.recovery_seconds, 1),
                }
                for r in self.rounds
            ],
        }


class FaultMatrix:
    """Runs the rounds on one stack and checks every execution."""

    def __init__(
        self,
        work: Path,
        *,
        seed: int,
        executions: int,
        recovery_limit: float = 60.0,
        create_gap: float = 0.25,
        sink_delay: float = SINK_DELAY_SECONDS,
        aim_at_http: Sequence[str] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.stack = Stack(work)
        self.sink = Sink(sink_delay)
        self.rng = random.Random(seed)
        self.report = MatrixReport(seed=seed)
        self.executions = executions
        self.aim_at_http = frozenset(aim_at_http)
        self.recovery_limit = recovery_limit
        self.create_gap = create_gap
        self.log = log
        self.created: list[Created] = []
        self.kill_times: list[tuple[float, str]] = []
        self._workflow_ids: list[str] = []
        self._channel: grpc.aio.Channel | None = None

    # plumbing
    def _stubs(self) -> tuple[Any, Any, Any]:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(
                self.stack.server_address, options=_CHANNEL_OPTIONS
            )
        return (
            workflow_command.WorkflowCommandControllerStub(self._channel),
            execution_command.WorkflowExecutionCommandControllerStub(self._channel),
            execution_query.WorkflowExecutionQueryControllerStub(self._channel),
        )

    async def _apply_workflows(self) -> None:
        workflows, _, _ = self._stubs()
        for document in workflow_documents(self.sink.base):
            workflow, _ = workflow_from_dsl(document)
            applied: workflow_api.Workflow = await workflows.Apply(workflow, timeout=30)
            self._workflow_ids.append(applied.metadata.id)

    async def _create(self, item: Created) -> None:
        _, commands, _ = self._stubs()
        execution = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        execution.metadata.name = f"fault-{item.key}"
        execution.spec.workflow_id = self._workflow_ids[item.n % len(self._workflow_ids)]
        execution.spec.input.update({"key": item.key, "n": item.n})
        try:
            created = await commands.Create(execution, timeout=10)
        except grpc.aio.AioRpcError as error:
            item.error = f"{error.code().name}: {error.details()}"
            return
        item.execution_id = created.metadata.id

    async def _list_all(self) -> list[execution_api.WorkflowExecution] | None:
        _, _, queries = self._stubs()
        items: list[execution_api.WorkflowExecution] = []
        token = ""
        try:
            while True:
                page = await queries.List(
                    io_pb2.ApiResourceListInput(page_size=500, page_token=token), timeout=10
                )
                items.extend(page.items)
                token = page.next_page_token
                if not token:
                    return items
        except grpc.aio.AioRpcError:
            return None

    # one round
    async def run_round(self, index: int, kind: str, count: int) -> RoundReport:
        window = count * self.create_gap
        kill_at = self.rng.uniform(0.3, window + 3.0)
        down_for = self.rng.uniform(0.3, 2.5)
        report = RoundReport(round=index, kind=kind, kill_at=kill_at, down_for=down_for)
        items = [
            Created(key=f"r{index}-{i}-{uuid.uuid4().hex[:8]}", n=index * 1000 + i, round=index)
            for i in range(count)
        ]
        self.created.extend(items)
        self.log(f"round {index}: kill {kind} at +{kill_at:.2f}s, down {down_for:.2f}s")

        async def create_all() -> None:
            for item in items:
                started = time.monotonic()
                await self._create(item)
                await asyncio.sleep(max(0.0, self.create_gap - (time.monotonic() - started)))

        started = time.monotonic()
        creator = asyncio.create_task(create_all())
        await asyncio.sleep(kill_at)
        if kind in self.aim_at_http:
            # Land inside an HTTP call (its activity is the one killed), if one comes.
            deadline = time.monotonic() + 15
            while self.sink.open == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # the sink is another thread: poll it
        report.http_open_at_kill = self.sink.open
        await asyncio.to_thread(self.stack.kill, kind)
        self.kill_times.append((time.monotonic(), kind))
        self.report.kills[kind] = self.report.kills.get(kind, 0) + 1
        self.log(f"round {index}: killed {kind} at +{time.monotonic() - started:.2f}s")
        await asyncio.sleep(down_for)
        restart = time.monotonic()
        await asyncio.to_thread(self.stack.start, kind)
        report.restart_seconds = time.monotonic() - restart
        await creator
        report.created_ok = sum(1 for item in items if item.execution_id)
        report.create_failed = len(items) - report.created_ok
        self.log(
            f"round {index}: {kind} back after {report.restart_seconds:.1f}s; "
            f"{report.created_ok} created, {report.create_failed} refused"
        )
        ended = await self._wait_round_ended(index, restart)
        if ended is not None:
            report.recovery_seconds = ended - restart
            self.log(f"round {index}: all ended {report.recovery_seconds:.1f}s after the restart")
        self.report.rounds.append(report)
        return report

    async def _wait_round_ended(self, index: int, restart: float) -> float | None:
        """When every execution of the round the server stored ended (None: not in time)."""
        prefix = f"fault-r{index}-"
        acknowledged = {item.execution_id for item in self.created if item.round == index}
        acknowledged.discard("")
        open_ids: list[str] = []
        while time.monotonic() - restart < self.recovery_limit:
            listed = await self._list_all()
            if listed is not None:
                mine = [e for e in listed if e.metadata.name.startswith(prefix)]
                seen = {e.metadata.id for e in mine}
                open_ids = [e.metadata.id for e in mine if e.status.phase not in TERMINAL]
                open_ids += sorted(acknowledged - seen)
                if not open_ids:
                    return time.monotonic()
            await asyncio.sleep(0.5)
        self.report.problems.append(
            f"round {index}: {len(open_ids)} execution(s) not ended {self.recovery_limit:.0f}s "
            f"after the restart: {open_ids[:10]}"
        )
        return None

    # the whole matrix
    async def run(self, kinds: Sequence[str]) -> MatrixReport:
        began = time.monotonic()
        try:
            await asyncio.to_thread(self.stack.start_components)
            await self._apply_workflows()
            for index, kind in enumerate(kinds):
                if kind == "supervisor" and not self.stack.supervised:
                    await asyncio.to_thread(self.stack.switch_to_supervisor)
                elif kind != "supervisor" and self.stack.supervised:
                    raise ValueError("component kills must come before the supervisor rounds")
                share, extra = divmod(self.executions, len(kinds))
                await self.run_round(index, kind, share + (1 if index < extra else 0))
            await self._check_all()
        finally:
            if self._channel is not None:
                await self._channel.close()
            await asyncio.to_thread(self.stack.stop)
            self.sink.close()
            self.report.wall_seconds = time.monotonic() - began
        return self.report

    async def _check_all(self) -> None:
        listed = await self._list_all()
        if listed is None:
            self.report.problems.append("List failed at the end")
            return
        by_id = {e.metadata.id: e for e in listed}
        acknowledged = {item.execution_id for item in self.created if item.execution_id}
        self.report.executions_created = len(acknowledged)
        self.report.create_failures = sum(1 for item in self.created if not item.execution_id)
        self.report.stored_not_acknowledged = sum(
            1
            for e in listed
            if e.metadata.name.startswith("fault-") and e.metadata.id not in acknowledged
        )
        for e in listed:
            if e.metadata.name.startswith("fault-") and e.status.phase not in TERMINAL:
                self.report.problems.append(
                    f"{e.metadata.id} ({e.metadata.name}) still "
                    f"{phase_pb2.ExecutionPhase.Name(e.status.phase)}"
                )
        for item in self.created:
            if not item.execution_id:
                continue
            execution = by_id.get(item.execution_id)
            if execution is None:
                self.report.problems.append(f"{item.execution_id} ({item.key}) lost")
                continue
            phase = execution.status.phase
            output = (
                json_format.MessageToDict(execution.status.output)
                if execution.status.HasField("output")
                else None
            )
            if phase != phase_pb2.COMPLETED or output != expected_output(item.key, item.n):
                error = json_format.MessageToDict(execution.status.error)
                self.report.problems.append(
                    f"{item.execution_id} ({item.key}) ended "
                    f"{phase_pb2.ExecutionPhase.Name(phase)} output={output} error={error}"
                )
                continue
            self.report.executions_completed += 1
        self._count_duplicates(acknowledged, by_id)

    def _count_duplicates(
        self, acknowledged: set[str], by_id: dict[str, execution_api.WorkflowExecution]
    ) -> None:
        kills = sorted(t for t, _ in self.kill_times)
        keys_of_completed = {
            item.key
            for item in self.created
            if item.execution_id
            and by_id.get(item.execution_id) is not None
            and by_id[item.execution_id].status.phase == phase_pb2.COMPLETED
        }
        for item in self.created:
            times = self.sink.times(item.key)
            if item.key in keys_of_completed and not times:
                self.report.missing_requests.append(item.key)
                self.report.problems.append(f"{item.execution_id}: COMPLETED without its request")
            for previous, current in itertools.pairwise(times):
                self.report.duplicates += 1
                if not any(previous < k < current for k in kills):
                    self.report.unexplained_duplicates.append(
                        f"{item.key}: request again {current - previous:.2f}s later, no kill between"
                    )
            # A kill explains one repeat per key: never more repeats than kills after the first.
            if len(times) > 1:
                after_first = sum(1 for k in kills if k > times[0])
                if len(times) - 1 > after_first:
                    self.report.unexplained_duplicates.append(
                        f"{item.key}: {len(times) - 1} repeats, {after_first} kill(s) after the first"
                    )


def kill_plan(rounds: int, kinds: Sequence[str], rng: random.Random) -> list[str]:
    """At least ``rounds`` kinds: each kind once, then random ones; supervisor kills last."""
    plan = list(kinds)
    while len(plan) < rounds:
        plan.append(rng.choice(list(kinds)))
    components = [k for k in plan if k != "supervisor"]
    rng.shuffle(components)
    return components + [k for k in plan if k == "supervisor"]


@contextlib.contextmanager
def work_dir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="stigmer-faults-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--rounds", type=int, default=8, help="kills (at least one per kind)")
    parser.add_argument("--executions", type=int, default=200, help="split over the rounds")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kill kinds")
    parser.add_argument("--recovery-limit", type=float, default=60.0)
    parser.add_argument(
        "--sink-delay",
        type=float,
        default=SINK_DELAY_SECONDS,
        help="seconds each HTTP answer takes",
    )
    parser.add_argument(
        "--aim-at-http",
        default="",
        help="comma-separated kinds whose kill waits for an open HTTP call after its random delay",
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="keep data and logs here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"--kinds: unknown {unknown}; known: {', '.join(KINDS)}")
    print(f"seed {seed}", file=sys.stderr, flush=True)
    with work_dir(args.work_dir) as work:
        matrix = FaultMatrix(
            work,
            seed=seed,
            executions=args.executions,
            recovery_limit=args.recovery_limit,
            sink_delay=args.sink_delay,
            aim_at_http=[k for k in args.aim_at_http.split(",") if k],
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
        plan = kill_plan(max(args.rounds, len(kinds)), kinds, matrix.rng)
        report = asyncio.run(matrix.run(plan))
        print(json.dumps(report.as_dict(), indent=2))
        if report.problems or report.unexplained_duplicates:
            print(f"logs: {work / 'logs'}, {work / 'data' / 'logs'}", file=sys.stderr)
            if args.work_dir is None:
                print(matrix.stack.log_tails(), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
