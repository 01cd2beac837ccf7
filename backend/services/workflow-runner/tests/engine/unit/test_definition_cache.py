"""Each definition text is parsed and checked once per process; every run gets its own copy."""

from __future__ import annotations

import json

import pytest
from stigmer_dsl import parsed_documents
from stigmer_dsl.expressions import EvaluationMode
from stigmer_dsl.loader import (
    DefinitionError,
    DocumentParse,
    build_definition,
    checked_definition,
    parse_document,
)

YAML = """document: {dsl: '1.0.3', namespace: t, name: cache-%s, version: '1.0.0'}
evaluate: {mode: loose}
do:
  - a:
      set: {x: '${ .x + 1 }'}
  - b:
      for: {each: i, in: '${ [1, 2] }'}
      do:
        - c:
            set: {y: '${ $i }'}
"""


def _parse(text: str) -> DocumentParse:
    parse = DocumentParse(text)
    for _ in range(parse.slices):
        parse.step()
    return parse


def test_a_second_run_reuses_the_parse_and_the_check_with_the_same_result() -> None:
    text = YAML % "same"
    first_parse = _parse(text)
    first = checked_definition(text, first_parse.document())
    assert parsed_documents.cached(text) is not None
    assert parsed_documents.checked(text) is not None
    again_parse = DocumentParse(text)
    assert again_parse._stream is None  # no YAML parsing the second time
    assert (again_parse.slices, again_parse.is_json) == (first_parse.slices, first_parse.is_json)
    second = checked_definition(text, _parse(text).document())
    fresh = build_definition(parse_document(text), defer_expressions=True)
    for definition in (first, second):
        assert definition.mode is EvaluationMode.LOOSE
        assert definition.expressions == fresh.expressions
        assert definition.task_count == fresh.task_count == 3
        assert [t.reference for t in definition.tasks] == ["/do/0/a", "/do/1/b"]
        assert definition.raw == fresh.raw


def test_runs_get_their_own_document() -> None:
    text = YAML % "copies"
    one = _parse(text).document()
    one["do"][0]["a"]["set"]["x"] = "changed"
    two = _parse(text).document()
    assert two["do"][0]["a"]["set"]["x"] == "${ .x + 1 }"


def test_json_text_keeps_its_json_schedule_when_cached() -> None:
    text = json.dumps(parse_document(YAML % "json"))
    first = _parse(text)
    assert first.is_json
    first.document()
    again = DocumentParse(text)
    assert again.is_json and again.slices == first.slices
    assert again.document() == first.document()


def test_an_invalid_definition_is_not_remembered_as_checked() -> None:
    text = (YAML % "bad").replace("set: {x:", "sett: {x:")
    with pytest.raises(DefinitionError):
        checked_definition(text, _parse(text).document())
    assert parsed_documents.checked(text) is None
