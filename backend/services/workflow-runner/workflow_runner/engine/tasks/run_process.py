"""What ``run: shell`` and ``run: script`` share: ``await``, ``return``, argv, env, stdin."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities.process_models import RETURN_MODES
from workflow_runner.engine.context import TaskContext

#: The activity kills the process after PROCESS_TIMEOUT_SECONDS; the activity
#: timeout leaves it room to report that as a `timeout` error itself.
PROCESS_TIMEOUT_SECONDS: Final = 600.0
PROCESS_ACTIVITY_TIMEOUT: Final = timedelta(seconds=PROCESS_TIMEOUT_SECONDS + 60)
#: The activity heartbeats every 2 s while the process runs; the SDK sends at most
#: one per 80% of this, so a cancelled task's process is killed within ~8 s and a
#: lost worker is noticed within 10 s.
PROCESS_HEARTBEAT_TIMEOUT: Final = timedelta(seconds=10)


@dataclass(frozen=True)
class ProcessOptions:
    """The evaluated process fields common to shell and script."""

    arguments: list[str]
    environment: dict[str, str]
    stdin: str | None
    return_mode: str
    await_completion: bool


def _text(value: Any) -> str:
    """A process argument/env value/stdin as text (JSON for structured values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def run_block(task: TaskDefinition) -> Mapping[str, Any]:
    """The task's ``run`` mapping."""
    block = task.body.get("run")
    if not isinstance(block, Mapping):
        raise WorkflowError.configuration(f"task {task.name!r}: 'run' must be an object")
    return block


def process_options(ctx: TaskContext, task: TaskDefinition, process: str) -> ProcessOptions:
    """Evaluate ``arguments``, ``environment``, ``stdin`` of ``run.<process>``
    and the ``await``/``return`` of ``run``.

    Raises:
        WorkflowError: ``configuration`` naming a field of the wrong shape.
    """
    block = run_block(task)
    spec = block.get(process)
    if not isinstance(spec, Mapping):
        raise WorkflowError.configuration(f"run.{process} must be an object")
    values = ctx.evaluate(
        {k: spec.get(k) for k in ("arguments", "environment", "stdin")},
        field_name=f"run/{process}",
    )
    arguments = values.get("arguments") or []
    if not isinstance(arguments, list):
        raise WorkflowError.configuration(f"run.{process}.arguments must be a list")
    environment = values.get("environment") or {}
    if not isinstance(environment, Mapping):
        raise WorkflowError.configuration(f"run.{process}.environment must be an object")
    return_mode = block.get("return", "stdout")
    if return_mode not in RETURN_MODES:
        raise WorkflowError.configuration(
            f"run.return must be one of {', '.join(RETURN_MODES)}, got {return_mode!r}"
        )
    await_completion = block.get("await", True)
    if not isinstance(await_completion, bool):
        raise WorkflowError.configuration("run.await must be a boolean")
    stdin = values.get("stdin")
    return ProcessOptions(
        arguments=[_text(a) for a in arguments],
        environment={str(k): _text(v) for k, v in environment.items()},
        stdin=None if stdin is None else _text(stdin),
        return_mode=str(return_mode),
        await_completion=await_completion,
    )
