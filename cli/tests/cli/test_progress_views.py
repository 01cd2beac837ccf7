"""The two progress views in process: plain lines for pipes, the live tree for terminals."""

from __future__ import annotations

import io

from rich.console import Console
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_cli.progress import LIVE_MAX_TASKS, LiveProgress, PlainProgress, render_execution
from stigmer_cli.task_tree import format_duration, task_rows


def _execution(phase: int, *tasks: tuple[str, str, str, int]) -> execution_api.WorkflowExecution:
    execution = execution_api.WorkflowExecution()
    execution.metadata.id = "wex-1"
    execution.status.phase = phase  # type: ignore[assignment]
    for task_id, name, kind, status in tasks:
        execution.status.tasks.add(task_id=task_id, name=name, type=kind, status=status)  # type: ignore[arg-type]
    return execution


def _plain(console: Console, renderable: object) -> str:
    console.print(renderable)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def test_plain_progress_writes_one_line_per_change() -> None:
    stream = io.StringIO()
    view = PlainProgress(stream)
    running = ("/do/0/nap", "nap", "wait", phase_pb2.IN_PROGRESS)
    view.update(_execution(phase_pb2.PENDING))
    view.update(_execution(phase_pb2.IN_PROGRESS, running))
    view.update(_execution(phase_pb2.IN_PROGRESS, running))  # nothing changed: no line
    done = ("/do/0/nap", "nap", "wait", phase_pb2.COMPLETED)
    view.update(_execution(phase_pb2.COMPLETED, done))
    assert stream.getvalue().splitlines() == [
        "phase PENDING",
        "phase IN_PROGRESS",
        "task nap (wait) IN_PROGRESS",
        "task nap (wait) COMPLETED",
        "phase COMPLETED",
    ]


def test_tasks_nest_under_their_closest_reported_ancestor() -> None:
    execution = _execution(
        phase_pb2.IN_PROGRESS,
        ("/do/0/loop", "loop", "for", phase_pb2.IN_PROGRESS),
        ("/do/0/loop/for/do/0/step", "step", "set", phase_pb2.COMPLETED),
        ("/do/0/loop/for/do/0/step#2", "step", "set", phase_pb2.COMPLETED),
        ("/do/0/loop/for/do/1/inner/do/0/deep", "deep", "set", phase_pb2.COMPLETED),
        ("/do/1/after", "after", "set", phase_pb2.PENDING),
    )
    rows = task_rows(list(execution.status.tasks))
    assert [(row.task.name, row.depth, row.parent_id) for row in rows] == [
        ("loop", 0, ""),
        ("step", 1, "/do/0/loop"),
        ("step", 1, "/do/0/loop"),
        ("deep", 1, "/do/0/loop"),  # its parent `inner` was not reported
        ("after", 0, ""),
    ]
    console = Console(file=io.StringIO(), width=100, color_system=None)
    drawn = _plain(console, render_execution(execution, "wex-1", {}))
    lines = drawn.splitlines()
    assert lines[0] == "wex-1  IN_PROGRESS  -" and lines[1] == "tasks"
    assert lines[2].startswith("├── ") and lines[2].endswith(" loop (for) IN_PROGRESS -")
    assert lines[3:6] == [
        "│   ├── ✓ step (set) COMPLETED -",
        "│   ├── ✓ step (set) COMPLETED -",
        "│   └── ✓ deep (set) COMPLETED -",
    ]
    assert lines[6] == "└── · after (set) PENDING -"


def test_live_view_of_a_big_execution_draws_the_running_and_latest_tasks() -> None:
    tasks = [(f"/do/0/s{i}", f"s{i}", "set", phase_pb2.COMPLETED) for i in range(5_000)]
    tasks[10] = ("/do/0/s10", "s10", "wait", phase_pb2.IN_PROGRESS)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    live = LiveProgress(console, "wex-1")
    live.update(_execution(phase_pb2.IN_PROGRESS, *tasks))
    drawn = _plain(console, live)
    lines = drawn.splitlines()
    assert f"… {5_000 - LIVE_MAX_TASKS} earlier tasks (stigmer describe lists all)" in lines
    assert any("s10 (wait) IN_PROGRESS" in line for line in lines)  # running: kept
    assert any("s4999 (set) COMPLETED" in line for line in lines)  # latest: kept
    assert not any(" s11 " in line for line in lines)
    assert len(lines) == 3 + LIVE_MAX_TASKS  # header, "…", "tasks", then the rows


def test_durations_read_at_a_glance() -> None:
    assert [format_duration(v) for v in (None, 0.25, 12.34, 245, 7380)] == [
        "-",
        "250ms",
        "12.3s",
        "4m05s",
        "2h03m",
    ]
