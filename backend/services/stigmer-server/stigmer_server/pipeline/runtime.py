"""The pipeline runtime: run named steps in order, stop at the first error.

Prior art: the Go stigmer server's ``NewPipeline("workflow-create").AddStep(...)``.
The list of steps is the documentation of a write; each step is a small class
with a ``name`` and one async ``run``. An :class:`~stigmer_server.errors.ApiError`
(something the client can fix) passes through untouched; anything else is
wrapped in :class:`StepFailed` naming the step, and becomes INTERNAL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from stigmer_server.errors import ApiError
from stigmer_server.pipeline.context import RequestContext

_log = logging.getLogger(__name__)


class Step(Protocol):
    """One named step of a pipeline."""

    @property
    def name(self) -> str: ...

    async def run(self, ctx: RequestContext) -> None: ...


class StepFailed(Exception):
    """A step raised something that is not a client error (a bug or a fault)."""

    def __init__(self, pipeline: str, step: str, cause: BaseException) -> None:
        super().__init__(f"pipeline {pipeline!r} failed in step {step!r}: {cause!r}")
        self.pipeline = pipeline
        self.step = step


class Pipeline:
    """An ordered list of steps run for one request."""

    def __init__(self, name: str, steps: Sequence[Step]) -> None:
        self.name = name
        self.steps = tuple(steps)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    async def run(self, ctx: RequestContext) -> RequestContext:
        """Runs every step in order.

        Raises:
            ApiError: A step rejected the request (client-visible).
            StepFailed: A step failed unexpectedly.
        """
        # Per-step timing only when it is logged: a status update runs ~12 steps.
        timed = _log.isEnabledFor(logging.DEBUG)
        for step in self.steps:
            started = time.perf_counter() if timed else 0.0
            try:
                await step.run(ctx)
            except (ApiError, StepFailed, asyncio.CancelledError):
                raise
            except Exception as error:
                raise StepFailed(self.name, step.name, error) from error
            finally:
                if timed:
                    _log.debug(
                        "pipeline step",
                        extra={
                            "pipeline": self.name,
                            "step": step.name,
                            "ms": round((time.perf_counter() - started) * 1000, 3),
                        },
                    )
        return ctx


class UnderLock:
    """Runs inner steps while holding a lock (e.g. the store's write lock), so a
    check ("slug is free") and the write it guards cannot interleave."""

    def __init__(self, lock: asyncio.Lock, steps: Sequence[Step], *, name: str = "") -> None:
        self._lock = lock
        self._inner = Pipeline(name or "locked", steps)
        self.name = name or "locked(" + ", ".join(self._inner.step_names) + ")"

    async def run(self, ctx: RequestContext) -> None:
        async with self._lock:
            await self._inner.run(ctx)
