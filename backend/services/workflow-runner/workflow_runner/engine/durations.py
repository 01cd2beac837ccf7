"""DSL durations: ISO 8601 strings (``PT1M30S``) or objects (``{seconds: 3}``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from workflow_runner.engine.errors import WorkflowError

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
