"""Status merges: upsert by id, forward-only phases, first timestamps kept."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.agentexecution.v1 import api_pb2 as aex
from stigmer.commons.v1 import phase_pb2 as p
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer_server.execution.status_merge import (
    merge_agent_execution_status,
    merge_workflow_execution_status,
)


def ts(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def report(phase: int, *tasks: wex.WorkflowTaskProgress) -> wex.WorkflowExecutionStatus:
    status = wex.WorkflowExecutionStatus(phase=phase)  # type: ignore[arg-type]
    status.tasks.extend(tasks)
    return status


def task(task_id: str, status: int, **fields: object) -> wex.WorkflowTaskProgress:
    return wex.WorkflowTaskProgress(task_id=task_id, status=status, **fields)  # type: ignore[arg-type]


def test_progress_entries_are_upserted_not_replaced() -> None:
    current = report(p.PENDING)
    merge_workflow_execution_status(
        current, report(p.IN_PROGRESS, task("a", p.IN_PROGRESS, name="a")), ts(1)
    )
    merge_workflow_execution_status(current, report(p.IN_PROGRESS, task("b", p.IN_PROGRESS)), ts(2))
    merge_workflow_execution_status(current, report(p.IN_PROGRESS, task("a", p.COMPLETED)), ts(3))
    assert [(t.task_id, t.status) for t in current.tasks] == [
        ("a", p.COMPLETED),
        ("b", p.IN_PROGRESS),
    ]
    assert current.tasks[0].name == "a"  # a partial report does not erase fields


def test_late_in_progress_never_overwrites_completed() -> None:
    current = report(p.PENDING)
    final = report(p.COMPLETED)
    final.output.string_value = "done"
    merge_workflow_execution_status(current, final, ts(5))
    changed = merge_workflow_execution_status(current, report(p.IN_PROGRESS), ts(6))
    assert current.phase == p.COMPLETED
    assert current.output.string_value == "done"
    assert not changed


def test_late_task_report_cannot_reopen_a_finished_task() -> None:
    current = report(p.IN_PROGRESS, task("a", p.COMPLETED))
    merge_workflow_execution_status(current, report(p.IN_PROGRESS, task("a", p.IN_PROGRESS)), ts(1))
    assert current.tasks[0].status == p.COMPLETED


def test_timestamps_are_stamped_once_and_kept() -> None:
    current = report(p.PENDING)
    merge_workflow_execution_status(current, report(p.IN_PROGRESS), ts(10))
    assert current.started_at.seconds == 10
    late = report(p.COMPLETED)
    late.started_at.CopyFrom(ts(99))
    merge_workflow_execution_status(current, late, ts(20))
    assert (current.started_at.seconds, current.completed_at.seconds) == (10, 20)


def test_task_timestamps_keep_first_start() -> None:
    current = report(p.IN_PROGRESS, task("a", p.IN_PROGRESS, started_at=ts(1)))
    merge_workflow_execution_status(
        current,
        report(p.IN_PROGRESS, task("a", p.COMPLETED, started_at=ts(5), completed_at=ts(6))),
        ts(7),
    )
    assert (current.tasks[0].started_at.seconds, current.tasks[0].completed_at.seconds) == (1, 6)


def test_server_owned_fields_are_not_taken_from_reports() -> None:
    current = report(p.PENDING)
    current.workflow_id = "wfl-1"
    hostile = report(p.IN_PROGRESS)
    hostile.workflow_id = "wfl-evil"
    merge_workflow_execution_status(current, hostile, ts(1))
    assert current.workflow_id == "wfl-1"


def test_agent_lists_upsert_by_id_and_messages_get_ids() -> None:
    ids = iter(["m-1", "m-2"])
    current = aex.AgentExecutionStatus(phase=p.PENDING)
    first = aex.AgentExecutionStatus(phase=p.IN_PROGRESS)
    first.messages.add(type=aex.HUMAN, content="hi")
    first.tool_calls.add(id="t1", name="search", status=p.IN_PROGRESS)
    first.todos.add(id="1", content="plan", status=aex.TODO_PENDING)
    merge_agent_execution_status(current, first, ts(1), lambda: next(ids))
    second = aex.AgentExecutionStatus(phase=p.IN_PROGRESS)
    second.tool_calls.add(id="t1", status=p.COMPLETED)
    second.todos.add(id="1", content="plan", status=aex.TODO_COMPLETED)
    second.messages.add(id="m-1", type=aex.HUMAN, content="hi!")
    second.sub_agent_executions.add(id="s1", name="researcher", status=p.IN_PROGRESS)
    merge_agent_execution_status(current, second, ts(2), lambda: next(ids))
    assert [(m.id, m.content) for m in current.messages] == [("m-1", "hi!")]
    assert [(c.id, c.name, c.status) for c in current.tool_calls] == [("t1", "search", p.COMPLETED)]
    assert [t.status for t in current.todos] == [aex.TODO_COMPLETED]
    assert len(current.sub_agent_executions) == 1


def test_engine_problem_is_set_cleared_by_an_empty_report_and_by_the_end() -> None:
    current = report(p.IN_PROGRESS)
    stuck = report(p.IN_PROGRESS)
    stuck.engine_problem.code = "EngineWorkflowTaskFailing"
    stuck.engine_problem.message = "failed 3 times"
    assert merge_workflow_execution_status(current, stuck, ts(1))
    assert current.engine_problem.message == "failed 3 times"
    # A report without the field leaves it alone.
    merge_workflow_execution_status(current, report(p.IN_PROGRESS, task("a", p.COMPLETED)), ts(2))
    assert current.HasField("engine_problem")
    cleared = report(p.IN_PROGRESS)
    cleared.engine_problem.SetInParent()
    merge_workflow_execution_status(current, cleared, ts(3))
    assert not current.HasField("engine_problem")
    merge_workflow_execution_status(current, stuck, ts(4))
    merge_workflow_execution_status(current, report(p.FAILED), ts(5))
    assert not current.HasField("engine_problem")
