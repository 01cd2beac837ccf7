"""The engine workflow with an observer that records task lifecycle, for tests.

Registered under the real workflow type on each test's own task queue; the
``trace`` query returns ``[[event, reference, name], ...]`` in execution order.
It lives in its own small module because Temporal's sandbox re-imports the
module that defines a workflow class.
"""

from __future__ import annotations

from typing import Any

from stigmer_dsl.errors import WorkflowError
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1.contract_pb2 import ExecuteServerlessWorkflowInput
from workflow_runner.engine.hooks import EngineHooks, InMemoryEventBus
from workflow_runner.engine.inputs import EngineParams
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow


class _RecordingObserver:
    def __init__(self, trace: list[list[Any]]) -> None:
        self.trace = trace

    async def workflow_started(self, workflow_input: Any) -> None:
        self.trace.append(["workflow_started", "/", ""])

    async def workflow_completed(self, output: Any) -> None:
        self.trace.append(["workflow_completed", "/", ""])

    async def workflow_faulted(self, error: WorkflowError) -> None:
        self.trace.append(["workflow_faulted", "/", error.to_dict()])

    async def workflow_cancelled(self) -> None:
        self.trace.append(["workflow_cancelled", "/", ""])

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        self.trace.append(["task_cancelled", reference, name])

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        self.trace.append(["task_started", reference, name])

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        self.trace.append(["task_completed", reference, name, output])

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        self.trace.append(["task_faulted", reference, name, error.to_dict()])


@workflow.defn(name=WORKFLOW_TYPE)
class TracingWorkflow(ExecuteServerlessWorkflow):
    """ExecuteServerlessWorkflow + a recording observer and event bus exposed by queries."""

    def __init__(self) -> None:
        super().__init__()
        self._trace: list[list[Any]] = []
        self._bus = InMemoryEventBus()

    def hooks(self, params: EngineParams) -> EngineHooks:
        return EngineHooks(observer=_RecordingObserver(self._trace), event_bus=self._bus)

    @workflow.query
    def trace(self) -> list[list[Any]]:
        return self._trace

    @workflow.query
    def published(self) -> list[Any]:
        return list(self._bus.published)

    @workflow.run
    async def run(self, arg: ExecuteServerlessWorkflowInput) -> Any:
        return await super().run(arg)
