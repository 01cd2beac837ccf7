"""Structural checks of the loader: each rejection names the field."""

from __future__ import annotations

import pytest
from stigmer_dsl.loader import DefinitionError, load_workflow

HEADER = "document: {dsl: '1.0.3', namespace: t, name: n, version: '1.0.0'}\n"


def load(body: str) -> None:
    load_workflow(HEADER + body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("do:\n  - a: {set: {x: 1}, then: nowhere}\n", "/do/0/a/then: 'nowhere' is neither"),
        ("do:\n  - a: {set: '${ .a + }'}\n", "/do/0/a/set: invalid expression"),
        ("do:\n  - a: {bogus: 1}\n", "/do/0/a: unknown task type"),
        ("do:\n  - a: {set: {x: 1}}\n  - a: {set: {x: 1}}\n", "duplicate task name 'a'"),
        ("do:\n  - a: {raise: {error: missing}}\n", "no error named 'missing'"),
        (
            "do:\n  - a: {switch: [{x: {then: end}}, {y: {then: end}}]}\n",
            "at most one case may omit 'when'",
        ),
        ("do:\n  - a: {for: {in: .x}, do: [{b: {set: {i: '${ $nope }'}}}]}\n", "$nope"),
        ("do:\n  - a: {wait: soon}\n", "/do/0/a/wait: invalid expression"),
        ("do:\n  - a: {set: {x: 1}, timeout: short}\n", "no timeout named 'short'"),
        (
            "do:\n  - a: {set: {x: 1}, input: {schema: {format: json, resource: {endpoint: x}}}}\n",
            "only inline schemas",
        ),
        ("do:\n  - a: {try: [{b: {set: {}}}], catch: {retry: nope}}\n", "no retry policy named"),
        ("do:\n  - a: {set: {x: '${ $ENV.HOME }'}}\n", "$ENV is not available"),
        (
            "do:\n  - a: {set: {x: 1}, timeout: {after: '${ .t + }'}}\n",
            "/do/0/a/timeout/after: invalid expression",
        ),
        ("do:\n  - a: {set: {x: 1}, timeout: {after: 5}}\n", "/do/0/a/timeout/after: expected"),
        (
            "do:\n  - a: {try: [{b: {set: {}}}], catch: {retry: {delay: '${ $error }'}}}\n",
            "/do/0/a/catch/retry/delay: invalid expression",
        ),
        (
            "use: {retries: {r: {limit: {duration: '${ ) }'}}}}\ndo:\n  - a: {set: {}}\n",
            "use.retries.r/limit/duration: invalid expression",
        ),
        (
            "timeout: {after: '${ $nope }'}\ndo:\n  - a: {set: {}}\n",
            "timeout/after: invalid expression",
        ),
    ],
)
def test_rejections_name_the_field(body: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        load(body)
    assert message in str(caught.value)


def _versioned(dsl: str) -> str:
    return f"document: {{dsl: '{dsl}', namespace: t, name: n, version: '1'}}\ndo:\n  - a: {{set: {{}}}}\n"


@pytest.mark.parametrize(
    "dsl",
    ["1.0.0", "1.0.3", "1.0.12", "1.0.0-alpha1", "1.0.0-alpha5", "1.0.0-rc1", "1.0.1+build.7"],
)
def test_dsl_1_0_x_and_its_pre_releases_are_accepted(dsl: str) -> None:
    assert load_workflow(_versioned(dsl)).tasks[0].name == "a"


@pytest.mark.parametrize(
    "dsl", ["0.9.0", "0.9", "2.0.0", "1.1.0", "1.0", "1.0.0-", "v1.0.0", "1.0.01"]
)
def test_other_dsl_versions_are_rejected_naming_the_version(dsl: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_workflow(_versioned(dsl))
    message = str(caught.value)
    assert message.startswith(f"document.dsl: {dsl!r} is not supported"), message
    assert "expected 1.0.x" in message


def test_scope_variables_are_known_where_they_are_bound() -> None:
    load(
        "do:\n"
        "  - a:\n"
        "      for: {in: .x, each: pet, at: i}\n"
        "      do:\n"
        "        - t:\n"
        "            try: [{b: {set: {p: '${ $pet }', i: '${ $i }'}}}]\n"
        "            catch: {as: err, when: '${ $err.status == 500 }',"
        " do: [{c: {set: {e: '${ $err }'}}}]}\n"
    )


def test_tasks_carry_json_pointer_references() -> None:
    definition = load_workflow(HEADER + "do:\n  - a: {set: {}}\n  - b: {do: [{c: {set: {}}}]}\n")
    assert [t.reference for t in definition.tasks] == ["/do/0/a", "/do/1/b"]
    assert definition.tasks[1].subtasks("do")[0].reference == "/do/1/b/do/0/c"


def test_yaml_1_1_booleans_stay_strings() -> None:
    definition = load_workflow(HEADER + "do:\n  - a: {set: {answer: yes, on: off}}\n")
    assert definition.tasks[0].body["set"] == {"answer": "yes", "on": "off"}


def test_json_definitions_are_accepted() -> None:
    text = (
        '{"document": {"dsl": "1.0.3", "namespace": "t", "name": "n", "version": "1.0.0"},'
        ' "do": [{"a": {"set": {"x": 1}}}]}'
    )
    assert load_workflow(text).tasks[0].name == "a"


def test_duration_fields_accept_runtime_expressions() -> None:
    load(
        "use:\n"
        "  timeouts: {t: {after: '${ .limit }'}}\n"
        "  retries: {r: {delay: '${ .pause }', limit: {duration: PT1M}}}\n"
        "timeout: {after: '${ $workflow.input.deadline }'}\n"
        "do:\n"
        "  - a:\n"
        "      for: {in: .x, each: pet}\n"
        "      do:\n"
        "        - t:\n"
        "            timeout: {after: '${ $pet.timeout }'}\n"
        "            try: [{b: {set: {}}}]\n"
        "            catch:\n"
        "              retry:\n"
        "                delay: '${ $pet.delay }'\n"
        "                limit: {attempt: {count: 2, duration: '${ .each }'}}\n"
        "                jitter: {from: PT0S, to: '${ .jitter }'}\n"
        "  - b: {set: {}, timeout: t}\n"
    )
