"""One task through the data flow, in dsl.md's order.

``if`` -> ``input.schema`` -> ``input.from`` -> run -> ``output.as`` ->
``output.schema`` -> ``export.as`` -> ``export.schema``. A skipped task (``if``
false) outputs its raw input and continues. Errors raised while a task runs
are stamped with the task's JSON pointer and reported to the observer once,
by the innermost task that saw them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from stigmer_dsl.durations import resolve_duration
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition
from stigmer_dsl.pacing import TASK_COST
from stigmer_dsl.schemas import validate
from temporalio import workflow

from workflow_runner.engine.checkpoint import ContinueAsNewRequested, Frame
from workflow_runner.engine.context import Directed, RunState, TaskContext
from workflow_runner.engine.tasks.registry import runner_for


async def run_task(
    state: RunState,
    task: TaskDefinition,
    raw_input: Any,
    variables: Mapping[str, Any],
    *,
    resume_frame: Frame | None = None,
    resume: list[Frame] | None = None,
) -> tuple[Any, str]:
    """Run one task; return its transformed output and the flow directive to follow.

    ``resume_frame`` (after a continue-as-new) holds the task's already
    computed inputs; ``resume`` the frames to resume inside it.
    """
    await state.pace(TASK_COST + state.hooks.observer_task_cost)
    ctx = TaskContext(
        state=state,
        task=task,
        variables=variables,
        raw_input=raw_input,
        started_at=state.clock(),
        resume=list(resume or []),
    )
    body = task.body
    ref = task.reference
    observer = state.hooks.observer
    if state.pause_gate.paused and resume_frame is None:
        # A paused run holds here, before the task starts (a resumed frame already had).
        await state.pause_gate.wait_open()
    try:
        if resume_frame is not None:
            ctx.raw_input = resume_frame["raw_input"]
            ctx.task_input = task_input = resume_frame["task_input"]
            raw = await _run_checkpointable(ctx, task, task_input)
        else:
            raw = await _start(ctx, task, raw_input)
            if raw is _SKIPPED:
                return raw_input, "continue"
        directive = body.get("then", "continue")
        if type(raw) is Directed:  # exact: Directed is final, and isinstance is slow here
            raw, directive = raw.output, raw.then
        ctx.raw_output = raw

        output_spec = body.get("output") or {}
        output = raw
        if "as" in output_spec:
            output = state.evaluator.evaluate_field(
                output_spec["as"], raw, ctx.arguments(), where=f"{ref}/output/as"
            )
        validate(output, output_spec.get("schema"), where=f"{ref}/output/schema")

        export_spec = body.get("export") or {}
        if "as" in export_spec:
            state.context = state.evaluator.evaluate_field(
                export_spec["as"],
                output,
                ctx.arguments(output=output, with_output=True),
                where=f"{ref}/export/as",
            )
            validate(state.context, export_spec.get("schema"), where=f"{ref}/export/schema")
    except WorkflowError as error:
        error.with_instance(ref)
        if not error.reported:
            # Report once, from the innermost task that saw the error.
            error.reported = True
            await _notify(observer.task_faulted(ref, task.name, task.kind, error))
        raise
    except asyncio.CancelledError:
        # A competing fork branch won, a timeout elapsed or the workflow was cancelled.
        await _notify(observer.task_cancelled(ref, task.name, task.kind))
        raise
    await _notify(observer.task_completed(ref, task.name, task.kind, output))
    return output, directive


_SKIPPED = object()


async def _start(ctx: TaskContext, task: TaskDefinition, raw_input: Any) -> Any:
    """``if`` -> ``input.schema`` -> ``input.from`` -> run; ``_SKIPPED`` if ``if`` is false."""
    state, body, ref = ctx.state, task.body, task.reference
    if "if" in body and not state.evaluator.evaluate_condition(
        body["if"], raw_input, ctx.arguments(with_input=False), where=f"{ref}/if"
    ):
        return _SKIPPED
    input_spec = body.get("input") or {}
    validate(raw_input, input_spec.get("schema"), where=f"{ref}/input/schema")
    task_input = raw_input
    if "from" in input_spec:
        task_input = state.evaluator.evaluate_field(
            input_spec["from"],
            raw_input,
            ctx.arguments(with_input=False),
            where=f"{ref}/input/from",
        )
    ctx.task_input = task_input
    await _notify(state.hooks.observer.task_started(ref, task.name, task.kind, task_input))
    return await _run_checkpointable(ctx, task, task_input)


async def _run_checkpointable(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    try:
        return await _run_with_timeout(ctx, task, task_input)
    except ContinueAsNewRequested as request:
        request.frames.append(
            {"kind": "task", "raw_input": ctx.raw_input, "task_input": task_input}
        )
        raise


async def _run_with_timeout(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    runner = runner_for(task)
    timeout = task.body.get("timeout")
    if timeout is None:
        return await runner(ctx, task, task_input)
    after = resolve_timeout(
        timeout,
        ctx.definition.use,
        lambda source: ctx.evaluate_expression(source, field_name="timeout/after"),
        where=f"{task.reference}/timeout",
    )
    try:
        # A checkpoint would restart the timer, so none happens under a timeout.
        with ctx.state.not_resumable():
            return await asyncio.wait_for(runner(ctx, task, task_input), after.total_seconds())
    except TimeoutError:
        raise WorkflowError.timeout(
            f"task {task.name!r} did not finish within {after}", instance=task.reference
        ) from None


def resolve_timeout(
    spec: Any, use: Mapping[str, Any], evaluate: Callable[[str], Any], *, where: str
) -> timedelta:
    """A ``timeout`` (inline ``{after: ...}`` or a name in ``use.timeouts``) as a timedelta.

    ``after`` may be a runtime expression; ``evaluate`` evaluates it in the
    scope of the task (or workflow) the timeout belongs to.
    """
    if isinstance(spec, str):
        timeouts = use.get("timeouts") or {}
        if spec not in timeouts:
            raise WorkflowError.configuration(f"{where}: no timeout named {spec!r} in use.timeouts")
        spec = timeouts[spec]
    return resolve_duration(spec.get("after"), evaluate, field_name=f"{where}/after")


async def _notify(call: Any) -> None:
    """Await an observer call; an observer failure never fails the execution."""
    try:
        await call
    except Exception:
        workflow.logger.exception("execution observer failed")
