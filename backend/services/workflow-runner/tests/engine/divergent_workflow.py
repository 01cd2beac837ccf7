"""A deliberately non-deterministic variant of the engine, to prove the replay test bites."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1.contract_pb2 import ExecuteServerlessWorkflowInput
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow


@workflow.defn(name=WORKFLOW_TYPE)
class DivergentWorkflow(ExecuteServerlessWorkflow):
    """Starts a timer the recorded histories never saw."""

    @workflow.run
    async def run(self, arg: ExecuteServerlessWorkflowInput) -> Any:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(arg)
