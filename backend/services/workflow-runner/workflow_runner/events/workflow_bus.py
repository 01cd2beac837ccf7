"""The engine's ``EventBus`` hook backed by the registry (runs in workflow code).

Each call is a local activity (one marker event in the execution's history),
see :mod:`workflow_runner.events.activities` for why an activity at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1 import contract_temporal as engine_contract
    from stigmer_temporal import ActivityContract

from workflow_runner.events.activities import PublishBatchInput, PublishInput
from workflow_runner.events.registry import Subscription


def subscription_id(workflow_id: str, reference: str) -> str:
    """Unique per (execution, listen task): a workflow id + the task's JSON pointer."""
    return f"{workflow_id}#{reference}"


class RegistryEventBus:
    """Publishes emits and (un)subscribes listens through the event registry."""

    async def _call(self, contract: ActivityContract[Any, Any], argument: Any) -> None:
        # Local, with the contract's timeouts: reaching the registry only fails
        # while Temporal is unreachable, so retry for a while, then fail the task
        # so the author's try/catch can see it.
        await contract.execute(argument)

    async def publish(self, event: Mapping[str, Any]) -> None:
        await self._call(engine_contract.PUBLISH_EVENT, PublishInput(event=dict(event)))

    async def publish_batch(self, events: Sequence[Mapping[str, Any]]) -> None:
        await self._call(
            engine_contract.PUBLISH_EVENTS, PublishBatchInput(events=[dict(e) for e in events])
        )

    async def subscribe(self, reference: str, filters: Sequence[Mapping[str, Any]]) -> None:
        workflow_id = workflow.info().workflow_id
        await self._call(
            engine_contract.SUBSCRIBE_EVENTS,
            Subscription(
                subscription_id=subscription_id(workflow_id, reference),
                workflow_id=workflow_id,
                filters=[dict(f) for f in filters],
            ),
        )

    async def unsubscribe(self, reference: str) -> None:
        await self._call(
            engine_contract.UNSUBSCRIBE_EVENTS,
            subscription_id(workflow.info().workflow_id, reference),
        )
