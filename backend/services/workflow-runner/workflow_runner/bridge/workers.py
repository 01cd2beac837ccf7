"""The two workers of a workflow-runner process.

* runner worker, on the runner queue: exactly the ``WorkflowExecutionRunner``
  contract (``ExecuteWorkflow``), checked by ``ServiceContract.worker``;
* engine worker, on the engine queue: the platform engine workflow,
  ``CompleteExternalActivity``, the progress local activity and the task I/O
  activities. Not built through ``SERVERLESS_WORKFLOW_ENGINE.worker``, whose
  exact-match check would refuse the I/O activities the engine calls on its
  own queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_RUNNER
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflow_runner.bridge.completion import CompleteExternalActivity
from workflow_runner.bridge.execute_workflow import ExecuteWorkflowActivity
from workflow_runner.bridge.handoff import HandoffKeeper
from workflow_runner.bridge.platform_workflow import PlatformServerlessWorkflow
from workflow_runner.bridge.progress import ProgressReporter
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi
from workflow_runner.engine.worker import PASSTHROUGH_MODULES

#: Generated protos and their runtime are pure data: re-importing them per run only costs time.
PLATFORM_PASSTHROUGH = ("stigmer", "stigmer_temporal", "google.protobuf", "grpc")


def platform_sandbox() -> SandboxedWorkflowRunner:
    """The engine's sandbox plus the generated protos (also used by replay tests)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            *PASSTHROUGH_MODULES, *PLATFORM_PASSTHROUGH
        )
    )


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


def build_engine_worker(
    client: Client,
    api: StigmerApi,
    settings: RunnerSettings,
    *,
    io_activities: Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> Worker:
    """The worker running the platform engine workflow on the engine queue."""
    return Worker(
        client,
        task_queue=settings.engine_queue,
        workflows=[PlatformServerlessWorkflow],
        activities=[
            CompleteExternalActivity(client).complete_external_activity,
            ProgressReporter(api).report,
            *io_activities,
        ],
        workflow_runner=platform_sandbox(),
        **options,
    )
