"""The loaded workflow: the parsed definition plus task entries with their JSON pointers.

Definitions stay plain JSON-like mappings (the DSL is a JSON document and
``$workflow.definition``/``$task.definition`` expose it as such); this module
adds only what the interpreter needs on top: each task's name, its JSON
pointer ``reference`` (``/do/0/tryGetPet/try/0/getPet``) and its kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from stigmer_dsl.expressions import EvaluationMode

#: Task kinds that are identified by their own key. Order matters: `for` and
#: `try` tasks also hold a `do` list, so they are tested before `do`.
_KIND_KEYS: Final = (
    "for",
    "try",
    "fork",
    "call",
    "run",
    "emit",
    "listen",
    "raise",
    "set",
    "switch",
    "wait",
    "do",
)

#: `call:` values with a built-in protocol; any other string names a function.
CALL_PROTOCOLS: Final = frozenset(
    # `activity` and `agent` are Stigmer extensions (tasks/call_activity.py, call_agent.py).
    {"http", "grpc", "openapi", "asyncapi", "a2a", "mcp", "activity", "agent"}
)

#: `run:` process kinds.
RUN_PROCESSES: Final = ("container", "script", "shell", "workflow")


@dataclass(frozen=True)
class TaskDefinition:
    """One named task of a task list.

    Attributes:
        name: the task's name (key of its list item).
        reference: JSON pointer of the task in the workflow document.
        body: the task's definition (the value under its name).
    """

    name: str
    reference: str
    body: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """Dispatch key: ``set``, ``do``, ``call:http``, ``call:function``, ``run:shell``..."""
        return task_kind(self.body)

    def subtasks(self, *path: str | int) -> list[TaskDefinition]:
        """The task list found under ``path`` in this task (e.g. ``"try"``, ``"catch", "do"``)."""
        node: Any = self.body
        for key in path:
            node = node[key]  # the loader checked the shape
        pointer = self.reference + "".join(f"/{p}" for p in path)
        return task_list(node, pointer)


def task_kind(body: Mapping[str, Any]) -> str:
    """The dispatch key of a task body (see :attr:`TaskDefinition.kind`)."""
    for key in _KIND_KEYS:
        if key in body:
            if key == "call":
                target = body["call"]
                protocol = target if target in CALL_PROTOCOLS else "function"
                return f"call:{protocol}"
            if key == "run":
                run = body["run"]
                if isinstance(run, Mapping):
                    for process in RUN_PROCESSES:
                        if process in run:
                            return f"run:{process}"
                return "run:unknown"
            return key
    return "unknown"


def task_list(items: Sequence[Mapping[str, Any]], pointer: str) -> list[TaskDefinition]:
    """Turn a DSL task list (``[{name: task}, ...]``) into task definitions."""
    tasks: list[TaskDefinition] = []
    for index, item in enumerate(items):
        ((name, body),) = item.items()
        tasks.append(TaskDefinition(name=name, reference=f"{pointer}/{index}/{name}", body=body))
    return tasks


@dataclass(frozen=True)
class ExpressionSite:
    """One expression of a document: its text, the variables in scope, and where it is."""

    source: str
    scope: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class WorkflowDefinition:
    """A validated workflow document.

    Attributes:
        raw: the parsed document (what ``$workflow.definition`` exposes).
        tasks: the top-level ``do`` list.
        mode: ``evaluate.mode``.
    """

    raw: Mapping[str, Any]
    tasks: list[TaskDefinition] = field(default_factory=list)
    mode: EvaluationMode = EvaluationMode.STRICT
    #: Every expression of the document, as the loader found it (see
    #: :func:`~stigmer_dsl.loader.compile_expressions`).
    expressions: tuple[ExpressionSite, ...] = ()
    #: How many tasks the document holds, at any depth (a size measure).
    task_count: int = 0

    @property
    def document(self) -> Mapping[str, Any]:
        return self.raw["document"]  # type: ignore[no-any-return]

    @property
    def use(self) -> Mapping[str, Any]:
        """Reusable components (``use:``), empty when absent."""
        return self.raw.get("use") or {}
