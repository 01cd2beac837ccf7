"""Keep the startup heap out of the garbage collector's full collections.

After boot the server holds ~90,000 long-lived objects (protobuf descriptors,
the Temporal SDK, generated contracts, validators) that never become garbage.
CPython's full (generation 2) collection still walks all of them: 50-130 ms on
the event loop on a loaded 2-core machine, every few seconds at 1000 requests/s,
which was the p99 of every RPC (health checks included). ``gc.freeze()`` moves
them to the permanent generation, so a full collection walks only what was
allocated since; collection itself stays on (cycles made while serving are
still freed).

The orchestration connects to Temporal in the background, after the server
serves (and after this first freeze): its client, workers and the workflow
sandbox's validation imports are long-lived too, so they are frozen once more
when the first connection is installed (:func:`freeze_late_imports`). Only
once: a later reconnection's objects may become garbage again (a dropped
connection), and frozen cycles would never be freed.
"""

from __future__ import annotations

import gc


class _Freezes:
    startup = False  # the process froze its startup heap (the server's main does)
    late = False  # and froze what the first orchestration connection loaded


def freeze_startup_heap() -> int:
    """Collect once, then exempt every surviving object from later collections.

    Returns how many objects are frozen (for the log line and the test).
    """
    gc.collect()
    gc.freeze()
    _Freezes.startup = True
    return gc.get_freeze_count()


def freeze_late_imports() -> int:
    """Freeze what was loaded after the startup freeze (the orchestration's client,
    workers and imports), once per process, and only in a process that froze its
    startup heap (in-process tests do not, so this does nothing there).

    Returns how many objects are frozen now (0 when it did nothing).
    """
    if not _Freezes.startup or _Freezes.late:
        return 0
    _Freezes.late = True
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def unfreeze_for_tests() -> None:
    """Undo both freezes (tests that freeze must leave the process as they found it)."""
    gc.unfreeze()
    _Freezes.startup = _Freezes.late = False
