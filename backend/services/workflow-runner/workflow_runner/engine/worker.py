"""Building a Temporal worker that runs the engine.

Third-party modules the engine uses in workflow code (libjq binding, JSON
Schema, YAML) are passed through Temporal's sandbox: they are deterministic
for our use, and re-importing C extensions per workflow run is slow or fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflow_runner.engine.names import TASK_QUEUE
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow

PASSTHROUGH_MODULES = (
    # Compiled jq programs are cached in this module; compiling is deterministic,
    # so the cache may outlive a workflow run (re-importing it per run would cost
    # ~1 ms per expression and run).
    "workflow_runner.engine.expressions.jq_language",
    "jq",
    "jsonschema",
    "jsonschema_specifications",
    "referencing",
    "rpds",
    "yaml",
    "attrs",
    "attr",
)


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow runner with the engine's pass-through modules."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def build_worker(
    client: Client,
    *,
    task_queue: str = TASK_QUEUE,
    workflows: Sequence[type] = (ExecuteServerlessWorkflow,),
    activities: Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> Worker:
    """A worker for the engine workflow (plus any task activities) on ``task_queue``."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=list(activities),
        workflow_runner=sandbox_runner(),
        **options,
    )
