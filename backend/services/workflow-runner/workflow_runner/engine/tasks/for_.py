"""``for``: run ``do`` once per item of ``for.in``; each iteration's output feeds the next.

``$<each>`` (default ``$item``) and ``$<at>`` (default ``$index``) are bound in
the loop body and in ``while``, which is checked before every iteration: the
loop stops at the first iteration where it is false. Iteration order is the
collection's order (objects iterate over their values in key order, as jq's
``.[]`` does), so replays see the same sequence.

Long loops continue as new at an iteration boundary when Temporal suggests it
(see :mod:`workflow_runner.engine.checkpoint`); the collection evaluated at the
start travels with the checkpoint, so ``for.in`` is not re-evaluated. Long
data-only loops also yield to Temporal between tasks once an activation has
done its budget of work (see :mod:`stigmer_dsl.pacing`); those
yields grow the history, so they lead to continue-as-new in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.checkpoint import ContinueAsNewRequested, Frame
from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    spec = task.body["for"]
    each = spec.get("each") or "item"
    at = spec.get("at") or "index"
    body = task.subtasks("do")
    condition = task.body.get("while")
    data = task_input
    start = 0
    inner: list[Frame] = []
    if ctx.resume and ctx.resume[0]["kind"] == "for":
        frame, inner = ctx.resume[0], ctx.resume[1:]
        items, start, data = frame["items"], frame["iteration"], frame["data"]
    else:
        items = _collection(ctx.evaluate_expression(spec["in"], field_name="for/in"))
    for index in range(start, len(items)):
        item = items[index]
        scoped = ctx.with_variables(**{each: item, at: index})
        if inner:
            resume_body, inner = inner, []  # resuming inside this iteration's body
        else:
            if index > start and _should_checkpoint(ctx):
                raise ContinueAsNewRequested(
                    {"kind": "for", "iteration": index, "items": items, "data": data}
                )
            resume_body = []
            if condition is not None and not scoped.evaluate_condition(
                condition, data, field_name="while"
            ):
                break
        try:
            data = await scoped.run_tasks(body, data, resume=resume_body)
        except ContinueAsNewRequested as request:
            request.frames.append({"kind": "for", "iteration": index, "items": items, "data": data})
            raise
    return data


def _should_checkpoint(ctx: TaskContext) -> bool:
    state = ctx.state
    return state.no_checkpoint == 0 and state.continue_as_new_suggested()


def _collection(collection: Any) -> list[Any]:
    if isinstance(collection, Mapping):
        return list(collection.values())
    if isinstance(collection, list):
        return collection
    if collection is None:
        return []
    raise WorkflowError.expression(
        f"for.in must evaluate to an array, got {type(collection).__name__}"
    )
