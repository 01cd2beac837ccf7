"""The processes of one end-to-end test: server, restartable runner, sealed client."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stigmer_testing.server_process import ServerProcess
from temporalio.client import Client


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

    def runner_env(self) -> dict[str, str]:
        """The environment of a child Python process of this platform (runner, CLI)."""
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env["PYTHONUNBUFFERED"] = "1"
        env["STIGMER_SERVICE_ENDPOINT"] = self.server.address
        return env

    def start_runner(self) -> RunnerProcess:
        self.runner_starts += 1
        log_path = self.tmp / f"runner-{self.runner_starts}.log"
        env = self.runner_env()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "workflow_runner"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.runner = RunnerProcess(process, log_path)
        return self.runner

    def logs(self) -> str:
        runner = self.runner.logs() if self.runner else ""
        return f"--- server\n{self.server.logs()}\n--- runner\n{runner}"
