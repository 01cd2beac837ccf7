"""The startup heap leaves the full collections: a gen-2 collection no longer
walks what was alive at boot, and garbage made afterwards is still collected.
What the orchestration loads once connected is frozen once more, and only once."""

from __future__ import annotations

import gc
import weakref

from stigmer_server.startup_heap import (
    freeze_late_imports,
    freeze_startup_heap,
    unfreeze_for_tests,
)


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_boot_objects_are_frozen_and_later_cycles_still_collected() -> None:
    try:
        kept = _Node()
        frozen = freeze_startup_heap()
        assert frozen > 0
        assert gc.get_freeze_count() == frozen
        assert not gc.is_tracked(kept) or kept not in gc.get_objects(generation=2)

        later = _Node()
        alive = weakref.ref(later)
        del later
        gc.collect()
        assert alive() is None  # collection still runs for what came after
    finally:
        unfreeze_for_tests()


def test_late_imports_are_frozen_once_and_only_after_a_startup_freeze() -> None:
    try:
        assert freeze_late_imports() == 0  # a process that never froze (tests) is left alone
        assert gc.get_freeze_count() == 0
        startup = freeze_startup_heap()
        loaded_late = [_Node() for _ in range(100)]  # the orchestration's client and workers
        late = freeze_late_imports()
        assert late >= startup + len(loaded_late)
        assert not any(node in gc.get_objects() for node in loaded_late)
        _reconnected = _Node()
        assert freeze_late_imports() == 0  # a reconnection's objects may become garbage
        assert gc.get_freeze_count() == late
    finally:
        unfreeze_for_tests()
