"""``listen``: wait for CloudEvents delivered as the ``cloudevent`` signal.

Strategies (``listen.to``): ``one`` (a single filter), ``any`` (the first event
matching any filter, or with ``until`` keep consuming until the condition or
the ``until`` strategy is met; an empty list matches every event) and ``all``
(one event per filter, in any order). Events buffered in the run's inbox
before the task started are eligible, so a sender does not race the workflow.
Events consumed to satisfy an ``until`` strategy are not part of the output.

A filter's ``with`` attributes match when each one equals the event's
attribute, matches it as a regular expression (strings), or, for a ``${ }``
expression, evaluates truthy with the event attribute as ``.``.

``read`` selects what each consumed event contributes: ``data`` (default),
``envelope`` (the whole event) or ``raw`` (the data as received). With
``foreach``, each consumed event runs ``foreach.do`` (``$item``/``$index`` by
default) and the output is the list of those outputs (after
``foreach.output.as``).
"""

from __future__ import annotations

from typing import Any

from stigmer_dsl.model import TaskDefinition, task_list

from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.listen_events import (
    EventConsumer,
    consume,
    read_event,
)
from workflow_runner.events import listen_foreach
from workflow_runner.events.subscription import subscription_filters


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    if listen_foreach.applies(task):
        return await listen_foreach.run(ctx, task, task_input)
    # Consumed events are not captured by a checkpoint.
    with ctx.state.not_resumable():
        return await _run(ctx, task, task_input)


async def _run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    spec = task.body["listen"]
    strategy = spec["to"]
    mode = spec.get("read") or "data"
    bus = ctx.state.hooks.event_bus
    await bus.subscribe(
        task.reference,
        subscription_filters(
            strategy,
            lambda source, where: ctx.evaluate_expression(source, task_input, field_name=where),
        ),
    )
    try:
        events = await consume(ctx, strategy, EventConsumer(ctx))
    finally:
        await bus.unsubscribe(task.reference)
    values = [read_event(e, mode) for e in events]
    foreach = task.body.get("foreach")
    if not foreach:
        return values
    item_name = foreach.get("item") or "item"
    at_name = foreach.get("at") or "index"
    body = task_list(foreach.get("do") or [], f"{task.reference}/foreach/do")
    output_as = (foreach.get("output") or {}).get("as")
    results: list[Any] = []
    for index, value in enumerate(values):
        scoped = ctx.with_variables(**{item_name: value, at_name: index})
        result = await scoped.run_tasks(body, value) if body else value
        if output_as is not None:
            result = ctx.evaluator.evaluate_field(
                output_as, result, scoped.arguments(), where=f"{task.reference}/foreach/output/as"
            )
        results.append(result)
    return results
