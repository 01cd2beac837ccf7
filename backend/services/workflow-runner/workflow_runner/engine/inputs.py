"""The engine workflow's input: what to run, and where a continued run picks up.

Its own module so that task runners starting child runs (`run: workflow`)
import it without importing the workflow that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Resume:
    """Where a continued-as-new run picks up (see :mod:`.checkpoint`).

    Kept to plain JSON values so it crosses Temporal's JSON converter as is.
    """

    frames: list[dict[str, Any]]
    context: Any
    started_at: str
    transformed_input: Any
    generation: int = 1
    #: CloudEvents received and not consumed yet, carried to the next run.
    inbox: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EngineInput:
    """Input of ``ExecuteServerlessWorkflow``.

    Attributes:
        definition: the workflow definition, YAML or JSON text.
        input: the workflow's raw input (JSON value).
        secrets: ``$secrets`` (resolved by the caller; the engine does no lookups).
        completion_token: async-activity token of the caller, handed to the
            completion hook when the run ends (the ExecuteWorkflow bridge).
        execution_id: id exposed as ``$workflow.id`` (default: the Temporal workflow id).
        resume: set by the engine itself when it continues as new.
        paused: start held (a pause requested before the run started); the
            pause and resume signals override it.
    """

    definition: str
    input: Any = None
    secrets: dict[str, Any] | None = None
    completion_token: bytes | None = None
    execution_id: str | None = None
    resume: Resume | None = None
    runtime_metadata: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
