"""``try``/``catch``: run subtasks; catch matching errors, retry them, or handle them.

On a fault inside ``try``:

1. ``catch.errors.with`` filters (type, status, instance, title, detail; a
   standard type matches across hosts and path shapes) must all match;
2. the error is bound as ``$<catch.as>`` (default ``$error``) and ``when`` must
   hold / ``exceptWhen`` must not (evaluated on the try task's input);
3. with a ``retry`` policy whose own when/exceptWhen and limits allow it, the
   engine waits the backoff delay on a durable timer and runs ``try`` again;
4. otherwise the error is caught: ``catch.do`` runs on the task input (with
   the error variable bound) and its output is the task's output; without
   ``catch.do`` the output is the task's input.

A non-matching error propagates unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError, types_match
from stigmer_dsl.model import TaskDefinition
from temporalio import workflow

from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.retry import RetryPolicy


def matches_filter(error: WorkflowError, with_: Mapping[str, Any]) -> bool:
    """Whether an error satisfies a ``catch.errors.with`` filter."""
    for key, expected in with_.items():
        if key == "type":
            if not types_match(str(expected), error.type):
                return False
        elif key == "status":
            if int(expected) != error.status:
                return False
        elif key == "details":
            # The DSL calls the filter field `details`; the problem-details
            # field (RFC 7807, and WorkflowError) is `detail`.
            if error.detail != expected:
                return False
        elif getattr(error, key, None) != expected:
            return False
    return True


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    # Retry counters and timers are not captured by checkpoints.
    with ctx.state.not_resumable():
        return await _run(ctx, task, task_input)


async def _run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    catch = task.body.get("catch") or {}
    filters = (catch.get("errors") or {}).get("with") or {}
    name = catch.get("as") or "error"
    policy = (
        RetryPolicy.parse(
            catch["retry"],
            ctx.definition.use.get("retries") or {},
            where=f"{task.reference}/catch/retry",
            evaluate=lambda source: ctx.evaluate_expression(source, field_name="catch/retry"),
        )
        if "retry" in catch
        else None
    )
    body = task.subtasks("try")
    started = ctx.now()
    retries = 0
    while True:
        try:
            if policy is not None and policy.attempt_timeout is not None:
                try:
                    return await asyncio.wait_for(
                        ctx.run_tasks(body, task_input), policy.attempt_timeout.total_seconds()
                    )
                except TimeoutError:
                    raise WorkflowError.timeout(
                        f"attempt exceeded {policy.attempt_timeout}", instance=task.reference
                    ) from None
            return await ctx.run_tasks(body, task_input)
        except WorkflowError as error:
            if not matches_filter(error, filters):
                raise
            scoped = ctx.with_variables(**{name: error.to_dict()})
            if "when" in catch and not scoped.evaluate_condition(
                catch["when"], task_input, field_name="catch/when"
            ):
                raise
            if "exceptWhen" in catch and scoped.evaluate_condition(
                catch["exceptWhen"], task_input, field_name="catch/exceptWhen"
            ):
                raise
            if policy is not None and _should_retry(scoped, policy, task_input):
                delay = policy.delay_before(retries + 1)
                if policy.allows(retries + 1, ctx.now() - started, delay):
                    retries += 1
                    if delay.total_seconds() > 0:
                        await workflow.sleep(delay)
                    continue
            if "do" in catch:
                return await scoped.run_tasks(task.subtasks("catch", "do"), task_input)
            return task_input


def _should_retry(ctx: TaskContext, policy: RetryPolicy, task_input: Any) -> bool:
    if policy.when is not None and not ctx.evaluate_condition(
        policy.when, task_input, field_name="catch/retry/when"
    ):
        return False
    return policy.except_when is None or not ctx.evaluate_condition(
        policy.except_when, task_input, field_name="catch/retry/exceptWhen"
    )
