"""The fault matrix's processes: Temporal dev server, stigmer-server, runner, or ``stigmer server``.

Each can be killed (SIGKILL; the supervisor alone, its children must die with
it) and started again where it was: fixed ports, the Temporal database file and
the RocksDB dir in one data dir laid out as ``stigmer server`` lays it out.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from stigmer_cli.parent_death import die_with_parent
from stigmer_common.temporal_dev_server import FAST_DEV_SERVER_ARGS, temporal_cli_path

SUPERVISOR_READY_LINE = "Ctrl-C to stop"
RUNNER_READY_LINE = "workflow-runner polling"

# Waits until a launched process is ready (blocking: run it in a thread).
Ready = Callable[[], None]


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


def _python_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    # Metrics/health on a free port: several stacks may share this host.
    env.setdefault("STIGMER_METRICS_ADDRESS", "127.0.0.1:0")
    env.setdefault("STIGMER_HEALTH_ADDRESS", "off")
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
            # Killed with the harness however it ends (spawn from the main thread).
            preexec_fn=die_with_parent(),
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
    def launch_temporal(self) -> Ready:
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

        return lambda: wait_until(
            up, 60, lambda: f"temporal not reachable:\n{self._tail('temporal')}"
        )

    def launch_server(self) -> Ready:
        env = _python_env(self.env)
        env.update(
            TEMPORAL_HOST_PORT=self.temporal_address,
            STIGMER_DATA_DIR=str(self.data_dir / "db"),
            STIGMER_GRPC_ADDRESS=self.server_address,
        )
        process = _spawn([sys.executable, "-m", "stigmer_server"], env, self.logs / "server.log")
        self.procs["server"] = process
        return lambda: self._wait_serving(process)

    def launch_runner(self) -> Ready:
        """The runner; ready once it polls its task queues."""
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

        return lambda: wait_until(
            polling, 90, lambda: f"runner not polling:\n{self._tail('runner')}"
        )

    # the supervisor
    def launch_supervisor(self) -> Ready:
        """``stigmer server`` on the data dir; ready once it printed its ready line and serves."""
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

        def ready_and_serving() -> None:
            wait_until(ready, 90, lambda: f"stigmer server not ready:\n{self._tail('supervisor')}")
            self._wait_serving(process)

        return ready_and_serving

    def stop_components(self) -> None:
        """Stop the harness's own processes (before ``stigmer server`` takes the data dir)."""
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

    def launch(self, kind: str) -> Ready:
        """Start ``kind`` (from the main thread); call the result to wait until it is ready."""
        if kind == "supervisor":
            self.supervised = True
        launchers: dict[str, Callable[[], Ready]] = {
            "temporal": self.launch_temporal,
            "server": self.launch_server,
            "runner": self.launch_runner,
            "supervisor": self.launch_supervisor,
        }
        return launchers[kind]()

    def kill(self, kind: str) -> tuple[float, float]:
        """SIGKILL, and wait until it (for the supervisor: each of its children) is gone.

        Returns:
            When the signal was sent and when the last process was seen gone
            (``time.monotonic``): the window in which the processes died.
        """
        process = self.procs[kind]
        if process is None or process.poll() is not None:
            raise RuntimeError(f"{kind} is not running")
        children = _children(process.pid) if kind == "supervisor" else []
        sent = time.monotonic()
        if kind != "supervisor":
            _kill_group(process)
            return sent, time.monotonic()
        process.kill()  # the supervisor alone: its children must die with it
        process.wait()
        wait_until(
            lambda: not any(_running(pid) for pid in children),
            60,
            lambda: f"children of the killed supervisor still running: {children}",
        )
        return sent, time.monotonic()

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
