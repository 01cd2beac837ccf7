"""Publish the spec's lifecycle events (dsl.md "Lifecycle Events") to the bus.

An ``ExecutionObserver`` for the engine: workflow started/completed/faulted and
task started/completed/faulted become CloudEvents of type
``io.serverlessworkflow.{workflow|task}.<phase>.v1`` with the data the reference
defines. They go to the same registry as emitted events; the registry forwards
them only to listeners whose filter names a lifecycle type literally, so no
execution receives them unasked. Switch them off with ``enabled=False``.

Publishing does not hold the workflow up: events are buffered and a background
workflow coroutine sends them in batches (one local activity and one registry
signal per batch, in order), so a run of fast data steps pays a few markers,
not one round trip per task. Workflow completion, fault and cancellation wait
for the buffer to drain (:meth:`flush`); the wired workflow also flushes
before continuing as new.

Runs in workflow code: ids come from ``workflow.uuid4()`` and times from
``workflow.now()``, both replay-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from temporalio import workflow

from workflow_runner.events.cloudevent import SPEC_VERSION
from workflow_runner.events.workflow_bus import RegistryEventBus

SOURCE = "stigmer://workflow-runner"
_PREFIX = "io.serverlessworkflow."


class LifecycleEventObserver:
    """Turns engine lifecycle callbacks into published lifecycle CloudEvents."""

    def __init__(
        self,
        bus: RegistryEventBus,
        document: Mapping[str, Any] | None = None,
        *,
        enabled: bool = True,
    ) -> None:
        self._bus = bus
        self._document = dict(document or {})
        self._enabled = enabled
        self._buffer: list[dict[str, Any]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def _drain(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer, []
            try:
                await self._bus.publish_batch(batch)
            except Exception:  # lifecycle events never fail the execution
                workflow.logger.warning("dropped %d lifecycle event(s)", len(batch))

    async def flush(self) -> None:
        """Wait until every buffered lifecycle event has been handed to the registry."""
        if self._drainer is not None:
            await self._drainer
        if self._buffer:  # appended after the drainer's last check
            self._drainer = asyncio.create_task(self._drain())
            await self._drainer

    @property
    def enabled(self) -> bool:
        """Whether events are published (off: every callback does nothing)."""
        return self._enabled

    def _qualified_name(self) -> str:
        # The reference's examples: "<name>-<instance id>.<namespace>".
        name = self._document.get("name", "workflow")
        namespace = self._document.get("namespace", "default")
        return f"{name}-{workflow.info().workflow_id}.{namespace}"

    def _now(self) -> str:
        return workflow.now().isoformat().replace("+00:00", "Z")

    async def _publish(self, kind: str, data: dict[str, Any]) -> None:
        if not self._enabled:
            return
        event = {
            "specversion": SPEC_VERSION,
            "id": str(workflow.uuid4()),
            "source": SOURCE,
            "type": f"{_PREFIX}{kind}.v1",
            "time": self._now(),
            "subject": workflow.info().workflow_id,
            "datacontenttype": "application/json",
            "data": data,
        }
        self._buffer.append(event)
        if self._drainer is None or self._drainer.done():
            # Deterministic: workflow asyncio tasks run in a defined order on replay.
            self._drainer = asyncio.create_task(self._drain())

    async def workflow_started(self, workflow_input: Any) -> None:
        definition = {k: self._document.get(k) for k in ("namespace", "name", "version")}
        await self._publish(
            "workflow.started",
            {"name": self._qualified_name(), "definition": definition, "startedAt": self._now()},
        )

    async def workflow_completed(self, output: Any) -> None:
        await self._publish(
            "workflow.completed",
            {"name": self._qualified_name(), "completedAt": self._now(), "output": output},
        )
        await self.flush()

    async def workflow_faulted(self, error: WorkflowError) -> None:
        await self._publish(
            "workflow.faulted",
            {"name": self._qualified_name(), "faultedAt": self._now(), "error": _problem(error)},
        )
        await self.flush()

    async def workflow_cancelled(self) -> None:
        await self._publish(
            "workflow.cancelled", {"name": self._qualified_name(), "cancelledAt": self._now()}
        )
        await self.flush()

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        await self._publish(
            "task.started",
            {"workflow": self._qualified_name(), "task": reference, "startedAt": self._now()},
        )

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        await self._publish(
            "task.completed",
            {
                "workflow": self._qualified_name(),
                "task": reference,
                "completedAt": self._now(),
                "output": output,
            },
        )

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        await self._publish(
            "task.cancelled",
            {"workflow": self._qualified_name(), "task": reference, "cancelledAt": self._now()},
        )

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        await self._publish(
            "task.faulted",
            {
                "workflow": self._qualified_name(),
                "task": reference,
                "faultedAt": self._now(),
                "error": _problem(error),
            },
        )


def _problem(error: WorkflowError) -> dict[str, Any]:
    return error.to_dict()
