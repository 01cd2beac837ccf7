"""Continue-as-new in the middle of a run: where to resume, and how to get there.

A Temporal history asks for continue-as-new past ~4k events. A long ``for``
loop (e.g. one activity per item over 10,000 items) would exceed that, so at
an iteration boundary, when ``workflow.info().is_continue_as_new_suggested()``,
the loop raises :class:`ContinueAsNewRequested` (a data-only loop grows its
history too: it yields to Temporal with a short timer after each activation's
budget of work, see :mod:`.pacing`). Each enclosing level adds a
*frame* describing its position while the exception unwinds; the workflow
then continues as new with the frames, the current ``$context`` and the
original descriptors, and each level resumes from its frame.

Frames, outermost first once unwound:

* ``{"kind": "task", "index": i, "raw_input": ..., "task_input": ...}`` — the
  i-th task of a scope, already past ``if``/``input`` (its data is kept);
* ``{"kind": "for", "iteration": k, "items": [...], "data": ...}`` — a ``for``
  loop at iteration k with that iteration's input; further frames, if any,
  resume inside the iteration's body.

Only ``do`` scopes and ``for`` loops can be resumed. Constructs whose state
is not captured (``try`` with retries, ``fork`` branches, ``listen``) mark the
run as not checkpointable while they run, so loops inside them never
continue as new (their history grows as it would without this feature).
"""

from __future__ import annotations

from typing import Any

Frame = dict[str, Any]


class ContinueAsNewRequested(Exception):
    """Unwinds the task stack; enclosing levels append their frame (innermost first)."""

    def __init__(self, frame: Frame) -> None:
        super().__init__("continue-as-new requested")
        self.frames: list[Frame] = [frame]
