"""Types shared by the cross-service fixtures and tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stigmer_testing.server_process import ServerProcess


class ServerFactory(Protocol):
    """Starts a server process with extra environment; stopped at test teardown."""

    def __call__(
        self, env: dict[str, str], *, data_dir: Path | None = None, address: str | None = None
    ) -> ServerProcess: ...


@dataclass(frozen=True)
class Queues:
    """Fresh task queues of one test (passed to the server as env overrides)."""

    workflow_stigmer: str
    workflow_runner: str
    agent_stigmer: str
    agent_runner: str

    def env(self) -> dict[str, str]:
        return {
            "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE": self.workflow_stigmer,
            "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": self.workflow_runner,
            "TEMPORAL_AGENT_EXECUTION_STIGMER_TASK_QUEUE": self.agent_stigmer,
            "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE": self.agent_runner,
        }
