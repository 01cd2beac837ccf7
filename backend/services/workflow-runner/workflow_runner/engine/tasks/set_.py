"""``set``: the output is the evaluated map or expression (it replaces, never merges)."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    value = task.body["set"]
    if type(value) is str:  # a YAML/JSON string; not isinstance (see evaluate_value)
        # `set: ${ expr }` (schema: string form must be a runtime expression).
        return ctx.evaluate_expression(value, field_name="set")
    return ctx.evaluate(value, field_name="set")
