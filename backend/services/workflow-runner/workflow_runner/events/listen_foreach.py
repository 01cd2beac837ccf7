"""``listen`` with ``foreach`` and an ``until``: process each event as it arrives.

dsl-reference "Listen": with ``foreach``, the operations for one event complete
before the next is taken (events wait in a FIFO queue: the run's inbox). A
listener like ``any: [] / until: false`` never stops, so collecting events
first and iterating afterwards would never run the body; and a listener that
consumes thousands of events would grow its history without bound.

So this runner streams: take an event, run ``foreach.do`` on it, check
``until``, repeat; and at an event boundary, when Temporal suggests it, it
continues as new (see :mod:`workflow_runner.engine.checkpoint`) with a
``listen`` frame holding the position, the consumed data ``until`` reads and
the outputs so far. The subscription is kept across the restart (the registry
addresses the workflow id, which continue-as-new keeps) and events already
delivered wait in the inbox the engine carries over; it is removed only when
the listen really ends.

The engine's ``listen`` module delegates here for ``any`` + ``until`` +
``foreach``; other shapes consume a bounded number of events and keep its
collect-then-iterate path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.model import TaskDefinition, task_list

from workflow_runner.engine.checkpoint import ContinueAsNewRequested, Frame
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.listen_events import (
    EventConsumer,
    filter_matches,
    read_event,
    satisfied_after,
    strategy_filters,
)
from workflow_runner.events.subscription import subscription_filters


def applies(task: TaskDefinition) -> bool:
    """Whether ``task`` is a listen this runner handles (``any`` + ``until`` + ``foreach``)."""
    strategy = task.body["listen"].get("to") or {}
    return bool(task.body.get("foreach")) and "any" in strategy and "until" in strategy


def _should_checkpoint(ctx: TaskContext) -> bool:
    return ctx.state.no_checkpoint == 0 and ctx.state.continue_as_new_suggested()


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    spec = task.body["listen"]
    strategy: Mapping[str, Any] = spec["to"]
    mode = spec.get("read") or "data"
    filters = list(strategy.get("any") or [])
    until = strategy["until"]
    until_filters = strategy_filters(until) if isinstance(until, Mapping) else []
    foreach = task.body["foreach"]
    item_name = foreach.get("item") or "item"
    at_name = foreach.get("at") or "index"
    body = task_list(foreach.get("do") or [], f"{task.reference}/foreach/do")
    output_as = (foreach.get("output") or {}).get("as")

    consumed: list[Any] = []  # data of every consumed event: what a string `until` reads
    results: list[Any] = []
    start = 0
    inner: list[Frame] = []
    resumed_value: Any = None
    if ctx.resume and ctx.resume[0].get("kind") == "listen":
        frame, inner = ctx.resume[0], ctx.resume[1:]
        consumed, results, start = frame["consumed"], frame["results"], frame["index"]
        resumed_value = frame.get("value")

    bus = ctx.state.hooks.event_bus
    # Idempotent: after a continue-as-new this re-sends the same subscription.
    await bus.subscribe(
        task.reference,
        subscription_filters(
            strategy,
            lambda source, where: ctx.evaluate_expression(source, task_input, field_name=where),
        ),
    )
    consumer = EventConsumer(ctx)
    continuing = False
    index = start
    try:
        while True:
            if inner:  # resuming inside the body, for the event being processed
                value, resume_body, inner = resumed_value, inner, []
            else:
                if index > start and _should_checkpoint(ctx):
                    continuing = True
                    raise ContinueAsNewRequested(
                        {"kind": "listen", "index": index, "consumed": consumed, "results": results}
                    )
                event = await consumer.next([*filters, *until_filters] if filters else [])
                if isinstance(until, Mapping) and any(
                    filter_matches(ctx, f, event) for f in until_filters
                ):
                    if await satisfied_after(ctx, until, event, consumer):
                        break
                if filters and not any(filter_matches(ctx, f, event) for f in filters):
                    continue
                consumed.append(event.get("data"))
                value, resume_body = read_event(event, mode), []
            scoped = ctx.with_variables(**{item_name: value, at_name: index})
            try:
                result = await scoped.run_tasks(body, value, resume=resume_body) if body else value
            except ContinueAsNewRequested as request:
                continuing = True
                request.frames.append(
                    {
                        "kind": "listen",
                        "index": index,
                        "consumed": consumed,
                        "results": results,
                        "value": value,
                    }
                )
                raise
            if output_as is not None:
                result = ctx.evaluator.evaluate_field(
                    output_as,
                    result,
                    scoped.arguments(),
                    where=f"{task.reference}/foreach/output/as",
                )
            results.append(result)
            index += 1
            if isinstance(until, str) and ctx.evaluate_condition(
                until, consumed, field_name="listen/to/until"
            ):
                break
    finally:
        if not continuing:
            await bus.unsubscribe(task.reference)
    return results
