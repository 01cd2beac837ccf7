"""The activity resolving a `run: workflow` reference through the worker's catalog."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflow_runner.catalog.catalog import (
    CatalogError,
    UnknownWorkflowError,
    WorkflowCatalog,
    WorkflowReference,
)

RESOLVE_WORKFLOW_ACTIVITY = "stigmer.catalog.ResolveWorkflow"
CONFIGURATION_ERROR_TYPE = "https://serverlessworkflow.io/spec/1.0.0/errors/configuration"


@dataclass
class ResolveWorkflowInput:
    namespace: str
    name: str
    version: str


class CatalogActivities:
    """Catalog lookups for one worker (catalog chosen at start-up; None = no catalog)."""

    def __init__(self, catalog: WorkflowCatalog | None) -> None:
        self._catalog = catalog

    @activity.defn(name=RESOLVE_WORKFLOW_ACTIVITY)
    async def resolve_workflow(self, request: ResolveWorkflowInput) -> str:
        """The definition text; unknown/ambiguous references fail without retrying."""
        reference = WorkflowReference(request.namespace, request.name, request.version)
        if self._catalog is None:
            message = f"cannot run workflow {reference}: no catalog configured (use --catalog DIR)"
        else:
            try:
                return await self._catalog.resolve(reference)
            except UnknownWorkflowError as exc:
                message = str(exc)
            except CatalogError as exc:
                message = str(exc)
        problem = {
            "type": CONFIGURATION_ERROR_TYPE,
            "status": 400,
            "title": "Unknown workflow reference",
            "detail": message,
        }
        raise ApplicationError(message, problem, type=CONFIGURATION_ERROR_TYPE, non_retryable=True)
