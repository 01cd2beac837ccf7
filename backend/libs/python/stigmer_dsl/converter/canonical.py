"""One spelling for what the DSL lets authors write several ways, to compare documents.

A Workflow spec stores a few DSL values in one typed form, so DSL -> Workflow -> DSL
gives them back in that form: durations as ISO 8601 text (``{seconds: 30}`` ->
``PT30S``), an HTTP endpoint without authentication as its URI string, the HTTP
method in lower case, and YAML 1.1's boolean ``on`` key as ``on``. Everything else
must come back exactly as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.converter.from_dsl import iso_duration

#: Keys of a retry policy whose values are durations.
_RETRY_DURATIONS = ("delay",)


def canonical_document(document: Any) -> Any:
    """``document`` with the spellings above made canonical (a new value; the input is kept)."""
    return _canonical(document)


def _canonical(value: Any) -> Any:
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    result = {("on" if key is True else key): _canonical(item) for key, item in value.items()}
    if "wait" in result and isinstance(result["wait"], Mapping):
        result["wait"] = iso_duration(result["wait"], "wait")
    if result.get("call") == "http" and isinstance(result.get("with"), Mapping):
        with_ = dict(result["with"])
        endpoint = with_.get("endpoint")
        if isinstance(endpoint, Mapping) and set(endpoint) == {"uri"}:
            with_["endpoint"] = endpoint["uri"]
        if isinstance(with_.get("method"), str):
            with_["method"] = with_["method"].lower()
        result["with"] = with_
    retry = result.get("retry")
    if isinstance(retry, Mapping):
        retry = dict(retry)
        for key in _RETRY_DURATIONS:
            if isinstance(retry.get(key), Mapping):
                retry[key] = iso_duration(retry[key], key)
        limit = retry.get("limit")
        if isinstance(limit, Mapping) and isinstance(limit.get("duration"), Mapping):
            retry["limit"] = {**limit, "duration": iso_duration(limit["duration"], "duration")}
        jitter = retry.get("jitter")
        if isinstance(jitter, Mapping):
            retry["jitter"] = {
                k: iso_duration(v, k) if isinstance(v, Mapping) else v for k, v in jitter.items()
            }
        result["retry"] = retry
    return result
