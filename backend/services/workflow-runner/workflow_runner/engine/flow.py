"""Running a task list (a scope) and following flow directives.

``then`` may be ``continue`` (next task in declaration order), ``exit`` (leave
this scope; its output is the current task's output), ``end`` (end the whole
workflow gracefully from any depth) or the name of a task in the same scope,
before or after the current one. The loader checked that named targets exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.checkpoint import ContinueAsNewRequested, Frame
from workflow_runner.engine.context import RunState
from workflow_runner.engine.dataflow import run_task


class EndWorkflow(Exception):
    """Raised by ``then: end``; carries the output that becomes the workflow's raw output."""

    def __init__(self, output: Any) -> None:
        super().__init__("end")
        self.output = output


async def run_scope(
    state: RunState,
    tasks: Sequence[TaskDefinition],
    scope_input: Any,
    variables: Mapping[str, Any],
    *,
    resume: list[Frame] | None = None,
) -> Any:
    """Run ``tasks`` in flow order from the first; return the last transformed output.

    With ``resume`` (after a continue-as-new), start at the task its first frame
    names, inside that task at the following frames.
    """
    positions = {task.name: index for index, task in enumerate(tasks)}
    data = scope_input
    index = 0
    frame: Frame | None = None
    if resume:
        frame, resume = resume[0], resume[1:]
        index = frame["index"]
    while index < len(tasks):
        task = tasks[index]
        try:
            data, directive = await run_task(
                state, task, data, variables, resume_frame=frame, resume=resume or []
            )
        except ContinueAsNewRequested as request:
            request.frames[-1]["index"] = index
            raise
        frame, resume = None, None
        if directive == "continue":
            index += 1
        elif directive == "exit":
            break
        elif directive == "end":
            raise EndWorkflow(data)
        elif directive in positions:
            index = positions[directive]
        else:
            # The loader checks targets; this guards a branch of a fork naming
            # a sibling branch (each branch is a scope of its own).
            raise WorkflowError.configuration(
                f"then: {directive!r} is not a task of this scope", instance=task.reference
            )
    return data
