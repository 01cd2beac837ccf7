"""The benchmark runs, both sides agree, and the engine adds no history events."""

from __future__ import annotations

import pytest
from engine_vs_plain import measure
from temporalio.testing import WorkflowEnvironment
from tests.support.fake_http_services import FakeHttpServices

pytestmark = pytest.mark.integration


async def test_engine_matches_plain_workflow_output_and_history_size(
    temporal_env: WorkflowEnvironment, fake_http_services: FakeHttpServices
) -> None:
    report = await measure(
        temporal_env.client, f"{fake_http_services.base_url}/petstore/v2/pet/1", steps=5, repeats=1
    )
    for shape in ("set", "http"):
        assert report[shape]["same_output"], report[shape]
        # Interpreting the DSL in the workflow costs no extra history events.
        assert report[shape]["engine_events"] == report[shape]["plain_events"], report[shape]
