"""Programs evaluated natively give exactly jq's results, sizes and pacing charges.

The differential tests run every program of a corpus (in and out of the native
subset) on every value of a data corpus twice: as compiled (native evaluator
when there is one) and with the native evaluator removed (jq only), and
require the same value and type (or the same error) and the same size. The
controls make sure the native path is really taken, so a fast path that
silently stops being used fails here too.
"""

from __future__ import annotations

import copy
import enum
import json
import random
from collections import OrderedDict
from typing import Any

import jq
import pytest
from stigmer_dsl.expressions import jq_language
from stigmer_dsl.expressions.evaluation import EvaluationMode, ExpressionEvaluator
from stigmer_dsl.expressions.jq_language import (
    OWN_PROGRAM_AFTER,
    CompiledExpression,
    ExpressionRuntimeError,
    compile_expression,
)
from stigmer_dsl.expressions.native import _SAFE_DEPTH, FALLBACK, compile_native, parsable_by_jq
from stigmer_dsl.pacing import WorkMeter

EXACT = 2**53

#: Programs the subset must recognise.
NATIVE_PROGRAMS = [
    ".",
    " . ",
    ".a",
    ".a.b",
    ".a.b.c",
    ".sum + 5",
    ".a + .b",
    ".a - .b",
    ".a * .b",
    "5 + .a",
    ".a - 1",
    ".a-1",
    ".a*0",
    "0 * .a",
    "null + .a",
    ".a + null",
    ".missing + .a",
    "null + null",
    ".a * 9007199254740992",
    "9007199254740992 - .a",
    "1 + 2",
    '.a == "done"',
    '.a != "done"',
    ".a == 1",
    ".a != 1",
    ".a == 0",
    ".a == true",
    ".a == false",
    ".a == null",
    ".a != null",
    "null == .a",
    ".a > 3",
    ".a >= 3",
    ".a < 3",
    '.a < "m"',
    '.a >= "é"',
    '.a == "terminé"',
    '.a == "x#y"',
    '.a.b == "done"',
    ".a == .b",
    ".a != .b",
    ".a < .b",
    ".a >= .b",
    ".and",
    ".end",
    ".null",
    ".true",
    '"x"',
    "true",
    "null",
    "3",
    "9007199254740992",
    '.a == "now"',  # mentions now: the clock is read and sized as with jq
]
#: Programs outside the subset (jq only).
JQ_PROGRAMS = [
    ".a?",
    ".[0]",
    ".a | .b",
    ".a / 2",
    ".a % 2",
    ".a // 1",
    "-.a",
    '.a + "x"',
    ".a and .b",
    "1.5 + .a",
    ".a == 1.0",
    ".a == 1e0",
    "9007199254740993 + 0",
    '.a == "a\\tb"',
    "length",
    "{a: .a}",
    "[.a]",
    ".a == 01",
    "$input",
    "now",
    ".a #comment",
    ".a <= -0 + 0",
]


class Key(str):
    """A str subclass (dict keys/values of another type than str must not be used natively)."""


class Overriding(dict[str, Any]):
    """A dict subclass whose ``get`` is not what JSON (and jq) sees."""

    def get(self, key: str, default: Any = None) -> Any:
        return "overridden"


class Color(enum.IntEnum):
    RED = 1


SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    3,
    5,
    EXACT - 1,
    EXACT,
    -EXACT,
    EXACT + 1,
    -EXACT - 1,
    2**63,
    10**30,
    1.5,
    -0.0,
    0.0,
    3.0,
    float("nan"),
    float("inf"),
    "",
    "done",
    "m",
    "é",
    "terminé",
    "x#y",
    "x\x00y",
    "\x7f\x1f\n",
    "\ufffe\uffff\ufdd0\ud7ff\ue000",
    "\ud800",
    "\udc00",
    "😀",
    "\ud83d\ude00",
    "\\ud800",
    Key("done"),
    Color.RED,
    [],
    [1],
    {},
    (1, 2),
]


def _data_corpus() -> list[Any]:
    values: list[Any] = list(SCALARS)
    for v in SCALARS:
        values.append({"a": v})
        values.append({"a": {"b": v}})
        values.append({"a": {"b": {"c": v}}})
        values.append({"sum": v, "step": 1})
    pairs = [None, True, 0, 3, -2, EXACT, 1.5, "done", "a", "é"]
    values += [{"a": a, "b": b} for a in pairs for b in pairs]
    values += [
        {"a": 1, "b": "\ud800"},  # jq cannot parse the text: its error, not a native result
        {"a": 1, "b": "😀"},
        {"a": 4, "b": [[[[1]]]]},
        {None: 1, "null": 2, "a": 3},  # both written as "null": jq sees the last one
        {"null": 2, None: 1, "a": 3},
        {True: 5, "a": 3},
        {1: "x", "a": 2},
        {Key("a"): 7},
        {"a": Key("done")},
        OrderedDict(a=1),
        Overriding(a=1),
        {"a": Overriding(b=1)},
        {"and": 1, "end": 2, "true": 3, "null": 4},
        {"a": [1], "b": 2},
        {"a": "s", "b": 2},
        {"a": 1, "missing": None},
    ]
    return values


DATA = _data_corpus()


def _jq_only(compiled: CompiledExpression) -> CompiledExpression:
    twin = copy.copy(compiled)
    twin._native = None
    return twin


def _typed(value: Any) -> Any:
    """A value with every type spelled out (``True == 1`` and ``0.0 == 0`` in Python)."""
    if isinstance(value, dict):
        return ("dict", sorted((k, _typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _outcome(compiled: CompiledExpression, data: Any) -> tuple[str, Any, int | None]:
    try:
        result, size = compiled.evaluate_measured(data, {}, now=lambda: 1700000000.5)
    except (ExpressionRuntimeError, TypeError, ValueError) as exc:
        return "error", (type(exc).__name__, str(exc)), None
    return "value", _typed(result), size


class _Counting:
    """Wraps a native evaluator, counting the results it gave (not fallbacks)."""

    def __init__(self, native: Any) -> None:
        self.native = native
        self.hits = 0

    def __call__(self, data: Any) -> Any:
        result = self.native(data)
        if result is not FALLBACK:
            self.hits += 1
        return result


def test_the_subset_is_recognised_and_nothing_else() -> None:
    for program in NATIVE_PROGRAMS + JQ_PROGRAMS:
        assert (compile_native(program) is not None) == (program in NATIVE_PROGRAMS), program


@pytest.mark.parametrize("program", NATIVE_PROGRAMS + JQ_PROGRAMS)
def test_native_evaluation_matches_jq_value_type_error_and_size(program: str) -> None:
    compiled = compile_expression(program, ["input"])
    reference = _jq_only(compiled)
    counting = _Counting(compiled._native) if compiled._native is not None else None
    if counting is not None:
        compiled = copy.copy(compiled)
        compiled._native = counting
    for data in DATA:
        assert _outcome(compiled, data) == _outcome(reference, data), (program, data)
    if program in JQ_PROGRAMS:
        assert counting is None
    else:
        # Control: every native program really answered for some data.
        assert counting is not None and counting.hits > 0, program


def test_the_differential_corpus_exercises_both_paths() -> None:
    hits = fallbacks = 0
    for program in NATIVE_PROGRAMS:
        native = compile_native(program)
        if native is None:
            continue
        for data in DATA:
            text = jq_language._json_text([0.0, 0, [], data])
            if parsable_by_jq(text) and native(data) is not FALLBACK:
                hits += 1
            else:
                fallbacks += 1
    assert hits > 1000 and fallbacks > 1000, (hits, fallbacks)


@pytest.mark.parametrize(
    ("program", "data", "expected"),
    [
        (".sum + 5", {"step": 1, "sum": 3}, 8),
        (".", 4, 4),
        (".a.b", {"a": {"b": "x"}}, "x"),
        (".a.b", {"a": None}, None),
        (".missing", {"a": 1}, None),
        ('.status == "done"', {"status": "done"}, True),
        (".a == 1", {"a": True}, False),
        (".count > 3", {"count": 4}, True),
        ("null + .a", {}, None),
        (".a * -0 + 0", {"a": 0}, None),  # not in the subset: reaches jq
    ],
)
def test_native_programs_do_not_run_jq(program: str, data: Any, expected: Any) -> None:
    compiled = copy.copy(compile_expression(program, ["input"]))
    compiled._program = _NoJq()
    if compiled._native is None:
        with pytest.raises(AssertionError, match="jq ran"):
            compiled.evaluate_measured(data, {}, now=0.0)
        return
    result, size = compiled.evaluate_measured(data, {}, now=0.0)
    assert _typed(result) == _typed(expected)
    assert size == len(json.dumps([0.0, compiled._index, [], data]))


class _NoJq:
    def input_text(self, text: str) -> Any:
        raise AssertionError("jq ran")


def test_promotion_keeps_sizes_and_skips_compiling_native_programs() -> None:
    # A batch of 20, so the indexes in the text have two digits until promoted.
    sources = [f".a + {i}" for i in range(19)] + [".a + .b"]
    program = jq.compile(jq_language._program_text([(s, ()) for s in sources]))
    native = CompiledExpression(sources[15], (), program, _index=15, _batched=True)
    reference = _jq_only(CompiledExpression(sources[15], (), program, _index=15, _batched=True))
    sizes = []
    for i in range(OWN_PROGRAM_AFTER + 5):
        data = {"a": i}
        got, want = (c.evaluate_measured(data, {}, now=0.0) for c in (native, reference))
        assert got == want
        sizes.append(got[1])
    # The 64th use switched to index 0: one character less, on both.
    assert sizes[OWN_PROGRAM_AFTER - 2] == sizes[OWN_PROGRAM_AFTER - 1] + 1
    assert (native._index, native._batched) == (reference._index, reference._batched) == (0, False)
    assert native._program is None  # never needed jq since
    assert reference._program is not None
    # A value outside the subset: jq's own program is compiled then.
    assert native.evaluate_measured({"a": 1.5}, {}, now=0.0) == reference.evaluate_measured(
        {"a": 1.5}, {}, now=0.0
    )
    assert native._program is not None


def test_pacing_charges_are_the_same_with_and_without_native(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    programs = ["${ .sum + 5 }", ".a.b", '.status == "done"', ".count > 3", ".", ".a[0]"]
    data = [
        {"sum": 3, "step": 1, "a": {"b": [1, 2]}, "status": "done", "count": 4},
        {"sum": 1.5, "a": None, "status": None, "count": "x"},
        3,
    ]

    def run() -> tuple[list[Any], int]:
        monkeypatch.setattr(jq_language, "_cache", {})
        meter = WorkMeter()
        evaluator = ExpressionEvaluator(EvaluationMode.STRICT, clock=lambda: 0.0, meter=meter)
        results = []
        for d in data:
            for p in programs:
                try:
                    results.append(_typed(evaluator.evaluate_expression(p, d, {"input": d})))
                except Exception as exc:
                    results.append(("error", str(exc)))
        return results, meter.spent

    with_native = run()
    monkeypatch.setattr(jq_language, "compile_native", lambda source: None)
    without = run()
    assert with_native == without
    assert with_native[1] > 0


def test_jq_parses_the_depth_native_evaluation_relies_on() -> None:
    deep = "[" * _SAFE_DEPTH + "]" * _SAFE_DEPTH
    assert jq.compile("1").input_text(deep).all() == [1]
    assert parsable_by_jq(deep[1:-1])
    assert not parsable_by_jq(deep)
    too_deep = "[" * 10_001 + "]" * 10_001
    with pytest.raises(ValueError, match="depth"):
        jq.compile("1").input_text(too_deep).all()
    assert not parsable_by_jq(too_deep)
    assert not parsable_by_jq('["\\ud800"]')
    assert not parsable_by_jq('["\\udfff"]')
    assert parsable_by_jq('["\\ud7ff"]')


KEYWORDS = ["__loc__", "if", "then", "end", "and", "or", "not", "def", "reduce", "try", "as"]


@pytest.mark.parametrize("key", KEYWORDS)
def test_jq_keywords_after_a_dot_are_fields(key: str) -> None:
    compiled = compile_expression(f".{key}", [])
    assert compiled._native is not None
    data = {k: i for i, k in enumerate(KEYWORDS)}
    assert (
        _outcome(compiled, data)
        == _outcome(_jq_only(compiled), data)
        == ("value", _typed(data[key]), len(json.dumps([0.0, compiled._index, [], data])))
    )


def test_generated_programs_match_jq() -> None:
    """Programs drawn from the subset's grammar, on data drawn around its edges (fixed seed)."""
    rng = random.Random(20261202)
    values: list[Any] = [None, True, False, 0, 1, -1, 7, EXACT, -EXACT, EXACT + 1, 2.5, 2.0]
    values += ["", "a", "b", "é", "\ud800", [], {}]
    literals = ["0", "1", "7", "9007199254740992", '"a"', '"é"', '""', "true", "false", "null"]
    paths = [".", ".a", ".b", ".a.b", ".b.a", ".c"]

    def data(depth: int = 0) -> Any:
        if depth < 2 and rng.random() < 0.5:
            return {k: data(depth + 1) for k in "ab" if rng.random() < 0.8}
        return rng.choice(values)

    def operand() -> str:
        return rng.choice(paths) if rng.random() < 0.6 else rng.choice(literals)

    operators = ["+", "-", "*", "==", "!=", "<", "<=", ">", ">="]
    native_hits = 0
    for _ in range(1500):
        if rng.random() < 0.2:
            program = operand()
        else:
            space = rng.choice(["", " ", "  ", "\t"])
            program = f"{operand()}{space}{rng.choice(operators)}{space}{operand()}"
        compiled = compile_expression(program, [])
        reference = _jq_only(compiled)
        for _ in range(5):
            d = data()
            assert _outcome(compiled, d) == _outcome(reference, d), (program, d)
            if compiled._native is not None:
                text = jq_language._json_text([0.0, compiled._index, [], d])
                native_hits += parsable_by_jq(text) and compiled._native(d) is not FALLBACK
    assert native_hits > 1000  # 1671 with this seed
