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
from rich.table import Table
from rich.text import Text
from rich.tree import Tree
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api

from stigmer_cli.phases import TERMINAL, phase_name, phase_style
from stigmer_cli.task_tree import execution_elapsed, format_duration, task_duration, task_rows

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
        self._latest = execution
        self._live.refresh()

    def __rich__(self) -> RenderableType:
        return render_execution(self._latest, self._execution_id, self._spinners)


def render_execution(
    execution: execution_api.WorkflowExecution | None,
    execution_id: str,
    spinners: dict[str, Spinner],
    *,
    now: float | None = None,
) -> RenderableType:
    """The header line (id, phase, elapsed) and the task tree of ``execution``."""
    now = now or time.time()
    header = Text(execution_id, style="bold")
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
    rows = task_rows(list(status.tasks))
    shown = rows
    if len(rows) > LIVE_MAX_TASKS:
        running = [row for row in rows if row.task.status == phase_pb2.IN_PROGRESS]
        rest = [row for row in rows if row.task.status != phase_pb2.IN_PROGRESS]
        keep = running[:LIVE_MAX_TASKS] + rest[-max(0, LIVE_MAX_TASKS - len(running)) :]
        kept = {id(row) for row in keep}
        shown = [row for row in rows if id(row) in kept]
        parts.append(
            Text(f"… {len(rows) - len(shown)} earlier tasks (stigmer describe lists all)", "dim")
        )
    tree = Tree(Text("tasks", style="dim"), guide_style="dim")
    nodes: dict[str, Tree] = {}
    for row in shown:
        task = row.task
        line = Table.grid(padding=(0, 1))
        if task.status == phase_pb2.IN_PROGRESS and status.phase not in TERMINAL:
            mark: RenderableType = spinners.setdefault(task.task_id, Spinner("dots", style="cyan"))
        else:
            symbol, style = _ENDED_MARKS.get(task.status, ("·", "dim"))
            mark = Text(symbol, style=style)
        label = Text(task.name, style="bold")
        label.append(f" ({task.type})", style="dim")
        line.add_row(
            mark,
            label,
            Text(phase_name(task.status), style=phase_style(task.status)),
            Text(format_duration(task_duration(task, now)), style="dim"),
        )
        parent = nodes.get(row.parent_id, tree)
        node = parent.add(line)
        if task.error.message:
            node.add(Text(task.error.message, style="red"))
        nodes[task.task_id] = node
    if rows:
        parts.append(tree)
    return Group(*parts)
