"""The workers of a workflow-runner process.

* runner worker, on the runner queue: exactly the ``WorkflowExecutionRunner``
  contract (``ExecuteWorkflow``), checked by ``ServiceContract.worker``;
* engine worker, on the engine queue: the engine as every entry point runs it
  (:func:`workflow_runner.wiring.worker.build_engine_worker`) with the
  platform's providers: secrets from the execution's ExecutionContext and
  environments, `run: workflow` from stored Workflows, progress to
  stigmer-server, events on the platform's registry;
* registry worker, on the event registry's queue: routes events between
  executions (and from ``stigmer emit``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_RUNNER
from temporalio.client import Client
from temporalio.worker import Worker

from workflow_runner.bridge.execute_workflow import ExecuteWorkflowActivity
from workflow_runner.bridge.handoff import HandoffKeeper
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.catalog.platform import StoredWorkflowCatalog
from workflow_runner.events.publisher import BusConfig
from workflow_runner.secrets.platform import ExecutionSecretProvider
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker


def build_runner_worker(
    client: Client,
    api: StigmerApi,
    settings: RunnerSettings,
    keeper: HandoffKeeper,
    **options: Any,
) -> Worker:
    """The worker serving ``ExecuteWorkflow`` on the runner queue."""
    bridge = ExecuteWorkflowActivity(api, client, settings, keeper)
    return WORKFLOW_EXECUTION_RUNNER.worker(
        client,
        activities=[bridge.execute_workflow],
        task_queue=settings.runner_queue,
        **options,
    )


def platform_providers(
    api: StigmerApi, settings: RunnerSettings, io_activities: Sequence[Callable[..., Any]] = ()
) -> EngineProviders:
    """What the engine's activities reach on the platform."""
    return EngineProviders(
        bus=BusConfig(task_queue=settings.event_queue),
        secrets=ExecutionSecretProvider(api),
        catalog=StoredWorkflowCatalog(api),
        status_updates=api,
        final_status=api,
        io_activities=io_activities,
        agents=api,
    )


def build_platform_engine_worker(
    client: Client,
    api: StigmerApi,
    settings: RunnerSettings,
    *,
    io_activities: Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> Worker:
    """The engine worker on the engine queue, with the platform's providers."""
    return build_engine_worker(
        client,
        task_queue=settings.engine_queue,
        providers=platform_providers(api, settings, io_activities),
        **options,
    )
