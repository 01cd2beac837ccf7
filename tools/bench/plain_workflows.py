"""Hand-written Temporal workflows doing what the benchmark's DSL definitions do.

They are the baseline: the same data steps and the same HTTP activity calls,
without the interpreter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from workflow_runner.activities import names
from workflow_runner.activities.http_models import HttpCallInput, HttpCallOutput


@workflow.defn(name="bench.PlainSet")
class PlainSetWorkflow:
    """N data steps: step i sets ``{"step": i, "sum": sum + i}``."""

    @workflow.run
    async def run(self, steps: int) -> Any:
        data: dict[str, Any] = {"sum": 0}
        for i in range(steps):
            data = {"step": i, "sum": data["sum"] + i}
        return data


@workflow.defn(name="bench.PlainHttp")
class PlainHttpWorkflow:
    """N sequential GETs through the engine's HTTP activity; returns the last body's id."""

    @workflow.run
    async def run(self, args: list[Any]) -> Any:
        steps, uri = int(args[0]), str(args[1])
        value: Any = None
        for _ in range(steps):
            result: HttpCallOutput = await workflow.execute_activity(
                names.CALL_HTTP,
                HttpCallInput(method="get", uri=uri, output="content"),
                start_to_close_timeout=timedelta(minutes=3),
                result_type=HttpCallOutput,
            )
            value = result.value
        return value["id"]
