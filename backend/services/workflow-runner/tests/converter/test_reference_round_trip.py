"""Every spec example and CTK scenario survives DSL -> Workflow -> DSL.

The result equals the original up to the canonical spellings the spec stores
(``canonical_document``), and the Workflow passes the server's Apply checks, so
the same document can be applied and run on the platform.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stigmer_dsl.converter import spec_to_yaml, workflow_from_dsl
from stigmer_dsl.converter.canonical import canonical_document
from stigmer_dsl.loader import parse_document
from stigmer_testing.reference_documents import CtkScenario, ctk_scenarios, spec_examples


def _round_trip(text: str) -> tuple[Any, Any]:
    original = parse_document(text)
    workflow, notes = workflow_from_dsl(original)
    assert notes == []
    again = parse_document(spec_to_yaml(workflow.spec))
    return canonical_document(original), again


@pytest.mark.parametrize("path", spec_examples(), ids=lambda p: p.name)
def test_spec_example_round_trips(path: Path) -> None:
    original, again = _round_trip(path.read_text(encoding="utf-8"))
    assert again == original


@pytest.mark.parametrize("scenario", ctk_scenarios(), ids=lambda s: s.id)
def test_ctk_scenario_round_trips(scenario: CtkScenario) -> None:
    original, again = _round_trip(scenario.definition)
    assert again == original


def test_every_document_is_covered() -> None:
    assert len(spec_examples()) >= 60
    assert len(ctk_scenarios()) == 21


def test_canonical_spellings_are_the_only_rewrites() -> None:
    text = (
        "document: {dsl: '1.0.3', namespace: t, name: w, version: '1.0.0'}\n"
        "do:\n"
        "  - pause: {wait: {seconds: 30}}\n"
        "  - get: {call: http, with: {method: GET, endpoint: {uri: 'http://x/y'}}}\n"
    )
    original, again = _round_trip(text)
    assert again["do"][0]["pause"]["wait"] == "PT30S"
    assert again["do"][1]["get"]["with"] == {"method": "get", "endpoint": "http://x/y"}
    assert again == original
