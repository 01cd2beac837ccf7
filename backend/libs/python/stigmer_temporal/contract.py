"""Typed contracts for Temporal workflows and activities declared in apis/."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.worker import Worker


class JsonPayload:
    """Marks an argument or result that crosses Temporal as plain JSON, not a message.

    The contract declares it as ``stigmer.temporal.v1.JsonPayload``; the value is a
    dataclass, dict or list through Temporal's JSON converter, so the typed helpers
    check no message type and leave the result's type to the caller.
    """


InputT = TypeVar("InputT", bound=Message | JsonPayload)
OutputT = TypeVar("OutputT", bound=Message | JsonPayload)
F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_ID_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


class ContractViolation(Exception):
    """An implementation or call does not match the contract declared in apis/."""


@dataclass(frozen=True)
class TaskQueue:
    """A task queue's default name and the environment variable overriding it."""

    default: str
    env: str = ""

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        """The deployed queue name. Call at start-up, never in workflow code."""
        source = os.environ if environ is None else environ
        if self.env and source.get(self.env):
            return source[self.env]
        return self.default


@dataclass(frozen=True)
class RetryPolicySpec:
    initial_interval: timedelta | None = None
    backoff_coefficient: float | None = None
    maximum_interval: timedelta | None = None
    maximum_attempts: int | None = None
    non_retryable_error_types: tuple[str, ...] = ()

    def to_temporal(self) -> RetryPolicy:
        policy = RetryPolicy()
        if self.initial_interval is not None:
            policy.initial_interval = self.initial_interval
        if self.backoff_coefficient is not None:
            policy.backoff_coefficient = self.backoff_coefficient
        if self.maximum_interval is not None:
            policy.maximum_interval = self.maximum_interval
        if self.maximum_attempts is not None:
            policy.maximum_attempts = self.maximum_attempts
        if self.non_retryable_error_types:
            policy.non_retryable_error_types = list(self.non_retryable_error_types)
        return policy


def _type_name(message_type: type) -> str:
    if message_type is JsonPayload:
        return "JSON"
    return str(message_type.DESCRIPTOR.full_name)  # type: ignore[attr-defined]


def _check_argument(what: str, expected: type, arg: Any) -> None:
    if expected is not JsonPayload and not isinstance(arg, expected):
        raise ContractViolation(f"{what} takes {_type_name(expected)}, got {type(arg).__name__}")


def _result_type(declared: type) -> type | None:
    return None if declared is JsonPayload else declared


def _registered_name(impl: Any, kind: str) -> str | None:
    if kind == "activity":
        activity_defn = activity._Definition.from_callable(impl)
        return activity_defn.name if activity_defn else None
    workflow_defn = workflow._Definition.from_class(impl)
    return workflow_defn.name if workflow_defn else None


@dataclass(frozen=True)
class ActivityContract(Generic[InputT, OutputT]):
    """One activity: its registered name, message types, queue and default options."""

    name: str
    input_type: type[InputT]
    output_type: type[OutputT]
    task_queue: TaskQueue
    local: bool = False
    start_to_close_timeout: timedelta | None = None
    schedule_to_close_timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    retry_policy: RetryPolicySpec | None = None

    def defn(self, fn: F) -> F:
        """Register ``fn`` under the contract's name (use instead of ``activity.defn``)."""
        return activity.defn(name=self.name)(fn)

    async def execute(
        self,
        arg: InputT,
        *,
        task_queue: str | None = None,
        start_to_close_timeout: timedelta | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> OutputT:
        """Call the activity from workflow code; contract defaults fill what is unset.

        ``task_queue`` is the deployed queue (workflows receive it through their
        memo or input, never from the environment); it defaults to the contract's
        default name. Local activities always run on the caller's worker.
        """
        _check_argument(self.name, self.input_type, arg)
        start_to_close = start_to_close_timeout or self.start_to_close_timeout
        schedule_to_close = schedule_to_close_timeout or self.schedule_to_close_timeout
        retry = retry_policy or (self.retry_policy.to_temporal() if self.retry_policy else None)
        result: OutputT
        if self.local:
            result = await workflow.execute_local_activity(
                self.name,
                arg,
                result_type=_result_type(self.output_type),
                start_to_close_timeout=start_to_close,
                schedule_to_close_timeout=schedule_to_close,
                retry_policy=retry,
            )
            return result
        result = await workflow.execute_activity(
            self.name,
            arg,
            result_type=_result_type(self.output_type),
            task_queue=task_queue or self.task_queue.default,
            start_to_close_timeout=start_to_close,
            schedule_to_close_timeout=schedule_to_close,
            heartbeat_timeout=heartbeat_timeout or self.heartbeat_timeout,
            retry_policy=retry,
        )
        return result


@dataclass(frozen=True)
class WorkflowContract(Generic[InputT, OutputT]):
    """One workflow type: name, message types, queue, id template and timeouts."""

    name: str
    input_type: type[InputT]
    output_type: type[OutputT]
    task_queue: TaskQueue
    id_template: str = ""
    execution_timeout: timedelta | None = None
    run_timeout: timedelta | None = None

    def defn(self, cls: C) -> C:
        """Register ``cls`` under the contract's name (use instead of ``workflow.defn``)."""
        return workflow.defn(name=self.name)(cls)

    def workflow_id(self, arg: InputT) -> str:
        """Render the id template from the input's fields (``{execution.metadata.id}``)."""
        if not self.id_template:
            raise ContractViolation(f"workflow {self.name} declares no id template")

        def field_value(match: re.Match[str]) -> str:
            value: Any = arg
            for part in match.group(1).split("."):
                value = getattr(value, part)
            if value in ("", None):
                raise ContractViolation(f"workflow {self.name}: id field {match.group(1)} is empty")
            return str(value)

        return _ID_FIELD.sub(field_value, self.id_template)

    def format_id(self, **fields: str) -> str:
        """Render the id template from keywords (for a workflow whose input is JSON)."""
        if not self.id_template:
            raise ContractViolation(f"workflow {self.name} declares no id template")

        def field_value(match: re.Match[str]) -> str:
            value = fields.get(match.group(1))
            if not value:
                raise ContractViolation(f"workflow {self.name}: id field {match.group(1)} is empty")
            return value

        return _ID_FIELD.sub(field_value, self.id_template)

    async def start(
        self,
        client: Client,
        arg: InputT,
        *,
        id: str | None = None,
        task_queue: str | None = None,
        memo: Mapping[str, Any] | None = None,
        execution_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHandle[Any, OutputT]:
        """Start the workflow with the contract's id, queue and timeouts.

        ``id_reuse_policy`` REJECT_DUPLICATE makes a repeated start of the same id
        fail even after the first run closed (an idempotent "start once").
        """
        return await client.start_workflow(
            self.name,
            arg,
            id=id or self.workflow_id(arg),
            task_queue=task_queue or self.task_queue.resolve(),
            result_type=_result_type(self.output_type),
            execution_timeout=execution_timeout or self.execution_timeout,
            run_timeout=self.run_timeout,
            memo=dict(memo) if memo else None,
            id_reuse_policy=id_reuse_policy,
            rpc_timeout=rpc_timeout,
        )


@dataclass(frozen=True)
class SignalContract(Generic[InputT]):
    """A signal one workflow type accepts: its registered name and argument type."""

    name: str
    input_type: type[InputT]
    workflow: WorkflowContract[Any, Any]

    def defn(self, fn: F) -> F:
        """Register ``fn`` as this signal's handler (use instead of ``workflow.signal``)."""
        return workflow.signal(name=self.name)(fn)

    async def send(self, client: Client, workflow_id: str, arg: InputT) -> None:
        """Signal the running workflow ``workflow_id`` (raises ``RPCError`` NOT_FOUND if none)."""
        _check_argument(f"signal {self.name}", self.input_type, arg)
        await client.get_workflow_handle(workflow_id).signal(self.name, arg)


@dataclass(frozen=True)
class QueryContract(Generic[OutputT]):
    """A query one workflow type answers: its registered name and result type."""

    name: str
    output_type: type[OutputT]
    workflow: WorkflowContract[Any, Any]

    def defn(self, fn: F) -> F:
        """Register ``fn`` as this query's handler (use instead of ``workflow.query``)."""
        return workflow.query(name=self.name)(fn)

    async def query(
        self, client: Client, workflow_id: str, *, result_type: type | None = None
    ) -> Any:
        """Ask the workflow ``workflow_id``; ``result_type`` decodes a JSON result."""
        handle = client.get_workflow_handle(workflow_id)
        return await handle.query(
            self.name, result_type=result_type or _result_type(self.output_type)
        )


@dataclass(frozen=True)
class ServiceContract:
    """The workflows and activities one worker serves on one task queue."""

    name: str
    task_queue: TaskQueue
    workflows: Sequence[WorkflowContract[Any, Any]] = field(default_factory=tuple)
    activities: Sequence[ActivityContract[Any, Any]] = field(default_factory=tuple)
    signals: Sequence[SignalContract[Any]] = field(default_factory=tuple)
    queries: Sequence[QueryContract[Any]] = field(default_factory=tuple)

    def check_implementations(
        self,
        *,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        also: Sequence[ServiceContract] = (),
        unimplemented: Sequence[WorkflowContract[Any, Any] | ActivityContract[Any, Any]] = (),
    ) -> None:
        """Fail unless the implementations are exactly this service's contracts.

        A stale name (the proto was renamed, the code was not), a missing
        implementation or a foreign one (another service's activity, which would
        make Temporal load-balance tasks to a worker that cannot run them) all
        raise ``ContractViolation`` before the worker polls anything. So does a
        workflow whose named signal or query handlers differ from the ones the
        contract declares for it.

        ``also``: other services this worker serves on the same queue (their
        contracts join this one's). ``unimplemented``: contracts of these
        services this worker deliberately does not serve (e.g. an activity whose
        provider this deployment lacks); each must be one of them.
        """
        services = (self, *also)
        declared_workflows = [c.name for s in services for c in s.workflows]
        declared_activities = [c.name for s in services for c in s.activities]
        left_out = {c.name for c in unimplemented}
        foreign = sorted(left_out - {*declared_workflows, *declared_activities})
        if foreign:
            raise ContractViolation(
                f"{self.name}: unimplemented names not in the contract: {foreign}"
            )
        self._check(
            "workflow",
            [name for name in declared_workflows if name not in left_out],
            workflows,
        )
        self._check(
            "activity",
            [name for name in declared_activities if name not in left_out],
            activities,
        )
        handlers: dict[str, tuple[set[str], set[str]]] = {}
        for service in services:
            for signal in service.signals:
                handlers.setdefault(signal.workflow.name, (set(), set()))[0].add(signal.name)
            for query in service.queries:
                handlers.setdefault(query.workflow.name, (set(), set()))[1].add(query.name)
        for impl in workflows:
            defn = workflow._Definition.from_class(impl)
            assert defn is not None and defn.name is not None  # _check refused others
            signals, queries = handlers.get(defn.name, (set(), set()))
            self._check_handlers(defn.name, "signal", signals, set(defn.signals))
            self._check_handlers(defn.name, "query", queries, set(defn.queries))

    def _check_handlers(
        self, workflow_name: str, kind: str, expected: set[str], registered: set[str | None]
    ) -> None:
        named = {name for name in registered if name is not None}  # None: a dynamic handler
        unknown, missing = sorted(named - expected), sorted(expected - named)
        if unknown or missing:
            raise ContractViolation(
                f"{self.name}: {kind} handlers of {workflow_name} do not match the contract "
                f"(not in contract: {unknown or 'none'}; not implemented: {missing or 'none'})"
            )

    def _check(self, kind: str, expected: list[str], impls: Sequence[Any]) -> None:
        registered: list[str] = []
        for impl in impls:
            name = _registered_name(impl, kind)
            if name is None:
                raise ContractViolation(f"{impl!r} is not a Temporal {kind} definition")
            registered.append(name)
        unknown = sorted(set(registered) - set(expected))
        missing = sorted(set(expected) - set(registered))
        if unknown or missing:
            raise ContractViolation(
                f"{self.name}: {kind} implementations do not match the contract "
                f"(not in contract: {unknown or 'none'}; not implemented: {missing or 'none'})"
            )

    def worker(
        self,
        client: Client,
        *,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        task_queue: str | None = None,
        also: Sequence[ServiceContract] = (),
        unimplemented: Sequence[WorkflowContract[Any, Any] | ActivityContract[Any, Any]] = (),
        **worker_options: Any,
    ) -> Worker:
        """A worker on this service's queue registering exactly its contracts.

        ``also`` and ``unimplemented``: see :meth:`check_implementations`.
        """
        self.check_implementations(
            workflows=workflows, activities=activities, also=also, unimplemented=unimplemented
        )
        return Worker(
            client,
            task_queue=task_queue or self.task_queue.resolve(),
            workflows=list(workflows),
            activities=list(activities),
            **worker_options,
        )
