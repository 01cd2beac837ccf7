"""The engine's ``EventBus`` hook backed by the registry (runs in workflow code).

Each call is a local activity (one marker event in the execution's history),
see :mod:`workflow_runner.events.activities` for why an activity at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflow_runner.events.activities import PublishBatchInput, PublishInput
from workflow_runner.events.names import (
    PUBLISH_ACTIVITY,
    PUBLISH_BATCH_ACTIVITY,
    SUBSCRIBE_ACTIVITY,
    UNSUBSCRIBE_ACTIVITY,
)
from workflow_runner.events.registry import Subscription

# Reaching the registry only fails when Temporal itself is unreachable: keep
# retrying for a while, then fail the task so the author's try/catch can see it.
_TIMEOUT = timedelta(seconds=10)
_SCHEDULE_TO_CLOSE = timedelta(minutes=2)
_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5)
)


def subscription_id(workflow_id: str, reference: str) -> str:
    """Unique per (execution, listen task): a workflow id + the task's JSON pointer."""
    return f"{workflow_id}#{reference}"


class RegistryEventBus:
    """Publishes emits and (un)subscribes listens through the event registry."""

    async def _call(self, activity_name: str, argument: Any) -> None:
        await workflow.execute_local_activity(
            activity_name,
            argument,
            start_to_close_timeout=_TIMEOUT,
            schedule_to_close_timeout=_SCHEDULE_TO_CLOSE,
            retry_policy=_RETRY,
        )

    async def publish(self, event: Mapping[str, Any]) -> None:
        await self._call(PUBLISH_ACTIVITY, PublishInput(event=dict(event)))

    async def publish_batch(self, events: Sequence[Mapping[str, Any]]) -> None:
        await self._call(
            PUBLISH_BATCH_ACTIVITY, PublishBatchInput(events=[dict(e) for e in events])
        )

    async def subscribe(self, reference: str, filters: Sequence[Mapping[str, Any]]) -> None:
        workflow_id = workflow.info().workflow_id
        await self._call(
            SUBSCRIBE_ACTIVITY,
            Subscription(
                subscription_id=subscription_id(workflow_id, reference),
                workflow_id=workflow_id,
                filters=[dict(f) for f in filters],
            ),
        )

    async def unsubscribe(self, reference: str) -> None:
        await self._call(
            UNSUBSCRIBE_ACTIVITY, subscription_id(workflow.info().workflow_id, reference)
        )
