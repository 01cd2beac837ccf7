"""Hand-written Temporal workflows doing what the benchmark's DSL definitions do.

They are the baseline of ``engine_vs_plain.py``: same worker, same activities,
same dev server, no interpreter. Kept in their own module so Temporal's sandbox
can import them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflow_runner.activities import names
    from workflow_runner.activities.http_models import HttpCallInput, HttpCallOutput


@dataclass
class PlainInput:
    """``steps`` tasks; ``url`` is the local server for the HTTP scenario."""

    steps: int
    url: str = ""


@workflow.defn(name="bench.PlainSetWorkflow")
class PlainSetWorkflow:
    """``steps`` assignments computed in workflow code (what N ``set`` tasks do)."""

    @workflow.run
    async def run(self, params: PlainInput) -> Any:
        data: dict[str, Any] = {"acc": 0}
        for step in range(params.steps):
            data = {"acc": data["acc"] + 1, "step": step}
        return data


@workflow.defn(name="bench.PlainHttpWorkflow")
class PlainHttpWorkflow:
    """``steps`` sequential calls of the engine's own HTTP activity."""

    @workflow.run
    async def run(self, params: PlainInput) -> Any:
        result: Any = None
        for step in range(params.steps):
            output: HttpCallOutput = await workflow.execute_activity(
                names.CALL_HTTP,
                HttpCallInput(method="get", uri=params.url, query={"step": step}),
                start_to_close_timeout=timedelta(minutes=3),
                result_type=HttpCallOutput,
            )
            result = output.value
        return result
