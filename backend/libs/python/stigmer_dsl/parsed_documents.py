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
from typing import Final

#: Distinct definitions kept (least recently used evicted first).
MAX_ENTRIES: Final = 128

#: What the structural check of a definition found: mode, (source, scope, where) per
#: expression, task count.
Checked = tuple[str, tuple[tuple[str, tuple[str, ...], str], ...], int]

_parsed: OrderedDict[str, tuple[str, bool]] = OrderedDict()
_checked: OrderedDict[str, Checked] = OrderedDict()
_lock = threading.Lock()


def cached(text: str) -> tuple[str, bool] | None:
    """The JSON text of a definition parsed before here, and whether its text was JSON."""
    with _lock:
        found = _parsed.get(text)
        if found is not None:
            _parsed.move_to_end(text)
        return found


def store(text: str, parsed: str, *, is_json: bool = False) -> None:
    """Remember the JSON text of a parsed definition."""
    with _lock:
        _parsed[text] = (parsed, is_json)
        while len(_parsed) > MAX_ENTRIES:
            _parsed.popitem(last=False)


def checked(text: str) -> Checked | None:
    """What the structural check found for this definition text, if it passed before."""
    with _lock:
        found = _checked.get(text)
        if found is not None:
            _checked.move_to_end(text)
        return found


def store_checked(text: str, result: Checked) -> None:
    """Remember that this definition text passed the structural check, and what it found."""
    with _lock:
        _checked[text] = result
        while len(_checked) > MAX_ENTRIES:
            _checked.popitem(last=False)
