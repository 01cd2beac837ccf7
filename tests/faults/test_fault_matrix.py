"""The fault matrix in CI: 50 executions, kill -9 of each platform process once.

Runner, stigmer-server, the Temporal dev server (its database file kept) and
the whole ``stigmer server`` supervisor are each killed at a seeded random
moment of a round and restarted. Every execution whose Create answered OK
must end COMPLETED with its output, every stored one must end, within 60 s of
the restart, and every repeated HTTP request must follow a kill (at most one
repeat per kill per execution). The longer version is tools/faults/fault_matrix.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fault_matrix import KINDS, FaultMatrix, kill_plan

pytestmark = pytest.mark.integration

EXECUTIONS = 50
RECOVERY_LIMIT_SECONDS = 60.0
# Fixed so CI replays one schedule; STIGMER_FAULTS_SEED picks another.
DEFAULT_SEED = 20261201
# After its random delay, the kill of these waits for an HTTP call in flight:
# the runner's kill then loses a running activity, Temporal's its completion.
AIM_AT_HTTP = ("runner", "temporal")


async def test_every_execution_completes_through_kills_of_each_process(tmp_path: Path) -> None:
    seed = int(os.environ.get("STIGMER_FAULTS_SEED") or DEFAULT_SEED)
    print(f"fault matrix seed {seed}")
    matrix = FaultMatrix(
        tmp_path,
        seed=seed,
        executions=EXECUTIONS,
        recovery_limit=RECOVERY_LIMIT_SECONDS,
        aim_at_http=AIM_AT_HTTP,
    )
    plan = kill_plan(len(KINDS), KINDS, matrix.rng)
    report = await matrix.run(plan)
    figures = json.dumps(report.as_dict(), indent=2)
    print(figures)
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if outputs:  # under Bazel: kept with the test's outputs
        (Path(outputs) / "fault_matrix.json").write_bytes(figures.encode())

    context = f"seed {seed}\n{figures}\n{matrix.stack.log_tails()}"
    assert report.kills == {kind: 1 for kind in KINDS}, context
    assert not report.problems, context
    assert not report.unexplained_duplicates, context
    # Not vacuous: most creates are acknowledged (only those during a server or
    # supervisor outage are refused) and each of those completed.
    assert report.executions_created >= EXECUTIONS // 2, context
    assert report.executions_completed == report.executions_created, context
    for played in report.rounds:
        assert 0 <= played.recovery_seconds <= RECOVERY_LIMIT_SECONDS, context
        if played.kind in AIM_AT_HTTP:
            assert played.http_open_at_kill > 0, context  # the kill hit a call
