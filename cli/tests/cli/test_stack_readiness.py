"""The local stack starts only once every piece is ready, and ends in one line when one fails.

- A runner that exits at start: ``stigmer server`` exits 2 with one line naming
  it and its log, and leaves no child behind.
- Something on the Temporal port that is not Temporal (an HTTP server, a gRPC
  server without Temporal's services, a silent listener): refused in one line.
- A child that dies while the stack runs: ``stigmer server`` and ``stigmer demo``
  (following a run that can no longer progress) stop the rest and say which.
- A port picked for a child is not handed to another process meanwhile.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from stack_processes import (
    KEYS,
    children_of,
    kill_all,
    read,
    running,
    spawn_stigmer,
    stack_children,
    start_server,
    wait_until,
)
from stigmer_cli import local_stack
from stigmer_cli.data_dir_lock import lock_data_dir
from stigmer_cli.errors import UsageError
from stigmer_cli.local_stack import DEFAULT_TEMPORAL, free_port, reachable, start_local_stack

SLEEPER = """\
document: {dsl: '1.0.0', namespace: readiness-test, name: sleeper, version: '1.0.0'}
do:
  - nap:
      wait:
        seconds: 120
"""


def _server_args(data_dir: Path) -> list[str]:
    return [
        "server",
        "--data-dir",
        str(data_dir),
        "--address",
        f"127.0.0.1:{free_port()}",
        "--events",
        f"127.0.0.1:{free_port()}",
        "--console",
        "off",
    ]


def _run_to_exit(
    args: list[str], log: Path, env: dict[str, str], timeout: float = 240
) -> tuple[int, set[int], list[int]]:
    """Run ``stigmer ARGS`` to its end.

    Returns:
        Its exit code, every child it had meanwhile, and those still running
        once it exited (killed after being counted: no test leaves any behind).
    """
    process = spawn_stigmer(args, log, **env)
    seen: set[int] = set()

    def ended() -> bool:
        seen.update(children_of(process.pid))
        return process.poll() is not None

    try:
        wait_until(ended, timeout, lambda: read(log))
        left = [pid for pid in sorted(seen) if running(pid)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        kill_all(sorted(seen))
    return process.returncode, seen, left


def _last_line(log: Path) -> str:
    return read(log).rstrip("\n").rsplit("\n", 1)[-1]


def test_ports_picked_for_children_are_not_handed_out_again() -> None:
    picked = {free_port() for _ in range(20)}
    handed_out = set()
    for _ in range(3000):
        with socket.socket() as other:  # what any other process asking for a free port does
            other.bind(("127.0.0.1", 0))
            handed_out.add(other.getsockname()[1])
    # A port only bound and closed again came back ~4 times in as many binds.
    assert not picked & handed_out
    for port in picked:  # and the child it was picked for still gets it
        server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)
        server.server_close()


@pytest.mark.parametrize(
    ("child", "variable", "value"),
    [
        ("workflow-runner", "ENABLE_ASYNC_ACTIVITY_COMPLETION", "maybe"),
        ("agent-runner", "STIGMER_AGENT_STATUS_INTERVAL_SECONDS", "soon"),
    ],
)
def test_a_runner_failing_at_start_ends_the_server_in_one_line(
    tmp_path: Path, child: str, variable: str, value: str
) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    code, children, left = _run_to_exit(_server_args(data_dir), log, {variable: value})
    assert code == 2, read(log)
    child_log = data_dir / "logs" / f"{child}.log"
    assert _last_line(log) == (
        f"stigmer: {child} exited with 2 before the stack was ready: "
        f"{child}: {variable} must be "
        + ("true or false" if value == "maybe" else "a number of seconds")
        + f", got {value!r} (log {child_log})"
    )
    assert "Traceback" not in read(log)
    assert "Ctrl-C to stop" not in read(log)  # never announced as running
    assert len(children) >= 3  # temporal, stigmer-server and the runners had started
    assert not left  # stopped and waited for before the supervisor exited
    os.close(lock_data_dir(data_dir, grace_seconds=0))  # the data dir is free again


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_listener() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def grpc_listener() -> Iterator[str]:
    """A gRPC server with no services at all: every call is UNIMPLEMENTED."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


@pytest.mark.parametrize(
    ("listener", "why"),
    [
        ("http_listener", "it does not speak gRPC"),
        ("grpc_listener", "it answers gRPC without Temporal's services"),
    ],
)
def test_something_else_on_the_temporal_port_is_refused(
    tmp_path: Path, request: pytest.FixtureRequest, listener: str, why: str
) -> None:
    address = request.getfixturevalue(listener)
    log = tmp_path / "server.log"
    code, children, _ = _run_to_exit(
        _server_args(tmp_path / "data"), log, {"TEMPORAL_HOST_PORT": address}, timeout=120
    )
    assert code == 2, read(log)
    assert read(log).count("\n") == 1, read(log)  # one line, nothing started
    line = _last_line(log)
    assert line.startswith(f"stigmer: TEMPORAL_HOST_PORT={address} is not a Temporal frontend: "), (
        line
    )
    assert why in line
    assert line.endswith("; point TEMPORAL_HOST_PORT at a Temporal frontend")
    assert not children


def test_a_silent_listener_on_the_temporal_port_is_not_waited_on_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", KEYS)
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("TEMPORAL_HOST_PORT", address)
        with pytest.raises(UsageError) as refused:
            start_local_stack(tmp_path / "data", ready_timeout=2)
    assert re.fullmatch(
        rf"TEMPORAL_HOST_PORT={address} does not answer as Temporal after 2s: .+; "
        "point TEMPORAL_HOST_PORT at a Temporal frontend",
        str(refused.value),
    ), str(refused.value)
    os.close(lock_data_dir(tmp_path / "data", grace_seconds=0))  # released on the way out


def test_a_dev_server_that_lost_its_port_is_not_mistaken_for_what_listens_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grpc_listener: str
) -> None:
    # What a TCP connect took for Temporal: another process's gRPC server on the
    # port picked for the dev server, which then cannot listen and exits.
    if reachable(DEFAULT_TEMPORAL):
        pytest.skip(f"{DEFAULT_TEMPORAL} is in use: the stack would use it, not start a dev server")
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", KEYS)
    monkeypatch.delenv("TEMPORAL_HOST_PORT", raising=False)
    taken = int(grpc_listener.rpartition(":")[2])
    picks: list[int] = []

    def first_pick_taken() -> int:  # the first port picked is the dev server's --port
        picks.append(taken if not picks else free_port())
        return picks[-1]

    monkeypatch.setattr(local_stack, "free_port", first_pick_taken)
    data_dir = tmp_path / "data"
    with pytest.raises(UsageError) as failed:
        start_local_stack(
            data_dir,
            server_address=f"127.0.0.1:{free_port()}",
            events_address=f"127.0.0.1:{free_port()}",
            persistent_temporal=False,
        )
    assert picks[0] == taken
    assert re.fullmatch(
        r"temporal exited with 1 before the stack was ready: .*"
        rf"127\.0\.0\.1:{taken}.*address already in use \(log {re.escape(str(data_dir))}/logs/temporal\.log\)",
        str(failed.value),
    ), str(failed.value)
    assert not (data_dir / "logs" / "stigmer-server.log").exists()  # nothing else started
    os.close(lock_data_dir(data_dir, grace_seconds=0))


def _pid_of(children: dict[int, str], module: str) -> int:
    return next(pid for pid, command in children.items() if f"-m {module}" in command)


def test_a_child_dying_ends_the_server_in_one_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    server = start_server(data_dir, f"127.0.0.1:{free_port()}", log)
    children = stack_children(server, log)
    try:
        os.kill(_pid_of(children, "workflow_runner"), signal.SIGKILL)
        assert server.wait(timeout=120) == 2, read(log)
        assert _last_line(log) == (
            "stigmer: workflow-runner was killed by SIGKILL unexpectedly "
            f"(log {data_dir / 'logs' / 'workflow-runner.log'})"
        )
        assert "stopping: agent-runner, workflow-runner, stigmer-server, temporal" in read(log)
        assert "Traceback" not in read(log)
        assert not [pid for pid in children if running(pid)]
    finally:
        if server.poll() is None:
            server.kill()
        kill_all(list(children))


def test_the_demo_ends_when_its_runner_dies_instead_of_following_forever(
    tmp_path: Path,
) -> None:
    workflow = tmp_path / "sleeper.yaml"
    workflow.write_text(SLEEPER, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    log = tmp_path / "demo.log"
    demo = spawn_stigmer(["demo", str(workflow)], log, TMPDIR=str(temp))
    children: dict[int, str] = {}
    try:
        children = stack_children(demo, log)
        wait_until(lambda: "execution " in read(log), 120, lambda: read(log))  # following it
        os.kill(_pid_of(children, "workflow_runner"), signal.SIGKILL)
        assert demo.wait(timeout=120) == 2, read(log)
        line = _last_line(log)
        assert re.fullmatch(
            r"stigmer: workflow-runner was killed by SIGKILL unexpectedly "
            rf"\(log {re.escape(str(temp))}/stigmer-demo-\w+/logs/workflow-runner\.log\)",
            line,
        ), line
        assert "Traceback" not in read(log)
        assert not [pid for pid in children if running(pid)]
        assert list(temp.iterdir()) == []  # the throwaway data dir is removed too
    finally:
        if demo.poll() is None:
            demo.kill()
        kill_all(list(children))
