"""The phase rule table: forward only, terminal is final, first matching rule wins."""

from __future__ import annotations

import pytest
from stigmer.commons.v1 import phase_pb2 as p
from stigmer_server.execution.phase_rules import decide


@pytest.mark.parametrize(
    ("current", "proposed", "expected", "rule"),
    [
        (p.PENDING, p.IN_PROGRESS, p.IN_PROGRESS, "start"),
        (p.IN_PROGRESS, p.COMPLETED, p.COMPLETED, "finish"),
        (p.PENDING, p.FAILED, p.FAILED, "finish"),
        (p.IN_PROGRESS, p.CANCELLED, p.CANCELLED, "finish"),
        (p.COMPLETED, p.IN_PROGRESS, p.COMPLETED, "terminal-is-final"),
        (p.FAILED, p.COMPLETED, p.FAILED, "terminal-is-final"),
        (p.IN_PROGRESS, p.PENDING, p.IN_PROGRESS, "never-back-to-pending"),
        (p.IN_PROGRESS, p.EXECUTION_PHASE_UNSPECIFIED, p.IN_PROGRESS, "no-phase-reported"),
        (p.IN_PROGRESS, p.IN_PROGRESS, p.IN_PROGRESS, "same-phase"),
        (p.EXECUTION_PHASE_UNSPECIFIED, p.IN_PROGRESS, p.IN_PROGRESS, "first-report"),
    ],
)
def test_decide(current: int, proposed: int, expected: int, rule: str) -> None:
    verdict = decide(current, proposed)
    assert (verdict.phase, verdict.rule) == (expected, rule)
    assert verdict.accepted == (expected == proposed and expected != current)
