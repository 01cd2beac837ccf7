"""``ExecuteServerlessWorkflow`` as every entry point runs it: the one engine workflow.

The `dsl` command and the platform run this same class; they differ only in
what the worker registers behind the activities it calls (secret provider,
workflow catalog, event bus; see :mod:`.worker`) and in what the starter puts
in the input:

* always: the registry event bus (emit/listen across executions), lifecycle
  events (memo switch), secrets fetched through the secret activity when the
  starter passes none;
* a platform run (``execution_id`` set): per-task progress reports to
  stigmer-server, a stop when stigmer-server says the execution already ended,
  and, with a completion token, the completion of the paused ``ExecuteWorkflow``
  (a retried attempt hands over its newer token by signal).

Secrets: before any task runs, every ``$secrets.<name>`` the definition reads
is checked against the declaration: reading an undeclared secret, or a declared
one the provider does not have, faults with the spec's ``authorization`` error
(status 403).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from stigmer_dsl import parsed_documents
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.loader import parse_document
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ContinueAsNewError

from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.hooks import EngineHooks, ExecutionObserver, NoopObserver
from workflow_runner.engine.inputs import EngineParams
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow
from workflow_runner.events.lifecycle import LifecycleEventObserver
from workflow_runner.events.workflow_bus import RegistryEventBus
from workflow_runner.secrets.references import undeclared_secret_references
from workflow_runner.wiring.completion import TokenCompletion
from workflow_runner.wiring.observers import FanOutObserver
from workflow_runner.wiring.progress import PROGRESS_TASK_COST, ProgressObserver
from workflow_runner.wiring.settings import RunSettings

with workflow.unsafe.imports_passed_through():
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import (
        EXECUTE_SERVERLESS_WORKFLOW,
        EXECUTION_ENDED_ELSEWHERE,
        EXECUTION_ENDED_ERROR,
        LOAD_SECRETS,
        UPDATE_COMPLETION_TOKEN,
    )
    from stigmer.workflowexecution.v1 import io_pb2
    from stigmer_common.json_values import from_struct

#: Failure type of a platform run stopped because its execution ended elsewhere.
EXECUTION_ENDED = EXECUTION_ENDED_ERROR


def _document_and_secrets(definition: str) -> tuple[dict[str, Any], list[str]]:
    """The ``document`` block and the ``use.secrets`` names (empty when unreadable).

    Read once per definition text in this process (the engine parses the whole
    text itself; this runs inside a workflow activation): a pure function of
    the text, kept as plain data beside the engine's parse.
    """
    known = parsed_documents.header(definition)
    if known is None:
        known = _read_header(definition)
        parsed_documents.store_header(definition, known)
    document, names = known
    return json.loads(document), list(names)


def _read_header(definition: str) -> parsed_documents.Header:
    try:
        data = parse_document(definition)
    except Exception:
        return "{}", ()  # the engine reports the definition error itself
    document = data.get("document")
    use = data.get("use")
    declared = use.get("secrets") if isinstance(use, Mapping) else None
    names = tuple(str(n) for n in declared) if isinstance(declared, list) else ()
    return json.dumps(dict(document) if isinstance(document, Mapping) else {}), names


@EXECUTE_SERVERLESS_WORKFLOW.defn
class ServerlessWorkflow(ExecuteServerlessWorkflow):
    """The engine with its real hooks; see the module docstring for what is on when."""

    _lifecycle: LifecycleEventObserver | None = None
    _progress: ProgressObserver | None = None
    _main: asyncio.Task[Any] | None = None
    _params: EngineParams | None = None
    #: ``use.secrets`` of the definition (read with the document header in ``hooks``).
    _declared_secrets: tuple[str, ...] = ()
    #: A token signalled before the run started (applied when it starts).
    _early_token: bytes | None = None

    def hooks(self, params: EngineParams) -> EngineHooks:
        document, declared = _document_and_secrets(params.definition)
        self._declared_secrets = tuple(declared)
        bus = RegistryEventBus()
        self._lifecycle = LifecycleEventObserver(
            bus, document, enabled=RunSettings.current().lifecycle_events
        )
        # Only the observers that do something: each one is called for every task.
        observers: list[ExecutionObserver] = []
        if self._lifecycle.enabled:
            observers.append(self._lifecycle)
        cost = 0
        if params.execution_id:
            self._progress = ProgressObserver(
                params.execution_id,
                on_ended_elsewhere=self._stop,
                completion_takes_rest=lambda: params.completion_token is not None,
            )
            observers.append(self._progress)
            cost += PROGRESS_TASK_COST
        return EngineHooks(
            observer=_one_observer(observers),
            event_bus=bus,
            completion=TokenCompletion(
                lambda: params.completion_token, self._progress, execution_id=params.execution_id
            ),
            runtime_metadata=params.runtime_metadata,
            observer_task_cost=cost,
            execution_grant=params.grant,
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
    async def run(self, arg: engine_contract.ExecuteServerlessWorkflowInput) -> Any:
        """Run the engine; a platform run stops when its execution already ended.

        That happens when the execution was ended on stigmer-server (e.g. its
        orchestration was cancelled); the engine learns it at its next progress
        report and fails with ``ExecutionEnded`` instead of running the
        remaining tasks for nobody.
        """
        params = EngineParams.from_message(arg)
        if self._early_token is not None:
            params.completion_token = self._early_token
        self._params = params
        self._main = asyncio.create_task(super().run_params(params))
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
            # Entries still buffered would be lost with this run.
            for buffered in (self._lifecycle, self._progress):
                if buffered is not None:
                    await buffered.flush()
            raise

    @EXECUTION_ENDED_ELSEWHERE.defn
    def execution_ended_elsewhere(
        self, signal: engine_contract.ReportWorkflowProgressOutput
    ) -> None:
        """An activity's carried report found the execution ended: stop as a report would."""
        if self._progress is not None:
            self._progress.learned_phase(signal.phase)

    def progress_for_activity(self) -> io_pb2.WorkflowExecutionUpdateStatusInput | None:
        """Buffered progress for the activity being scheduled to carry (see ``progress_header``)."""
        return self._progress.take_for_activity() if self._progress is not None else None

    def _stop(self, phase: int) -> None:
        workflow.logger.info("execution ended on stigmer-server (phase %d): stopping", phase)
        if self._main is not None and not self._main.done():
            self._main.cancel()

    async def _execute(self, params: EngineParams, hooks: EngineHooks) -> Any:
        # Secrets load inside the engine's run, so a refusal is a fault like any
        # other: observed, reported, and completing a platform run's token.
        if params.secrets is None and params.resume is None:
            params.secrets = await self._load_secrets(params)
        return await super()._execute(params, hooks)

    async def _load_secrets(self, params: EngineParams) -> dict[str, Any]:
        declared = self._declared_secrets
        undeclared = sorted(set(undeclared_secret_references(params.definition, declared)))
        if undeclared:
            raise WorkflowError.authorization(
                f"the workflow reads secret(s) {', '.join(undeclared)} that it does not "
                "declare in use.secrets",
                instance="/use/secrets",
            )
        if not declared:
            return {}
        try:
            result = await LOAD_SECRETS.execute(
                engine_contract.LoadSecretsInput(
                    names=declared,
                    execution_id=params.execution_id or RunSettings.current().execution_id,
                    # The server's proof this run belongs to that execution (a
                    # child carries its parent's); sealed in history by the codec.
                    grant=params.grant,
                ),
                task_queue=workflow.info().task_queue,
            )
        except ActivityError as exc:
            raise error_from_failure(exc, instance="/use/secrets") from None
        values: dict[str, Any] = from_struct(result.values)
        return values


def _one_observer(observers: list[ExecutionObserver]) -> ExecutionObserver:
    if not observers:
        return NoopObserver()
    return observers[0] if len(observers) == 1 else FanOutObserver(observers)
