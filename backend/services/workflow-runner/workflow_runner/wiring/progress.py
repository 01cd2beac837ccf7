"""Per-task progress of a platform run, reported to stigmer-server.

:class:`ProgressObserver` is the engine's observer (workflow code): each task
start/complete/fault becomes one ``UpdateStatus`` report with that task's
``tasks[]`` entry (the server upserts entries by ``task_id``); the first one
also moves the execution to IN_PROGRESS. The engine's final status does not go
through here but through the completion (see :mod:`.completion`).

Reports are batched: entries are buffered and sent when the run yields (see
:class:`ProgressObserver`), so tasks that run back to back without blocking
share one report. Each report is a *local* activity: one marker event in the
engine's history and no extra workflow task, where a regular activity costs
three events plus a workflow task.

A report survives a stigmer-server restart: the client retries transient
failures for up to two minutes (see :mod:`workflow_runner.bridge.stigmer_api`), and the report's
timeout leaves it that long. One that still fails (the server stayed down,
or it refused the report) is logged and dropped: a progress report never
fails the execution.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import grpc
    from google.protobuf import struct_pb2
    from google.protobuf.timestamp_pb2 import Timestamp
    from prometheus_client import Histogram
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import (
        PROGRESS_REPORT_FAILED_ERROR,
        REPORT_WORKFLOW_PROGRESS,
    )
    from stigmer.workflowexecution.v1 import api_pb2, io_pb2
    from stigmer_common import json_values
    from stigmer_observability.log_context import bound_execution
    from stigmer_observability.metrics import PROGRESS_REPORTS, TASK_DURATION

from stigmer_dsl.errors import WorkflowError

TERMINAL_PHASES = frozenset({phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED})
#: Bounds one UpdateStatus message (entries carry task input and output).
MAX_ENTRIES_PER_REPORT = 50
#: What the completion carries at most of the entries not yet reported (see
#: ``ProgressObserver.take_rest``): it lands in the orchestration's history,
#: whose payloads Temporal caps at 2 MB.
MAX_ENTRIES_CARRIED = 500
MAX_BYTES_CARRIED = 256 * 1024
#: Runs of one task reference reported per engine run: a loop body reports its
#: first iterations, not 100,000 of them (each entry costs CPU in the workflow
#: activation, history in the report and room in the stored status).
MAX_RUNS_PER_TASK = 100
#: Entries reported per engine run, whatever their references.
MAX_ENTRIES_PER_RUN = 10_000
#: Work units (~µs, see ``stigmer_dsl.pacing``) one task's progress entry costs
#: in the workflow activation (~40 measured on 2 loaded cores, with margin): two
#: JSON -> Value conversions, timestamps, the merge into the batch and its share
#: of the report; charged with every task (runs past the caps cost less).
PROGRESS_TASK_COST = 150


class StatusUpdates(Protocol):
    """The one stigmer-server call progress needs (the runner's API client has it)."""

    async def update_status(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> api_pb2.WorkflowExecution: ...


class ProgressReporter:
    """The local activity implementation; holds the stigmer-server client."""

    def __init__(self, api: StatusUpdates) -> None:
        self._api = api

    @REPORT_WORKFLOW_PROGRESS.defn
    async def report(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> engine_contract.ReportWorkflowProgressOutput:
        """Send one ``UpdateStatus``; return the execution's phase after it.

        The server ignores reports on an execution that already ended (e.g. its
        orchestration was cancelled) and answers with that terminal phase, which
        tells the engine to stop. The client already retried transient failures
        for its whole budget, so every error here is final.
        """
        with bound_execution(report.execution_id):
            try:
                reply = await self._api.update_status(report)
            except grpc.aio.AioRpcError as error:
                PROGRESS_REPORTS.labels(result="failed").inc()
                raise ApplicationError(
                    f"UpdateStatus {error.code().name}: {error.details()}",
                    type=PROGRESS_REPORT_FAILED_ERROR,
                    non_retryable=True,
                ) from None
            except BaseException:
                PROGRESS_REPORTS.labels(result="failed").inc()
                raise
        PROGRESS_REPORTS.labels(result="sent").inc()
        observe_task_durations(report.status.tasks)
        return engine_contract.ReportWorkflowProgressOutput(phase=reply.status.phase)


def observe_task_durations(entries: Iterable[api_pb2.WorkflowTaskProgress]) -> None:
    """``stigmer_task_duration_seconds`` of each entry that ended (it has both times).

    Observed when the report is delivered (a local activity is not re-run on
    replay, so each ended task counts once per delivered report).
    """
    for entry in entries:
        if not (entry.HasField("started_at") and entry.HasField("completed_at")):
            continue
        started, ended = entry.started_at, entry.completed_at
        # The fields, not ToNanoseconds(): that is Python code, per entry of every report.
        seconds = (ended.seconds - started.seconds) + (ended.nanos - started.nanos) / 1e9
        _duration_of(entry.type or "unknown", entry.status).observe(max(0.0, seconds))


@functools.lru_cache(maxsize=1024)
def _duration_of(kind: str, phase: phase_pb2.ExecutionPhase.ValueType) -> Histogram:
    """The histogram child of a task kind and phase (a labels() lookup costs more)."""
    return TASK_DURATION.labels(task_kind=kind, phase=phase_pb2.ExecutionPhase.Name(phase))


def to_value(data: Any) -> struct_pb2.Value:
    """A JSON value as ``google.protobuf.Value`` (a non-JSON value becomes its repr)."""
    try:
        return json_values.to_value(data)
    except (TypeError, ValueError, OverflowError):
        return struct_pb2.Value(string_value=repr(data))


def problem_error(error: WorkflowError) -> phase_pb2.ExecutionError:
    """An engine fault (RFC 7807 problem details) as an ``ExecutionError``.

    ``code`` is the problem type URI; ``details`` holds every problem field as text.
    """
    problem = error.to_dict()
    details = {str(k): v if isinstance(v, str) else _json_text(v) for k, v in problem.items()}
    message = str(problem.get("detail") or problem.get("title") or problem.get("type") or "")
    return phase_pb2.ExecutionError(
        code=str(problem.get("type") or ""), message=message, details=details
    )


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class _Buffered:
    """One task run's entry while buffered; its message is built when a report takes it.

    Building the ``WorkflowTaskProgress`` once, at the batch, spares a message,
    a merge and three timestamps per task that starts and ends in one batch.
    """

    __slots__ = (
        "ended_ns",
        "error",
        "input",
        "kind",
        "name",
        "output",
        "started_ns",
        "status",
        "task_id",
    )

    def __init__(
        self,
        task_id: str,
        name: str,
        kind: str,
        started_ns: int,
        task_input: struct_pb2.Value | None,
    ) -> None:
        self.task_id = task_id
        self.name = name
        self.kind = kind
        self.status: phase_pb2.ExecutionPhase.ValueType = phase_pb2.IN_PROGRESS
        self.started_ns = started_ns
        self.ended_ns: int | None = None
        self.input: struct_pb2.Value | None = task_input
        self.output: struct_pb2.Value | None = None
        self.error: phase_pb2.ExecutionError | None = None

    def message(self) -> api_pb2.WorkflowTaskProgress:
        entry = api_pb2.WorkflowTaskProgress(
            task_id=self.task_id,
            name=self.name,
            type=self.kind,
            status=self.status,
            input=self.input,
            output=self.output,
            error=self.error,
        )
        entry.started_at.CopyFrom(_timestamp(self.started_ns))
        if self.ended_ns is not None:
            entry.completed_at.CopyFrom(_timestamp(self.ended_ns))
        return entry


class ProgressObserver:
    """Engine observer sending each task's lifecycle to stigmer-server (workflow code).

    Entries are buffered and sent by a background coroutine whenever the run
    yields (a timer, an activity, an event), so the tasks that ran in one
    workflow task go out as one report; a task that started and ended in the
    same batch is one entry. :meth:`flush` drains the buffer and is awaited at
    the end of the run (before the completion) and before continue-as-new.
    """

    def __init__(
        self,
        execution_id: str,
        on_ended_elsewhere: Callable[[int], None] | None = None,
        *,
        completion_takes_rest: Callable[[], bool] = lambda: False,
    ) -> None:
        """Args:
        execution_id: the WorkflowExecution reported on.
        on_ended_elsewhere: called (once) with the phase when a report finds the
            execution already terminal on stigmer-server, e.g. cancelled.
        completion_takes_rest: whether, at the end, the completion carries what is
            still buffered (:meth:`take_rest`) so no last report is needed.
        """
        self._execution_id = execution_id
        self._on_ended_elsewhere = on_ended_elsewhere
        self._completion_takes_rest = completion_takes_rest
        #: The terminal phase stigmer-server answered with, if any.
        self.ended_elsewhere: int | None = None
        self._started_any = False
        # A task reference runs more than once in a loop; each run is its own entry.
        self._runs: dict[str, int] = {}
        #: Start times (workflow clock, ns) of reported runs that have not ended.
        self._started_ns: dict[str, int] = {}
        self._pending: dict[str, _Buffered] = {}
        #: The last output converted, and its Value: in a sequence the next
        #: task's input is that very object, converted once for both entries.
        self._last_output: tuple[Any, struct_pb2.Value] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        #: Reports sent (for history-cost measurements and tests).
        self.reports_sent = 0
        #: Task runs past the caps, not reported (see ``MAX_RUNS_PER_TASK``).
        self.omitted = 0
        self._entries = 0

    def _now_ns(self) -> int:
        """The workflow clock in ns, to the microsecond.

        The workflow's event loop keeps workflow time (its ``time()`` is what
        timers use): one attribute read, where ``workflow.time_ns()`` finds the
        runtime through the sandbox on every call (three calls per task).
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return round(loop.time() * 1e6) * 1000

    def _buffer(self, entry: _Buffered) -> None:
        self._pending[entry.task_id] = entry
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_when_pending())

    async def _flush_when_pending(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._pending))
            await self.flush()

    async def flush(self) -> None:
        """Send everything buffered, in order, at most ``MAX_ENTRIES_PER_REPORT`` per report."""
        async with self._lock:
            while self._pending:
                await self._send(self._next_batch(phase_pb2.IN_PROGRESS))

    def _next_batch(
        self, phase: phase_pb2.ExecutionPhase.ValueType
    ) -> api_pb2.WorkflowExecutionStatus:
        """The oldest buffered entries (at most one report's worth), taken from the buffer."""
        batch = list(self._pending.values())[:MAX_ENTRIES_PER_REPORT]
        for entry in batch:
            del self._pending[entry.task_id]
        status = self._status_started_once(api_pb2.WorkflowExecutionStatus(phase=phase))
        status.tasks.extend([entry.message() for entry in batch])
        return status

    def _status_started_once(
        self, status: api_pb2.WorkflowExecutionStatus
    ) -> api_pb2.WorkflowExecutionStatus:
        """``status`` with the run's start time if no status sent so far had it."""
        if not self._started_any:
            status.started_at.CopyFrom(_timestamp(self._now_ns()))
            self._started_any = True
        return status

    async def take_rest(self) -> api_pb2.WorkflowExecutionStatus:
        """What is still buffered at the end, for the completion to carry.

        Waits for a report in flight (its entries come first on the server),
        then sends reports until what is left fits the completion
        (``MAX_ENTRIES_CARRIED`` entries, ``MAX_BYTES_CARRIED``: it is recorded
        in the orchestration's history); the phase is left unset (the
        completion sets the final one).
        """
        async with self._lock:
            while (
                rest := self._take_all(MAX_ENTRIES_CARRIED, phase_pb2.EXECUTION_PHASE_UNSPECIFIED)
            ) is None:
                await self._send(self._next_batch(phase_pb2.IN_PROGRESS))
            return rest

    def take_for_activity(self) -> io_pb2.WorkflowExecutionUpdateStatusInput | None:
        """What is buffered, for the activity being scheduled to deliver before it runs.

        A report of its own would be a local activity, which holds the workflow
        task open until it returns: the activity (an HTTP call...) would start
        one report round trip later, and history would get a marker. Carried
        (see :mod:`.progress_header`), the entries leave with the activity.
        None (the background report sends them) when nothing is buffered, a
        report is in flight (its entries go first), or they exceed one report.
        """
        if not self._pending or self._lock.locked():
            return None
        status = self._take_all(MAX_ENTRIES_PER_REPORT, phase_pb2.IN_PROGRESS)
        if status is None:
            return None
        return io_pb2.WorkflowExecutionUpdateStatusInput(
            execution_id=self._execution_id, status=status
        )

    def _take_all(
        self, max_entries: int, phase: phase_pb2.ExecutionPhase.ValueType
    ) -> api_pb2.WorkflowExecutionStatus | None:
        """Everything buffered as one status if it fits (``max_entries``,
        ``MAX_BYTES_CARRIED``), taken from the buffer; else None, buffer untouched."""
        if len(self._pending) > max_entries:
            return None
        messages = [entry.message() for entry in self._pending.values()]  # oldest first
        if sum(message.ByteSize() for message in messages) > MAX_BYTES_CARRIED:
            return None
        self._pending.clear()
        status = self._status_started_once(api_pb2.WorkflowExecutionStatus(phase=phase))
        status.tasks.extend(messages)
        return status

    async def report_rest(self, rest: api_pb2.WorkflowExecutionStatus) -> None:
        """Send what :meth:`take_rest` gave when the completion could not carry it."""
        if rest.tasks or rest.HasField("started_at"):
            rest.phase = phase_pb2.IN_PROGRESS
            async with self._lock:
                await self._send(rest)

    async def _send(self, status: api_pb2.WorkflowExecutionStatus) -> None:
        report = io_pb2.WorkflowExecutionUpdateStatusInput(
            execution_id=self._execution_id, status=status
        )
        try:
            phase: int = (await REPORT_WORKFLOW_PROGRESS.execute(report)).phase
            self.reports_sent += 1
        except Exception:
            # Progress must never fail the execution: log and go on.
            workflow.logger.warning(
                "progress report for %s dropped", self._execution_id, exc_info=True
            )
            return
        self.learned_phase(phase)

    def learned_phase(self, phase: int) -> None:
        """The execution's phase on stigmer-server, from a report's answer.

        A terminal one the engine did not reach itself means the execution ended
        elsewhere (e.g. cancelled): noted once, and the run is told to stop.
        """
        if phase in TERMINAL_PHASES and self.ended_elsewhere is None:
            self.ended_elsewhere = phase
            if self._on_ended_elsewhere is not None:
                self._on_ended_elsewhere(phase)

    async def workflow_started(self, workflow_input: Any) -> None:
        return None  # IN_PROGRESS goes with the first task's report (one report fewer)

    async def workflow_completed(self, output: Any) -> None:
        # The final status travels through the completion, after this; with it
        # (when it takes the rest) the last entries too.
        if not self._completion_takes_rest():
            await self.flush()

    async def workflow_faulted(self, error: WorkflowError) -> None:
        if not self._completion_takes_rest():
            await self.flush()

    async def workflow_cancelled(self) -> None:
        return None

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        if self.ended_elsewhere is not None:
            # The run was cancelled when this was learned, but a cancellation
            # can be swallowed: one arriving with the result of the activity the
            # run awaits goes to that activity's handle, which returns the result.
            # No task starts after the execution ended.
            raise asyncio.CancelledError
        run = self._runs.get(reference, 0) + 1
        self._runs[reference] = run
        if run > MAX_RUNS_PER_TASK or self._entries >= MAX_ENTRIES_PER_RUN:
            self._omit()
            return
        self._entries += 1
        task_id = reference if run == 1 else f"{reference}#{run}"
        now = self._now_ns()
        self._started_ns[task_id] = now
        last = self._last_output
        value = last[1] if last is not None and last[0] is task_input else to_value(task_input)
        self._buffer(_Buffered(task_id, name, kind, now, value))

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        entry = self._ending(reference, name, kind, phase_pb2.COMPLETED)
        if entry is not None:
            entry.output = value = to_value(output)
            self._last_output = (output, value)

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        entry = self._ending(reference, name, kind, phase_pb2.FAILED)
        if entry is not None:
            entry.error = problem_error(error)

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        self._ending(reference, name, kind, phase_pb2.CANCELLED)

    def _omit(self) -> None:
        self.omitted += 1
        if self.omitted == 1:
            workflow.logger.info(
                "progress of %s: task runs past %d per task (or %d in all) are not reported",
                self._execution_id,
                MAX_RUNS_PER_TASK,
                MAX_ENTRIES_PER_RUN,
            )

    def _ending(
        self, reference: str, name: str, kind: str, phase: phase_pb2.ExecutionPhase.ValueType
    ) -> _Buffered | None:
        """The buffered entry of the run of ``reference`` that ends now, or None if unreported.

        A run started in this batch ends in its own entry; one whose start went
        out already gets a new entry (the server upserts by ``task_id``).
        """
        run = self._runs.get(reference, 1)
        task_id = reference if run == 1 else f"{reference}#{run}"
        started = self._started_ns.pop(task_id, None)
        if started is None:
            return None  # its start was not reported (past a cap, or it failed before it)
        entry = self._pending.get(task_id)
        if entry is None:
            entry = _Buffered(task_id, name, kind, started, None)
            self._buffer(entry)
        else:
            entry.name, entry.kind = name, kind
        entry.status = phase
        entry.ended_ns = self._now_ns()
        return entry


def _timestamp(nanoseconds: int) -> Timestamp:
    """Nanoseconds since the epoch as a Timestamp (no datetime arithmetic)."""
    seconds, nanos = divmod(nanoseconds, 1_000_000_000)
    return Timestamp(seconds=seconds, nanos=nanos)
