"""Every example of the specification loads and validates; the invalid ones are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer_dsl.loader import DefinitionError, load_schema_validator, load_workflow
from stigmer_testing.reference_data import spec_dir


def _files(folder: str) -> list[Path]:
    return sorted((spec_dir() / folder).glob("*.yaml"))


def test_the_schema_is_found_so_examples_are_schema_validated() -> None:
    assert load_schema_validator(spec_dir() / "schema" / "workflow.yaml") is not None


def test_there_are_examples() -> None:
    assert len(_files("examples")) > 50


@pytest.mark.parametrize("path", _files("examples"), ids=lambda p: p.name)
def test_example_loads_and_validates(path: Path) -> None:
    definition = load_workflow(
        path.read_text(encoding="utf-8"),
        use_schema=True,
        schema_path=spec_dir() / "schema" / "workflow.yaml",
    )
    assert definition.tasks, "no tasks loaded"


INVALID_MESSAGES = {
    "extra-property-in-call.yaml": "/do/0/getPet: unexpected properties for a call task: ['foo']",
    "listen-any-until-any-until.yaml": "duplicate key 'do' at line 7",
    "two-tasks-in-one-item.yaml": "/do/0: each list item must hold exactly one named task",
}


@pytest.mark.parametrize("path", _files("invalid"), ids=lambda p: p.name)
def test_invalid_file_is_rejected_with_a_clear_message(path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_workflow(path.read_text(encoding="utf-8"), use_schema=True)
    assert INVALID_MESSAGES[path.name] in str(caught.value)


def test_nested_until_is_rejected_by_structural_checks_alone() -> None:
    text = (spec_dir() / "invalid" / "listen-any-until-any-until.yaml").read_text()
    # Without the duplicated `do:` line, the nested until is what is wrong.
    fixed = text.replace("do:\ndo:\n", "do:\n")
    with pytest.raises(DefinitionError, match="an until strategy cannot have its own until"):
        load_workflow(fixed)
