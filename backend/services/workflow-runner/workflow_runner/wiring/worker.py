"""A worker hosting the wired engine, the event registry and every activity it needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from workflow_runner.catalog.activities import CatalogActivities
from workflow_runner.catalog.catalog import WorkflowCatalog
from workflow_runner.engine.worker import build_worker
from workflow_runner.events.publisher import BusConfig
from workflow_runner.events.registration import bus_activities, bus_workflows
from workflow_runner.secrets.activities import SecretActivities
from workflow_runner.secrets.provider import SecretProvider
from workflow_runner.wiring.workflow import WiredServerlessWorkflow


def wired_activities(
    client: Client,
    bus: BusConfig,
    *,
    secrets: SecretProvider | None = None,
    catalog: WorkflowCatalog | None = None,
) -> list[Callable[..., Any]]:
    """Event bus, secret and catalog activities bound to their dependencies."""
    return [
        *bus_activities(client, bus),
        SecretActivities(secrets).load_secrets,
        CatalogActivities(catalog).resolve_workflow,
    ]


def build_wired_worker(
    client: Client,
    *,
    task_queue: str,
    bus: BusConfig,
    secrets: SecretProvider | None = None,
    catalog: WorkflowCatalog | None = None,
    activities: Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> Worker:
    """The engine worker with hooks wired; ``activities`` adds the task I/O activities.

    The registry workflow is hosted on the same queue when ``bus.task_queue`` is
    ``task_queue``; otherwise another worker must host it there.
    """
    workflows: list[type] = [WiredServerlessWorkflow]
    if bus.task_queue == task_queue:
        workflows.extend(bus_workflows())
    return build_worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=[
            *activities,
            *wired_activities(client, bus, secrets=secrets, catalog=catalog),
        ],
        **options,
    )
