"""``raise``: fault with an inline error or one from ``use.errors``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    spec = task.body["raise"]["error"]
    if isinstance(spec, str):
        errors = ctx.definition.use.get("errors") or {}
        if spec not in errors:
            raise WorkflowError.configuration(f"raise.error: no error named {spec!r} in use.errors")
        spec = errors[spec]
    error = ctx.evaluate(spec, field_name="raise/error")
    if not isinstance(error, Mapping):
        raise WorkflowError.configuration("raise.error must evaluate to an object")
    raised = WorkflowError.from_dict(error)
    raise raised.with_instance(ctx.reference)
