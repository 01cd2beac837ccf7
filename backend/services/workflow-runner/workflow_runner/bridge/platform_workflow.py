"""The engine workflow as run by the platform: progress reporting + token completion.

Registered under the contract's workflow type (``ExecuteServerlessWorkflow``),
so ``ExecuteWorkflow`` starts it by name; a worker hosts either this or the
bare/wired engine, never two under the same name.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.workflow import ContinueAsNewError

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW

    from workflow_runner.bridge.completion import TokenCompletion
    from workflow_runner.bridge.progress import ProgressObserver
    from workflow_runner.engine.hooks import EngineHooks
    from workflow_runner.engine.workflow import EngineInput, ExecuteServerlessWorkflow


@EXECUTE_SERVERLESS_WORKFLOW.defn
class PlatformServerlessWorkflow(ExecuteServerlessWorkflow):
    """The engine with stigmer-server progress reports and the completion handshake."""

    _progress: ProgressObserver | None = None

    def hooks(self, params: EngineInput) -> EngineHooks:
        execution_id = params.execution_id or workflow.info().workflow_id
        self._progress = ProgressObserver(execution_id)
        return EngineHooks(
            observer=self._progress,
            completion=TokenCompletion(),
            runtime_metadata=params.runtime_metadata,
        )

    @workflow.run
    async def run(self, params: EngineInput) -> Any:
        try:
            return await super().run(params)
        except ContinueAsNewError:
            # Progress entries still buffered would be lost with this run.
            if self._progress is not None:
                await self._progress.flush()
            raise
