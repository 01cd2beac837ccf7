"""Extension points the engine calls from workflow code: observer and event bus.

Both are called *inside* the Temporal workflow, so implementations must follow
workflow rules: no I/O, clock, randomness or environment access directly; do
I/O through activities (``workflow.execute_activity``) or local activities.
Defaults do nothing, so the engine runs standalone.

To install real implementations, subclass the workflow and override
:meth:`~workflow_runner.engine.workflow.ExecuteServerlessWorkflow.hooks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from stigmer_dsl.errors import WorkflowError

if TYPE_CHECKING:
    from stigmer.commons.v1.secret_pb2 import ExecutionGrant


class ExecutionObserver(Protocol):
    """Hears about the workflow's and each task's lifecycle (progress reporting).

    A failure inside an observer must not fail the execution: the engine logs
    and ignores exceptions raised here.
    """

    async def workflow_started(self, workflow_input: Any) -> None: ...

    async def workflow_completed(self, output: Any) -> None: ...

    async def workflow_faulted(self, error: WorkflowError) -> None: ...

    async def workflow_cancelled(self) -> None: ...

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None: ...

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None: ...

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None: ...

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None: ...


class NoopObserver:
    """The default observer: ignores everything."""

    async def workflow_started(self, workflow_input: Any) -> None:
        return None

    async def workflow_completed(self, output: Any) -> None:
        return None

    async def workflow_faulted(self, error: WorkflowError) -> None:
        return None

    async def workflow_cancelled(self) -> None:
        return None

    async def task_started(self, reference: str, name: str, kind: str, task_input: Any) -> None:
        return None

    async def task_completed(self, reference: str, name: str, kind: str, output: Any) -> None:
        return None

    async def task_faulted(
        self, reference: str, name: str, kind: str, error: WorkflowError
    ) -> None:
        return None

    async def task_cancelled(self, reference: str, name: str, kind: str) -> None:
        return None


class EventBus(Protocol):
    """Publishes emitted CloudEvents and (un)subscribes listen filters.

    Incoming events are always delivered to the workflow as the ``cloudevent``
    signal; ``subscribe`` only tells the delivery side which events this
    execution waits for, so it can route them.
    """

    async def publish(self, event: Mapping[str, Any]) -> None: ...

    async def subscribe(self, reference: str, filters: Sequence[Mapping[str, Any]]) -> None: ...

    async def unsubscribe(self, reference: str) -> None: ...


class InMemoryEventBus:
    """The default bus: keeps published events in memory (visible to queries/tests)."""

    def __init__(self) -> None:
        self.published: list[Mapping[str, Any]] = []
        self.subscriptions: dict[str, Sequence[Mapping[str, Any]]] = {}

    async def publish(self, event: Mapping[str, Any]) -> None:
        self.published.append(event)

    async def subscribe(self, reference: str, filters: Sequence[Mapping[str, Any]]) -> None:
        self.subscriptions[reference] = filters

    async def unsubscribe(self, reference: str) -> None:
        self.subscriptions.pop(reference, None)


class CompletionHook(Protocol):
    """Called once at the end with the completion token (the future bridge)."""

    async def completed(self, token: bytes, output: Any) -> None: ...

    async def faulted(self, token: bytes, error: WorkflowError) -> None: ...


@dataclass
class EngineHooks:
    """What a workflow run plugs into the engine.

    Attributes:
        observer: lifecycle/progress observer.
        event_bus: emit/listen plumbing.
        completion: called with ``EngineParams.completion_token`` when one is given.
        runtime_metadata: exposed as ``$runtime.metadata``.
        execution_grant: the platform execution's grant, handed to `run: workflow`
            children (their secrets are the execution's) and whose org bounds
            the catalog lookup; None outside the platform.
        observer_task_cost: work units (see ``stigmer_dsl.pacing``) the observer
            spends per task beyond what ``TASK_COST`` assumes, charged with each
            task so a costly observer (platform progress) keeps activations bounded.
    """

    observer: ExecutionObserver = field(default_factory=NoopObserver)
    event_bus: EventBus = field(default_factory=InMemoryEventBus)
    completion: CompletionHook | None = None
    runtime_metadata: Mapping[str, Any] = field(default_factory=dict)
    observer_task_cost: int = 0
    execution_grant: ExecutionGrant | None = None
