"""``wait``: a durable timer (inline object, ISO 8601 string or expression)."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.durations import is_duration_expression, resolve_duration
from stigmer_dsl.model import TaskDefinition
from temporalio import workflow

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    value = task.body["wait"]
    if not is_duration_expression(value):
        value = ctx.evaluate(value, field_name="wait")
    delay = resolve_duration(
        value,
        lambda source: ctx.evaluate_expression(source, field_name="wait"),
        field_name=f"{task.reference}/wait",
    )
    if delay.total_seconds() > 0:
        await workflow.sleep(delay)
    return task_input
