"""A few trivial jq programs evaluated in Python, with exactly libjq's results.

Why: workflows are full of programs such as ``.sum + 5``, ``.a.b`` or
``.status == "done"``. Running one through libjq costs ~10 µs outside
Temporal's workflow sandbox and ~40-50 µs inside it, the largest single cost of
a data-only task. :func:`compile_native` recognises a small subset of programs
when they are compiled; :class:`~.jq_language.CompiledExpression` then
evaluates them here whenever the values at hand are inside the subset, and
runs jq otherwise (an evaluator returns :data:`FALLBACK`), so jq keeps deciding
every case this module does not prove.

The subset (a program is one operand, or ``operand op operand``):

* operands: ``.``, field paths ``.a.b.c`` (ASCII identifier keys), integer
  literals up to 2**53 (no sign, no leading zero), string literals in double
  quotes without escapes or control characters, ``true``, ``false``, ``null``;
* ``+ - *`` on two integers, and ``+`` with ``null`` (jq's ``null + x`` is
  ``x``); a string or boolean literal operand leaves the program to jq;
* ``== !=`` on any two simple values (integers, strings, booleans, null), and
  ``< <= > >=`` on two integers or two strings.

Values (what an operand yields on the data) stay inside the subset only when:

* a field is read from an exact ``dict`` whose keys are all exact ``str`` (a
  key of another type, or a ``str`` subclass, could be written to JSON as the
  same name, and jq would see a different object), or from ``null``; reading
  from anything else falls back, so jq raises its own error;
* integers are exact ``int`` (not ``bool``) of magnitude <= 2**53, and so are
  arithmetic results: jq computes in doubles, which are exact up to there, and
  the binding hands integral numbers back as ``int`` (``-0`` as ``0``); floats
  always fall back;
* strings are exact ``str``; containers fall back (jq returns a fresh copy,
  returning the caller's object would alias workflow state).

Values are compared with their types (``True == 1`` in Python, not in jq);
strings order the same way in both (jq compares UTF-8 bytes, Python code
points, which agree on text without surrogates, see below).

jq still parses the whole JSON text the engine builds, and may fail where
Python would succeed on the part it reads, so :func:`parsable_by_jq` screens
that text: a ``\\ud800``-``\\udfff`` escape (jq rejects a lone high
surrogate, replaces a lone low one and turns a pair into one character; text
holding any falls back, which also keeps surrogates and characters above
U+FFFF out of the strings used here) or nesting that may exceed jq's parsing
depth limit (10,000 in the bundled libjq).

Checking a dict's keys costs a pass over them, and the text is still built
(its length is charged to the workflow's pacing): both are already
proportional to the data, as jq's parse was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

#: What an evaluator returns when the values are outside the subset: run jq.
FALLBACK: Final[Any] = object()

#: Magnitude up to which every integer is a double (jq's only number type).
_EXACT: Final = 2**53

#: An evaluator: the data (``.``) -> the result, or :data:`FALLBACK`.
NativeEvaluator = Callable[[Any], Any]

_TOKEN: Final = re.compile(
    r"[ \t\r\n]*(?:"
    r"(?P<path>\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?)"
    r"|(?P<int>0|[1-9][0-9]*)"
    r'|(?P<str>"[^"\\\x00-\x1f\x7f\ud800-\udfff]*")'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\+|-|\*)"
    r")"
)
_SPACE: Final = " \t\r\n"
_ARITHMETIC: Final = frozenset("+-*")
_WORDS: Final[dict[str, Any]] = {"true": True, "false": False, "null": None}

#: Depth jq parses safely: nesting can be no deeper than the text's ``[`` and
#: ``{`` (half its length at most), and libjq parses up to 10,000 levels.
_SAFE_DEPTH: Final = 9_000
#: Python's encoder writes every surrogate (and every character above U+FFFF)
#: as such an escape.
_SURROGATE_ESCAPE: Final = re.compile(r"\\ud[89a-f]")


def parsable_by_jq(text: str) -> bool:
    """Whether jq surely parses ``text`` (JSON written by Python's encoder, ASCII only)."""
    if "\\ud" in text and _SURROGATE_ESCAPE.search(text) is not None:
        return False
    return len(text) < 2 * _SAFE_DEPTH or text.count("[") + text.count("{") < _SAFE_DEPTH


def compile_native(source: str) -> NativeEvaluator | None:
    """An evaluator for ``source`` (a jq program that compiles), or None outside the subset."""
    body = source.strip(_SPACE)
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(body):
        match = _TOKEN.match(body, position)
        if match is None or match.lastgroup is None:
            return None
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    if len(tokens) == 1:
        operand = _operand(*tokens[0])
        return None if operand is None else _single(operand)
    if len(tokens) != 3 or tokens[1][0] != "op":
        return None
    operator = tokens[1][1]
    if operator in _ARITHMETIC and any(_not_a_number(*tokens[i]) for i in (0, 2)):
        return None  # always jq's (string concatenation, errors)
    left, right = _operand(*tokens[0]), _operand(*tokens[2])
    if left is None or right is None:
        return None
    return _BINARY[operator](left, right)


def _not_a_number(kind: str, text: str) -> bool:
    return kind == "str" or text in ("true", "false")


# -- operands: a getter (data -> value or FALLBACK) ----------------------------------------------

_Getter = Callable[[Any], Any]


def _operand(kind: str, text: str) -> _Getter | None:
    if kind == "path":
        return _path(tuple(text[1:].split("."))) if text != "." else _identity
    if kind == "int":
        value = int(text)
        return _constant(value) if value <= _EXACT else None
    if kind == "str":
        return _constant(text[1:-1])
    if kind == "word" and text in _WORDS:
        return _constant(_WORDS[text])
    return None


def _identity(data: Any) -> Any:
    return data


def _constant(value: Any) -> _Getter:
    def constant(data: Any) -> Any:
        return value

    return constant


def _path(keys: tuple[str, ...]) -> _Getter:
    def field(data: Any) -> Any:
        value = data
        for key in keys:
            if type(value) is dict:
                for name in value:
                    if type(name) is not str:
                        return FALLBACK
                value = value.get(key)
            elif value is None:
                return None  # jq: any field of null is null
            else:
                return FALLBACK  # jq raises "Cannot index ..."
        return value

    return field


# -- programs -------------------------------------------------------------------------------------


def _simple(value: Any) -> Any:
    """``value`` when jq hands back the same Python value and type, else :data:`FALLBACK`."""
    kind = type(value)
    if kind is int:
        return value if -_EXACT <= value <= _EXACT else FALLBACK
    if kind is str or kind is bool or value is None:
        return value
    return FALLBACK


def _single(operand: _Getter) -> NativeEvaluator:
    def evaluate(data: Any) -> Any:
        return _simple(operand(data))

    return evaluate


def _arithmetic(
    combine: Callable[[int, int], int], *, null_is_identity: bool
) -> Callable[[_Getter, _Getter], NativeEvaluator]:
    def build(left: _Getter, right: _Getter) -> NativeEvaluator:
        def evaluate(data: Any) -> Any:
            a, b = _simple(left(data)), _simple(right(data))
            kind_a, kind_b = type(a), type(b)
            if kind_a is int and kind_b is int:
                return _simple(combine(a, b))
            if null_is_identity:
                if a is None and (kind_b is int or b is None):
                    return b
                if b is None and kind_a is int:
                    return a
            return FALLBACK

        return evaluate

    return build


def _equality(equal: bool) -> Callable[[_Getter, _Getter], NativeEvaluator]:
    def build(left: _Getter, right: _Getter) -> NativeEvaluator:
        def evaluate(data: Any) -> Any:
            a, b = _simple(left(data)), _simple(right(data))
            if a is FALLBACK or b is FALLBACK:
                return FALLBACK
            # Types first: jq never equates a boolean with a number.
            return (type(a) is type(b) and a == b) is equal

        return evaluate

    return build


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[_Getter, _Getter], NativeEvaluator]:
    def build(left: _Getter, right: _Getter) -> NativeEvaluator:
        def evaluate(data: Any) -> Any:
            a, b = _simple(left(data)), _simple(right(data))
            kind = type(a)
            # jq also orders values of different kinds; those are left to it.
            if (kind is int or kind is str) and type(b) is kind:
                return compare(a, b)
            return FALLBACK

        return evaluate

    return build


_BINARY: Final[dict[str, Callable[[_Getter, _Getter], NativeEvaluator]]] = {
    "+": _arithmetic(lambda a, b: a + b, null_is_identity=True),
    "-": _arithmetic(lambda a, b: a - b, null_is_identity=False),
    "*": _arithmetic(lambda a, b: a * b, null_is_identity=False),
    "==": _equality(True),
    "!=": _equality(False),
    "<": _ordering(lambda a, b: a < b),
    "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b),
    ">=": _ordering(lambda a, b: a >= b),
}
