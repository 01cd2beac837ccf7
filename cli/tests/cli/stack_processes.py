"""Running ``stigmer server`` / ``stigmer demo`` as real processes and watching their children.

Process state is read from /proc (Linux): a child counts as gone once it no
longer exists or is a zombie (it exited; reaping is its new parent's business).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stigmer_cli.local_stack import free_port

KEYS = "k1=" + base64.b64encode(os.urandom(32)).decode()
READY_LINE = "Ctrl-C to stop"
#: The stack is announced once every piece is ready (runners polling Temporal):
#: on a loaded machine that takes tens of seconds.
START_SECONDS = 150


def stigmer_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["STIGMER_PAYLOAD_KEYS"] = KEYS
    env.pop("TEMPORAL_HOST_PORT", None)
    env.update(extra)
    return env


def read(log: Path) -> str:
    return log.read_text(encoding="utf-8") if log.exists() else ""


def wait_until(condition: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def spawn_stigmer(args: Sequence[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stigmer_cli", *args],
            env=stigmer_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_server(data_dir: Path, address: str, log: Path) -> subprocess.Popen[bytes]:
    """``stigmer server`` on ``data_dir``, returned once it printed its ready line."""
    process = spawn_stigmer(
        [
            "server",
            "--data-dir",
            str(data_dir),
            "--address",
            address,
            "--events",
            f"127.0.0.1:{free_port()}",
            "--console",
            "off",  # the supervisor tests count three children
        ],
        log,
    )

    def ready() -> bool:
        assert process.poll() is None, read(log)
        return READY_LINE in read(log)

    wait_until(ready, START_SECONDS, lambda: read(log))
    return process


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        env=stigmer_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return text[text.rindex(")") + 2 :].split()


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children_of(pid: int) -> dict[int, str]:
    """Running children of ``pid``: pid -> command line."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or fields[1] != str(pid) or fields[0] in ("Z", "X"):
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        found[int(entry.name)] = " ".join(a.decode(errors="replace") for a in argv if a)
    return found


STACK_PIECES = (
    "temporal server start-dev",
    "-m stigmer_server",
    "-m workflow_runner",
    "-m agent_runner",
)


def stack_children(supervisor: subprocess.Popen[bytes], log: Path) -> dict[int, str]:
    """The supervisor's children (temporal, stigmer_server, workflow_runner, agent_runner)."""
    children: dict[int, str] = {}

    def all_of_them() -> bool:
        nonlocal children
        children = children_of(supervisor.pid)
        # A child caught between fork and exec still shows the supervisor's command.
        commands = " ".join(children.values())
        return len(children) == len(STACK_PIECES) and all(
            piece in commands for piece in STACK_PIECES
        )

    wait_until(all_of_them, START_SECONDS, lambda: f"children {children}\n{read(log)}")
    return children


def assert_all_gone(pids: Sequence[int], timeout: float = 30) -> None:
    wait_until(
        lambda: not any(running(pid) for pid in pids),
        timeout,
        lambda: f"still running: {[p for p in pids if running(p)]}",
    )


def kill_all(pids: Sequence[int]) -> None:
    """Clean-up after a failed assertion: no test leaves processes behind."""
    for pid in pids:
        if running(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
