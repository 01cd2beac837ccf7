"""URI template expansion of `call: http` endpoints (pure, no server)."""

from __future__ import annotations

import pytest
from stigmer_dsl.errors import WorkflowError
from workflow_runner.engine.tasks.uri_template import expand


def test_top_level_properties_are_substituted_and_encoded() -> None:
    data = {"petId": 7, "q": "a b/c", "flag": True, "pet.id": "verbatim", "none": None}
    uri = "https://x.test/pet/{petId}?q={q}&f={flag}&p={pet.id}&n={none}&m={missing}"
    assert expand(uri, data, field_name="with.endpoint") == (
        "https://x.test/pet/7?q=a%20b%2Fc&f=true&p=verbatim&n=&m="
    )


def test_non_object_input_expands_to_empty_strings() -> None:
    assert expand("https://x.test/{a}", [1, 2], field_name="e") == "https://x.test/"


def test_structured_values_are_an_expression_error_naming_the_variable() -> None:
    with pytest.raises(WorkflowError) as caught:
        expand("https://x.test/{pet}", {"pet": {"id": 1}}, field_name="with.endpoint.uri")
    assert caught.value.status == 400
    assert caught.value.kind == "expression"
    assert "with.endpoint.uri" in (caught.value.detail or "")
    assert "{pet}" in (caught.value.detail or "")
