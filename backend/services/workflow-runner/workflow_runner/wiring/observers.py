"""One observer that tells several: lifecycle events and platform progress together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stigmer_dsl.errors import WorkflowError
from temporalio import workflow

from workflow_runner.engine.hooks import ExecutionObserver


class FanOutObserver:
    """Forwards every call to each observer in order; one failing does not stop the others."""

    def __init__(self, observers: Sequence[ExecutionObserver]) -> None:
        self._observers = tuple(observers)

    async def _each(self, method: str, *args: Any) -> None:
        for observer in self._observers:
            try:
                await getattr(observer, method)(*args)
            except Exception:
                workflow.logger.exception("execution observer %s failed", type(observer).__name__)

    async def workflow_started(self, workflow_input: Any) -> None:
        await self._each("workflow_started", workflow_input)

    async def workflow_completed(self, output: Any) -> None:
        await self._each("workflow_completed", output)

    async def workflow_faulted(self, error: WorkflowError) -> None:
        await self._each("workflow_faulted", error)

    async def workflow_cancelled(self) -> None:
        await self._each("workflow_cancelled")

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        await self._each("task_started", reference, name, kind, task_input)

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        await self._each("task_completed", reference, name, kind, output)

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        await self._each("task_faulted", reference, name, kind, error)

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        await self._each("task_cancelled", reference, name, kind)
