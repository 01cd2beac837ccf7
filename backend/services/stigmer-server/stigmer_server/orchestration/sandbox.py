"""The sandbox the orchestration workflows run in.

Temporal's sandbox re-imports a workflow's module (and whatever it imports that
is not passed through) for every run: 12 % of the server's CPU under load went
there (issue 16). The orchestration package and the generated protos are passed
through instead: their workflow code is deterministic (workflow time and
Temporal calls only), which ``tests/orchestration/test_orchestration_determinism.py``
checks statically; everything else keeps the sandbox's restrictions.
"""

from __future__ import annotations

from typing import Final

from stigmer_temporal.context_free_runner import without_context_trips
from temporalio.converter import DataConverter
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

#: Modules imported once per process instead of once per run.
PASSTHROUGH: Final = (
    "stigmer_server.orchestration",
    "stigmer",
    "stigmer_temporal",
    "google.protobuf",
)


def orchestration_sandbox(converter: DataConverter | None = None) -> WorkflowRunner:
    """The runner both orchestration workers (and replays of their histories) use.

    Serialization contexts are answered outside the sandbox when ``converter``
    (the worker client's; None: the server's) takes none (``ContextFreeRunner``).
    """
    sandbox = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )
    return without_context_trips(sandbox, converter)
