"""What a `listen` task subscribes with: every filter that may let it progress.

The registry only forwards events matching a subscription's filters, so the
subscription must include the ``until`` strategy's filters too (an ``any`` that
stops on a "checked-out" event must receive that event), and an empty ``any``
must stay empty (it means every event). Correlation ``expect`` expressions are
resolved here, in the listener's context, because the registry has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflow_runner.events.correlation import resolve_expectations


def _filters_of(strategy: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """A strategy's filters; None for an empty ``any`` (listen to everything)."""
    if "one" in strategy:
        return [strategy["one"]]
    if "all" in strategy:
        return list(strategy["all"] or [])
    if "any" in strategy:
        return list(strategy["any"]) if strategy["any"] else None
    return []


def subscription_filters(
    strategy: Mapping[str, Any], evaluate: Callable[[str, str], Any]
) -> list[dict[str, Any]]:
    """The filters to subscribe with for ``listen.to`` (``[]`` = every event).

    Args:
        strategy: the ``listen.to`` event consumption strategy.
        evaluate: evaluates a correlation ``expect`` expression in the listener's
            context (expression, field name for errors).
    """
    filters = _filters_of(strategy)
    if filters is None:
        return []
    until = strategy.get("until")
    if isinstance(until, Mapping):
        until_filters = _filters_of(until)
        if until_filters is None:
            return []
        filters = [*filters, *until_filters]
    return resolve_expectations(filters, evaluate)
