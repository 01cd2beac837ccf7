"""Coarse event routing for the registry: which subscriptions may want an event.

The listening execution stays the authority on matching (its `listen` task
evaluates data expressions and correlations against its own context). The
registry only *prefilters*, so it must never drop an event the listener would
accept: attributes given as runtime expressions or non-string values are left
to the listener; literal strings match exactly or as a full regular expression
(dsl-reference "Event Filter": "Supports both regular expressions and runtime
expressions"). All functions here are pure and deterministic: they run inside
the registry workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

LIFECYCLE_TYPE_PREFIX = "io.serverlessworkflow."


def is_runtime_expression(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith("${")


def _literal_matches(expected: str, actual: object) -> bool:
    if not isinstance(actual, str):
        return False
    if expected == actual:
        return True
    try:
        return re.fullmatch(expected, actual) is not None
    except re.error:
        return False


def filter_may_match(event_filter: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """False only when a literal attribute of ``with`` rules the event out."""
    attributes = event_filter.get("with") or {}
    if not isinstance(attributes, Mapping):
        return True
    for name, expected in attributes.items():
        if name == "data" or not isinstance(expected, str) or is_runtime_expression(expected):
            continue
        if not _literal_matches(expected, event.get(name)):
            return False
    return True


def names_lifecycle_type(event_filter: Mapping[str, Any]) -> bool:
    """Whether the filter asks for lifecycle events by a literal ``type``."""
    attributes = event_filter.get("with") or {}
    expected = attributes.get("type") if isinstance(attributes, Mapping) else None
    return (
        isinstance(expected, str)
        and not is_runtime_expression(expected)
        and expected.startswith(LIFECYCLE_TYPE_PREFIX)
    )


def subscription_wants(filters: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    """Whether an execution listening with ``filters`` should receive ``event``.

    An empty filter list listens to every event (``any: []``) except lifecycle
    events: those reach only a listener whose filter names a lifecycle type, so an
    execution never sees them unless it asked.
    """
    event_type = event.get("type")
    if isinstance(event_type, str) and event_type.startswith(LIFECYCLE_TYPE_PREFIX):
        return any(names_lifecycle_type(f) and filter_may_match(f, event) for f in filters)
    if not filters:
        return True
    return any(filter_may_match(f, event) for f in filters)
