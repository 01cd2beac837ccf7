"""Placeholder runner for task kinds this engine does not run (yet)."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    """Fail with a ``configuration`` error naming the unsupported kind."""
    raise WorkflowError.configuration(
        f"task {task.name!r}: {task.kind!r} tasks are not supported by this runner",
        title="Unsupported Task",
    )
