"""DSL durations: ISO 8601 strings (``PT1M30S``), objects (``{seconds: 3}``) or
runtime expressions evaluated to one of those (dsl-reference, Duration).

A string that is not an ISO 8601 duration is a runtime expression (``${ }``
optional, as in ``wait``); :func:`resolve_duration` evaluates it and parses
the result wherever the spec allows a duration (``wait``, ``timeout.after``,
retry ``delay``, ``limit`` and ``jitter``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError

_ISO: Final = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_OBJECT_UNITS: Final = ("days", "hours", "minutes", "seconds", "milliseconds")


def is_iso8601_duration(text: str) -> bool:
    return bool(_ISO.match(text.strip()))


def parse_duration(value: Any, *, field_name: str = "duration") -> timedelta:
    """Parse a duration value (already evaluated if it was an expression).

    Raises:
        WorkflowError: ``configuration`` error naming the field.
    """
    if isinstance(value, str):
        match = _ISO.match(value.strip())
        if not match:
            raise WorkflowError.configuration(
                f"{field_name}: {value!r} is not an ISO 8601 duration (e.g. PT30S)"
            )
        parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
        return timedelta(**parts)
    if isinstance(value, Mapping):
        unknown = set(value) - set(_OBJECT_UNITS)
        if unknown or not value:
            raise WorkflowError.configuration(
                f"{field_name}: expected some of {', '.join(_OBJECT_UNITS)}, got {sorted(value)}"
            )
        try:
            return timedelta(**{k: float(v) for k, v in value.items()})
        except (TypeError, ValueError) as exc:
            raise WorkflowError.configuration(f"{field_name}: {exc}") from exc
    raise WorkflowError.configuration(
        f"{field_name}: expected an ISO 8601 string or an object, got {type(value).__name__}"
    )


def is_duration_expression(value: Any) -> bool:
    """Whether a duration field holds a runtime expression (a non-ISO 8601 string)."""
    return isinstance(value, str) and not is_iso8601_duration(value)


def resolve_duration(
    value: Any, evaluate: Callable[[str], Any], *, field_name: str = "duration"
) -> timedelta:
    """Parse a duration field, evaluating it first when it is a runtime expression.

    Args:
        value: the field as written in the definition.
        evaluate: evaluates an expression string in the field's scope.
        field_name: the field's path, named in errors.

    Raises:
        WorkflowError: ``configuration`` error naming the field when the value,
            or what its expression evaluated to, is not a duration; the
            evaluator's ``expression`` error when the expression fails.
    """
    if not is_duration_expression(value):
        return parse_duration(value, field_name=field_name)
    result = evaluate(value)
    if (isinstance(result, str) and is_iso8601_duration(result)) or isinstance(result, Mapping):
        return parse_duration(result, field_name=field_name)
    raise WorkflowError.configuration(
        f"{field_name}: {value.strip()!r} evaluated to {_describe(result)}, which is not a"
        " duration (expected an ISO 8601 string such as PT30S or an object such as"
        " {seconds: 30})"
    )


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
