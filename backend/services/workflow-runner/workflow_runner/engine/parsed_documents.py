"""Definitions already parsed in this process, shared by workflow runs (passed through the sandbox).

Parsing a large YAML definition is the one piece of an engine activation that
cannot be paced (a 5,000-task document takes ~0.3-0.5 s of CPU): every run of
the same definition, every continue-as-new and every replay would parse it
again, inside a workflow activation. Parsing is a pure function of the text,
so its result (as JSON text: each caller gets its own copy) can be shared.
This module is passed through Temporal's sandbox (see ``engine.worker``) so
the cache outlives one workflow run; it holds no other state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

#: Distinct definitions kept (least recently used evicted first).
MAX_ENTRIES: Final = 64
#: Shorter texts are parsed every time: caching them saves nothing measurable.
MIN_LENGTH: Final = 16_384

_entries: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def parse(text: str, to_json: Callable[[str], str]) -> str:
    """``to_json(text)``, from the cache when this text was parsed before (errors are not cached)."""
    if len(text) < MIN_LENGTH:
        return to_json(text)
    with _lock:
        cached = _entries.get(text)
        if cached is not None:
            _entries.move_to_end(text)
            return cached
    parsed = to_json(text)
    with _lock:
        _entries[text] = parsed
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return parsed
