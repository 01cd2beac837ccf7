"""Consuming CloudEvents for ``listen``: filters, the inbox consumer, ``until``, ``read``.

Shared by the ``listen`` task (:mod:`.listen`) and its streaming ``foreach``
runner (:mod:`workflow_runner.events.listen_foreach`), so neither imports the other back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions import is_strict_expression
from temporalio import workflow

from workflow_runner.engine.context import TaskContext


def filter_matches(
    ctx: TaskContext, event_filter: Mapping[str, Any], event: Mapping[str, Any]
) -> bool:
    """Whether an event satisfies one event filter's ``with`` attributes."""
    for key, expected in (event_filter.get("with") or {}).items():
        actual = event.get(key)
        if isinstance(expected, str) and is_strict_expression(expected):
            if not ctx.evaluate_condition(expected, actual, field_name=f"listen/with/{key}"):
                return False
        elif isinstance(expected, str) and isinstance(actual, str):
            if expected != actual and not _regex_fullmatch(expected, actual):
                return False
        elif expected != actual:
            return False
    return True


def _regex_fullmatch(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


class EventConsumer:
    """Takes matching events out of the run's inbox, in arrival order."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx

    def take(self, filters: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        inbox = self.ctx.state.inbox
        for position, event in enumerate(inbox):
            if not filters or any(filter_matches(self.ctx, f, event) for f in filters):
                return inbox.pop(position)
        return None

    async def next(self, filters: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        found: list[Mapping[str, Any]] = []

        def ready() -> bool:
            event = self.take(filters)
            if event is not None:
                found.append(event)
            return bool(found)

        await workflow.wait_condition(ready)
        return found[0]

    async def all_of(self, filters: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """One event per filter, consumed in arrival order."""
        pending = list(filters)
        consumed: list[Mapping[str, Any]] = []
        inbox = self.ctx.state.inbox

        def ready() -> bool:
            position = 0
            while pending and position < len(inbox):
                event = inbox[position]
                match = next((f for f in pending if filter_matches(self.ctx, f, event)), None)
                if match is None:
                    position += 1
                    continue
                consumed.append(inbox.pop(position))
                pending.remove(match)
            return not pending

        await workflow.wait_condition(ready)
        return consumed


async def consume(
    ctx: TaskContext, strategy: Mapping[str, Any], consumer: EventConsumer
) -> list[Mapping[str, Any]]:
    if "one" in strategy:
        return [await consumer.next([strategy["one"]])]
    if "all" in strategy:
        return await consumer.all_of(strategy["all"])
    if "any" in strategy:
        filters = strategy["any"]
        until = strategy.get("until")
        if until is None:
            return [await consumer.next(filters)]
        consumed: list[Mapping[str, Any]] = []
        while True:
            if isinstance(until, str):
                consumed.append(await consumer.next(filters))
                if ctx.evaluate_condition(
                    until, [e.get("data") for e in consumed], field_name="listen/to/until"
                ):
                    return consumed
            else:
                # Consume events until the `until` strategy is satisfied; those
                # events are not part of the output.
                event_filters = strategy_filters(until)
                # `any: []` listens to every event, so no filter narrows the wait.
                event = await consumer.next([*filters, *event_filters] if filters else [])
                if any(filter_matches(ctx, f, event) for f in event_filters) and (
                    await satisfied_after(ctx, until, event, consumer)
                ):
                    return consumed
                if not filters or any(filter_matches(ctx, f, event) for f in filters):
                    consumed.append(event)
    raise WorkflowError.configuration("listen.to needs one of: one, any, all")


def strategy_filters(strategy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "one" in strategy:
        return [strategy["one"]]
    return list(strategy.get("all") or strategy.get("any") or [])


async def satisfied_after(
    ctx: TaskContext, until: Mapping[str, Any], first: Mapping[str, Any], consumer: EventConsumer
) -> bool:
    """An `until` strategy is met once its first event arrived (one/any) or all did (all)."""
    if "all" not in until:
        return True
    remaining = [f for f in until["all"] if not filter_matches(ctx, f, first)]
    if remaining:
        await consumer.all_of(remaining)
    return True


def read_event(event: Mapping[str, Any], mode: str) -> Any:
    if mode == "envelope":
        return dict(event)
    if mode == "raw":
        return event.get("data_base64", event.get("data"))
    return event.get("data")
