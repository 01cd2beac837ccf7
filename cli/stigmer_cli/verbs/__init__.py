"""One module per verb group; each lists its click commands in ``COMMANDS``.

To add a verb: write it in the module of its group (or a new module), append it
to that module's ``COMMANDS``, and name a new module in :data:`VERB_MODULES`.
Raise :class:`stigmer_cli.errors.UsageError` (exit 2) or
:class:`~stigmer_cli.errors.Unreachable` (exit 3) for the user; return the exit code.
"""

from __future__ import annotations

from types import ModuleType

from stigmer_cli.verbs import (
    agents,
    approvals,
    completion,
    control,
    emit,
    executions,
    keys,
    platform,
    resources,
    workflows,
)

#: In the order ``stigmer --help`` lists them.
VERB_MODULES: tuple[ModuleType, ...] = (
    platform,  # server, demo
    workflows,  # apply, run
    agents,  # agent run
    resources,  # get, list
    executions,  # describe, watch, logs
    control,  # cancel, pause, resume
    approvals,  # approve, reject
    emit,  # emit
    keys,  # keys create
    completion,  # completion
)
