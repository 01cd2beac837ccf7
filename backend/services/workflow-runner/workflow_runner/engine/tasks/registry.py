"""The dispatch table: task kind -> runner. Unknown kinds fail loudly.

Kinds are what :attr:`~stigmer_dsl.model.TaskDefinition.kind`
returns: ``set``, ``do``, ``call:http``, ``call:function``, ``run:shell``...
To add a task type, write ``tasks/<kind>.py`` with an
``async def run(ctx, task, task_input) -> Any`` (see
:mod:`workflow_runner.engine.context`) and add one line to :data:`RUNNERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks import (
    call_activity,
    call_agent,
    call_grpc,
    call_http,
    call_openapi,
    do,
    emit,
    fork,
    listen,
    not_available,
    raise_,
    run_container,
    run_script,
    run_shell,
    run_workflow,
    set_,
    switch,
    try_,
    wait,
)
from workflow_runner.engine.tasks import for_ as for_task

TaskRunner = Callable[[TaskContext, TaskDefinition, Any], Awaitable[Any]]

RUNNERS: Final[Mapping[str, TaskRunner]] = {
    "do": do.run,
    "set": set_.run,
    "switch": switch.run,
    "for": for_task.run,
    "fork": fork.run,
    "try": try_.run,
    "raise": raise_.run,
    "wait": wait.run,
    "emit": emit.run,
    "listen": listen.run,
    # I/O tasks: thin runners calling the activities of workflow_runner.activities.
    "call:http": call_http.run,
    "call:grpc": call_grpc.run,
    "call:openapi": call_openapi.run,
    "call:activity": call_activity.run,
    "call:agent": call_agent.run,
    "run:shell": run_shell.run,
    "run:script": run_script.run,
    "run:container": run_container.run,
    # Owned by other modules still being written (I/O tasks, events, sub-workflows):
    # each fails with a clear `configuration` error until its runner lands.
    "call:asyncapi": not_available.run,
    "call:a2a": not_available.run,
    "call:mcp": not_available.run,
    "call:function": not_available.run,
    "run:workflow": run_workflow.run,
}


def runner_for(task: TaskDefinition) -> TaskRunner:
    """The runner of a task's kind.

    Raises:
        WorkflowError: a ``configuration`` error naming the task and its kind.
    """
    kind = task.kind
    runner = RUNNERS.get(kind)
    if runner is None:
        raise WorkflowError.configuration(
            f"task {task.name!r} has an unsupported kind {kind!r}", instance=task.reference
        )
    return runner
