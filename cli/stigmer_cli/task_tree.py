"""An execution's task entries as a tree, with durations: shared by the live view and describe.

Task ids are JSON pointers into the definition (``/do/0/outer/for/do/0/inner``,
a re-run adds ``#2``); a task's parent is the longest other task id that
prefixes it, so nesting needs no knowledge of the DSL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.workflowexecution.v1 import api_pb2 as execution_api


@dataclass(frozen=True)
class TaskRow:
    task: execution_api.WorkflowTaskProgress
    depth: int
    parent_id: str


def seconds(timestamp: Timestamp) -> float | None:
    """A timestamp in epoch seconds, or None when unset."""
    if timestamp.seconds == 0 and timestamp.nanos == 0:
        return None
    return timestamp.seconds + timestamp.nanos / 1e9


def task_rows(tasks: list[execution_api.WorkflowTaskProgress]) -> list[TaskRow]:
    """The tasks in report order, each with its depth under its closest reported ancestor."""
    ids = [task.task_id for task in tasks]  # read once: protobuf field access is not free
    known = set(ids)
    rows: list[TaskRow] = []
    depths: dict[str, int] = {}
    for task, task_id in zip(tasks, ids, strict=True):
        path = task_id.partition("#")[0]
        parent = ""
        cut = path.rfind("/")
        while cut > 0:
            candidate = path[:cut]
            if candidate in known and candidate != task_id:
                parent = candidate
                break
            cut = candidate.rfind("/")
        depth = depths.get(parent, -1) + 1 if parent else 0
        depths[task_id] = depth
        rows.append(TaskRow(task, depth, parent))
    return rows


def task_duration(
    task: execution_api.WorkflowTaskProgress, now: float | None = None
) -> float | None:
    """Seconds the task ran (until now while it runs); None if it never started."""
    started = seconds(task.started_at)
    if started is None:
        return None
    ended = seconds(task.completed_at)
    return max(0.0, (ended if ended is not None else (now or time.time())) - started)


def execution_elapsed(
    execution: execution_api.WorkflowExecution, now: float | None = None
) -> float | None:
    status = execution.status
    started = seconds(status.started_at) or seconds(status.audit.created_at)
    if started is None:
        return None
    ended = seconds(status.completed_at)
    return max(0.0, (ended if ended is not None else (now or time.time())) - started)


def format_duration(value: float | None) -> str:
    """``850ms``, ``12.3s``, ``4m05s``, ``2h03m``; ``-`` when unknown."""
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 60:
        return f"{value:.1f}s"
    minutes, secs = divmod(int(value), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
