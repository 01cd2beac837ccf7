"""Child processes that die with their parent, however it dies (``kill -9`` included).

An orderly stop cannot run when the supervisor is killed with SIGKILL, so the
children ask the kernel for a signal when their parent goes:
``prctl(PR_SET_PDEATHSIG)`` (Linux), set between fork and exec by a
``preexec_fn``. Two details matter:

- The kernel sends it when the *thread* that forked the child exits, not the
  process: spawn from the main thread only (checked here), or the child dies
  as soon as a short-lived worker thread ends.
- The parent can die between ``fork`` and ``prctl``; the child then already
  belongs to another parent and would never get the signal, so it compares
  ``getppid()`` with the pid recorded before forking and kills itself.

Elsewhere (macOS) there is no such call: :func:`die_with_parent` returns
``None`` and only the orderly stop applies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl() -> Callable[[int, int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    function: Callable[[int, int, int, int, int], int] = prctl
    return function


# Resolved once, in the parent: the forked child only calls it (no dlopen after fork).
_PRCTL = _load_prctl()


def die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``signum`` when this process dies.

    Returns ``None`` where the platform has no parent-death signal.

    Raises:
        RuntimeError: called from a thread other than the main thread.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "children must be spawned from the main thread: the parent-death signal "
            "fires when the forking thread exits"
        )
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        if prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signum)

    return set_parent_death_signal
