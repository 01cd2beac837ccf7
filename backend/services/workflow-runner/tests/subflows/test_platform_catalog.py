"""`run: workflow` on the platform looks in the execution's org only.

The runner's key may list every org (``*``); the org comes from the execution's
grant. The end-to-end path (server, runner, two orgs) is in
cli/tests/platform/test_platform_capabilities.py.
"""

from __future__ import annotations

import pytest
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import io_pb2 as workflow_io
from stigmer_dsl.converter import workflow_from_dsl
from workflow_runner.catalog.catalog import CatalogError, UnknownWorkflowError, WorkflowReference
from workflow_runner.catalog.platform import StoredWorkflowCatalog


def _workflow(org: str, version: str, marker: str) -> workflow_api.Workflow:
    workflow, _ = workflow_from_dsl(
        {
            "document": {"dsl": "1.0.0", "namespace": "lib", "name": "shared", "version": version},
            "do": [{marker: {"set": {"from": org}}}],
        }
    )
    workflow.metadata.id = f"wfl-{org}-{version}"
    workflow.metadata.org = org
    return workflow


class Listing:
    """Lists like a `*` runner key: every org when none is asked for."""

    def __init__(self, workflows: list[workflow_api.Workflow]) -> None:
        self.workflows = workflows
        self.orgs_asked: list[str] = []

    async def list_workflows(self, page_token: str = "", org: str = "") -> workflow_io.WorkflowList:
        self.orgs_asked.append(org)
        return workflow_io.WorkflowList(
            items=[w for w in self.workflows if not org or w.metadata.org == org]
        )


REFERENCE = WorkflowReference("lib", "shared", "1.0.0")


async def test_a_reference_resolves_in_the_executions_org_only() -> None:
    listing = Listing(
        [_workflow("acme", "1.0.0", "acmeTask"), _workflow("globex", "1.0.0", "globexTask")]
    )
    catalog = StoredWorkflowCatalog(listing)
    assert "acmeTask" in await catalog.resolve(REFERENCE, "acme")
    assert "globexTask" in await catalog.resolve(REFERENCE, "globex")
    assert listing.orgs_asked == ["acme", "globex"]
    # Only another org holds it: unknown here, not borrowed from there.
    with pytest.raises(UnknownWorkflowError, match="org 'initech'"):
        await catalog.resolve(REFERENCE, "initech")
    # `latest` picks among the org's versions only.
    listing.workflows.append(_workflow("globex", "9.0.0", "newerElsewhere"))
    latest = await catalog.resolve(WorkflowReference("lib", "shared", "latest"), "acme")
    assert "acmeTask" in latest and "newerElsewhere" not in latest


async def test_without_an_org_nothing_resolves() -> None:
    listing = Listing([_workflow("acme", "1.0.0", "acmeTask")])
    with pytest.raises(CatalogError, match="no org"):
        await StoredWorkflowCatalog(listing).resolve(REFERENCE, "")
    assert listing.orgs_asked == []
