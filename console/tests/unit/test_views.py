"""The JSON the page reads: phases by name, times in epoch ms, problem details, tasks."""

from __future__ import annotations

from google.protobuf import struct_pb2, timestamp_pb2
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2
from stigmer_console.views import execution_detail


def _at(seconds: int, millis: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=millis * 1_000_000)


def test_a_failed_execution_carries_its_problem_and_its_tasks() -> None:
    execution = api_pb2.WorkflowExecution()
    execution.metadata.id = "wex-1"
    execution.metadata.name = "refuser-1"
    execution.spec.workflow_id = "wfl-1"
    execution.spec.input.update({"n": 1})
    status = execution.status
    status.phase = phase_pb2.FAILED
    status.started_at.CopyFrom(_at(100, 250))
    status.completed_at.CopyFrom(_at(101))
    status.error.code = "https://example.com/errors/refused"
    status.error.message = "not ok"
    status.error.details["status"] = "422"
    task = status.tasks.add(task_id="/do/0/check", name="check", type="set")
    task.status = phase_pb2.COMPLETED
    task.output.CopyFrom(struct_pb2.Value(string_value="done"))
    task.started_at.CopyFrom(_at(100, 300))
    running = status.tasks.add(task_id="/do/1/nap", name="nap", type="wait")
    running.status = phase_pb2.IN_PROGRESS

    detail = execution_detail(execution, "refuser")

    assert detail["phase"] == "FAILED"
    assert detail["workflow"] == "refuser"
    assert (detail["started_at"], detail["completed_at"]) == (100_250, 101_000)
    assert detail["input"] == {"n": 1}
    assert detail["output"] is None
    assert detail["error"] == {
        "code": "https://example.com/errors/refused",
        "message": "not ok",
        "details": {"status": "422"},
    }
    assert detail["engine_problem"] is None
    check, nap = detail["tasks"]
    assert (check["phase"], check["output"], check["started_at"]) == ("COMPLETED", "done", 100_300)
    assert (nap["phase"], nap["output"], nap["completed_at"], nap["error"]) == (
        "IN_PROGRESS",
        None,
        None,
        None,
    )
