"""The ``stigmer`` command as a user runs it: a subprocess, its stdout JSON and exit code.

``demo`` starts everything itself (its own Temporal dev server, stigmer-server,
workflow runner) and shuts it down; nothing else is running for it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stigmer_cli.scripted_agent_model import MODEL_VARIABLES

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello-stigmer.yaml"


def _stigmer(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = dict(os.environ)
    # The user's model settings would decide whether the demo uses the scripted model.
    for name in MODEL_VARIABLES:
        base.pop(name, None)
    env = {**base, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["STIGMER_PAYLOAD_KEYS"] = "k1=" + base64.b64encode(os.urandom(32)).decode()
    # An unused address: demo must start its own dev server, never touch a developer's.
    env["TEMPORAL_HOST_PORT"] = ""
    env.pop("TEMPORAL_HOST_PORT")
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_demo_runs_the_example_and_prints_its_output(tmp_path: Path) -> None:
    result = _stigmer(
        "demo",
        str(EXAMPLE),
        "--input",
        '{"name": "Stigmer"}',
        "--data-dir",
        str(tmp_path / "data"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "message": "Hello, Stigmer! Ran plan, run, report.",
        "completed": True,
    }
    lines = result.stderr.splitlines()
    assert "phase IN_PROGRESS" in lines
    assert "task celebrate (set) COMPLETED" in lines
    assert lines[-1] == "phase COMPLETED"
    # Everything it started is gone: the RocksDB lock is free, so a server could reopen it.
    for name in ("stigmer-server", "workflow-runner", "agent-runner", "temporal"):
        assert (tmp_path / "data" / "logs" / f"{name}.log").exists()
    # No model configured: the demo says its agents answer from the scripted model
    # (tests/cli/test_scripted_agent_model.py: what the agent-runner is given answers).
    [said] = [line for line in lines if "scripted model" in line]
    assert said.startswith("agents: no model configured"), said
    assert "scripted model at http://127.0.0.1:" in said, said


def test_demo_with_a_model_configured_does_not_use_the_scripted_model(tmp_path: Path) -> None:
    result = _stigmer(
        "demo",
        str(EXAMPLE),
        "--input",
        '{"name": "Stigmer"}',
        "--data-dir",
        str(tmp_path / "data"),
        cwd=tmp_path,
        env={"STIGMER_AGENT_MODEL": "ollama:llama3"},
    )
    assert result.returncode == 0, result.stderr
    assert "scripted model" not in result.stderr


def test_demo_of_a_faulting_workflow_exits_1_with_the_error(tmp_path: Path) -> None:
    workflow = tmp_path / "fails.yaml"
    workflow.write_text(
        "document: {dsl: '1.0.0', namespace: demo, name: fails, version: '1.0.0'}\n"
        "do:\n"
        "  - refuse:\n"
        "      raise:\n"
        "        error:\n"
        "          type: https://serverlessworkflow.io/spec/1.0.0/errors/validation\n"
        "          status: 400\n"
        "          title: Refused\n",
        encoding="utf-8",
    )
    # A relative FILE resolves against the working directory (BUILD_WORKING_DIRECTORY under bazel run).
    result = _stigmer("demo", "fails.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    printed = json.loads(result.stdout)
    assert printed["phase"] == "FAILED"
    assert printed["error"]["details"]["status"] == "400"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demo", "missing.yaml"), "missing.yaml: cannot read"),
        (("apply", "-f", str(REPO / "pyproject.toml")), "not valid YAML"),
        (("apply", "-f", str(REPO / ".github-none.yaml")), "cannot read"),
        (("demo", str(EXAMPLE), "--input", "{nope"), "--input: not valid JSON"),
        (("demo", str(EXAMPLE), "--input", "[1]"), "--input: must be a JSON object"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = _stigmer(*args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


def test_help_names_every_command(tmp_path: Path) -> None:
    result = _stigmer("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in (
        "server",
        "apply",
        "run",
        "demo",
        "get",
        "list",
        "describe",
        "watch",
        "logs",
        "cancel",
        "emit",
        "keys",
        "completion",
    ):
        assert f"\n  {command} " in result.stdout, command
    for code in ("0 ", "1 ", "2 ", "3 ", "130 "):  # the exit codes are documented
        assert f"\n    {code}" in result.stdout, code
