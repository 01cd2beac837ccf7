"""``run: script``: Python or JavaScript (node) code, inline or from ``source``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities import names
from workflow_runner.activities.process_models import ProcessOutput, RunScriptInput
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.call_arguments import endpoint, string_field
from workflow_runner.engine.tasks.run_process import (
    PROCESS_ACTIVITY_TIMEOUT,
    PROCESS_HEARTBEAT_TIMEOUT,
    PROCESS_TIMEOUT_SECONDS,
    process_options,
    run_block,
)

LANGUAGES = ("python", "js", "javascript")


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    options = process_options(ctx, task, "script")
    spec = run_block(task)["script"]
    language = spec.get("language")
    if language not in LANGUAGES:
        raise WorkflowError.configuration(
            f"run.script.language must be one of {', '.join(LANGUAGES)}, got {language!r}"
        )
    code = spec.get("code")
    source = spec.get("source")
    if (code is None) == (source is None):
        raise WorkflowError.configuration("run.script needs exactly one of 'code' and 'source'")
    source_uri: str | None = None
    if source is not None:
        if not isinstance(source, Mapping):
            raise WorkflowError.configuration("run.script.source must be an external resource")
        source_uri, _ = endpoint(
            ctx, source.get("endpoint"), field_name="run.script.source.endpoint", templated=False
        )
    result: ProcessOutput = await ctx.execute_activity(
        names.RUN_SCRIPT,
        RunScriptInput(
            language=language,
            # Code is program text, not a runtime expression: never evaluated.
            code=None if code is None else string_field(code, "run.script.code"),
            source_uri=source_uri,
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
