"""``run: shell``: the command runs as ``/bin/sh -c`` in an activity on the worker.

With ``await: false`` the process is started and the task outputs its
(transformed) input, as the spec says.
"""

from __future__ import annotations

from typing import Any

from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities import names
from workflow_runner.activities.process_models import ProcessOutput, RunShellInput
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.call_arguments import string_field
from workflow_runner.engine.tasks.run_process import (
    PROCESS_ACTIVITY_TIMEOUT,
    PROCESS_HEARTBEAT_TIMEOUT,
    PROCESS_TIMEOUT_SECONDS,
    process_options,
    run_block,
)


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    options = process_options(ctx, task, "shell")
    command = ctx.evaluate(run_block(task)["shell"].get("command"), field_name="run/shell/command")
    result: ProcessOutput = await ctx.execute_activity(
        names.RUN_SHELL,
        RunShellInput(
            command=string_field(command, "run.shell.command"),
            arguments=options.arguments,
            environment=options.environment,
            stdin=options.stdin,
            return_mode=options.return_mode,
            await_completion=options.await_completion,
            timeout_seconds=PROCESS_TIMEOUT_SECONDS,
        ),
        start_to_close_timeout=PROCESS_ACTIVITY_TIMEOUT,
        heartbeat_timeout=PROCESS_HEARTBEAT_TIMEOUT,
        result_type=ProcessOutput,
    )
    return result.value if options.await_completion else task_input
