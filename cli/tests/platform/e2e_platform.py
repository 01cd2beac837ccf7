"""The processes of one end-to-end test: server, restartable runner, sealed client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_cli.api import StigmerClient
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_testing.server_process import TEST_OBSERVABILITY_ENV, ServerProcess, start_server
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment


@dataclass
class RunnerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Platform:
    """A running platform: server, runner (restartable) and a sealed Temporal client."""

    server: ServerProcess
    env: dict[str, str]
    tmp: Path
    client: Client
    runner: RunnerProcess | None = None
    runner_starts: int = 0
    # Where the runner process starts (relative `file://` URIs resolve from there).
    runner_cwd: Path | None = None

    def runner_env(self) -> dict[str, str]:
        """The environment of a child Python process of this platform (runner, CLI)."""
        env = {**os.environ, **TEST_OBSERVABILITY_ENV, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
        env["PYTHONUNBUFFERED"] = "1"
        env["STIGMER_SERVER"] = self.server.address
        return env

    def start_runner(self) -> RunnerProcess:
        self.runner_starts += 1
        log_path = self.tmp / f"runner-{self.runner_starts}.log"
        env = self.runner_env()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "workflow_runner"],
                env=env,
                cwd=self.runner_cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.runner = RunnerProcess(process, log_path)
        return self.runner

    def logs(self) -> str:
        runner = self.runner.logs() if self.runner else ""
        return f"--- server\n{self.server.logs()}\n--- runner\n{runner}"


@asynccontextmanager
async def running_platform(
    dev_server: WorkflowEnvironment,
    payload_keys: str,
    tmp: Path,
    runner_cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Platform]:
    """A stigmer-server (RocksDB under ``tmp``) and a runner on fresh task queues.

    ``extra_env`` is added to both processes' environment (e.g. STIGMER_EVENTS_ADDRESS).
    """
    suffix = uuid.uuid4().hex[:8]
    target = dev_server.client.service_client.config.target_host
    env = {
        "TEMPORAL_HOST_PORT": target,
        "STIGMER_PAYLOAD_KEYS": payload_keys,
        "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE": f"wf-stigmer-{suffix}",
        "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": f"wf-runner-{suffix}",
        "TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE": f"engine-{suffix}",
        **(extra_env or {}),
    }
    server = start_server(tmp / "data", log_path=tmp / "server.log", env=env)
    client = await Client.connect(
        target,
        data_converter=encrypted_data_converter(
            load_keyring({"STIGMER_PAYLOAD_KEYS": payload_keys})
        ),
    )
    platform = Platform(server=server, env=env, tmp=tmp, client=client, runner_cwd=runner_cwd)
    platform.start_runner()
    try:
        yield platform
    finally:
        if platform.runner is not None:
            platform.runner.stop()
        platform.server.stop()  # the test may have replaced (restarted) it


def dsl_document(name: str, tasks: list[dict[str, object]], **top: object) -> dict[str, object]:
    """A DSL 1.0 document in the e2e namespace with ``tasks`` (and top-level blocks)."""
    return {
        "document": {"dsl": "1.0.0", "namespace": "e2e", "name": name, "version": "1.0.0"},
        **top,
        "do": tasks,
    }


#: How long an e2e test waits for one execution to end (a loaded 2-core machine).
FOLLOW_TIMEOUT = 120.0


async def followed_to_end(
    client: StigmerClient, execution_id: str
) -> execution_api.WorkflowExecution:
    """The execution as Subscribe last sent it (the stream ends at a terminal phase)."""
    last = None
    async with asyncio.timeout(FOLLOW_TIMEOUT):
        async for update in client.subscribe(execution_id):
            last = update
    assert last is not None, f"no update for {execution_id}"
    return last
