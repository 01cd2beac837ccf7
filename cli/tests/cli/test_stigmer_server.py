"""``stigmer server`` as a long-running process: apply/run against it, then Ctrl-C.

SIGINT must stop the runner, the server and the dev server it started (in
that order) and exit 0; the data survives: a second ``stigmer server`` on the
same data dir still knows the workflow.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from stigmer_cli.local_stack import free_port

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello-stigmer.yaml"
# A Workflow resource (not DSL): typed task configs in proto JSON names.
WORKFLOW_RESOURCE = """\
apiVersion: stigmer.ai/v1
kind: Workflow
metadata:
  name: doubler
spec:
  document: {dsl: 1.0.0, namespace: cli-test, name: doubler, version: 1.0.0}
  tasks:
    - name: double
      kind: SET
      taskConfig:
        variables:
          doubled: ${ .n * 2 }
"""
KEYS = "k1=" + base64.b64encode(os.urandom(32)).decode()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["STIGMER_PAYLOAD_KEYS"] = KEYS
    env.pop("TEMPORAL_HOST_PORT", None)
    return env


def _start_server(
    data_dir: Path, address: str, log: Path, *extra: str, console: str = "off"
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stigmer_cli",
                "server",
                "--data-dir",
                str(data_dir),
                "--address",
                address,
                "--events",
                f"127.0.0.1:{free_port()}",
                *extra,
                "--console",
                console,
            ],
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "Ctrl-C to stop" not in log.read_text(encoding="utf-8"):
        assert process.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.2)
    return process


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _observability_endpoints(log: Path) -> dict[str, str]:
    """``metrics and health: NAME URL (...); ...`` as {name: metrics URL}."""
    line = next(
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("metrics and health: ")
    )
    endpoints = {}
    for part in line.removeprefix("metrics and health: ").split("; "):
        name, url = part.split()[:2]
        endpoints[name] = url
    return endpoints


def _ready_within(url: str, seconds: float = 60.0) -> tuple[int, str]:
    """Polls ``url`` (a /readyz) until 200: readiness probes Temporal every few
    seconds, and a probe can time out on a busy machine before the next one passes."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            if time.monotonic() > deadline:
                return error.code, error.read().decode()
        time.sleep(1)


def _read(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def _interrupt(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0, log.read_text(encoding="utf-8")


def test_server_serves_apply_and_run_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "server.log"
    console = f"127.0.0.1:{free_port()}"
    server = _start_server(data_dir, address, log, console=console)
    try:
        applied = _cli("apply", "-f", str(EXAMPLE), "--server", address)
        assert applied.returncode == 0, applied.stderr
        assert json.loads(applied.stdout)["slug"] == "hello-stigmer"
        # The web console is served beside it, at the address printed at start-up.
        assert f"console on http://{console}/" in log.read_text(encoding="utf-8")
        with urllib.request.urlopen(f"http://{console}/", timeout=15) as page:
            assert "<title>Stigmer console</title>" in page.read().decode()
        with urllib.request.urlopen(f"http://{console}/api/workflows", timeout=15) as listed:
            names = [item["name"] for item in json.loads(listed.read())["items"]]
        assert names == ["hello-stigmer"]
        run = _cli(
            "run", "hello-stigmer", "--input", '{"name": "Ada"}', "--follow", "--server", address
        )
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["message"] == "Hello, Ada! Ran plan, run, report."
        resource = tmp_path / "resource.yaml"
        resource.write_text(WORKFLOW_RESOURCE, encoding="utf-8")
        applied = _cli("apply", "-f", str(resource), "--server", address)
        assert applied.returncode == 0, applied.stderr
        workflow_id = json.loads(applied.stdout)["id"]
        run = _cli("run", workflow_id, "--input", '{"n": 20}', "--follow", "--server", address)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == {"doubled": 40}
        # Each process printed its own metrics/health port; all are ready and counting.
        endpoints = _observability_endpoints(log)
        assert set(endpoints) == {"stigmer-server", "workflow-runner", "agent-runner"}
        assert len(set(endpoints.values())) == 3
        for name, url in endpoints.items():
            status, body = _ready_within(url.replace("/metrics", "/readyz"))
            assert status == 200, f"{name} not ready: {body}"
        finished = _read(endpoints["stigmer-server"])
        assert (
            'stigmer_executions_finished_total{kind="workflow",phase="COMPLETED"} 2.0' in finished
        )
    finally:
        _interrupt(server, log)
    text = log.read_text(encoding="utf-8")
    assert "stopping: agent-runner, workflow-runner, stigmer-server, temporal" in text
    # Everything it started is gone (the RocksDB lock is released) and the data persisted.
    log = tmp_path / "server-again.log"
    port = free_port()
    again = _start_server(data_dir, address, log, "--metrics-port", str(port))
    try:
        assert _observability_endpoints(log) == {
            "stigmer-server": f"http://127.0.0.1:{port}/metrics",
            "workflow-runner": f"http://127.0.0.1:{port + 1}/metrics",
            "agent-runner": f"http://127.0.0.1:{port + 2}/metrics",
        }
        run = _cli(
            "run", "hello-stigmer", "--input", '{"name": "Bob"}', "--follow", "--server", address
        )
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["message"] == "Hello, Bob! Ran plan, run, report."
    finally:
        _interrupt(again, log)
