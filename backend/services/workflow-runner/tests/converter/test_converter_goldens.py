"""Spec -> DSL YAML, byte for byte against reviewed golden files; and DSL -> spec -> DSL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from google.protobuf import json_format
from stigmer.workflow.v1 import api_pb2
from stigmer_dsl.converter import ConversionError, spec_to_yaml, workflow_from_dsl
from stigmer_dsl.loader import build_definition, parse_document
from tests.converter.golden_cases import HERE, case_names, load_case, render

EXAMPLE = Path(__file__).resolve().parents[5] / "examples" / "hello-stigmer.yaml"


def test_every_case_has_a_golden() -> None:
    goldens = sorted(path.stem for path in (HERE / "goldens").glob("*.yaml"))
    assert case_names() == goldens
    assert len(goldens) >= 3


@pytest.mark.parametrize("name", case_names())
def test_spec_converts_to_the_golden_yaml(name: str) -> None:
    expected = (HERE / "goldens" / f"{name}.yaml").read_text(encoding="utf-8")
    assert render(name) == expected, (
        f"goldens/{name}.yaml is stale; run tests/converter/golden_cases.py --update and review"
    )


@pytest.mark.parametrize("name", case_names())
def test_golden_yaml_loads_in_the_engine(name: str) -> None:
    build_definition(parse_document(render(name)))


def test_the_example_survives_dsl_to_spec_to_dsl() -> None:
    original = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    workflow, notes = workflow_from_dsl(original)
    assert notes == []
    assert json_format.MessageToDict(workflow.spec.input)["schema"]["format"] == "json"
    again = yaml.safe_load(spec_to_yaml(workflow.spec))
    # The only rewrite: `wait: {milliseconds: 200}` is stored as ISO 8601.
    original["do"][2]["pause"]["wait"] = "PT0.2S"
    assert again == original


def test_unknown_kind_names_the_field() -> None:
    spec = load_case("raise_only").spec
    spec.tasks[1].kind = api_pb2.WORKFLOW_TASK_KIND_UNSPECIFIED
    with pytest.raises(ConversionError, match=r"spec\.tasks\[1\]\.kind"):
        spec_to_yaml(spec)


def test_missing_config_field_names_the_field() -> None:
    spec = load_case("raise_only").spec
    json_format.ParseDict({"variables": None}, spec.tasks[0].task_config)
    spec.tasks[0].task_config.Clear()
    with pytest.raises(ConversionError, match=r"spec\.tasks\[0\]\.task_config\.variables"):
        spec_to_yaml(spec)


def test_dsl_task_key_without_spec_field_is_refused() -> None:
    document = {
        "document": {"dsl": "1.0.0", "namespace": "n", "name": "w", "version": "1.0.0"},
        "do": [{"a": {"set": {"x": 1}, "iff": "${ true }"}}],
    }
    with pytest.raises(ConversionError, match=r"do\[0\]\.a\.iff"):
        workflow_from_dsl(document)


def test_unknown_top_level_key_is_refused() -> None:
    document = {
        "document": {"dsl": "1.0.0", "namespace": "n", "name": "w", "version": "1.0.0"},
        "do": [{"a": {"set": {"x": 1}}}],
        "inputs": {},
    }
    with pytest.raises(ConversionError, match=r"^inputs: not a DSL 1.0 top-level key"):
        workflow_from_dsl(document)


@pytest.mark.parametrize("name", case_names())
def test_dsl_of_every_case_converts_back_to_the_same_spec(name: str) -> None:
    first = render(name)
    workflow, _ = workflow_from_dsl(yaml.safe_load(first))
    assert spec_to_yaml(workflow.spec) == first


@pytest.mark.parametrize(
    ("task", "path"),
    [
        (
            {"listen": {"to": {"one": {"with": {"type": "t", "n": 1}}}}},
            r"listen\.to\.one\[0\]\.with\.n",
        ),
        ({"run": {"shell": {"command": "x", "cwd": "/"}}}, r"run\.shell\.cwd"),
        ({"raise": {"error": 5}}, r"raise\.error"),
        ({"emit": {"event": {"type": "t"}}}, r"emit\.event\.with"),
    ],
)
def test_dsl_value_without_spec_form_names_the_field(task: dict[str, object], path: str) -> None:
    document = {
        "document": {"dsl": "1.0.0", "namespace": "n", "name": "w", "version": "1.0.0"},
        "do": [{"a": task}],
    }
    with pytest.raises(ConversionError, match=r"^do\[0\]\.a\." + path):
        workflow_from_dsl(document)


def test_stored_fork_branches_of_the_old_shape_still_convert() -> None:
    # all_kinds.json stores branches as {name, do} (before branches were tasks).
    document = yaml.safe_load(render("all_kinds"))
    both = next(task["both"] for task in document["do"] if "both" in task)
    assert [next(iter(branch)) for branch in both["fork"]["branches"]] == ["left", "right"]
    assert all("do" in next(iter(b.values())) for b in both["fork"]["branches"])
