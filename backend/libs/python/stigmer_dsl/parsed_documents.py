"""Definitions already parsed and checked in this process, shared by workflow runs.

Every run of a definition, every continue-as-new and every replay would parse
its text again (~0.4 s of CPU for 5,000 tasks; ~35 ms for 100 tasks with the
pure-Python YAML parser) and walk it again for the structural checks (~12 ms
for 100 tasks). Both are pure functions of the text, so their results are kept
per text (the dict hashes the text: a content hash), as plain data only: the
JSON text of the document (each caller gets its own copy with ``json.loads``,
so no run can see another's mutation) and what the check found (evaluation
mode, expression sites as tuples of strings, task count). Plain data because
this module is passed through Temporal's sandbox (see ``engine.worker``) while
the engine's tests re-import the model classes per run.

Whether the cache hits never changes what the workflow does: the work charged
to the pacing meter depends on the text alone (see ``loader.DocumentParse``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final, Generic, TypeVar

#: Distinct definitions kept (least recently used evicted first).
MAX_ENTRIES: Final = 128

#: What the structural check of a definition found: mode, (source, scope, where) per
#: expression, task count.
Checked = tuple[str, tuple[tuple[str, tuple[str, ...], str], ...], int]
#: A definition's ``document`` block (JSON text) and its ``use.secrets`` names.
Header = tuple[str, tuple[str, ...]]

T = TypeVar("T")


class _PerText(Generic[T]):
    """One result per definition text, the least recently used evicted past ``MAX_ENTRIES``."""

    def __init__(self) -> None:
        self._results: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> T | None:
        with self._lock:
            found = self._results.get(text)
            if found is not None:
                self._results.move_to_end(text)
            return found

    def put(self, text: str, result: T) -> None:
        with self._lock:
            self._results[text] = result
            while len(self._results) > MAX_ENTRIES:
                self._results.popitem(last=False)


_parsed: _PerText[tuple[str, bool]] = _PerText()
_checked: _PerText[Checked] = _PerText()
_headers: _PerText[Header] = _PerText()


def cached(text: str) -> tuple[str, bool] | None:
    """The JSON text of a definition parsed before here, and whether its text was JSON."""
    return _parsed.get(text)


def store(text: str, parsed: str, *, is_json: bool = False) -> None:
    """Remember the JSON text of a parsed definition."""
    _parsed.put(text, (parsed, is_json))


def checked(text: str) -> Checked | None:
    """What the structural check found for this definition text, if it passed before."""
    return _checked.get(text)


def store_checked(text: str, result: Checked) -> None:
    """Remember that this definition text passed the structural check, and what it found."""
    _checked.put(text, result)


def header(text: str) -> Header | None:
    """The ``document`` block and ``use.secrets`` names read from this text before."""
    return _headers.get(text)


def store_header(text: str, result: Header) -> None:
    """Remember a definition's ``document`` block and ``use.secrets`` names."""
    _headers.put(text, result)
