"""The Temporal workflow type ``ExecuteServerlessWorkflow``: one DSL run.

Input is the contract's ``ExecuteServerlessWorkflowInput`` (definition text +
JSON input; see :mod:`.inputs`, which reads it into :class:`EngineParams`); the result is
the workflow's output JSON. A fault fails the workflow with an
``ApplicationError`` whose first detail is the problem-details dict and whose
type is the standard kind (``timeout``, ``communication``...) or the custom
type URI.

Extension: subclass and override :meth:`ExecuteServerlessWorkflow.hooks` to
plug an observer, an event bus or a completion hook (see :mod:`.hooks`).
Temporal requires the subclass to repeat the decorators::

    @workflow.defn(name=WORKFLOW_TYPE)
    class ReportingWorkflow(ExecuteServerlessWorkflow):
        def hooks(self, params: EngineParams) -> EngineHooks: ...

        @workflow.run
        async def run(self, arg: ExecuteServerlessWorkflowInput) -> Any:
            return await super().run(arg)

Data flow at the workflow level follows dsl.md: ``input.schema`` and
``input.from`` on the raw input; the transformed input is both the first
task's raw input and the initial ``$context`` (dsl.md's data-flow diagram:
"Transformed Workflow Input — Set as — $context"); ``output.as`` and
``output.schema`` on the last task's output. ``timeout`` faults with a
``timeout`` error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions import ExpressionEvaluator
from stigmer_dsl.expressions.jq_language import BATCH_SIZE
from stigmer_dsl.loader import (
    DefinitionError,
    DocumentParse,
    checked_definition,
    compile_expressions,
)
from stigmer_dsl.pacing import (
    DEFINITION_BYTE_COST,
    DEFINITION_EXPRESSION_COST,
    DEFINITION_TASK_COST,
    JSON_BYTE_COST,
    YIELD_DELAY,
    WorkMeter,
)
from stigmer_dsl.schemas import validate
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from workflow_runner.engine.checkpoint import ContinueAsNewRequested
from workflow_runner.engine.context import RunState, datetime_descriptor
from workflow_runner.engine.dataflow import resolve_timeout
from workflow_runner.engine.errors import to_application_error
from workflow_runner.engine.flow import EndWorkflow, run_scope
from workflow_runner.engine.hooks import EngineHooks
from workflow_runner.engine.inputs import EngineParams, Resume
from workflow_runner.engine.names import (
    CLOUDEVENT_SIGNAL,
    PAUSE_SIGNAL,
    RESUME_SIGNAL,
    WORKFLOW_TYPE,
)
from workflow_runner.engine.pause import PauseGate

with workflow.unsafe.imports_passed_through():
    from google.protobuf import json_format
    from stigmer.engine.v1.contract_pb2 import (
        AgentExecutionEndedSignal,
        ExecuteServerlessWorkflowInput,
    )
    from stigmer.engine.v1.contract_temporal import AGENT_EXECUTION_ENDED

RUNTIME_NAME = "stigmer"
RUNTIME_VERSION = "0.1.0"


@workflow.defn(name=WORKFLOW_TYPE)
class ExecuteServerlessWorkflow:
    """Interprets one Serverless Workflow DSL definition."""

    def __init__(self) -> None:
        self._inbox: list[Mapping[str, Any]] = []
        self._pause = PauseGate()
        self._agent_endings: dict[str, AgentExecutionEndedSignal] = {}

    def hooks(self, params: EngineParams) -> EngineHooks:
        """The observer/event bus/completion hook for this run; override to plug real ones."""
        return EngineHooks(runtime_metadata=params.runtime_metadata)

    @workflow.signal(name=CLOUDEVENT_SIGNAL)
    def cloudevent(self, event: dict[str, Any]) -> None:
        """Receive one CloudEvent (a JSON object); ``listen`` tasks consume it."""
        if isinstance(event, Mapping) and event.get("type"):
            self._inbox.append(event)
        else:
            workflow.logger.warning("ignored a cloudevent signal without a type")

    @workflow.signal(name=AGENT_EXECUTION_ENDED.name)
    def agent_execution_ended(self, ended: AgentExecutionEndedSignal) -> None:
        """An AgentExecution a `call: agent` task waits on (or will) ended."""
        self._agent_endings[ended.agent_execution_id] = ended

    # The signals carry an EngineControlSignal message; only its reason is used
    # (logged), so the handlers take the payload as is.
    @workflow.signal(name=PAUSE_SIGNAL)
    def pause(self, signal: Any = None) -> None:
        """Hold the run before its next task (the running one finishes)."""
        workflow.logger.info("paused: %s", _reason(signal))
        self._pause.set_paused(True)

    @workflow.signal(name=RESUME_SIGNAL)
    def resume(self, signal: Any = None) -> None:
        """Let a held run start its next task."""
        workflow.logger.info("resumed: %s", _reason(signal))
        self._pause.set_paused(False)

    @workflow.run
    async def run(self, arg: ExecuteServerlessWorkflowInput) -> Any:
        """Run the definition; return its output or fail with problem details."""
        return await self.run_params(EngineParams.from_message(arg))

    async def run_params(self, params: EngineParams) -> Any:
        """:meth:`run` on the input as read (subclasses keep and update ``params``)."""
        if params.paused and not self._pause.signalled:
            self._pause.paused = True
        hooks = self.hooks(params)
        try:
            output = await self._execute(params, hooks)
        except asyncio.CancelledError:
            await _quietly(hooks.observer.workflow_cancelled())
            raise
        except WorkflowError as error:
            await _quietly(hooks.observer.workflow_faulted(error))
            if hooks.completion is not None and params.completion_token is not None:
                await hooks.completion.faulted(params.completion_token, error)
            raise to_application_error(error) from None
        await _quietly(hooks.observer.workflow_completed(output))
        if hooks.completion is not None and params.completion_token is not None:
            await hooks.completion.completed(params.completion_token, output)
        return output

    async def _execute(self, params: EngineParams, hooks: EngineHooks) -> Any:
        meter = WorkMeter()
        try:
            document = await _parse(params.definition, meter)
            # Expressions are compiled below, paced: thousands take seconds.
            definition = checked_definition(params.definition, document)
        except DefinitionError as exc:
            raise _invalid_definition(exc) from None
        meter.charge(definition.task_count * DEFINITION_TASK_COST)
        resume = params.resume
        started_at = datetime.fromisoformat(resume.started_at) if resume else workflow.now()
        info = workflow.info()
        state = RunState(
            definition=definition,
            evaluator=ExpressionEvaluator(
                definition.mode, clock=lambda: workflow.now().timestamp(), meter=meter
            ),
            hooks=hooks,
            secrets=params.secrets or {},
            context={},
            workflow_descriptor={
                "id": params.execution_id or info.workflow_id,
                "definition": document,
                "input": params.input,
                "startedAt": datetime_descriptor(started_at),
            },
            runtime_descriptor={
                "name": RUNTIME_NAME,
                "version": RUNTIME_VERSION,
                "metadata": dict(hooks.runtime_metadata),
            },
            scope_runner=run_scope,
            inbox=self._inbox,
            agent_endings=self._agent_endings,
            pause_gate=self._pause,
            # Read before every task: the run's Info once, not looked up each time.
            history_length=info.get_current_history_length,
            continue_as_new_suggested=info.is_continue_as_new_suggested,
        )
        await _compile_expressions(state)
        raw = document
        try:
            if resume is None:
                await _quietly(hooks.observer.workflow_started(params.input))
                transformed = self._transform_input(state, raw, params.input)
                state.context = transformed
            else:
                transformed = resume.transformed_input
                state.context = resume.context
                self._inbox[:0] = resume.inbox
                for carried in resume.agent_endings:
                    ended = json_format.ParseDict(carried, AgentExecutionEndedSignal())
                    # A signal this run received already is the same ending.
                    self._agent_endings.setdefault(ended.agent_execution_id, ended)
            output = await self._run_body(state, raw, transformed, started_at, resume)
        except ContinueAsNewRequested as request:
            frames = list(reversed(request.frames))
            next_resume = Resume(
                frames=frames,
                context=state.context,
                started_at=started_at.isoformat(),
                transformed_input=resume.transformed_input if resume else transformed,
                generation=(resume.generation + 1) if resume else 1,
                inbox=[dict(event) for event in self._inbox],
                agent_endings=[
                    json_format.MessageToDict(ended) for ended in self._agent_endings.values()
                ],
            )
            workflow.continue_as_new(
                replace(params, resume=next_resume, paused=self._pause.paused).to_message()
            )
        except WorkflowError:
            raise
        except (asyncio.CancelledError, ApplicationError):
            raise
        except (workflow.NondeterminismError, RestrictedWorkflowAccessError):
            # Bugs Temporal must see as such: the workflow task fails and is
            # retried once a fixed worker is deployed, instead of the run failing.
            raise
        except Exception as exc:
            workflow.logger.exception("engine failure")
            raise WorkflowError.runtime(f"engine failure: {exc!r}", instance="/") from exc
        output_spec = raw.get("output") or {}
        args = {
            "context": state.context,
            "secrets": state.secrets,
            "workflow": state.workflow_descriptor,
            "runtime": state.runtime_descriptor,
        }
        if "as" in output_spec:
            output = state.evaluator.evaluate_field(
                output_spec["as"], output, args, where="/output/as"
            )
        validate(output, output_spec.get("schema"), where="/output/schema")
        return output

    @staticmethod
    def _transform_input(state: RunState, raw: Mapping[str, Any], raw_input: Any) -> Any:
        input_spec = raw.get("input") or {}
        validate(raw_input, input_spec.get("schema"), where="/input/schema")
        if "from" not in input_spec:
            return raw_input
        args = {
            "secrets": state.secrets,
            "workflow": state.workflow_descriptor,
            "runtime": state.runtime_descriptor,
        }
        return state.evaluator.evaluate_field(
            input_spec["from"], raw_input, args, where="/input/from"
        )

    async def _run_body(
        self,
        state: RunState,
        raw: Mapping[str, Any],
        transformed: Any,
        started_at: datetime,
        resume: Resume | None,
    ) -> Any:
        body = run_scope(
            state, state.definition.tasks, transformed, {}, resume=resume.frames if resume else None
        )
        try:
            if "timeout" not in raw:
                return await body
            after: timedelta = resolve_timeout(
                raw["timeout"],
                state.definition.use,
                # Evaluated like input.from, on the transformed input (also the
                # initial $context), so a continued-as-new run resolves the same.
                lambda source: state.evaluator.evaluate_expression(
                    source,
                    transformed,
                    {
                        "context": transformed,
                        "input": transformed,
                        "secrets": state.secrets,
                        "workflow": state.workflow_descriptor,
                        "runtime": state.runtime_descriptor,
                    },
                    where="/timeout/after",
                ),
                where="/timeout",
            )
            remaining = (started_at + after - workflow.now()).total_seconds()
            try:
                return await asyncio.wait_for(body, max(remaining, 0.001))
            except TimeoutError:
                raise WorkflowError.timeout(
                    f"workflow did not finish within {after}", instance="/"
                ) from None
        except EndWorkflow as end:
            return end.output


async def _parse(text: str, meter: WorkMeter) -> Mapping[str, Any]:
    """Parse the definition a slice at a time, yielding to Temporal between slices
    once the activation spent its budget (a large YAML document takes ~0.4 s)."""
    parse = DocumentParse(text)
    cost = DocumentParse.SLICE * (JSON_BYTE_COST if parse.is_json else DEFINITION_BYTE_COST)
    for _ in range(parse.slices):
        if meter.exhausted():
            await workflow.sleep(YIELD_DELAY)
            meter.yields += 1
            meter.reset()
        parse.step()
        meter.charge(cost)
    return parse.document()


def _reason(signal: Any) -> str:
    reason = getattr(signal, "reason", None)
    if reason is None and isinstance(signal, Mapping):
        reason = signal.get("reason")
    return str(reason or "no reason given")


async def _compile_expressions(state: RunState) -> None:
    """Compile the definition's expressions before any task runs, pacing between batches."""
    sites = state.definition.expressions
    for start in range(0, len(sites), BATCH_SIZE):
        await state.pace()
        batch = sites[start : start + BATCH_SIZE]
        try:
            compile_expressions(batch)
        except DefinitionError as exc:
            raise _invalid_definition(exc) from None
        state.meter.charge(len(batch) * DEFINITION_EXPRESSION_COST)


def _invalid_definition(error: DefinitionError) -> WorkflowError:
    return WorkflowError.configuration(
        str(error), title="Invalid Workflow Definition", instance="/"
    )


async def _quietly(call: Any) -> None:
    try:
        await call
    except Exception:
        workflow.logger.exception("execution observer failed")
