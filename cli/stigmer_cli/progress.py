"""How ``run --follow`` and ``watch`` show an execution while it runs.

:class:`PlainProgress` writes one line per change (``phase IN_PROGRESS``,
``task greet (set) COMPLETED``, ``paused``, ``stuck: ...``): for pipes, logs and
scripts. :class:`LiveProgress` redraws a task tree in place on a terminal:
phases in colour, elapsed time, a spinner on running tasks.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Protocol, TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text
from rich.tree import Tree
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api

from stigmer_cli.phases import TERMINAL, phase_name, phase_style
from stigmer_cli.task_tree import (
    TaskRow,
    execution_elapsed,
    format_duration,
    task_duration,
    task_rows,
)

#: The live view shows at most this many tasks (running ones first, then the latest).
LIVE_MAX_TASKS = 30

_ENDED_MARKS = {
    phase_pb2.COMPLETED: ("✓", "green"),
    phase_pb2.FAILED: ("✗", "bold red"),
    phase_pb2.CANCELLED: ("○", "yellow"),
}


class ProgressView(Protocol):
    def update(self, execution: execution_api.WorkflowExecution) -> None: ...


class PlainProgress:
    """One line per change seen, flushed at once (the format scripts and tests read)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last_phase = -1
        self._paused = False
        self._last_problem = ""
        self._seen: dict[str, int] = {}

    def _line(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def update(self, execution: execution_api.WorkflowExecution) -> None:
        status = execution.status
        ended = status.phase in TERMINAL
        if status.phase != self._last_phase and not ended:
            self._line(f"phase {phase_name(status.phase)}")
            self._last_phase = status.phase
        if status.paused != self._paused and not ended:
            self._paused = status.paused
            self._line("paused" if self._paused else "resumed")
        for task in status.tasks:
            if self._seen.get(task.task_id) != task.status:
                self._seen[task.task_id] = task.status
                self._line(f"task {task.name} ({task.type}) {phase_name(task.status)}")
        problem = status.engine_problem.message
        if problem != self._last_problem:
            self._line(f"stuck: {problem}" if problem else "moving again")
            self._last_problem = problem
        if ended:
            self._line(f"phase {phase_name(status.phase)}")


class LiveProgress:
    """A task tree redrawn in place (``rich.live``); use as a context manager."""

    def __init__(self, console: Console, execution_id: str) -> None:
        self._execution_id = execution_id
        self._latest: execution_api.WorkflowExecution | None = None
        self._spinners: dict[str, Spinner] = {}
        # The tree of the latest update, computed once per update, not once per frame.
        self._rows: tuple[execution_api.WorkflowExecution | None, list[TaskRow]] = (None, [])
        self._live = Live(self, console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.stop()

    def update(self, execution: execution_api.WorkflowExecution) -> None:
        # Drawn by the next refresh (8 a second) and once more when the view stops: a
        # burst of updates (thousands of tasks) is not rendered one by one.
        self._latest = execution

    def __rich__(self) -> RenderableType:
        latest = self._latest
        if latest is not None and self._rows[0] is not latest:
            self._rows = (latest, visible_rows(task_rows(list(latest.status.tasks))))
        return render_execution(latest, self._execution_id, self._spinners, rows=self._rows[1])


def render_execution(
    execution: execution_api.WorkflowExecution | None,
    execution_id: str,
    spinners: dict[str, Spinner],
    *,
    now: float | None = None,
    rows: list[TaskRow] | None = None,
) -> RenderableType:
    """The header line (id, phase, elapsed) and the task tree of ``execution``."""
    now = now or time.time()
    header = Text()
    header.append(execution_id, style="bold")
    if execution is None:
        return Group(header + Text("  connecting…", style="dim"))
    status = execution.status
    header.append("  ")
    header.append(phase_name(status.phase), style=phase_style(status.phase))
    header.append(f"  {format_duration(execution_elapsed(execution, now))}", style="dim")
    if status.paused and status.phase not in TERMINAL:
        header.append("  paused", style="yellow")
    parts: list[RenderableType] = [header]
    if status.engine_problem.message:
        parts.append(Text(f"stuck: {status.engine_problem.message}", style="red"))
    if rows is None:
        rows = visible_rows(task_rows(list(status.tasks)))
    hidden = len(status.tasks) - len(rows)
    if hidden > 0:
        parts.append(Text(f"… {hidden} earlier tasks (stigmer describe lists all)", "dim"))
    tree = Tree(Text("tasks", style="dim"), guide_style="dim")
    nodes: dict[str, Tree] = {}
    frame_time = time.monotonic()
    for row in rows:
        task = row.task
        # One Text per task (a spinner renders to one): far cheaper per frame than a grid.
        if task.status == phase_pb2.IN_PROGRESS and status.phase not in TERMINAL:
            spinner = spinners.setdefault(task.task_id, Spinner("dots"))
            frame = spinner.render(frame_time)
            mark = Text(frame.plain if isinstance(frame, Text) else str(frame), style="cyan")
        else:
            symbol, style = _ENDED_MARKS.get(task.status, ("·", "dim"))
            mark = Text(symbol, style=style)
        line = Text()
        line.append_text(mark)
        line.append(" ")
        line.append(task.name, style="bold")
        line.append(f" ({task.type}) ", style="dim")
        line.append(phase_name(task.status), style=phase_style(task.status))
        line.append(f" {format_duration(task_duration(task, now))}", style="dim")
        parent = nodes.get(row.parent_id, tree)
        node = parent.add(line)
        if task.error.message:
            node.add(Text(task.error.message, style="red"))
        nodes[task.task_id] = node
    if rows:
        parts.append(tree)
    return Group(*parts)


def visible_rows(rows: list[TaskRow]) -> list[TaskRow]:
    """At most :data:`LIVE_MAX_TASKS`: every running task first, then the latest ended ones."""
    if len(rows) <= LIVE_MAX_TASKS:
        return rows
    statuses = [row.task.status for row in rows]
    running = [i for i, status in enumerate(statuses) if status == phase_pb2.IN_PROGRESS]
    ended = [i for i, status in enumerate(statuses) if status != phase_pb2.IN_PROGRESS]
    room = max(0, LIVE_MAX_TASKS - len(running))
    kept = sorted(running[:LIVE_MAX_TASKS] + (ended[-room:] if room else []))
    return [rows[i] for i in kept]
