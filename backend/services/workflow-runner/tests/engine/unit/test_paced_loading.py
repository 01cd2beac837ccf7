"""Loading large definitions in pieces: YAML in slices, expressions compiled in batches."""

from __future__ import annotations

import json

import pytest
import yaml
from stigmer_dsl import parsed_documents
from stigmer_dsl.expressions import jq_language
from stigmer_dsl.loader import DefinitionError, DocumentParse, load_workflow
from stigmer_dsl.loader import _UniqueKeyLoader as FullLoader
from stigmer_testing.reference_data import conformance_dir


def _sequence(tasks: int) -> str:
    body = "".join(f"  - t{i}:\n      set: {{sum: '${{ .sum + {i} }}'}}\n" for i in range(tasks))
    return "document: {dsl: '1.0.3', namespace: t, name: n, version: '1'}\ndo:\n" + body


def _parse_in_slices(text: str) -> object:
    parse = DocumentParse(text)
    for _ in range(parse.slices):
        parse.step()
    return parse.document()


@pytest.mark.parametrize(
    "text",
    [
        "a: on\nb: 0x1F\nc: 1_000\nd: 1.5\ne: 2020-01-01\nf: ~\ng: 'x'\nh: |\n  block\n",
        "a: &x {b: 1}\nc: *x\n",  # anchors: the full loader
        "a: !!str 1\n",  # explicit tag: the full loader
        _sequence(300),
    ],
)
def test_sliced_yaml_builds_what_the_full_loader_builds(text: str) -> None:
    expected = json.loads(json.dumps(yaml.load(text, Loader=FullLoader), default=str))
    assert _parse_in_slices(text) == expected


def test_every_spec_example_parses_the_same_in_slices() -> None:
    examples = sorted((conformance_dir() / "spec-v1.0.3" / "examples").glob("*.yaml"))
    assert examples
    for path in examples:
        text = path.read_text(encoding="utf-8")
        expected = json.loads(json.dumps(yaml.load(text, Loader=FullLoader), default=str))
        assert _parse_in_slices(text) == expected, path.name


def test_a_duplicate_key_is_reported_with_its_line_in_slices() -> None:
    text = _sequence(400) + "  - t1:\n      set: {a: 1, a: 2}\n"
    with pytest.raises(DefinitionError, match=r"duplicate key 'a' at line 804"):
        _parse_in_slices(text)


def test_the_slice_schedule_depends_only_on_the_text() -> None:
    text = _sequence(2000)
    first = DocumentParse(text)
    assert first.slices == -(-len(text) // DocumentParse.SLICE) > 10
    assert not first.is_json
    for _ in range(first.slices):
        first.step()
    first.document()
    assert parsed_documents.cached(text) is not None
    # Parsed before in this process: same schedule (replays must yield alike).
    again = DocumentParse(text)
    assert (again.slices, again.is_json) == (first.slices, first.is_json)
    as_json = DocumentParse(json.dumps(yaml.load(text, Loader=FullLoader)))
    assert as_json.is_json


def test_batched_programs_give_each_expression_its_own_result() -> None:
    sources = [f"[.x, {i}, $n] | add" for i in range(70)]
    jq_language.compile_expressions((source, ("n",)) for source in sources)
    for i, source in enumerate(sources):
        compiled = jq_language.compile_expression(source, ("n",))
        assert compiled.evaluate({"x": 1}, {"n": 100}, now=0.0) == 101 + i


def test_a_hot_batched_expression_gets_its_own_program_with_the_same_results() -> None:
    sources = [f".v * {i} + 0.5" for i in range(3)]
    jq_language.compile_expressions((source, ()) for source in sources)
    compiled = jq_language.compile_expression(sources[2], ())
    results = {
        compiled.evaluate({"v": 2}, {}, now=0.0) for _ in range(jq_language.OWN_PROGRAM_AFTER + 5)
    }
    assert results == {4.5}
    assert compiled.evaluate_measured({"v": 2}, {}, now=0.0)[1] > 0


def test_a_batch_with_a_broken_expression_still_reports_it_by_field() -> None:
    body = "do:\n" + "".join(f"  - t{i}: {{set: {{v: '${{ .v + {i} }}'}}}}\n" for i in range(70))
    body += "  - bad: {set: {v: '${ .v + }'}}\n"
    with pytest.raises(DefinitionError, match=r"^/do/70/bad/set: invalid expression"):
        load_workflow("document: {dsl: '1.0.3', namespace: t, name: n, version: '1'}\n" + body)
