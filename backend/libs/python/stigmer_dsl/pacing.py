"""Bounded work per workflow activation, counted (never timed).

Temporal's SDK fails a workflow activation that runs 2 s without yielding
("Potential deadlock detected"), and retries the workflow task forever. The
engine interprets data-only tasks (``set``, ``switch``, ``for`` over data...)
without any Temporal command, so a large workflow or a long data-only loop
would run in a single activation. The :class:`WorkMeter` counts the work done
since the workflow last yielded, in *work units* of roughly one microsecond of
CPU on the reference machine (2 shared cores), and once
:data:`ACTIVATION_BUDGET` is spent the next task first yields to Temporal with
a short durable timer (:data:`YIELD_DELAY`; 5 history events).

Counting, not timing, keeps replays identical: the same definition and data
charge the same units at the same points, so the timers land at the same
places on replay. Costs are estimates with margin (measured with
``tools/bench/engine_activation_budget.py``); a budget of 100 ms keeps each
activation ~20x below the 2 s detector, which leaves room for a loaded machine.
A small workflow never reaches the budget, so its history is unchanged.

What is charged:

* each task run: :data:`TASK_COST` (data flow, context, observer calls);
* each expression evaluation: :data:`EXPRESSION_COST` plus one unit per
  :data:`BYTES_PER_UNIT` bytes of JSON handed to jq (data, variables);
* loading the definition, before the first task runs: its text (parsed in
  slices, pacing between them), its tasks, and its expressions (compiled in
  batches of :data:`~.expressions.jq_language.BATCH_SIZE`, pacing between
  batches).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

#: Work units (~µs of CPU) an activation may spend before the engine yields.
ACTIVATION_BUDGET: Final = 100_000
#: The yield: a durable timer this short only costs the server round trip.
YIELD_DELAY: Final = timedelta(milliseconds=1)

#: One task through the data flow, beyond its expressions (observer included).
TASK_COST: Final = 60
#: One jq evaluation, beyond the data it is handed.
EXPRESSION_COST: Final = 25
#: JSON characters handed to jq per work unit (serialising, parsing, copying).
BYTES_PER_UNIT: Final = 5
#: Compiling one jq program alone (libjq binds its builtins at each compile).
COMPILE_COST: Final = 3_000

#: Loading a definition: per character of YAML text (parse + JSON round
#: trip) or of JSON text, per task (structural walk) and per expression
#: (batched compile). The text is parsed in slices (``loader.DocumentParse``).
DEFINITION_BYTE_COST: Final = 2
JSON_BYTE_COST: Final = 1
DEFINITION_TASK_COST: Final = 60
DEFINITION_EXPRESSION_COST: Final = 250


class WorkMeter:
    """Work units spent since the workflow last yielded to Temporal.

    ``spent`` only grows by :meth:`charge`; :meth:`reset` is called when the
    workflow is known to have yielded (its history grew, or the engine's own
    yield timer fired).
    """

    def __init__(self, budget: int = ACTIVATION_BUDGET) -> None:
        self.budget = budget
        self.spent = 0
        #: Yields the engine made for this run (for tests and diagnostics).
        self.yields = 0

    def charge(self, units: int) -> None:
        self.spent += units

    def exhausted(self) -> bool:
        return self.spent >= self.budget

    def reset(self) -> None:
        self.spent = 0


def expression_cost(json_bytes: int) -> int:
    """Units for one jq evaluation handed ``json_bytes`` bytes of JSON."""
    return EXPRESSION_COST + json_bytes // BYTES_PER_UNIT
