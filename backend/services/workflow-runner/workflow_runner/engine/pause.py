"""Pause and resume of a run at task boundaries (workflow code).

The ``PauseEngine`` / ``ResumeEngine`` signals of the engine contract flip
:attr:`PauseGate.paused`; every task awaits :meth:`PauseGate.wait_open` before it
starts, so a pause lets the running task finish and holds the next one. An open
gate awaits nothing, so runs that are never paused replay exactly as before.
Cancelling a held run works like cancelling any wait: the gate's condition is
cancelled with the rest of the run.
"""

from __future__ import annotations

from temporalio import workflow


class PauseGate:
    """Whether the run may start its next task."""

    def __init__(self, paused: bool = False) -> None:
        self.paused = paused
        #: Whether a pause or resume signal arrived (it wins over the input's initial state).
        self.signalled = False
        #: How many task starts were held (for tests and logs).
        self.holds = 0

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.signalled = True

    async def wait_open(self) -> None:
        """Return when the gate is open; immediately (without yielding) if it is."""
        if self.paused:
            self.holds += 1
            await workflow.wait_condition(lambda: not self.paused)
