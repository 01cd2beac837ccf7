"""The local stack's supervisor owns its children, however it ends.

- ``kill -9`` of ``stigmer server``: every child (Temporal, stigmer-server,
  runner) is gone shortly after, and a new ``stigmer server`` on the same data
  dir starts and still has the data.
- SIGTERM / SIGHUP to ``stigmer server`` or ``stigmer demo``: the same orderly
  stop as Ctrl-C, every child gone; exit 0 (server) / 130 (demo).
- A second ``stigmer server`` on a data dir in use: one line naming the pid and
  the directory, exit 2, nothing started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from stack_processes import (
    assert_all_gone,
    children_of,
    cli,
    kill_all,
    read,
    running,
    spawn_stigmer,
    stack_children,
    start_server,
    stigmer_env,
    wait_until,
)
from stigmer_cli.data_dir_lock import lock_data_dir
from stigmer_cli.errors import UsageError
from stigmer_cli.local_stack import free_port

DOUBLER = """\
document: {dsl: '1.0.0', namespace: supervisor-test, name: doubler, version: '1.0.0'}
do:
  - double:
      set:
        doubled: ${ .n * 2 }
"""
# Still running when the test signals `stigmer demo`.
SLEEPER = """\
document: {dsl: '1.0.0', namespace: supervisor-test, name: sleeper, version: '1.0.0'}
do:
  - nap:
      wait:
        seconds: 120
"""


def _run_doubler(address: str, n: int) -> None:
    run = cli("run", "doubler", "--input", json.dumps({"n": n}), "--follow", "--server", address)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"doubled": 2 * n}


def test_kill_9_takes_the_children_along_and_the_data_survives(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    address = f"127.0.0.1:{free_port()}"
    workflow = tmp_path / "doubler.yaml"
    workflow.write_text(DOUBLER, encoding="utf-8")
    log = tmp_path / "first.log"
    first = start_server(data_dir, address, log)
    children = stack_children(first, log)
    try:
        applied = cli("apply", "-f", str(workflow), "--server", address)
        assert applied.returncode == 0, applied.stderr
        _run_doubler(address, 3)

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert_all_gone(list(children))
    finally:
        kill_all(list(children))

    log = tmp_path / "second.log"
    second = start_server(data_dir, address, log)
    second_children = stack_children(second, log)
    try:
        _run_doubler(address, 21)  # applied before the kill: the data survived

        # A second stack on the data dir in use: named in one line, nothing started.
        third = subprocess.run(
            [
                sys.executable,
                "-m",
                "stigmer_cli",
                "server",
                "--data-dir",
                str(data_dir),
                "--address",
                f"127.0.0.1:{free_port()}",
                "--console",
                "off",
            ],
            env=stigmer_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert third.returncode == 2, third.stderr
        assert third.stderr == (
            f"stigmer: another stigmer server (pid {second.pid}) uses {data_dir}\n"
        )
        assert children_of(second.pid) == second_children
        _run_doubler(address, 5)  # the running stack was not disturbed
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=60) == 0, read(log)
        kill_all(list(second_children))
    assert_all_gone(list(second_children))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_server_stops_every_child_on_a_stop_signal(tmp_path: Path, signum: int) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    server = start_server(data_dir, f"127.0.0.1:{free_port()}", log)
    children = stack_children(server, log)
    try:
        server.send_signal(signum)
        assert server.wait(timeout=60) == 0, read(log)
        assert "stopping: agent-runner, workflow-runner, stigmer-server, temporal" in read(log)
        assert "Traceback" not in read(log)
        # Stopped, not orphaned: waited for, so gone by the time the supervisor exits.
        assert not [pid for pid in children if running(pid)]
    finally:
        kill_all(list(children))
    os.close(lock_data_dir(data_dir, grace_seconds=0))  # the data dir is free again


def test_server_stopped_while_starting_leaves_nothing(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    data_dir = tmp_path / "data"
    server = spawn_stigmer(
        [
            "server",
            "--data-dir",
            str(data_dir),
            "--address",
            f"127.0.0.1:{free_port()}",
            "--events",
            f"127.0.0.1:{free_port()}",
            "--console",
            "off",
        ],
        log,
    )
    started: dict[int, str] = {}
    try:
        # Signal as soon as the dev server is spawned, before anything is ready.
        def temporal_spawned() -> bool:
            started.update(children_of(server.pid))
            return bool(started)

        wait_until(temporal_spawned, 60, lambda: read(log))
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, read(log)
        assert "Traceback" not in read(log)
        assert not [pid for pid in started if running(pid)]
    finally:
        kill_all(list(started))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_demo_stops_every_child_on_a_stop_signal(tmp_path: Path, signum: int) -> None:
    workflow = tmp_path / "sleeper.yaml"
    workflow.write_text(SLEEPER, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    log = tmp_path / "demo.log"
    # TMPDIR: the demo's throwaway data dir is created (and must be removed) here.
    demo = spawn_stigmer(["demo", str(workflow)], log, TMPDIR=str(temp))
    children: dict[int, str] = {}
    try:
        try:
            children = stack_children(demo, log)
        except AssertionError as missing:
            # Which child is gone, and why: its own log (in the demo's data dir).
            raise AssertionError(f"{missing}\n{_child_logs(temp)}") from None
        wait_until(lambda: "execution " in read(log), 120, lambda: read(log))  # following it
        demo.send_signal(signum)
        assert demo.wait(timeout=60) == 130, read(log)
        text = read(log)
        assert "interrupted" in text
        assert "stopping: agent-runner, workflow-runner, stigmer-server, temporal" in text
        assert "Traceback" not in text
        assert not [pid for pid in children if running(pid)]
        assert list(temp.iterdir()) == []
    finally:
        if demo.poll() is None:
            demo.kill()
        kill_all(list(children))


def _child_logs(temp: Path) -> str:
    tails = []
    for path in sorted(temp.glob("*/logs/*.log")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        tails.append(f"--- {path.name}\n" + "\n".join(lines[-15:]))
    return "\n".join(tails) or "(no child logs)"


def test_a_held_data_dir_names_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from stigmer_cli.data_dir_lock import "
            "lock_data_dir; lock_data_dir(Path(sys.argv[1])); print('locked', flush=True); "
            "sys.stdin.read()",
            str(tmp_path),
        ],
        env=stigmer_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(UsageError) as refused:
            lock_data_dir(tmp_path, grace_seconds=0)
        assert str(refused.value) == f"another stigmer server (pid {holder.pid}) uses {tmp_path}"
    finally:
        holder.kill()
        holder.wait()
    # The kernel released the dead holder's lock; its stale pid file does not block.
    os.close(lock_data_dir(tmp_path, grace_seconds=0))


def test_a_data_dir_held_by_an_orphan_names_the_dead_supervisor(tmp_path: Path) -> None:
    # A "supervisor" that passes the lock to a child and dies without taking it
    # along (what kill -9 did before children had a parent-death signal).
    orphan_pid_file = tmp_path / "orphan.pid"
    supervisor = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys; from pathlib import Path; "
            "from stigmer_cli.data_dir_lock import lock_data_dir; "
            "fd = lock_data_dir(Path(sys.argv[1])); "
            "child = subprocess.Popen(['sleep', '60'], pass_fds=(fd,), start_new_session=True, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "Path(sys.argv[2]).write_text(str(child.pid)); print(os.getpid())",
            str(tmp_path),
            str(orphan_pid_file),
        ],
        env=stigmer_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    orphan = int(orphan_pid_file.read_text())
    try:
        with pytest.raises(UsageError) as refused:
            lock_data_dir(tmp_path, grace_seconds=0.5)
        assert str(refused.value) == (
            f"processes of a stopped stigmer server (pid {supervisor.stdout.strip()}) "
            f"still use {tmp_path}"
        )
    finally:
        kill_all([orphan])
    wait_until(lambda: not running(orphan), 30, lambda: f"orphan {orphan} still running")
    os.close(lock_data_dir(tmp_path))  # free once the orphan is gone
