"""The directory catalog matches by `document` fields, never by file name."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer.engine.v1.contract_pb2 import ResolveWorkflowInput
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from workflow_runner.catalog import (
    CatalogError,
    DirectoryCatalog,
    UnknownWorkflowError,
    WorkflowReference,
)
from workflow_runner.catalog.activities import CatalogActivities


def _doc(namespace: str, name: str, version: str) -> str:
    return (
        f"document:\n  dsl: '1.0.3'\n  namespace: {namespace}\n  name: {name}\n"
        f"  version: '{version}'\ndo:\n  - s:\n      set:\n        v: '{version}'\n"
    )


async def test_matches_document_not_file_name(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(_doc("other", "nope", "1.0.0"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "zzz.yml").write_text(_doc("test", "child", "1.0.0"))
    (tmp_path / "notes.txt").write_text(_doc("test", "child", "1.0.0"))
    (tmp_path / "junk.yaml").write_text(": not yaml [")
    text = await DirectoryCatalog(tmp_path).resolve(WorkflowReference("test", "child", "1.0.0"))
    assert "name: child" in text


async def test_latest_picks_highest_version(tmp_path: Path) -> None:
    for v in ("0.9.0", "0.10.0", "0.2.0"):
        (tmp_path / f"{v}.yaml").write_text(_doc("ns", "w", v))
    text = await DirectoryCatalog(tmp_path).resolve(WorkflowReference("ns", "w", "latest"))
    assert "v: '0.10.0'" in text


def test_unknown_reference_lists_versions(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_doc("ns", "w", "1.0.0"))
    with pytest.raises(
        UnknownWorkflowError, match=r"ns/w:2\.0\.0 not found.*versions present: 1\.0\.0"
    ):
        DirectoryCatalog(tmp_path).find(WorkflowReference("ns", "w", "2.0.0"))


def test_duplicates_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_doc("ns", "w", "1.0.0"))
    (tmp_path / "b.json").write_text(
        '{"document": {"dsl": "1.0.3", "namespace": "ns", "name": "w", "version": "1.0.0"},'
        ' "do": []}'
    )
    with pytest.raises(CatalogError, match=r"ambiguous.*a\.yaml, b\.json"):
        DirectoryCatalog(tmp_path).find(WorkflowReference("ns", "w", "1.0.0"))


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        DirectoryCatalog(tmp_path / "absent")


async def test_activity_fails_non_retryable(tmp_path: Path) -> None:
    env = ActivityEnvironment()
    activities = CatalogActivities(DirectoryCatalog(tmp_path))
    with pytest.raises(ApplicationError, match="not found in catalog") as caught:
        await env.run(
            activities.resolve_workflow, ResolveWorkflowInput(namespace="a", name="b", version="1")
        )
    assert caught.value.non_retryable
    with pytest.raises(ApplicationError, match="no catalog configured"):
        await env.run(
            CatalogActivities(None).resolve_workflow,
            ResolveWorkflowInput(namespace="a", name="b", version="1"),
        )
