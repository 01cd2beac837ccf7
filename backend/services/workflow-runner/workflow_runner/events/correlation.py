"""Event correlation (dsl-reference "Correlation"), applied by the registry.

A filter's ``correlate`` maps a key to ``{from, expect?}``: ``from`` extracts a
value from the event, ``expect`` is what it must equal. The listener resolves
``expect`` expressions against its own context before subscribing
(:func:`resolve_expectations`), because only it has that context; the registry
then compares constants. Without ``expect``, the first value extracted becomes
the expectation for the rest of that subscription (the spec's rule), which the
registry remembers per subscription.

Evaluation is pure jq over the event envelope (``.data.x`` reaches the payload),
deterministic and safe in workflow code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from temporalio import workflow

from workflow_runner.events.filters import is_runtime_expression

with workflow.unsafe.imports_passed_through():
    import jq

_UNSET = object()


def _strip(expression: str) -> str:
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    return text


def extract(from_expression: str, event: Mapping[str, Any]) -> Any:
    """The correlation value ``from`` yields for ``event`` (None when it errors)."""
    try:
        return jq.compile(_strip(from_expression)).input_value(dict(event)).first()
    except Exception:  # jq raises ValueError/StopIteration; a failed extraction is "no value"
        return None


def resolve_expectations(
    filters: Sequence[Mapping[str, Any]], evaluate: Callable[[str, str], Any]
) -> list[dict[str, Any]]:
    """Copies of ``filters`` with each ``correlate.*.expect`` expression evaluated.

    Args:
        filters: the listen's event filters.
        evaluate: evaluates an expression in the listener's context; receives the
            expression and a field name for error messages.
    """
    resolved: list[dict[str, Any]] = []
    for index, event_filter in enumerate(filters):
        copy = dict(event_filter)
        correlate = event_filter.get("correlate")
        if isinstance(correlate, Mapping):
            new_correlate: dict[str, Any] = {}
            for key, spec in correlate.items():
                spec_copy = dict(spec) if isinstance(spec, Mapping) else {"from": spec}
                expect = spec_copy.get("expect")
                if is_runtime_expression(expect):
                    spec_copy["expect"] = evaluate(
                        str(expect), f"listen/to/{index}/correlate/{key}/expect"
                    )
                new_correlate[str(key)] = spec_copy
            copy["correlate"] = new_correlate
        resolved.append(copy)
    return resolved


def correlates(
    event_filter: Mapping[str, Any],
    event: Mapping[str, Any],
    learned: MutableMapping[str, Any],
    *,
    filter_index: int,
) -> bool:
    """Whether ``event`` satisfies the filter's correlations.

    ``learned`` holds expectations fixed by earlier events (key
    ``"<filter index>/<correlation key>"``) and is updated when an event is
    accepted with a correlation that had no ``expect``.
    """
    correlate = event_filter.get("correlate")
    if not isinstance(correlate, Mapping) or not correlate:
        return True
    updates: dict[str, Any] = {}
    for key, spec in correlate.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("from"), str):
            continue
        value = extract(spec["from"], event)
        expect = spec.get("expect", _UNSET)
        if expect is _UNSET or expect is None:
            slot = f"{filter_index}/{key}"
            expect = learned.get(slot, _UNSET)
            if expect is _UNSET:
                updates[slot] = value
                continue
        if value != expect:
            return False
    learned.update(updates)
    return True
