"""``switch``: the first case whose ``when`` holds picks the flow directive.

A case without ``when`` is the default (at most one, checked at load) and
applies only when no other case matched, wherever it is declared. No match and
no default: the task falls through with its own ``then`` (or ``continue``).
The output is the task's input.
"""

from __future__ import annotations

from typing import Any

from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import Directed, TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    default: str | None = None
    for index, item in enumerate(task.body["switch"]):
        ((name, case),) = item.items()
        when = case.get("when")
        if when is None:
            default = case.get("then", "continue")
            continue
        if ctx.evaluate_condition(when, field_name=f"switch/{index}/{name}/when"):
            return Directed(task_input, case.get("then", "continue"))
    if default is not None:
        return Directed(task_input, default)
    return task_input
