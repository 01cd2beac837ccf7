"""The orchestration workflows' code holds no clock, random, environment or file access.

The server runs its orchestration workflows outside Temporal's sandbox
(``orchestration.sandbox``), so no sandbox refuses such a call at run time;
this static scan of every module the workflows import does.
"""

from __future__ import annotations

import pytest
from stigmer_testing.determinism_scan import imported_modules, scan_modules, unexpected

#: Reviewed exceptions: code in an imported module that never runs in a workflow.
ALLOWED = {
    "stigmer_temporal.contract:TaskQueue.resolve:os.environ": (
        "queue names resolved at start-up and by client starts, never in workflow code"
    ),
}


@pytest.mark.parametrize(
    "entry",
    [
        "stigmer_server.orchestration.workflow_execution",
        "stigmer_server.orchestration.agent_execution",
    ],
)
def test_orchestration_workflow_modules_make_no_non_deterministic_call(entry: str) -> None:
    modules = imported_modules(entry, ("stigmer_server", "stigmer_temporal"))
    assert entry in modules
    found = unexpected(scan_modules(modules), ALLOWED)
    assert not found, "non-deterministic calls in orchestration workflow code:\n" + "\n".join(
        map(str, found)
    )
