"""``run: workflow``: run a cataloged workflow as a Temporal child workflow.

The reference ``{namespace, name, version}`` is resolved by the worker's
catalog in an activity (:mod:`workflow_runner.catalog.activities`); the child is
``ExecuteServerlessWorkflow`` on this worker's queue with the resolved text.
On the platform the reference resolves in the execution's org (its grant's),
and the child carries the grant (its secrets are the execution's).
Input: ``run.workflow.input`` evaluated against the task input (the task input
itself when absent). Output: the child's output, or with ``await: false`` the
task's transformed input (dsl-reference "Run"), the child then outliving this
execution (parent close policy ABANDON).

Nesting is bounded: each child carries its depth in its memo, and a run deeper
than ``max_depth`` (memo, default 8) faults with a configuration error instead
of recursing until Temporal's limits hit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import RESOLVE_WORKFLOW
from temporalio.exceptions import ChildWorkflowError

from workflow_runner.engine.context import DEFAULT_ACTIVITY_TIMEOUT, TaskContext
from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.wiring.settings import RunSettings


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    run_spec = task.body["run"]
    spec = run_spec.get("workflow")
    if not isinstance(spec, dict):
        raise WorkflowError.configuration("run.workflow must be an object", instance=task.reference)
    reference = {}
    for key in ("namespace", "name", "version"):
        value = ctx.evaluate(spec.get(key, "latest" if key == "version" else None), task_input)
        if not isinstance(value, str) or not value:
            raise WorkflowError.configuration(
                f"run.workflow.{key} is required (a non-empty string)", instance=task.reference
            )
        reference[key] = value
    child_input = ctx.evaluate(spec["input"], task_input) if "input" in spec else task_input
    settings = RunSettings.current()
    if settings.depth + 1 > settings.max_depth:
        raise WorkflowError.configuration(
            f"run.workflow {reference['namespace']}/{reference['name']}:{reference['version']} "
            f"would nest workflows {settings.depth + 1} deep; the limit is {settings.max_depth} "
            "(recursive workflow?)",
            instance=task.reference,
        )
    grant = ctx.state.hooks.execution_grant
    resolved = await ctx.execute_activity(
        RESOLVE_WORKFLOW.name,
        # On the platform, looked up in the execution's org only (from its grant).
        engine_contract.ResolveWorkflowInput(**reference, org=grant.org if grant else ""),
        start_to_close_timeout=RESOLVE_WORKFLOW.start_to_close_timeout or DEFAULT_ACTIVITY_TIMEOUT,
        retry_policy=RESOLVE_WORKFLOW.retry_policy.to_temporal()
        if RESOLVE_WORKFLOW.retry_policy
        else None,
        result_type=engine_contract.ResolveWorkflowOutput,
    )
    definition = resolved.definition
    info = workflow.info()
    awaited = run_spec.get("await", True) is not False
    child_settings = replace(settings, depth=settings.depth + 1)
    handle = await workflow.start_child_workflow(
        WORKFLOW_TYPE,
        # The child's secrets are the execution's: it presents the same grant.
        engine_input(definition=definition, input=child_input, grant=grant),
        id=f"{info.workflow_id}{task.reference}/{workflow.uuid4().hex[:12]}",
        task_queue=info.task_queue,
        memo=child_settings.memo(),
        parent_close_policy=(
            workflow.ParentClosePolicy.TERMINATE if awaited else workflow.ParentClosePolicy.ABANDON
        ),
    )
    if not awaited:
        return task_input
    try:
        return await handle
    except ChildWorkflowError as exc:
        raise error_from_failure(exc, instance=task.reference) from None
