"""Readiness: named checks a process registers, read by ``/readyz``.

A check is a cheap, thread-safe read of state the process keeps anyway (the
store handle, the last Temporal health probe, whether a worker runs): the HTTP
endpoint runs on its own thread and must never wait on the event loop.
Anything that needs I/O (is Temporal reachable?) is probed in the background by
:class:`TemporalProbe` and read from its last result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Protocol

from stigmer_observability.metrics import READINESS_CHECK, WORKER_POLLING

_log = logging.getLogger(__name__)

Check = Callable[[], bool]


class Readiness:
    """The process's readiness checks; ready when every check passes (and there is one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        """Register (or replace) the check called ``name``."""
        with self._lock:
            self._checks[name] = check

    def remove(self, name: str) -> None:
        """Drop the check called ``name`` (e.g. a component that was shut down on purpose)."""
        with self._lock:
            self._checks.pop(name, None)

    def report(self) -> dict[str, bool]:
        """Each check's result now; a check that raises counts as failing."""
        with self._lock:
            checks = dict(self._checks)
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = bool(check())
            except Exception:
                _log.debug("readiness check %s raised", name, exc_info=True)
                results[name] = False
            READINESS_CHECK.labels(check=name).set(1 if results[name] else 0)
        return results

    def ready(self) -> tuple[bool, dict[str, bool]]:
        """(all checks pass and at least one exists, each check's result)."""
        results = self.report()
        return bool(results) and all(results.values()), results


class _Polling(Protocol):
    @property
    def task_queue(self) -> str: ...

    @property
    def is_running(self) -> bool: ...


def watch_workers(
    readiness: Readiness, name: str, workers: Callable[[], Iterable[_Polling]]
) -> None:
    """Add the check ``name``: every worker ``workers()`` returns is running (polling).

    ``workers`` is called at each check, so a process whose workers come and go
    (the server reconnecting to Temporal) passes its current ones. No workers
    fails the check. Also keeps ``stigmer_worker_polling{task_queue}`` current.
    """

    def check() -> bool:
        current = list(workers())
        for worker in current:
            WORKER_POLLING.labels(task_queue=worker.task_queue).set(1 if worker.is_running else 0)
        return bool(current) and all(worker.is_running for worker in current)

    readiness.add(name, check)


class _HealthChecked(Protocol):
    # The SDK's signature (its timeout is the RPC deadline).
    async def check_health(self, *, timeout: timedelta | None = None) -> bool: ...  # noqa: ASYNC109


class TemporalProbe:
    """Asks Temporal's frontend for its health every ``interval``; :attr:`reachable` is the answer.

    Args:
        service: The client's service (``client.service_client``), or a callable
            returning the current one (None while not connected).
        interval: Time between probes.
    """

    def __init__(
        self,
        service: Callable[[], _HealthChecked | None],
        *,
        interval: timedelta = timedelta(seconds=2),
    ) -> None:
        self._service = service
        self._interval = interval.total_seconds()
        self.reachable = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Probe in a background task of the running loop."""
        self._task = asyncio.create_task(self._run(), name="temporal-health-probe")

    async def probe(self) -> bool:
        """One probe now (also what the background task does)."""
        try:
            service = self._service()
            if service is None:
                self.reachable = False
                return False
            self.reachable = await asyncio.wait_for(
                service.check_health(timeout=timedelta(seconds=self._interval)),
                timeout=self._interval + 1,
            )
        except Exception:
            self.reachable = False
        return self.reachable

    async def _run(self) -> None:
        while True:
            await self.probe()
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def check(self) -> bool:
        """The readiness check: the last probe succeeded."""
        return self.reachable
