"""The ``stigmer`` verbs against a running platform, as processes a user runs.

``run --follow`` on a terminal (a pseudo-terminal from the ``pty`` module) draws
the live view: ANSI colours, a spinner on the running task, the task tree with
durations; piped it writes plain lines. ``list``/``get``/``describe`` read what
ran (table, JSON, YAML), ``watch`` attaches to a running execution.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
import yaml
from e2e_platform import FOLLOW_TIMEOUT, Platform, dsl_document

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"  # rich's "dots"
RAISE_TYPE = "https://serverlessworkflow.io/spec/1.0.0/errors/validation"


def _env(platform: Platform) -> dict[str, str]:
    env = platform.runner_env()  # STIGMER_SERVER: this platform's server
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm-256color"
    return env


def _stigmer(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        env=_env(platform),
        cwd=platform.tmp,
        capture_output=True,
        text=True,
        timeout=FOLLOW_TIMEOUT,
        check=False,
    )


def _stigmer_on_terminal(
    platform: Platform, *args: str, interrupt_once: str | None = None
) -> tuple[int, str, str]:
    """Run with stderr on a 120x40 pseudo-terminal; (exit code, stdout, terminal output).

    ``interrupt_once``: send SIGINT (Ctrl-C) when this text first appears on the terminal.
    """
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "stigmer_cli", *args],
        env=_env(platform),
        cwd=platform.tmp,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    terminal = bytearray()
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                terminal.extend(chunk)
                if interrupt_once and interrupt_once.encode() in terminal:
                    process.send_signal(signal.SIGINT)
                    interrupt_once = None
            elif process.poll() is not None:
                break
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        code = process.wait(timeout=FOLLOW_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
    return code, stdout, terminal.decode(errors="replace")


def _apply(platform: Platform, name: str, tasks: list[dict[str, object]]) -> str:
    path = platform.tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(dsl_document(name, tasks)), encoding="utf-8")
    applied = _stigmer(platform, "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    slug: str = json.loads(applied.stdout)["slug"]
    return slug


NESTED = [
    {
        "outer": {
            "do": [
                {"nap": {"wait": {"seconds": 3}}},
                {"greet": {"set": {"message": '${ "hi " + .name }'}}},
            ]
        }
    },
    {"done": {"set": {"message": "${ .message }", "done": True}}},
]


async def test_run_follow_on_a_terminal_is_a_live_tree_then_verbs_read_it(
    platform: Platform,
) -> None:
    slug = await asyncio.to_thread(_apply, platform, "cli-live", NESTED)
    code, stdout, terminal = await asyncio.to_thread(
        _stigmer_on_terminal, platform, "run", slug, "--input", '{"name": "pty"}', "--follow"
    )
    assert code == 0, terminal
    assert json.loads(stdout) == {"message": "hi pty", "done": True}
    assert "\x1b[" in terminal  # colours and cursor movement: the live view, not lines
    assert any(frame in terminal for frame in SPINNER_FRAMES), terminal  # nap was running
    assert "task nap (wait)" not in terminal  # no plain lines on a terminal
    final = terminal[terminal.rindex("wex-") :]  # the last frame drawn
    for text in ("COMPLETED", "outer", "(do)", "nap", "(wait)", "greet", "done", "✓", "└──"):
        assert text in final, final
    execution_id = re.match(r"wex-[0-9a-z]+", final).group(0)  # type: ignore[union-attr]

    listed = await asyncio.to_thread(_stigmer, platform, "list", "executions", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [e for e in json.loads(listed.stdout) if e["metadata"]["id"] == execution_id]
    assert entry["status"]["phase"] == "COMPLETED"
    table = await asyncio.to_thread(_stigmer, platform, "list", "workflows")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["ID", "NAME", "CREATED", "(UTC)"]
    assert slug in table.stdout

    got = await asyncio.to_thread(_stigmer, platform, "get", execution_id, "-o", "yaml")
    assert got.returncode == 0, got.stderr
    assert yaml.safe_load(got.stdout)["status"]["output"] == {"message": "hi pty", "done": True}
    by_slug = await asyncio.to_thread(_stigmer, platform, "get", "workflows", slug, "-o", "json")
    assert json.loads(by_slug.stdout)["metadata"]["slug"] == slug

    described = await asyncio.to_thread(_stigmer, platform, "describe", execution_id)
    assert described.returncode == 0, described.stderr
    rows = {line.split()[0]: line.split() for line in described.stdout.splitlines() if line}
    assert rows["Phase"] == ["Phase", "COMPLETED"]
    assert rows["nap"][1:3] == ["wait", "COMPLETED"]
    assert float(rows["nap"][4].removesuffix("s")) >= 3.0  # the duration of the wait
    # nested tasks are indented under their parent
    nap_line = next(line for line in described.stdout.splitlines() if " nap " in f" {line}")
    outer_line = next(line for line in described.stdout.splitlines() if line.startswith("outer"))
    assert nap_line.startswith("  nap") and outer_line.startswith("outer")

    missing = await asyncio.to_thread(_stigmer, platform, "describe", "wex-doesnotexist")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "NOT_FOUND" in missing.stderr


async def test_watch_attaches_to_a_running_execution_with_plain_lines_when_piped(
    platform: Platform,
) -> None:
    tasks: list[dict[str, object]] = [
        {"nap": {"wait": {"seconds": 2}}},
        {"refuse": {"raise": {"error": {"type": RAISE_TYPE, "status": 400, "title": "Refused"}}}},
    ]
    slug = await asyncio.to_thread(_apply, platform, "cli-watch", tasks)
    started = await asyncio.to_thread(_stigmer, platform, "run", slug)
    assert started.returncode == 0, started.stderr
    execution_id = started.stdout.strip()
    watched = await asyncio.to_thread(_stigmer, platform, "watch", execution_id)
    assert watched.returncode == 1, watched.stderr  # FAILED
    assert "\x1b" not in watched.stderr  # piped: plain lines
    lines = watched.stderr.splitlines()
    assert "task nap (wait) COMPLETED" in lines
    assert "task refuse (raise) FAILED" in lines
    assert lines[-1] == "phase FAILED"
    assert json.loads(watched.stdout)["phase"] == "FAILED"

    described = await asyncio.to_thread(_stigmer, platform, "describe", execution_id)
    assert described.returncode == 0, described.stderr
    refuse = next(line for line in described.stdout.splitlines() if line.startswith("refuse"))
    assert "FAILED" in refuse and "Refused" in refuse
    as_json = await asyncio.to_thread(_stigmer, platform, "describe", execution_id, "-o", "json")
    assert json.loads(as_json.stdout)["status"]["phase"] == "FAILED"
    # `logs` is the same verb under the name people try first; an ended execution ends at once
    logs = await asyncio.to_thread(_stigmer, platform, "logs", execution_id)
    assert (logs.returncode, logs.stderr.splitlines()[-1]) == (1, "phase FAILED")


def _watch_until_the_server_stops(platform: Platform, execution_id: str) -> tuple[int, str]:
    """``watch`` piped; once it printed the execution and its running task, the
    server is stopped (waiting for both lines: on a busy machine the task's line
    may come from a later update than the phase's)."""
    watcher = subprocess.Popen(
        [sys.executable, "-m", "stigmer_cli", "watch", execution_id],
        env=_env(platform),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stderr is not None
        first = watcher.stderr.readline()
        assert first == "phase IN_PROGRESS\n"
        second = watcher.stderr.readline()
        assert second == "task nap (wait) IN_PROGRESS\n"
        platform.server.stop()
        _, rest = watcher.communicate(timeout=FOLLOW_TIMEOUT)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    return watcher.returncode, rest


async def test_ctrl_c_on_the_live_view_exits_130_and_the_execution_runs_on(
    platform: Platform,
) -> None:
    slug = await asyncio.to_thread(
        _apply, platform, "cli-interrupt", [{"nap": {"wait": {"seconds": 600}}}]
    )
    started = await asyncio.to_thread(_stigmer, platform, "run", slug)
    execution_id = started.stdout.strip()
    code, stdout, terminal = await asyncio.to_thread(
        _stigmer_on_terminal, platform, "watch", execution_id, interrupt_once="(wait)"
    )
    assert code == 130, terminal
    assert stdout == ""
    assert "Traceback" not in terminal
    assert terminal.rstrip().endswith("interrupted"), terminal
    # Detaching leaves the execution running: watch again, piped, until the server stops.
    code, stderr = await asyncio.to_thread(_watch_until_the_server_stops, platform, execution_id)
    assert code == 3, stderr  # unreachable
    rest = stderr.splitlines()
    assert len(rest) == 1, stderr
    assert rest[0].startswith(f"stigmer: follow {execution_id}: "), stderr
