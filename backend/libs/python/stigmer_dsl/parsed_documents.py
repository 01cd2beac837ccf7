"""Definitions already parsed in this process, shared by workflow runs (passed through the sandbox).

Parsing a large YAML definition costs ~0.4 s of CPU for 5,000 tasks: every
run of the same definition, every continue-as-new and every replay would
parse it again. Parsing is a pure function of the text, so its result (as JSON
text: each caller gets its own copy) can be shared. Whether the cache hits
never changes what the workflow does (see ``loader.DocumentParse``).
This module is passed through Temporal's sandbox (see ``engine.worker``) so
the cache outlives one workflow run; it holds no other state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

#: Distinct definitions kept (least recently used evicted first).
MAX_ENTRIES: Final = 64
#: Shorter texts are parsed every time: caching them saves nothing measurable.
MIN_LENGTH: Final = 16_384

_entries: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def cached(text: str) -> str | None:
    """The JSON text of a definition parsed before in this process, if any."""
    if len(text) < MIN_LENGTH:
        return None
    with _lock:
        found = _entries.get(text)
        if found is not None:
            _entries.move_to_end(text)
        return found


def store(text: str, parsed: str) -> None:
    """Remember the JSON text of a parsed definition."""
    if len(text) < MIN_LENGTH:
        return
    with _lock:
        _entries[text] = parsed
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
