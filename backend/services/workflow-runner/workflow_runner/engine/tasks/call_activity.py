"""``call: activity`` (Stigmer extension): run a Temporal activity by name on a queue.

Not part of the DSL spec; it is written as a custom call (which the spec's
schema accepts)::

    - charge:
        call: activity
        with:
          name: ChargeCard              # activity type name (required)
          taskQueue: payments_runner    # optional; default: the engine's own queue
          input: ${ .order }            # optional; one argument, any JSON value
          startToCloseTimeout: PT30S    # optional; ISO 8601 or {seconds: 30}; default 5 min

The task's raw output is the activity's result. An activity failing with an
``ApplicationError`` carrying problem details (see ``engine/errors.py``) keeps
them; other failures become ``runtime`` errors; a timeout becomes ``timeout``.
"""

from __future__ import annotations

from typing import Any

from stigmer_dsl.durations import parse_duration
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import DEFAULT_ACTIVITY_TIMEOUT, TaskContext
from workflow_runner.engine.tasks.call_arguments import string_field, with_block


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    block = with_block(task)
    args = ctx.evaluate(
        {k: block.get(k) for k in ("name", "taskQueue", "startToCloseTimeout")},
        field_name="with",
    )
    name = string_field(args.get("name"), "with.name")
    queue = string_field(args.get("taskQueue"), "with.taskQueue", required=False) or None
    timeout_value = args.get("startToCloseTimeout")
    timeout = (
        DEFAULT_ACTIVITY_TIMEOUT
        if timeout_value is None
        else parse_duration(timeout_value, field_name="with.startToCloseTimeout")
    )
    activity_args = []
    if "input" in block:
        activity_args.append(ctx.evaluate(block["input"], field_name="with/input"))
    return await ctx.execute_activity(
        name, *activity_args, start_to_close_timeout=timeout, task_queue=queue
    )
