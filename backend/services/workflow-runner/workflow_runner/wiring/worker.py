"""The one place an engine worker is assembled, for the `dsl` command and the platform.

Both register the same engine workflow (:class:`.workflow.ServerlessWorkflow`)
and the same activities; what differs is the providers behind them, chosen by
the caller: the secret provider, the workflow catalog, the event bus's queue,
the task I/O activities and, on the platform, the stigmer-server client the
progress reports go through.

Both workers are built through their contract's ``ServiceContract.worker``
(apis/stigmer/engine/v1 and apis/stigmer/events/v1), so a registered name the
contract lacks, or a contract nobody implements, fails before polling. What a
worker leaves out on purpose (no stigmer-server to report progress to, no I/O
activities in a test) it names explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stigmer.engine.v1 import contract_temporal as engine_contract
from stigmer.events.v1 import contract_temporal as events_contract
from stigmer_observability.task_interceptor import ExecutionLogInterceptor
from stigmer_temporal import ActivityContract, ServiceContract
from stigmer_temporal.context_free_runner import without_context_trips
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.worker import Interceptor, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflow_runner.activities import names as io_names
from workflow_runner.agents.activities import AgentActivities, AgentExecutions
from workflow_runner.catalog.activities import CatalogActivities
from workflow_runner.catalog.catalog import WorkflowCatalog
from workflow_runner.engine.worker import ENGINE_MODULES, PASSTHROUGH_MODULES
from workflow_runner.events.publisher import BusConfig
from workflow_runner.events.registration import (
    bus_workflows,
    engine_bus_activities,
    registry_activities,
)
from workflow_runner.secrets.activities import SecretActivities
from workflow_runner.secrets.provider import SecretProvider
from workflow_runner.wiring.completion import CompleteExternalActivity, FinalStatusStore
from workflow_runner.wiring.progress import ProgressReporter, StatusUpdates
from workflow_runner.wiring.progress_header import ProgressHeaderInterceptor
from workflow_runner.wiring.workflow import ServerlessWorkflow

#: Generated protos and their runtime are pure data: re-importing them per run only costs time.
PROTO_PASSTHROUGH = ("stigmer", "stigmer_temporal", "google.protobuf", "grpc")


def engine_sandbox(converter: DataConverter | None = None) -> WorkflowRunner:
    """The sandbox every engine worker (and every replay of its histories) uses.

    The engine itself is passed through: re-importing it inside the sandbox
    cost 100-125 ms of CPU per run (issue 16). What keeps it deterministic
    without the sandbox's per-call checks: the static scan of every engine
    module the workflow imports (``tests/engine/test_engine_determinism_scan.py``),
    the replay tests, and the engine tests running it fully sandboxed
    (``engine.worker.sandbox_runner()``). Anything else stays restricted.

    Serialization contexts are answered outside the sandbox when ``converter``
    (the worker client's; None: the platform's) takes none (``ContextFreeRunner``).
    """
    sandbox = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            *PASSTHROUGH_MODULES, *PROTO_PASSTHROUGH, *ENGINE_MODULES
        )
    )
    return without_context_trips(sandbox, converter)


@dataclass(frozen=True)
class EngineProviders:
    """What an entry point plugs behind the engine's activities.

    Attributes:
        bus: the event registry's queue and bus name.
        secrets: resolves ``use.secrets`` (None: a run declaring secrets faults).
        catalog: resolves `run: workflow` references (None: such a run faults).
        status_updates: stigmer-server, for platform progress reports.
        final_status: stigmer-server, where a platform run's end is stored first.
        io_activities: the task I/O activities (HTTP, gRPC, OpenAPI, processes).
        agents: stigmer-server, for `call: agent` (None: such a task faults).
    """

    bus: BusConfig
    secrets: SecretProvider | None = None
    catalog: WorkflowCatalog | None = None
    status_updates: StatusUpdates | None = None
    final_status: FinalStatusStore | None = None
    io_activities: Sequence[Callable[..., Any]] = ()
    agents: AgentExecutions | None = None


def engine_activities(client: Client, providers: EngineProviders) -> list[Callable[..., Any]]:
    """Every activity the engine workflow may call, bound to ``providers``."""
    activities: list[Callable[..., Any]] = [
        *providers.io_activities,
        *engine_bus_activities(client, providers.bus),
        SecretActivities(providers.secrets).load_secrets,
        CatalogActivities(providers.catalog).resolve_workflow,
        AgentActivities(providers.agents).start_agent_execution,
        CompleteExternalActivity(client, providers.final_status).complete_external_activity,
    ]
    if providers.status_updates is not None:
        activities.append(ProgressReporter(providers.status_updates).report)
    return activities


def unimplemented_contracts(providers: EngineProviders) -> list[ActivityContract[Any, Any]]:
    """The engine contract's activities these providers leave out, on purpose.

    Without I/O activities (tests of the engine alone) a task calling one fails;
    without stigmer-server (the `dsl` command) no run reports progress.
    """
    left_out: list[ActivityContract[Any, Any]] = []
    if not providers.io_activities:
        left_out.extend(io_names.CONTRACTS)
    if providers.status_updates is None:
        left_out.append(engine_contract.REPORT_WORKFLOW_PROGRESS)
    return left_out


def build_engine_worker(
    client: Client, *, task_queue: str, providers: EngineProviders, **options: Any
) -> Worker:
    """The engine worker on ``task_queue``.

    The registry workflow is hosted on the same queue when the bus's queue is
    ``task_queue``; otherwise another worker must host it there.
    """
    workflows: list[type] = [ServerlessWorkflow]
    activities = engine_activities(client, providers)
    also: list[ServiceContract] = []
    if providers.bus.task_queue == task_queue:
        workflows.extend(bus_workflows())
        activities.extend(registry_activities(client, providers.bus))
        also.append(events_contract.EVENT_REGISTRY)
    # Activities' log lines name the execution and the DSL task they run for.
    interceptors: list[Interceptor] = list(options.pop("interceptors", [ExecutionLogInterceptor()]))
    if providers.status_updates is not None:
        # Progress buffered when an activity is scheduled leaves with it.
        interceptors.append(
            ProgressHeaderInterceptor(ProgressReporter(providers.status_updates), client)
        )
    return engine_contract.SERVERLESS_WORKFLOW_ENGINE.worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        also=also,
        unimplemented=unimplemented_contracts(providers),
        workflow_runner=engine_sandbox(client.data_converter),
        interceptors=interceptors,
        **options,
    )


def build_registry_worker(client: Client, bus: BusConfig) -> Worker:
    """A worker hosting the event registry workflow on its own queue."""
    return events_contract.EVENT_REGISTRY.worker(
        client,
        task_queue=bus.task_queue,
        workflows=bus_workflows(),
        activities=registry_activities(client, bus),
    )
