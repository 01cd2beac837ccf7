"""A minimal listening workflow for bus tests that must not depend on the DSL engine.

It subscribes through the real :class:`RegistryEventBus` hook and collects
``cloudevent`` signals, the same way the engine's ``listen`` task does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflow_runner.events.workflow_bus import RegistryEventBus


@dataclass
class ListenInput:
    filters: list[dict[str, Any]] = field(default_factory=list)
    count: int = 1
    reference: str = "/do/0/listen"


@workflow.defn(name="TestEventListener")
class EventListenerWorkflow:
    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._subscribed = False

    @workflow.run
    async def run(self, request: ListenInput) -> list[dict[str, Any]]:
        bus = RegistryEventBus()
        await bus.subscribe(request.reference, request.filters)
        self._subscribed = True
        await workflow.wait_condition(lambda: len(self._events) >= request.count)
        await bus.unsubscribe(request.reference)
        return self._events

    @workflow.signal(name="cloudevent")
    def cloudevent(self, event: dict[str, Any]) -> None:
        self._events.append(event)

    @workflow.query
    def subscribed(self) -> bool:
        return self._subscribed

    @workflow.query
    def received(self) -> list[dict[str, Any]]:
        return self._events
