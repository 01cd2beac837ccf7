"""The Temporal names of the DSL engine, kept in one place.

These will move to the generated contract module (apis/) once it exists; until
then nothing else in the code base spells them out.
"""

from __future__ import annotations

from typing import Final

#: Workflow type of the DSL interpreter.
WORKFLOW_TYPE: Final = "ExecuteServerlessWorkflow"

#: Task queue the engine's worker polls.
TASK_QUEUE: Final = "zigflow_execution"

#: Signal that delivers one CloudEvent (a JSON object) to a running workflow.
CLOUDEVENT_SIGNAL: Final = "cloudevent"
