"""Client-side access to the registry: publish, subscribe, unsubscribe by signal-with-start.

Used from activities (engine emits and listens), the `dsl emit` command and the
HTTP endpoint: every path into the bus goes through here, so all of them start
the registry on first use the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from workflow_runner.events.cloudevent import validate
from workflow_runner.events.names import (
    DEFAULT_BUS,
    PUBLISH_BATCH_SIGNAL,
    PUBLISH_SIGNAL,
    SUBSCRIBE_SIGNAL,
    UNSUBSCRIBE_SIGNAL,
    registry_workflow_id,
)
from workflow_runner.events.registry import EventRegistryWorkflow, RegistryState, Subscription


@dataclass(frozen=True)
class BusConfig:
    """Where the registry runs.

    Attributes:
        task_queue: queue of a worker that registers :class:`EventRegistryWorkflow`
            (the engine's worker does).
        bus: registry name; one per Temporal namespace unless isolation is wanted
            (tests use a fresh name each).
        lifecycle_events: publish the spec's lifecycle events to this bus.
    """

    task_queue: str
    bus: str = DEFAULT_BUS
    lifecycle_events: bool = True

    @property
    def registry_id(self) -> str:
        return registry_workflow_id(self.bus)


class EventPublisher:
    """Sends to the registry workflow, starting it when it is not running."""

    def __init__(self, client: Client, config: BusConfig) -> None:
        self._client = client
        self._config = config

    @property
    def config(self) -> BusConfig:
        return self._config

    async def _signal_with_start(self, signal: str, argument: Any) -> None:
        await self._client.start_workflow(
            EventRegistryWorkflow.run,
            RegistryState(),
            id=self._config.registry_id,
            task_queue=self._config.task_queue,
            start_signal=signal,
            start_signal_args=[argument],
        )

    async def publish(self, event: Mapping[str, Any]) -> None:
        """Publish one CloudEvent (validated first, so a bad event fails the caller)."""
        await self._signal_with_start(PUBLISH_SIGNAL, validate(event))

    async def publish_batch(self, events: list[Mapping[str, Any]]) -> None:
        """Publish several events with one signal, in order (all validated first)."""
        await self._signal_with_start(PUBLISH_BATCH_SIGNAL, [validate(e) for e in events])

    async def subscribe(self, subscription: Subscription) -> None:
        await self._signal_with_start(SUBSCRIBE_SIGNAL, subscription)

    async def closed_workflows(self, workflow_ids: list[str]) -> list[str]:
        """Which of ``workflow_ids`` are no longer running (or do not exist)."""
        closed = []
        for workflow_id in workflow_ids:
            try:
                description = await self._client.get_workflow_handle(workflow_id).describe()
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    closed.append(workflow_id)
                    continue
                raise
            if description.status != WorkflowExecutionStatus.RUNNING:
                closed.append(workflow_id)
        return closed

    async def unsubscribe(self, subscription_id: str) -> None:
        await self._signal_with_start(UNSUBSCRIBE_SIGNAL, subscription_id)
