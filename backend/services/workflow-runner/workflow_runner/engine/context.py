"""What a task runner sees: :class:`TaskContext` (one per task execution).

The task-runner interface, for everyone adding a task type::

    async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any

* ``task`` is the task's definition (``task.body`` is the mapping under its
  name, ``task.reference`` its JSON pointer such as ``/do/0/getPet``).
* ``task_input`` is the *transformed* task input (after ``if``,
  ``input.schema`` and ``input.from``); it is also ``$input``.
* Return the task's *raw* output. The engine then applies ``output.as``,
  ``output.schema``, ``export.as`` and ``export.schema``, calls the observer,
  and follows ``then``. A runner that chooses the next task (``switch``)
  returns :class:`Directed`.
* Fail by raising :class:`~stigmer_dsl.errors.WorkflowError`. The
  engine stamps ``instance`` with ``task.reference`` when it is unset.
* Never do I/O, read the clock/env or use randomness in a runner: this is
  Temporal workflow code. Do I/O in an activity through
  :meth:`TaskContext.execute_activity`, which sets timeouts/retries and turns
  the activity's ``ApplicationError`` (see :mod:`.errors` for the contract)
  back into a ``WorkflowError`` pointing at this task.
* Evaluate the task's own fields with :meth:`TaskContext.evaluate` (values with
  ``${ }`` inside, e.g. ``with:``) or :meth:`TaskContext.evaluate_expression`
  (fields that are always expressions); both bind ``$context``, ``$input``,
  ``$secrets``, ``$task``, ``$workflow``, ``$runtime``, ``$authorization`` and
  the scope's variables (``$item``, ``$index``, ``$error``...).
* Register the runner in :mod:`.tasks.registry` under its kind
  (``call:http``, ``run:shell``...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from stigmer_dsl.expressions import ExpressionEvaluator
from stigmer_dsl.model import TaskDefinition, WorkflowDefinition
from stigmer_dsl.pacing import YIELD_DELAY, WorkMeter
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError

from workflow_runner.engine.checkpoint import Frame
from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.hooks import EngineHooks
from workflow_runner.engine.pause import PauseGate

#: Activity timeout used when a runner does not give one.
DEFAULT_ACTIVITY_TIMEOUT = timedelta(minutes=5)

#: Temporal-level retries only cover infrastructure hiccups (a worker dying
#: mid-activity); errors a workflow author can see are non-retryable
#: ApplicationErrors and are retried, if at all, by the DSL's try/catch/retry.
DEFAULT_ACTIVITY_RETRY = RetryPolicy(maximum_attempts=3)


@dataclass(frozen=True)
class Directed:
    """A raw task output plus the flow directive the task chose (``switch``)."""

    output: Any
    then: str


def datetime_descriptor(moment: datetime) -> dict[str, Any]:
    """The DSL's dateTimeDescriptor for a timezone-aware datetime."""
    millis = int(moment.timestamp() * 1000)
    return {
        "iso8601": moment.isoformat().replace("+00:00", "Z"),
        "epoch": {"seconds": millis // 1000, "milliseconds": millis},
    }


class ScopeRunner(Protocol):
    """Runs ``tasks`` in flow order; their last transformed output (``flow.run_scope``)."""

    def __call__(
        self,
        state: RunState,
        tasks: Sequence[TaskDefinition],
        scope_input: Any,
        variables: Mapping[str, Any],
        *,
        resume: list[Frame] | None = None,
    ) -> Awaitable[Any]: ...


#: ``$task`` before anything read it (see :class:`_Arguments`).
_TASK_PENDING: Any = object()


class _Arguments(Mapping[str, Any]):
    """Expression arguments whose ``$task`` is built when first read.

    Most expressions never mention ``$task``, and building it (timestamps, the
    descriptor) cost more than evaluating them. Every read goes through
    ``__getitem__``, so copies (``dict(args)``) see the built value.
    """

    __slots__ = ("_task", "_values")

    def __init__(self, values: dict[str, Any], task: Callable[[], Any]) -> None:
        self._values = values
        self._task = task

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        if value is _TASK_PENDING:
            value = self._values[key] = self._task()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values


@dataclass
class RunState:
    """State shared by every task of one workflow run.

    Attributes:
        definition: the loaded workflow.
        evaluator: expression evaluator (mode + deterministic clock).
        hooks: observer, event bus, completion hook.
        secrets: ``$secrets``.
        context: ``$context``; replaced by ``export.as``.
        workflow_descriptor: ``$workflow``.
        runtime_descriptor: ``$runtime``.
        inbox: CloudEvents received by signal and not yet consumed by a ``listen``.
        scope_runner: runs a nested task list (``do``, ``for``, ``try``...).
    """

    definition: WorkflowDefinition
    evaluator: ExpressionEvaluator
    hooks: EngineHooks
    secrets: Mapping[str, Any]
    context: Any
    workflow_descriptor: Mapping[str, Any]
    runtime_descriptor: Mapping[str, Any]
    #: Runs a nested task list (``flow.run_scope``), injected by the workflow:
    #: the flow imports this module, so this module cannot import it back.
    scope_runner: ScopeRunner
    inbox: list[Mapping[str, Any]] = field(default_factory=list)
    #: AgentExecution id -> how it ended (the agent-execution-ended signal's
    #: message), for the `call: agent` tasks waiting on them.
    agent_endings: dict[str, Any] = field(default_factory=dict)
    #: Held closed by the pause signal; every task start waits for it (see pause.py).
    pause_gate: PauseGate = field(default_factory=PauseGate)
    #: The run's clock: ``workflow.now`` in a workflow; injectable so the data
    #: flow can be unit-tested without a Temporal worker.
    clock: Callable[[], datetime] = workflow.now
    #: Whether Temporal suggests continuing as new (injectable like ``clock``).
    continue_as_new_suggested: Callable[[], bool] = field(
        default=lambda: workflow.info().is_continue_as_new_suggested()
    )
    #: Current history length (injectable like ``clock``); it changes only when
    #: the workflow has yielded to Temporal (awaited an activity, timer...).
    history_length: Callable[[], int] = field(
        default=lambda: workflow.info().get_current_history_length()
    )
    #: Yields to Temporal (a short durable timer); injectable like ``clock``.
    yield_to_temporal: Callable[[], Awaitable[None]] = field(
        default=lambda: workflow.sleep(YIELD_DELAY)
    )
    #: >0 while a construct whose state cannot be resumed runs (see checkpoint.py).
    no_checkpoint: int = 0
    _seen_history_length: int = -1

    @property
    def meter(self) -> WorkMeter:
        """Work done since the workflow last yielded (charged by the evaluator too)."""
        if self.evaluator.meter is None:
            self.evaluator.meter = WorkMeter()
        return self.evaluator.meter

    async def pace(self, units: int = 0) -> None:
        """Charge ``units``; first yield to Temporal if this activation spent its budget.

        Called before every task (see :mod:`stigmer_dsl.pacing`).
        The meter restarts whenever the history grew, i.e. the workflow
        yielded meanwhile (an activity, a timer...): deterministic, as the
        history length at a point of the run is the same on replay.
        """
        meter = self.meter
        length = self.history_length()
        if length != self._seen_history_length:
            if self._seen_history_length >= 0:  # not the first call: we yielded meanwhile
                meter.reset()
            self._seen_history_length = length
        if meter.exhausted():
            await self.yield_to_temporal()
            meter.yields += 1
            meter.reset()
            self._seen_history_length = self.history_length()
        meter.charge(units)

    @contextlib.contextmanager
    def not_resumable(self) -> Iterator[None]:
        """Mark a stretch where continue-as-new must not happen (state not captured)."""
        self.no_checkpoint += 1
        try:
            yield
        finally:
            self.no_checkpoint -= 1


@dataclass
class TaskContext:
    """Everything a task runner may use; see the module docstring for the contract.

    Attributes:
        state: the run's shared state.
        task: the task being run.
        variables: scope variables (``for`` item/index, ``catch.as``...), without ``$``.
        raw_input: the task's raw input (``$task.input``).
        task_input: the transformed input (``$input``).
        authorization: ``$authorization`` once a call task resolved its authentication.
        started_at: when the task started (workflow clock).
    """

    state: RunState
    task: TaskDefinition
    variables: Mapping[str, Any] = field(default_factory=dict)
    raw_input: Any = None
    task_input: Any = None
    raw_output: Any = None
    authorization: Mapping[str, Any] | None = None
    started_at: datetime | None = None
    #: Frames to resume inside this task after a continue-as-new (see checkpoint.py).
    resume: list[Frame] = field(default_factory=list)

    # -- descriptors ---------------------------------------------------------------------------
    @property
    def reference(self) -> str:
        """JSON pointer of this task (the ``instance`` of its errors)."""
        return self.task.reference

    @property
    def definition(self) -> WorkflowDefinition:
        """The workflow being run (``definition.use`` holds reusable components)."""
        return self.state.definition

    @property
    def secrets(self) -> Mapping[str, Any]:
        return self.state.secrets

    def task_descriptor(self) -> dict[str, Any]:
        """``$task`` as dsl.md defines it."""
        return {
            "name": self.task.name,
            "reference": self.task.reference,
            "definition": self.task.body,
            "input": self.raw_input,
            "output": self.raw_output,
            "startedAt": datetime_descriptor(self.started_at) if self.started_at else None,
        }

    def arguments(
        self, *, with_input: bool = True, output: Any = None, with_output: bool = False
    ) -> Mapping[str, Any]:
        """Expression arguments for this task at a given data-flow stage.

        ``if``/``input.from`` see no ``$input``; ``export.as`` also sees ``$output``
        (dsl.md, "Runtime expression arguments").
        """
        args: dict[str, Any] = dict(self.variables)
        args.update(
            context=self.state.context,
            secrets=self.state.secrets,
            task=_TASK_PENDING,
            workflow=self.state.workflow_descriptor,
            runtime=self.state.runtime_descriptor,
            input=self.task_input if with_input else None,
            output=output if with_output else None,
            authorization=self.authorization if with_input else None,
        )
        return _Arguments(args, self.task_descriptor)

    # -- expressions ---------------------------------------------------------------------------
    @property
    def evaluator(self) -> ExpressionEvaluator:
        return self.state.evaluator

    def evaluate(self, value: Any, data: Any = None, *, field_name: str = "") -> Any:
        """Evaluate ``${ }`` expressions inside a value of this task's definition.

        Args:
            value: e.g. ``task.body["with"]``.
            data: what ``.`` is; defaults to the transformed task input.
            field_name: named in error messages.
        """
        target = self.task_input if data is None else data
        return self.evaluator.evaluate_value(
            value, target, self.arguments(), where=self._where(field_name)
        )

    def evaluate_expression(self, source: str, data: Any = None, *, field_name: str = "") -> Any:
        """Evaluate a field that is always an expression (``${ }`` optional)."""
        target = self.task_input if data is None else data
        return self.evaluator.evaluate_expression(
            source, target, self.arguments(), where=self._where(field_name)
        )

    def evaluate_condition(self, source: str, data: Any = None, *, field_name: str = "") -> bool:
        """Evaluate a condition field with jq truthiness."""
        target = self.task_input if data is None else data
        return self.evaluator.evaluate_condition(
            source, target, self.arguments(), where=self._where(field_name)
        )

    def _where(self, field_name: str) -> str:
        return f"{self.reference}/{field_name}" if field_name else self.reference

    # -- composition ---------------------------------------------------------------------------
    def with_variables(self, **extra: Any) -> TaskContext:
        """A copy of this context with more scope variables (visible to subtasks too)."""
        merged = {**self.variables, **extra}
        return TaskContext(
            state=self.state,
            task=self.task,
            variables=merged,
            raw_input=self.raw_input,
            task_input=self.task_input,
            raw_output=self.raw_output,
            authorization=self.authorization,
            started_at=self.started_at,
            resume=self.resume,
        )

    async def run_tasks(
        self, tasks: Sequence[TaskDefinition], task_input: Any, *, resume: list[Frame] | None = None
    ) -> Any:
        """Run a nested task list (a scope) with this context's variables; its output.

        ``resume`` is only for runners that support continue-as-new (``do``, ``for``).
        """
        return await self.state.scope_runner(
            self.state, tasks, task_input, self.variables, resume=resume
        )

    # -- I/O through activities ----------------------------------------------------------------
    async def execute_activity(
        self,
        activity: str | Callable[..., Any],
        *args: Any,
        start_to_close_timeout: timedelta = DEFAULT_ACTIVITY_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        task_queue: str | None = None,
        heartbeat_timeout: timedelta | None = None,
        result_type: type | None = None,
        summary: str | None = None,
    ) -> Any:
        """Run an activity for this task and return its result.

        Raises:
            WorkflowError: the activity failed; problem details from its
                ``ApplicationError`` are kept and ``instance`` is this task.
        """
        try:
            return await workflow.execute_activity(
                activity,  # type: ignore[arg-type]
                args=list(args),
                start_to_close_timeout=start_to_close_timeout,
                retry_policy=retry_policy or DEFAULT_ACTIVITY_RETRY,
                task_queue=task_queue,
                heartbeat_timeout=heartbeat_timeout,
                result_type=result_type,
                summary=summary or self.reference,
            )
        except ActivityError as exc:
            if isinstance(exc.cause, CancelledError):
                # This task was cancelled (its `timeout` elapsed, a `fork` competitor
                # won): keep it a cancellation so asyncio.wait_for/fork see one.
                raise asyncio.CancelledError() from exc
            raise error_from_failure(exc, instance=self.reference) from None

    def now(self) -> datetime:
        """The workflow's deterministic clock."""
        return self.state.clock()
