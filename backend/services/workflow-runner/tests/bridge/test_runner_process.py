"""``python -m workflow_runner`` as a process: help, and bad configuration exits 2 in one line."""

from __future__ import annotations

import os
import subprocess
import sys


def _runner(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    # Not the deployed default ports: other processes on this host may hold them.
    full_env["STIGMER_METRICS_ADDRESS"] = "127.0.0.1:0"
    full_env["STIGMER_HEALTH_ADDRESS"] = "off"
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "workflow_runner", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_environment() -> None:
    result = _runner("--help")
    assert result.returncode == 0
    for variable in ("STIGMER_SERVICE_ENDPOINT", "TEMPORAL_HOST_PORT", "STIGMER_SERVICE_USE_TLS"):
        assert variable in result.stdout


def test_bad_setting_is_one_line_naming_the_variable() -> None:
    result = _runner(STIGMER_SERVICE_USE_TLS="maybe")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "STIGMER_SERVICE_USE_TLS" in result.stderr


def test_unreachable_temporal_is_one_line() -> None:
    result = _runner(TEMPORAL_HOST_PORT="127.0.0.1:1")
    assert result.returncode == 1
    # The last line says why it stopped (before it, the start-up log lines).
    assert result.stderr.strip().splitlines()[-1].startswith("workflow-runner:"), result.stderr
