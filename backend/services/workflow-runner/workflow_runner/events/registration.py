"""What a worker registers to host the event bus (used by the `dsl` CLI and tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import Client

from workflow_runner.events.activities import EventBusActivities
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registry import EventRegistryWorkflow


def bus_workflows() -> list[type]:
    """Workflow classes of the bus: the registry."""
    return [EventRegistryWorkflow]


def bus_activities(client: Client, config: BusConfig) -> list[Callable[..., Any]]:
    """The bus's activities, bound to ``client`` (the registry may be on another queue)."""
    return EventBusActivities(EventPublisher(client, config)).all()


def engine_bus_activities(client: Client, config: BusConfig) -> list[Callable[..., Any]]:
    """What an engine worker registers to reach the bus (its engine contract's part)."""
    return EventBusActivities(EventPublisher(client, config)).engine_side()


def registry_activities(client: Client, config: BusConfig) -> list[Callable[..., Any]]:
    """What a worker hosting the registry workflow registers (the events contract's part)."""
    return EventBusActivities(EventPublisher(client, config)).registry_side()
