"""Merging a runner's status report into the stored execution status.

Rules (issue #3): progress entries are UPSERTED by id, never replaced
wholesale by a partial list; phases only move forward (see
:mod:`phase_rules`); the first start/completion timestamps are kept. Fields
the server owns (resolved ids, audit) are never taken from a report.
Callers hold the per-execution lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableSequence
from typing import TypeVar, cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.agentexecution.v1 import api_pb2 as agentexecution_api
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api

from stigmer_server.execution.phase_rules import IN_PROGRESS, TERMINAL, decide


def _ts(message: Message, name: str) -> Timestamp:
    return cast(Timestamp, getattr(message, name))


def _keep_first_timestamps(current: Message, report: Message) -> None:
    """A timestamp, once set, is never moved; a report may fill an empty one."""
    for name in ("started_at", "completed_at"):
        if not current.HasField(name) and report.HasField(name):
            _ts(current, name).CopyFrom(_ts(report, name))


def _stamp_phase(current: Message, phase: int, now: Timestamp) -> None:
    """Fills the timestamps a phase implies, never overwriting one already set."""
    if phase in (IN_PROGRESS, *TERMINAL) and not current.HasField("started_at"):
        _ts(current, "started_at").CopyFrom(now)
    if phase in TERMINAL and not current.HasField("completed_at"):
        _ts(current, "completed_at").CopyFrom(now)


def _copy_if_set(current: Message, report: Message, *fields: str) -> None:
    for name in fields:
        if report.HasField(name):
            getattr(current, name).CopyFrom(getattr(report, name))


def _copy_if_nonempty(current: Message, report: Message, *fields: str) -> None:
    for name in fields:
        value = getattr(report, name)
        if value:
            setattr(current, name, value)


E = TypeVar("E", bound=Message)


def _upsert(
    entries: MutableSequence[E],
    reported: Iterable[E],
    key: Callable[[E], str],
    merge_entry: Callable[[E, E], None],
) -> None:
    """Upserts ``reported`` into ``entries`` by ``key``; new ones keep report order."""
    positions = {key(e): i for i, e in enumerate(entries)}
    for entry in reported:
        k = key(entry)
        if k in positions:
            merge_entry(entries[positions[k]], entry)
        else:
            entries.append(entry)  # repeated fields copy on append
            positions[k] = len(entries) - 1


def _merge_phase_entry(current: Message, report: Message, phase_field: str = "status") -> None:
    """Merges one progress entry (a task, a tool call, a sub-agent) field by field."""
    verdict = decide(getattr(current, phase_field), getattr(report, phase_field))
    setattr(current, phase_field, verdict.phase)
    for field, value in report.ListFields():
        if field.name in (phase_field, "started_at", "completed_at"):
            continue
        if field.message_type is not None and not field.is_repeated:
            getattr(current, field.name).CopyFrom(value)
        elif field.is_repeated:
            target = getattr(current, field.name)
            del target[:]
            target.extend(value)
        else:
            setattr(current, field.name, value)
    _keep_first_timestamps(current, report)


def merge_workflow_execution_status(
    current: workflowexecution_api.WorkflowExecutionStatus,
    report: workflowexecution_api.WorkflowExecutionStatus,
    now: Timestamp,
) -> bool:
    """Merges ``report`` into ``current`` in place. Returns whether anything changed."""
    before = current.SerializeToString(deterministic=True)
    ended_before = current.phase in TERMINAL
    verdict = decide(current.phase, report.phase)
    current.phase = verdict.phase  # type: ignore[assignment]
    _upsert(current.tasks, report.tasks, lambda t: t.task_id, _merge_phase_entry)
    if not ended_before:
        # How it ended is final like the phase: a cancelled orchestration's own
        # CANCELLED must not replace the reason Cancel recorded.
        _copy_if_set(current, report, "output", "error")
    _copy_if_nonempty(current, report, "temporal_workflow_id")
    if report.HasField("engine_problem"):
        if report.engine_problem.message or report.engine_problem.code:
            current.engine_problem.CopyFrom(report.engine_problem)
        else:
            current.ClearField("engine_problem")
    _keep_first_timestamps(current, report)
    _stamp_phase(current, current.phase, now)
    if current.phase in (phase_pb2.CANCELLED, phase_pb2.FAILED):
        # A cancelled run's engine is stopped before it can report its open tasks;
        # a run that failed outside a task (terminated, timed out) leaves them open too.
        _close_open_entries(current.tasks, current.phase, now)
    if current.phase in TERMINAL:
        current.ClearField("engine_problem")  # ended: nothing is stuck any more
    if current.phase in TERMINAL and current.paused:
        current.paused = False  # server-owned (Pause/Resume); an ended run holds nothing
        current.ClearField("paused_at")
    return current.SerializeToString(deterministic=True) != before


def _close_open_entries(
    entries: Iterable[workflowexecution_api.WorkflowTaskProgress],
    phase: phase_pb2.ExecutionPhase.ValueType,
    now: Timestamp,
) -> None:
    """Entries still PENDING or IN_PROGRESS end in ``phase`` at ``now``."""
    for entry in entries:
        if entry.status in (phase_pb2.PENDING, IN_PROGRESS):
            entry.status = phase
            if not entry.HasField("completed_at"):
                entry.completed_at.CopyFrom(now)


def merge_agent_execution_status(
    current: agentexecution_api.AgentExecutionStatus,
    report: agentexecution_api.AgentExecutionStatus,
    now: Timestamp,
    new_message_id: Callable[[], str],
) -> bool:
    """Merges ``report`` into ``current`` in place. Returns whether anything changed.

    Messages without an id get one (and are appended); all other lists are
    upserted by their id.
    """
    before = current.SerializeToString(deterministic=True)
    verdict = decide(current.phase, report.phase)
    current.phase = verdict.phase  # type: ignore[assignment]
    messages = []
    for message in report.messages:
        copy = agentexecution_api.AgentMessage()
        copy.CopyFrom(message)
        if not copy.id:
            copy.id = new_message_id()
        messages.append(copy)
    _upsert(current.messages, messages, lambda m: m.id, _replace_entry)
    _upsert(current.tool_calls, report.tool_calls, lambda c: c.id, _merge_phase_entry)
    _upsert(
        current.sub_agent_executions,
        report.sub_agent_executions,
        lambda s: s.id,
        _merge_phase_entry,
    )
    _upsert(current.todos, report.todos, lambda t: t.id, _replace_entry)
    _copy_if_set(current, report, "output", "error")
    _copy_if_nonempty(current, report, "temporal_workflow_id")
    _keep_first_timestamps(current, report)
    _stamp_phase(current, current.phase, now)
    return current.SerializeToString(deterministic=True) != before


def _replace_entry(current: Message, report: Message) -> None:
    """Messages and todos: the latest report of an id wins as a whole (a streamed
    message grows; a todo's status moves freely)."""
    current.CopyFrom(report)


def is_terminal(phase: int) -> bool:
    return phase in TERMINAL


FAILED = phase_pb2.FAILED
