"""Secrets end to end on a real dev server: provider -> $secrets -> basic auth, never in
clear in history; missing and undeclared secrets fault with 403."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_common.temporal_dev_server import start_dev_server, temporal_cli_path
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.inputs import engine_input
from workflow_runner.events.publisher import BusConfig
from workflow_runner.secrets import FileSecretProvider
from workflow_runner.wiring.settings import RunSettings
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.integration

USER = "alice"
PASSWORD = "pw-Zq8-never-in-history"
SERVICE_ROOT = Path(__file__).resolve().parents[2]
REPO_ROOT = SERVICE_ROOT.parents[2]


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


@pytest.fixture
def basic_auth_server() -> Iterator[str]:
    """A local server answering 200 only to the right basic credentials, 401 otherwise."""
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.headers.get("Authorization") == expected
            body = json.dumps({"authenticated": ok, "user": USER if ok else None}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def definition(base_url: str, declared: str = "[api]", reads: str = "$secrets.api") -> str:
    return f"""
document: {{dsl: '1.0.3', namespace: test, name: secret-basic-auth, version: '0.1.0'}}
use:
  secrets: {declared}
input:
  from: '${{ {{ creds: {reads}, item: .item }} }}'
do:
  - getProtected:
      call: http
      with:
        method: get
        endpoint:
          uri: {base_url}/protected
          authentication:
            basic:
              username: ${{ .creds.username }}
              password: ${{ .creds.password }}
"""


async def _run(client: Client, secrets_file: Path, text: str, *, workflow_id: str) -> Any:
    queue = f"secrets-{uuid.uuid4()}"
    bus = BusConfig(task_queue=queue, bus=f"secrets-{uuid.uuid4().hex[:8]}")
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            client,
            task_queue=queue,
            providers=EngineProviders(
                bus=bus,
                secrets=FileSecretProvider(secrets_file),
                io_activities=build_io_activities(http),
            ),
        ),
    ):
        return await client.execute_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(definition=text, input={"item": 1}),
            id=workflow_id,
            task_queue=queue,
            memo=RunSettings(lifecycle_events=False).memo(),
        )


def _show(env: WorkflowEnvironment, workflow_id: str) -> str:
    shown = subprocess.run(
        [
            temporal_cli_path(),
            "workflow",
            "show",
            "--address",
            env.client.service_client.config.target_host,
            "--namespace",
            env.client.namespace,
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return shown.stdout


def _leaks(text: str) -> list[str]:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return [
        s for s in (PASSWORD, basic, base64.b64encode(PASSWORD.encode()).decode()[:16]) if s in text
    ]


def _problem(failure: WorkflowFailureError) -> Any:
    cause = failure.cause
    assert isinstance(cause, ApplicationError), cause
    return cause.details[0]


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(f"api:\n  username: {USER}\n  password: {PASSWORD}\n")
    return path


async def test_secret_basic_auth_succeeds_and_history_holds_no_secret(
    env: WorkflowEnvironment, basic_auth_server: str, secrets_file: Path
) -> None:
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(KeyRing.generate()),
    )
    workflow_id = f"secret-{uuid.uuid4()}"
    output = await _run(
        client, secrets_file, definition(basic_auth_server), workflow_id=workflow_id
    )
    assert output == {"authenticated": True, "user": USER}
    shown = await asyncio.to_thread(_show, env, workflow_id)
    assert "ActivityTaskCompleted" in shown or "EVENT_TYPE_ACTIVITY_TASK_COMPLETED" in shown
    assert _leaks(shown) == []

    # Control: the same run without the codec does show the secret, so the grep can fail.
    plain_id = f"plain-{uuid.uuid4()}"
    await _run(env.client, secrets_file, definition(basic_auth_server), workflow_id=plain_id)
    assert _leaks(await asyncio.to_thread(_show, env, plain_id)) != []


async def test_missing_secret_faults_with_403(
    env: WorkflowEnvironment, basic_auth_server: str, tmp_path: Path
) -> None:
    empty = tmp_path / "secrets.json"
    empty.write_text("{}")
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(env.client, empty, definition(basic_auth_server), workflow_id=str(uuid.uuid4()))
    problem = _problem(caught.value)
    assert problem["status"] == 403
    assert problem["type"].endswith("/errors/authorization")
    assert "'api'" in problem["detail"]


async def test_undeclared_secret_faults_with_403(
    env: WorkflowEnvironment, basic_auth_server: str, secrets_file: Path
) -> None:
    text = definition(basic_auth_server, declared="[]", reads="$secrets.api")
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(env.client, secrets_file, text, workflow_id=str(uuid.uuid4()))
    problem = _problem(caught.value)
    assert problem["status"] == 403
    assert "does not declare" in problem["detail"]


def test_dsl_cli_secrets_file_and_missing_secret(
    basic_auth_server: str, secrets_file: Path, tmp_path: Path
) -> None:
    workflow = tmp_path / "wf.yaml"
    workflow.write_text(definition(basic_auth_server))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SERVICE_ROOT), *sys.path])
    env["STIGMER_PAYLOAD_KEY_FILE"] = ""
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # the generated key file goes here
    command = [
        sys.executable,
        "-m",
        "workflow_runner.cli",
        "run",
        str(workflow),
        "--no-lifecycle-events",
    ]
    ok = subprocess.run(
        [*command, "--secrets", str(secrets_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"authenticated": True, "user": USER}
    key_file = tmp_path / "config" / "stigmer" / "payload-keys.json"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600

    empty = tmp_path / "empty.yaml"
    empty.write_text("other: x\n")
    missing = subprocess.run(
        [*command],
        env={**env, "STIGMER_SECRETS_FILE": str(empty)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1, missing.stderr
    assert json.loads(missing.stdout)["status"] == 403
