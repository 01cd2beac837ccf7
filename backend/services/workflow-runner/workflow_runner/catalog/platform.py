"""`run: workflow` on the platform: references resolve to stored Workflow resources.

A reference ``{namespace, name, version}`` matches the Workflow whose spec
document has the same three values (``latest`` picks the highest version of
that namespace/name), in the org of the execution that runs it: the runner's
key may see every org (``*``), and another org's workflow of the same
namespace/name must never run instead. The org comes from the execution's
grant, issued by stigmer-server; without one nothing resolves. The matched
spec is converted to DSL text like any run.
"""

from __future__ import annotations

from typing import Protocol

from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import io_pb2 as workflow_io
from stigmer_dsl.converter import ConversionError, spec_to_yaml

from workflow_runner.catalog.catalog import CatalogError, UnknownWorkflowError, WorkflowReference

LATEST = "latest"


class WorkflowListing(Protocol):
    """The stigmer-server read the catalog needs (the runner's API client)."""

    async def list_workflows(
        self, page_token: str = "", org: str = ""
    ) -> workflow_io.WorkflowList: ...


class StoredWorkflowCatalog:
    """Resolves references against the Workflows stored on stigmer-server."""

    def __init__(self, api: WorkflowListing) -> None:
        self._api = api

    async def resolve(self, reference: WorkflowReference, org: str = "") -> str:
        if not org:
            raise CatalogError(
                f"cannot resolve {reference}: the execution carries no org (no grant from "
                "stigmer-server); sub-workflows resolve in the execution's org only"
            )
        matches = [
            workflow
            for workflow in await self._all(org)
            # The server lists the org asked for; checked again, it costs nothing.
            if workflow.metadata.org == org
            and workflow.spec.document.namespace == reference.namespace
            and workflow.spec.document.name == reference.name
            and reference.version in (LATEST, workflow.spec.document.version)
        ]
        if not matches:
            raise UnknownWorkflowError(f"no stored Workflow of org {org!r} is {reference}")
        if reference.version == LATEST:
            matches = [max(matches, key=lambda w: _version_key(w.spec.document.version))]
        if len(matches) > 1:
            ids = ", ".join(w.metadata.id for w in matches)
            raise CatalogError(f"{reference} is ambiguous: stored Workflows {ids}")
        try:
            return spec_to_yaml(matches[0].spec)
        except ConversionError as error:
            raise CatalogError(f"{reference} cannot be converted to DSL: {error}") from None

    async def _all(self, org: str) -> list[workflow_api.Workflow]:
        workflows: list[workflow_api.Workflow] = []
        token = ""
        while True:
            page = await self._api.list_workflows(token, org)
            workflows.extend(page.items)
            token = page.next_page_token
            if not token:
                return workflows


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    # Numeric parts compare as numbers ("1.10.0" > "1.9.0"), others as text.
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in version.split("."))
