"""``do``: run subtasks in sequence; the last output is the task's output."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    return await ctx.run_tasks(task.subtasks("do"), task_input, resume=ctx.resume)
