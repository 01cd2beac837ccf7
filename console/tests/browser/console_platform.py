"""The real platform behind a console test: dev server, stigmer-server (with an API key),
workflow-runner and the console gateway, each a process on loopback."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer_cli.api import StigmerClient
from stigmer_common.api_keys import new_key
from stigmer_dsl.converter.from_dsl import workflow_from_dsl
from stigmer_testing.server_process import ServerProcess, free_port, start_server

#: Fewer scrypt rounds than production keys: the tests' keys are throwaway.
_SCRYPT_N = 2**10
#: A user's key (the page enters it once, as a user would) and the runner's key.
API_KEY, USER_ENTRY = new_key("console-user", "user", "console", n=_SCRYPT_N)
RUNNER_KEY, RUNNER_ENTRY = new_key("console-runner", "runner", "*", n=_SCRYPT_N)
#: Seconds a process gets to become ready on a loaded 2-core machine.
READY_TIMEOUT = 60.0


@dataclass
class ConsolePlatform:
    server: ServerProcess
    runner: subprocess.Popen[bytes]
    console: subprocess.Popen[bytes]
    console_url: str
    tmp: Path

    def client(self) -> StigmerClient:
        return StigmerClient(self.server.address, API_KEY)

    async def apply(self, document: dict[str, Any]) -> workflow_api.Workflow:
        workflow, _ = workflow_from_dsl(document)
        async with self.client() as client:
            return await client.apply_workflow(workflow)

    def logs(self) -> str:
        parts = [f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.tmp.glob("*.log")]
        return "\n".join(parts)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_for_port(address: str, process: subprocess.Popen[bytes], log: Path) -> None:
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited early:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{address} not listening after {READY_TIMEOUT}s")


def start_console(
    server_address: str, tmp: Path, name: str = "console"
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m stigmer_console`` on a free port, talking to ``server_address``."""
    address = f"127.0.0.1:{free_port()}"
    log = tmp / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stigmer_console",
                "--listen",
                address,
                "--server",
                server_address,
            ],
            env=child_env({}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(address, process, log)
    return process, f"http://{address}"


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_console_platform(temporal_address: str, tmp: Path) -> Iterator[ConsolePlatform]:
    suffix = uuid.uuid4().hex[:8]
    env = {
        "TEMPORAL_HOST_PORT": temporal_address,
        "STIGMER_PAYLOAD_KEYS": "k1=" + base64.b64encode(os.urandom(32)).decode(),
        "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE": f"wf-stigmer-{suffix}",
        "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": f"wf-runner-{suffix}",
        "TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE": f"engine-{suffix}",
        "STIGMER_API_KEYS": f"{USER_ENTRY.line()},{RUNNER_ENTRY.line()}",
    }
    server = start_server(
        tmp / "data", log_path=tmp / "server.log", env=env, ready_timeout=READY_TIMEOUT
    )
    runner_log = tmp / "runner.log"
    with runner_log.open("ab") as out:
        runner = subprocess.Popen(
            [sys.executable, "-m", "workflow_runner"],
            env=child_env(
                {
                    **env,
                    "STIGMER_SERVICE_ENDPOINT": server.address,
                    "STIGMER_SERVICE_API_KEY": RUNNER_KEY,
                }
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    console, url = start_console(server.address, tmp)
    try:
        yield ConsolePlatform(server, runner, console, url, tmp)
    finally:
        stop(console)
        stop(runner)
        server.stop()
