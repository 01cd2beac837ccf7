"""One workflow run, on the platform or on the bare engine, as one comparable value.

The platform run is what a user does: apply the DSL document as a Workflow over
gRPC, create an execution with the input, follow ``Subscribe`` to the terminal
phase, and read the final output or error from the execution. The engine run is
the ``dsl`` path: the same definition text on the engine workflow of this repo on
the same dev server (``EngineHarness``). Both become an :class:`Outcome`; equal
outcomes mean the platform behaves like ``dsl`` for that document.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from e2e_platform import Platform
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_cli.api import StigmerClient
from stigmer_common.json_values import from_struct
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_dsl.loader import parse_document
from tests.engine.harness import EngineHarness

#: Generous: a busy 2-core machine runs several suites at once.
RUN_TIMEOUT = 180.0


@dataclass
class Outcome:
    """How a run ended: the output, or the problem type and its fields as text."""

    completed: bool
    output: Any = None
    error_type: str = ""
    # Problem-details fields as the platform stores them (strings; others as JSON text).
    error: dict[str, str] = field(default_factory=dict)
    # Task names in the order they started.
    tasks: list[str] = field(default_factory=list)

    def comparable(self) -> dict[str, Any]:
        """The outcome without what legitimately differs between two runs."""
        return {
            "completed": self.completed,
            # As JSON text: 5 and 5.0 (or 1 and true) are equal in Python, not in the output.
            "output": json.dumps(_stable(self.output), sort_keys=True),
            "error_type": self.error_type,
            "error": self.error,
            "tasks": self.tasks,
        }

    def problem(self) -> dict[str, Any]:
        """The problem details again as JSON values (the CTK's `fault with error`)."""
        problem: dict[str, Any] = {}
        for key, text in self.error.items():
            try:
                problem[key] = json.loads(text) if key in _JSON_FIELDS else text
            except ValueError:
                problem[key] = text
        return problem


#: Problem fields that are not text (stored as JSON text by the platform).
_JSON_FIELDS = frozenset({"status", "errors", "input"})
#: Fields of a CloudEvent (the output of `emit`) that are new on every run.
_EVENT_VOLATILE = ("id", "time")
#: HTTP response headers that change with the clock.
_HEADER_VOLATILE = frozenset({"date"})


def _stable(value: Any) -> Any:
    if isinstance(value, list):
        return [_stable(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    result = {key: _stable(item) for key, item in value.items()}
    if "specversion" in result:
        for key in _EVENT_VOLATILE:
            result.pop(key, None)
    headers = result.get("headers")
    if isinstance(headers, Mapping):
        result["headers"] = {
            k: v for k, v in headers.items() if str(k).lower() not in _HEADER_VOLATILE
        }
    return result


def problem_as_text(problem: Mapping[str, Any]) -> dict[str, str]:
    """Problem details the way the platform keeps them (ExecutionError.details)."""
    return {
        str(k): v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
        for k, v in problem.items()
    }


async def run_on_engine(harness: EngineHarness, definition: str, workflow_input: Any) -> Outcome:
    result = await asyncio.wait_for(harness.run(definition, workflow_input), RUN_TIMEOUT)
    if result.error is not None:
        error = problem_as_text(result.error)
        return Outcome(
            False, error_type=error.get("type", ""), error=error, tasks=result.started_tasks()
        )
    return Outcome(True, output=result.output, tasks=result.started_tasks())


async def run_on_platform(
    platform: Platform, definition: str, workflow_input: Mapping[str, Any]
) -> Outcome:
    """Apply ``definition`` over gRPC, run it with ``workflow_input``, follow it to the end."""
    workflow, _ = workflow_from_dsl(parse_document(definition))
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        execution = await client.start_execution(applied, dict(workflow_input))
        last = execution
        async with asyncio.timeout(RUN_TIMEOUT):
            async for update in client.subscribe(execution.metadata.id):
                last = update
    return platform_outcome(last)


def platform_outcome(execution: execution_api.WorkflowExecution) -> Outcome:
    status = execution.status
    tasks = [task.name for task in status.tasks]
    if status.phase == phase_pb2.COMPLETED:
        output = from_struct(status.output) if status.HasField("output") else None
        return Outcome(True, output=output, tasks=tasks)
    if status.phase == phase_pb2.FAILED:
        return Outcome(
            False, error_type=status.error.code, error=dict(status.error.details), tasks=tasks
        )
    phase = phase_pb2.ExecutionPhase.Name(status.phase)
    raise AssertionError(f"execution ended in {phase}, not COMPLETED or FAILED: {status.error}")
