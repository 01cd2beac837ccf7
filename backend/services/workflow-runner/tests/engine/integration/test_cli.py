"""``dsl run``: exit codes and what goes to stdout/stderr (real subprocess, real server)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.integration

SERVICE_ROOT = Path(__file__).resolve().parents[3]


async def run_cli(*args: str) -> tuple[int, str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SERVICE_ROOT), *sys.path])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workflow_runner.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "wf.yaml"
    path.write_text("document: {dsl: '1.0.3', namespace: t, name: cli, version: '1.0.0'}\n" + text)
    return str(path)


async def test_completed_run_prints_output_json_and_exits_0(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    wf = write(tmp_path, "do:\n  - s: {set: {greeting: '${ \"hi \" + .name }'}}\n")
    code, out, err = await run_cli(
        "run", wf, "--input", '{"name": "ada"}', "--address", address(temporal_env)
    )
    assert code == 0, err
    assert json.loads(out) == {"greeting": "hi ada"}


async def test_fault_prints_problem_details_and_exits_1(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    wf = write(
        tmp_path,
        "do:\n  - r:\n      raise:\n        error: {type: https://e.com/x, status: 409, title: C}\n",
    )
    code, out, err = await run_cli("run", wf, "--address", address(temporal_env))
    assert code == 1, err
    assert json.loads(out) == {
        "type": "https://e.com/x",
        "status": 409,
        "title": "C",
        "instance": "/do/0/r",
    }


async def test_invalid_definition_is_one_line_on_stderr_and_exits_2(tmp_path: Path) -> None:
    wf = write(tmp_path, "do:\n  - s: {set: {a: 1}, then: missing}\n")
    code, out, err = await run_cli("run", wf)
    assert code == 2, err
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "/do/0/s/then: 'missing'" in err


async def test_bad_input_json_exits_2(tmp_path: Path) -> None:
    wf = write(tmp_path, "do:\n  - s: {set: {a: 1}}\n")
    code, _, err = await run_cli("run", wf, "--input", "{nope")
    assert code == 2 and "--input: not valid JSON" in err


async def test_without_address_a_local_dev_server_is_started(tmp_path: Path) -> None:
    wf = write(tmp_path, "do:\n  - s: {set: {a: 1}}\n")
    code, out, err = await run_cli("run", wf)
    assert code == 0, err
    assert json.loads(out) == {"a": 1}
