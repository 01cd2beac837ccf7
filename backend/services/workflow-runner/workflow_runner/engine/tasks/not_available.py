"""Placeholder runner for task kinds this engine does not run (yet)."""

from __future__ import annotations

from typing import Any

from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.errors import WorkflowError
from workflow_runner.engine.model import TaskDefinition


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    """Fail with a ``configuration`` error naming the unsupported kind."""
    raise WorkflowError.configuration(
        f"task {task.name!r}: {task.kind!r} tasks are not supported by this runner",
        title="Unsupported Task",
    )
