"""A runner's main() as a process: exit codes, one-line refusals, a graceful SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("runner_main_process.py")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STIGMER_", "LOG_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env.update({"STIGMER_METRICS_ADDRESS": "off", "STIGMER_HEALTH_ADDRESS": "off", **extra})
    return env


def _run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_runner_and_the_observability_variables() -> None:
    result = _run("serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "STIGMER_TEST_FLAG" in result.stdout
    assert "STIGMER_METRICS_ADDRESS" in result.stdout


def test_refused_settings_exit_2_with_one_line_naming_the_variable() -> None:
    result = _run("bad-settings")
    assert result.returncode == 2
    assert result.stderr == "test-runner: STIGMER_TEST_FLAG must be true or false, got 'maybe'\n"
    assert "prepared" not in result.stdout  # nothing started

    result = _run("serve", STIGMER_METRICS_ADDRESS="nowhere")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("test-runner: ") and "STIGMER_METRICS_ADDRESS" in line


def test_a_runner_that_cannot_start_exits_1_without_a_traceback() -> None:
    result = _run("refused")
    assert result.returncode == 1
    assert "prepared refused" in result.stdout
    assert result.stderr.splitlines()[-1] == (
        "test-runner: cannot listen on 127.0.0.1:1: address in use"
    )
    assert "Traceback" not in result.stderr


def test_sigterm_stops_the_runner_gracefully_with_exit_0() -> None:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "serve"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert lines == ["prepared serve\n", "serving\n"]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 0, err
    assert out == "stopped\n"
