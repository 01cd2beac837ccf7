"""Keep the runner's activity inside the orchestration workflow's own deadline.

The contracts give the runner activity and the orchestration workflow the same
30-minute budget. If the workflow hit its execution timeout first, Temporal
would end it with no chance to record anything, and the execution would stay
IN_PROGRESS forever. Capping the activity's schedule-to-close at the time left
minus a margin makes the runner time out *inside* the workflow, which then
persists FAILED with an ``ACTIVITY_TIMEOUT`` error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Time kept back for the local status activity (10 s per attempt, retried).
RECORDING_MARGIN = timedelta(seconds=30)
# Never hand a runner less than this, even when the workflow is nearly out of time.
MINIMUM_BUDGET = timedelta(seconds=1)


def runner_budget(
    execution_timeout: timedelta | None, started: datetime, now: datetime
) -> timedelta | None:
    """The schedule-to-close for the next runner activity, or None (no workflow deadline).

    Args:
        execution_timeout: The workflow's execution timeout (``workflow.info()``).
        started: When the workflow started (``workflow.info().workflow_start_time``).
        now: The workflow's current time (``workflow.now()``), never the wall clock.
    """
    if execution_timeout is None or execution_timeout <= timedelta(0):
        return None
    remaining = execution_timeout - (now - started) - RECORDING_MARGIN
    return max(remaining, MINIMUM_BUDGET)
