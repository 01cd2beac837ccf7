"""The startup heap leaves the full collections: a gen-2 collection no longer
walks what was alive at boot, and garbage made afterwards is still collected."""

from __future__ import annotations

import gc
import weakref

from stigmer_server.startup_heap import freeze_startup_heap


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
        gc.unfreeze()
