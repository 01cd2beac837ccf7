"""Reconciliation: every PENDING execution gets its orchestration, or ends FAILED.

A Create persists the execution PENDING and then starts its orchestration. The
start can fail (Temporal unreachable or refusing), and the server can die
between the two; either way a PENDING record is left without an orchestration
workflow. A :class:`Reconciler` pass finds every PENDING execution and starts
it through the server's :class:`~stigmer_server.execution.starter.ExecutionStarter`,
which is idempotent (an already started orchestration is left alone). An
execution whose start keeps failing for ``start_deadline`` is marked FAILED
with the reason, through the status updater (so subscribers see it). The pass
runs at boot, when Temporal (re)connects and periodically; every deferred start
is logged, so nothing stays PENDING silently.

The deadline counts from this process's first failed attempt: a platform that
was down as a whole (server and Temporal) does not fail the executions it had
accepted the moment the server comes back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from google.protobuf.message import Message
from stigmer.commons.v1 import phase_pb2

from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.kinds import KindDescriptor
from stigmer_server.repository import Repository
from stigmer_server.resource_fields import metadata_of, phase_of

_log = logging.getLogger(__name__)

#: ``status.error.code`` of an execution that could never be started.
START_FAILED = "START_FAILED"
_PAGE_SIZE = 200
# Starts in flight at once during a pass (a backlog after an outage is started
# in parallel, without flooding the Temporal frontend).
_CONCURRENT_STARTS = 8
# How many ids a log line names before it says "and N more".
_IDS_IN_LOG = 5

# Starts one stored execution; True when this call started it, False when it
# already had its orchestration.
StartFunction = Callable[[Message], Awaitable[bool]]


@dataclass(frozen=True)
class ReconciledKind:
    """One execution kind: where its records are, how to start one, how to fail one.

    Attributes:
        kind: The execution kind (its records are scanned).
        start: Starts the orchestration of one stored execution (idempotent).
        updater: Applies the FAILED status after the deadline.
        status_type: The kind's status message.
    """

    kind: KindDescriptor
    start: StartFunction
    updater: ExecutionStatusUpdater
    status_type: type[Message]


@dataclass
class PassReport:
    """What one pass did (for the log and for tests)."""

    pending: int = 0
    started: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    last_error: str = ""


class Reconciler:
    """Starts unstarted PENDING executions; fails the ones unstartable for too long.

    Args:
        repository: The store the executions are read from.
        kinds: The execution kinds to reconcile.
        start_deadline: How long an execution may stay unstartable.
        interval: The period of the passes (only named in the log).
        clock: Monotonic seconds (tests pass a fake).
    """

    def __init__(
        self,
        repository: Repository,
        kinds: Sequence[ReconciledKind],
        *,
        start_deadline: timedelta,
        interval: timedelta,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._kinds = tuple(kinds)
        self._deadline = start_deadline.total_seconds()
        self._interval = interval.total_seconds()
        self._clock = clock
        # execution id -> clock() of the first failed start seen by this process.
        self._failing_since: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def run_pass(self, reason: str) -> PassReport:
        """One pass over every PENDING execution; never raises (logs instead).

        Args:
            reason: Why the pass runs ("boot", "connected", "periodic"), for the log.
        """
        async with self._lock:  # a pass at connect and a periodic one never overlap
            report = PassReport()
            try:
                await self._pass(report)
            except Exception:
                _log.exception("reconciliation pass (%s) failed", reason)
                return report
            self._log_pass(reason, report)
            return report

    async def _pass(self, report: PassReport) -> None:
        gate = asyncio.Semaphore(_CONCURRENT_STARTS)
        seen: set[str] = set()
        starts: list[Awaitable[None]] = []
        for reconciled in self._kinds:
            async for execution in self._pending(reconciled.kind):
                execution_id = metadata_of(execution).id
                seen.add(execution_id)
                starts.append(self._reconcile(reconciled, execution, gate, report))
        report.pending = len(starts)
        await asyncio.gather(*starts)
        # Forget executions that left PENDING by any path (started, cancelled, deleted).
        for execution_id in set(self._failing_since) - seen:
            del self._failing_since[execution_id]

    async def _pending(self, kind: KindDescriptor) -> AsyncIterator[Message]:
        token = ""
        while True:
            page = self._repository.list(
                kind, org="", parent_id="", page_size=_PAGE_SIZE, page_token=token
            )
            for execution in page.items:
                if phase_of(execution) == phase_pb2.PENDING:
                    yield execution
            if not page.next_page_token:
                return
            token = page.next_page_token
            await asyncio.sleep(0)  # a large store does not hold the loop for the whole scan

    async def _reconcile(
        self,
        reconciled: ReconciledKind,
        execution: Message,
        gate: asyncio.Semaphore,
        report: PassReport,
    ) -> None:
        execution_id = metadata_of(execution).id
        async with gate:
            try:
                started = await reconciled.start(execution)
            except Exception as error:
                reason = str(error) or type(error).__name__
                report.last_error = reason
                now = self._clock()
                since = self._failing_since.setdefault(execution_id, now)
                if now - since < self._deadline:
                    report.deferred.append(execution_id)
                    return
                await self._fail(reconciled, execution_id, reason)
                report.failed.append(execution_id)
                self._failing_since.pop(execution_id, None)
                return
        self._failing_since.pop(execution_id, None)
        if started:
            report.started.append(execution_id)

    async def _fail(self, reconciled: ReconciledKind, execution_id: str, reason: str) -> None:
        failed = reconciled.status_type()
        setattr(failed, "phase", phase_pb2.FAILED)  # noqa: B010
        error = getattr(failed, "error")  # noqa: B009
        error.code = START_FAILED
        error.message = f"orchestration could not be started: {reason}"
        await reconciled.updater.update(execution_id, failed, caller="reconciliation")
        _log.error(
            "execution %s FAILED: orchestration could not be started for %gs: %s",
            execution_id,
            self._deadline,
            reason,
            extra={"event": "start_deadline_exceeded", "execution_id": execution_id},
        )

    def _log_pass(self, reason: str, report: PassReport) -> None:
        if report.deferred:
            _log.warning(
                "%d executions stay PENDING: orchestration could not be started (%s); "
                "retrying every %gs, FAILED after %gs without a start: %s",
                len(report.deferred),
                report.last_error,
                self._interval,
                self._deadline,
                _ids(report.deferred),
                extra={"event": "start_deferred", "reason": reason},
            )
        if report.started:
            _log.info(
                "reconciliation (%s): started the orchestration of %d PENDING executions: %s",
                reason,
                len(report.started),
                _ids(report.started),
                extra={"event": "reconciled", "reason": reason},
            )


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_IDS_IN_LOG])
    more = len(ids) - _IDS_IN_LOG
    return f"{shown} and {more} more" if more > 0 else shown
