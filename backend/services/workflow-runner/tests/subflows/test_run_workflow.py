"""`run: workflow` by reference from a directory catalog, as Temporal child workflows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.catalog import DirectoryCatalog
from workflow_runner.engine.inputs import engine_input
from workflow_runner.events.publisher import BusConfig
from workflow_runner.wiring.settings import RunSettings
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.integration

SERVICE_ROOT = Path(__file__).resolve().parents[2]

CHILD = """
document: {dsl: '1.0.3', namespace: lib, name: doubler, version: '1.0.0'}
do:
  - double:
      set:
        value: ${ .n * 2 }
"""
RECURSIVE = """
document: {dsl: '1.0.3', namespace: lib, name: forever, version: '1.0.0'}
do:
  - again:
      run:
        workflow: {namespace: lib, name: forever, version: '1.0.0'}
"""


def parent(namespace: str, name: str, version: str, extra: str = "") -> str:
    return f"""
document: {{dsl: '1.0.3', namespace: app, name: parent, version: '1.0.0'}}
do:
  - callChild:
      run:
        workflow:
          namespace: {namespace}
          name: {name}
          version: '{version}'
          input:
            n: ${{ .x }}
{extra}
"""


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    (tmp_path / "not-named-after-it.yaml").write_text(CHILD)
    (tmp_path / "rec.yml").write_text(RECURSIVE)
    return tmp_path


async def _run(
    env: WorkflowEnvironment, catalog: Path, text: str, *, max_depth: int = 8
) -> tuple[Any, str]:
    queue = f"subflows-{uuid.uuid4()}"
    bus = BusConfig(task_queue=queue, bus=f"sub-{uuid.uuid4().hex[:8]}")
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            env.client,
            task_queue=queue,
            providers=EngineProviders(
                bus=bus, catalog=DirectoryCatalog(catalog), io_activities=build_io_activities(http)
            ),
        ),
    ):
        handle = await env.client.start_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(definition=text, input={"x": 21}),
            id=queue,
            task_queue=queue,
            memo=RunSettings(lifecycle_events=False, max_depth=max_depth).memo(),
        )
        return await handle.result(), handle.id


def _problem(failure: WorkflowFailureError) -> Any:
    cause = failure.cause
    assert isinstance(cause, ApplicationError), cause
    return cause.details[0]


async def test_parent_runs_child_by_reference(env: WorkflowEnvironment, catalog_dir: Path) -> None:
    output, workflow_id = await _run(env, catalog_dir, parent("lib", "doubler", "1.0.0"))
    assert output == {"value": 42}
    children = [
        w async for w in env.client.list_workflows(f"WorkflowId STARTS_WITH '{workflow_id}/'")
    ]
    assert len(children) == 1 and children[0].status == WorkflowExecutionStatus.COMPLETED


async def test_latest_version(env: WorkflowEnvironment, catalog_dir: Path) -> None:
    output, _ = await _run(env, catalog_dir, parent("lib", "doubler", "latest"))
    assert output == {"value": 42}


async def test_unknown_reference_faults_clearly(
    env: WorkflowEnvironment, catalog_dir: Path
) -> None:
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(env, catalog_dir, parent("lib", "doubler", "9.9.9"))
    problem = _problem(caught.value)
    assert problem["type"].endswith("/errors/configuration")
    assert "lib/doubler:9.9.9 not found" in problem["detail"]
    assert "versions present: 1.0.0" in problem["detail"]
    assert problem["instance"] == "/do/0/callChild"


async def test_recursion_deeper_than_the_limit_faults(
    env: WorkflowEnvironment, catalog_dir: Path
) -> None:
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(env, catalog_dir, RECURSIVE, max_depth=3)
    problem = _problem(caught.value)
    assert "the limit is 3" in problem["detail"]
    assert problem["type"].endswith("/errors/configuration")


async def test_await_false_returns_at_once(env: WorkflowEnvironment, catalog_dir: Path) -> None:
    text = parent("lib", "doubler", "1.0.0", extra="        await: false")
    output, workflow_id = await _run(env, catalog_dir, text)
    assert output == {"x": 21}  # the task's transformed input, per the spec
    children = [
        w async for w in env.client.list_workflows(f"WorkflowId STARTS_WITH '{workflow_id}/'")
    ]
    assert len(children) == 1


def test_dsl_cli_catalog(catalog_dir: Path, tmp_path: Path) -> None:
    wf = tmp_path / "parent.json"
    wf.write_text(json.dumps(yaml.safe_load(parent("lib", "doubler", "1.0.0"))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SERVICE_ROOT), *sys.path])
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    base = [sys.executable, "-m", "workflow_runner.cli", "run", str(wf), "--input", '{"x": 5}']
    ok = subprocess.run(
        [*base, "--catalog", str(catalog_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"value": 10}
    bad = subprocess.run(
        [*base, "--catalog", str(tmp_path / "nope")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "--catalog" in bad.stderr
