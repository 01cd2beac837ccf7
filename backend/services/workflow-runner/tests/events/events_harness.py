"""Helpers of the event tests: drive a wired engine and its registry."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHandle
from workflow_runner.engine.inputs import engine_input
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registry import EventRegistryWorkflow, RegistryStatus
from workflow_runner.wiring.settings import RunSettings


@dataclass
class WiredEngine:
    """A wired engine worker (engine + registry on one queue) and helpers to drive it."""

    client: Client
    bus: BusConfig
    publisher: EventPublisher

    async def start(
        self, definition: str, workflow_input: Any = None, *, lifecycle: bool = False
    ) -> WorkflowHandle[Any, Any]:
        return await self.client.start_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(definition=definition, input=workflow_input or {}),
            id=f"wf-{uuid.uuid4()}",
            task_queue=self.bus.task_queue,
            memo=RunSettings(lifecycle_events=lifecycle).memo(),
        )

    async def status(self) -> RegistryStatus:
        handle = self.client.get_workflow_handle_for(
            EventRegistryWorkflow.run, self.bus.registry_id
        )
        return await handle.query(EventRegistryWorkflow.status)

    async def subscribed(self, handle: WorkflowHandle[Any, Any], count: int = 1) -> None:
        """Wait until ``handle`` has ``count`` subscriptions in the registry."""
        for _ in range(400):
            try:
                subs = (await self.status()).subscriptions
            except Exception:  # the registry starts on first use
                subs = []
            if sum(s.workflow_id == handle.id for s in subs) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{handle.id} never subscribed")

    async def settle(self) -> None:
        for _ in range(400):
            if (await self.status()).pending == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("registry did not drain")

    async def emit(self, type: str, data: Any = None, **extra: Any) -> dict[str, Any]:
        from workflow_runner.events.cloudevent import new_event

        event = new_event(type=type, source="https://test.local", data=data, extra=extra or None)
        await self.publisher.publish(event)
        return event


async def result(handle: WorkflowHandle[Any, Any]) -> Any:
    """A bounded wait, so a lost event fails the test instead of hanging it."""
    return await asyncio.wait_for(handle.result(), timeout=30)


async def is_running(handle: WorkflowHandle[Any, Any]) -> bool:
    from temporalio.client import WorkflowExecutionStatus

    return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


@dataclass
class RecordingServer:
    url: str
    requests: list[dict[str, Any]]
