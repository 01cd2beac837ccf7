"""``run: container``: not supported by this runner (no container runtime on workers)."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    """Fail with a ``configuration`` error (the spec allows runtimes to say so)."""
    image = task.body.get("run", {}).get("container", {}).get("image")
    raise WorkflowError.configuration(
        f"task {task.name!r}: container runs are not supported here (image {image!r}); "
        "use run.shell or run.script, or call a service that runs the container",
        title="Unsupported Task",
    )
