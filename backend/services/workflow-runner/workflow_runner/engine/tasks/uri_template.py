"""URI templates of ``call: http`` endpoints (RFC 6570 simple string expansion only).

dsl-reference.md, "URI Template": ``{name}`` is replaced by the top-level
property ``name`` of the task input (identifiers are verbatim, so ``{pet.id}``
reads the property called ``pet.id``); a missing property expands to the empty
string; a value that is not a string, number, boolean or null is an
``expression`` error (400).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from stigmer_dsl.errors import WorkflowError

_VARIABLE: Final = re.compile(r"\{([^{}]+)\}")


def expand(template: str, data: Any, *, field_name: str) -> str:
    """Expand ``{name}`` variables of ``template`` from ``data``'s top-level properties.

    Raises:
        WorkflowError: ``expression`` when a variable holds an object or array.
    """
    values: Mapping[str, Any] = data if isinstance(data, Mapping) else {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        if value is None:
            return ""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str | int | float):
            text = str(value)
        else:
            raise WorkflowError.expression(
                f"{field_name}: URI template variable {{{name}}} must be a string, number, "
                f"boolean or null, got {json.dumps(value)[:80]}"
            )
        # Simple string expansion percent-encodes everything but unreserved characters.
        return quote(text, safe="")

    return _VARIABLE.sub(substitute, template)
