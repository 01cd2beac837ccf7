"""The token-handshake floor of ``floor.py``: the platform's architecture written by hand.

An outer workflow runs one activity that hands its task token to an inner
workflow and returns pending; the inner workflow does the shape's work and
completes the token with an activity; the outer workflow returns the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflow_runner.activities import names
    from workflow_runner.activities.http_models import HttpCallInput, HttpCallOutput

HAND_OFF = "bench.FloorHandOff"
COMPLETE = "bench.FloorComplete"


@dataclass(frozen=True)
class FloorJob:
    """What the token floor's inner workflow does: ``kind`` is ``set`` or ``http``."""

    kind: str
    steps: int
    uri: str = ""
    token: str = ""  # base64 task token


@workflow.defn(name="bench.FloorInner")
class FloorInnerWorkflow:
    """The shape's work, then the outer activity completed by its token."""

    @workflow.run
    async def run(self, job: FloorJob) -> Any:
        result: Any
        if job.kind == "set":
            data: dict[str, Any] = {"sum": 0}
            for i in range(job.steps):
                data = {"step": i, "sum": data["sum"] + i}
            result = data
        else:
            value: Any = None
            for _ in range(job.steps):
                out: HttpCallOutput = await workflow.execute_activity(
                    names.CALL_HTTP,
                    HttpCallInput(method="get", uri=job.uri, output="content"),
                    start_to_close_timeout=timedelta(minutes=3),
                    result_type=HttpCallOutput,
                )
                value = out.value
            result = value["id"]
        await workflow.execute_activity(
            COMPLETE, args=[job.token, result], start_to_close_timeout=timedelta(minutes=1)
        )
        return result


@workflow.defn(name="bench.FloorOuter")
class FloorOuterWorkflow:
    """One activity, completed elsewhere by its task token (the orchestration's shape)."""

    @workflow.run
    async def run(self, job: FloorJob) -> Any:
        return await workflow.execute_activity(
            HAND_OFF, job, start_to_close_timeout=timedelta(minutes=3)
        )
