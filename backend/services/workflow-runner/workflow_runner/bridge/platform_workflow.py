"""The engine workflow as run by the platform: progress reporting + token completion.

Registered under the contract's workflow type (``ExecuteServerlessWorkflow``),
so ``ExecuteWorkflow`` starts it by name; a worker hosts either this or the
bare/wired engine, never two under the same name.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW

    from workflow_runner.bridge.completion import TokenCompletion
    from workflow_runner.bridge.progress import ProgressObserver
    from workflow_runner.engine.hooks import EngineHooks
    from workflow_runner.engine.workflow import EngineInput, ExecuteServerlessWorkflow


@EXECUTE_SERVERLESS_WORKFLOW.defn
class PlatformServerlessWorkflow(ExecuteServerlessWorkflow):
    """The engine with stigmer-server progress reports and the completion handshake."""

    def hooks(self, params: EngineInput) -> EngineHooks:
        execution_id = params.execution_id or workflow.info().workflow_id
        return EngineHooks(
            observer=ProgressObserver(execution_id),
            completion=TokenCompletion(),
            runtime_metadata=params.runtime_metadata,
        )

    @workflow.run
    async def run(self, params: EngineInput) -> Any:
        return await super().run(params)
