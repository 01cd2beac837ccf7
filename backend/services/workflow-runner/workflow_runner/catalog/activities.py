"""The activity resolving a `run: workflow` reference through the worker's catalog."""

from __future__ import annotations

from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import CONFIGURATION_ERROR, RESOLVE_WORKFLOW
from temporalio.exceptions import ApplicationError

from workflow_runner.catalog.catalog import (
    CatalogError,
    UnknownWorkflowError,
    WorkflowCatalog,
    WorkflowReference,
)

CONFIGURATION_ERROR_TYPE = CONFIGURATION_ERROR


class CatalogActivities:
    """Catalog lookups for one worker (catalog chosen at start-up; None = no catalog)."""

    def __init__(self, catalog: WorkflowCatalog | None) -> None:
        self._catalog = catalog

    @RESOLVE_WORKFLOW.defn
    async def resolve_workflow(
        self, request: engine_contract.ResolveWorkflowInput
    ) -> engine_contract.ResolveWorkflowOutput:
        """The definition text; unknown/ambiguous references fail without retrying."""
        reference = WorkflowReference(request.namespace, request.name, request.version)
        if self._catalog is None:
            message = f"cannot run workflow {reference}: no catalog configured (use --catalog DIR)"
        else:
            try:
                return engine_contract.ResolveWorkflowOutput(
                    definition=await self._catalog.resolve(reference, request.org)
                )
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
