"""Phase transitions as an ordered table of named rules.

Prior art: Prefect's orchestration policies. The first rule whose ``from`` and
``to`` sets match decides; when none matches the proposed phase is ignored.
Ignoring (rather than failing the report) matters because runners report
asynchronously: a late IN_PROGRESS report arriving after COMPLETED is normal
and must simply not win.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from stigmer.commons.v1 import phase_pb2

UNSPECIFIED = phase_pb2.EXECUTION_PHASE_UNSPECIFIED
PENDING = phase_pb2.PENDING
IN_PROGRESS = phase_pb2.IN_PROGRESS
TERMINAL = frozenset({phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED})
ANY = frozenset({UNSPECIFIED, PENDING, IN_PROGRESS, *TERMINAL})


class Decision(Enum):
    ACCEPT = "accept"
    IGNORE = "ignore"


@dataclass(frozen=True)
class PhaseRule:
    name: str
    from_phases: frozenset[int]
    to_phases: frozenset[int]
    decision: Decision


PHASE_RULES: tuple[PhaseRule, ...] = (
    PhaseRule("no-phase-reported", ANY, frozenset({UNSPECIFIED}), Decision.IGNORE),
    PhaseRule("terminal-is-final", TERMINAL, ANY, Decision.IGNORE),
    PhaseRule("same-phase", frozenset({PENDING}), frozenset({PENDING}), Decision.IGNORE),
    PhaseRule("same-phase", frozenset({IN_PROGRESS}), frozenset({IN_PROGRESS}), Decision.IGNORE),
    PhaseRule(
        "never-back-to-pending", frozenset({IN_PROGRESS}), frozenset({PENDING}), Decision.IGNORE
    ),
    PhaseRule("first-report", frozenset({UNSPECIFIED}), ANY, Decision.ACCEPT),
    PhaseRule("start", frozenset({PENDING}), frozenset({IN_PROGRESS}), Decision.ACCEPT),
    PhaseRule("finish", frozenset({PENDING, IN_PROGRESS}), TERMINAL, Decision.ACCEPT),
)


@dataclass(frozen=True)
class PhaseVerdict:
    phase: int
    accepted: bool
    rule: str


def decide(current: int, proposed: int, rules: tuple[PhaseRule, ...] = PHASE_RULES) -> PhaseVerdict:
    """The phase after a report proposing ``proposed`` while at ``current``."""
    for rule in rules:
        if current in rule.from_phases and proposed in rule.to_phases:
            if rule.decision is Decision.ACCEPT:
                return PhaseVerdict(proposed, True, rule.name)
            return PhaseVerdict(current, False, rule.name)
    return PhaseVerdict(current, False, "no-rule-matched")
