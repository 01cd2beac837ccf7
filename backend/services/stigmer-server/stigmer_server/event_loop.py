"""The server's event loop: uvloop when installed, asyncio's own otherwise.

At 1000 requests/s nearly all of a call's server CPU is grpcio's asyncio server
and the event loop itself (scheduling callbacks and tasks, the selector); the
servicer is ~5 % of it. uvloop runs the same loop in C: measured here ~5-15 %
less server CPU per call (health check and Get alike), which on a shared
2-core machine is also less queueing behind other processes.
``STIGMER_EVENT_LOOP=asyncio`` keeps the standard loop (to compare, or to rule
the loop out when diagnosing).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENVIRONMENT_VARIABLE = "STIGMER_EVENT_LOOP"
CHOICES = ("uvloop", "asyncio")


class EventLoopChoiceError(ValueError):
    """``STIGMER_EVENT_LOOP`` names no loop this build can run."""


def chosen_loop(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """``uvloop`` or ``asyncio``: the variable if set, else uvloop when installed.

    Raises:
        EventLoopChoiceError: An unknown value, or uvloop asked for but not installed.
    """
    wanted = environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    installed = importlib.util.find_spec("uvloop") is not None
    if not wanted:
        return "uvloop" if installed else "asyncio"
    if wanted not in CHOICES:
        raise EventLoopChoiceError(
            f"{ENVIRONMENT_VARIABLE}={wanted!r}: must be one of {', '.join(CHOICES)}"
        )
    if wanted == "uvloop" and not installed:
        raise EventLoopChoiceError(f"{ENVIRONMENT_VARIABLE}=uvloop: uvloop is not installed")
    return wanted


def run(main: Coroutine[Any, Any, T], loop: str) -> T:
    """Runs ``main`` to completion on a new loop of kind ``loop`` (see :func:`chosen_loop`)."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
