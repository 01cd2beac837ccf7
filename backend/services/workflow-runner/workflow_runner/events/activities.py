"""Activities through which workflow code reaches the registry.

Workflow code cannot signal-with-start, and an external signal to a registry
that is not running (first use, or terminated by an operator) would fail; an
activity using :class:`EventPublisher` covers both. The engine calls them as
*local* activities: one marker event in the caller's history per call, no task
queue round trip. A local activity may run again after a crash; publishing is
deduplicated by event id in the registry and (un)subscribing is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    # Workflow code imports the payload classes below: keep generated modules out
    # of the sandbox's per-run imports.
    from stigmer.engine.v1.contract_temporal import (
        PUBLISH_EVENT,
        PUBLISH_EVENTS,
        SUBSCRIBE_EVENTS,
        UNSUBSCRIBE_EVENTS,
    )
    from stigmer.events.v1.contract_temporal import CLOSED_WORKFLOWS, INVALID_CLOUD_EVENT_ERROR

from workflow_runner.events.cloudevent import CloudEventError
from workflow_runner.events.publisher import EventPublisher
from workflow_runner.events.registry import Subscription


@dataclass
class PublishInput:
    event: dict[str, Any] = field(default_factory=dict)


@dataclass
class PublishBatchInput:
    events: list[dict[str, Any]] = field(default_factory=list)


def _invalid(exc: CloudEventError) -> ApplicationError:
    return ApplicationError(
        str(exc),
        {"type": "validation", "status": 400, "title": "Invalid CloudEvent"},
        type=INVALID_CLOUD_EVENT_ERROR,
        non_retryable=True,
    )


class EventBusActivities:
    """Registry access for one worker; the publisher is built in ``main``."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    @PUBLISH_EVENT.defn
    async def publish(self, request: PublishInput) -> None:
        try:
            await self._publisher.publish(request.event)
        except CloudEventError as exc:
            raise _invalid(exc) from None

    @PUBLISH_EVENTS.defn
    async def publish_batch(self, request: PublishBatchInput) -> None:
        try:
            await self._publisher.publish_batch(list(request.events))
        except CloudEventError as exc:
            raise _invalid(exc) from None

    @SUBSCRIBE_EVENTS.defn
    async def subscribe(self, subscription: Subscription) -> None:
        await self._publisher.subscribe(subscription)

    @UNSUBSCRIBE_EVENTS.defn
    async def unsubscribe(self, subscription_id: str) -> None:
        await self._publisher.unsubscribe(subscription_id)

    @CLOSED_WORKFLOWS.defn
    async def closed_workflows(self, workflow_ids: list[str]) -> list[str]:
        return await self._publisher.closed_workflows(workflow_ids)

    def engine_side(self) -> list[Any]:
        """The engine's local activities reaching the registry (engine contract)."""
        return [self.publish, self.publish_batch, self.subscribe, self.unsubscribe]

    def registry_side(self) -> list[Any]:
        """The activity the registry workflow calls (events contract)."""
        return [self.closed_workflows]

    def all(self) -> list[Any]:
        """Every activity of this class, for ``Worker(activities=...)``."""
        return [*self.engine_side(), *self.registry_side()]
