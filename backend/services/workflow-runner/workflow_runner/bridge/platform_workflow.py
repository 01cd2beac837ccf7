"""The engine workflow as run by the platform: progress reporting + token completion.

Registered under the contract's workflow type (``ExecuteServerlessWorkflow``),
so ``ExecuteWorkflow`` starts it by name; a worker hosts either this or the
bare/wired engine, never two under the same name.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ContinueAsNewError

with workflow.unsafe.imports_passed_through():
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import (
        EXECUTE_SERVERLESS_WORKFLOW,
        UPDATE_COMPLETION_TOKEN,
    )

# The engine is imported like any workflow code, inside the sandbox: passing
# it through while its task modules are imported in the sandbox left two copies
# of its types, and decoding an activity result (call: http, run: shell)
# failed on type hints the sandboxed copy could not resolve.
from workflow_runner.bridge.completion import TokenCompletion
from workflow_runner.bridge.progress import ProgressObserver
from workflow_runner.engine.hooks import EngineHooks
from workflow_runner.engine.workflow import EngineInput, ExecuteServerlessWorkflow

#: Failure type of an engine run stopped because its execution ended elsewhere.
EXECUTION_ENDED = "ExecutionEnded"


@EXECUTE_SERVERLESS_WORKFLOW.defn
class PlatformServerlessWorkflow(ExecuteServerlessWorkflow):
    """The engine with stigmer-server progress reports and the completion handshake."""

    _progress: ProgressObserver | None = None
    _main: asyncio.Task[Any] | None = None
    _params: EngineInput | None = None
    #: A token signalled before the run started (applied when it starts).
    _early_token: bytes | None = None

    def hooks(self, params: EngineInput) -> EngineHooks:
        execution_id = params.execution_id or workflow.info().workflow_id
        self._progress = ProgressObserver(execution_id, on_ended_elsewhere=self._stop)
        return EngineHooks(
            observer=self._progress,
            completion=TokenCompletion(lambda: params.completion_token),
            runtime_metadata=params.runtime_metadata,
        )

    @UPDATE_COMPLETION_TOKEN.defn
    def update_completion_token(self, signal: engine_contract.CompletionTokenSignal) -> None:
        """A retried ExecuteWorkflow waits now: complete its token, not the expired one.

        The params object is the run's own, so the completion at the end and a
        continue-as-new both carry the newest token.
        """
        if self._params is None:
            self._early_token = signal.task_token
        else:
            self._params.completion_token = signal.task_token

    @workflow.run
    async def run(self, params: EngineInput) -> Any:
        """Run the engine; stop it when stigmer-server says the execution already ended.

        That happens when the orchestration was cancelled (it records CANCELLED
        and stops waiting); the engine learns it at its next progress report,
        i.e. the next time the run yields, and fails with ``ExecutionEnded``
        instead of running the remaining tasks for nobody.
        """
        if self._early_token is not None:
            params.completion_token = self._early_token
        self._params = params
        self._main = asyncio.create_task(super().run(params))
        try:
            return await self._main
        except asyncio.CancelledError:
            ended = self._progress.ended_elsewhere if self._progress else None
            # A Temporal cancel (the Cancel RPC cancels this workflow directly)
            # cancels this run task itself: end *cancelled*, not ExecutionEnded.
            current = asyncio.current_task()
            if ended is None or (current is not None and current.cancelling() > 0):
                raise
            raise ApplicationError(
                f"execution {params.execution_id} already ended on stigmer-server "
                f"({phase_pb2.ExecutionPhase.Name(ended)}); engine stopped",  # type: ignore[arg-type]
                type=EXECUTION_ENDED,
                non_retryable=True,
            ) from None
        except ContinueAsNewError:
            # Progress entries still buffered would be lost with this run.
            if self._progress is not None:
                await self._progress.flush()
            raise

    def _stop(self, phase: int) -> None:
        workflow.logger.info("execution ended on stigmer-server (phase %d): stopping", phase)
        if self._main is not None and not self._main.done():
            self._main.cancel()
