"""Execution phases as the CLI names and colours them."""

from __future__ import annotations

from stigmer.commons.v1 import phase_pb2

TERMINAL = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)

#: rich styles per phase: the live view, ``describe`` and ``list`` agree.
PHASE_STYLES: dict[int, str] = {
    phase_pb2.PENDING: "dim",
    phase_pb2.IN_PROGRESS: "bold cyan",
    phase_pb2.COMPLETED: "green",
    phase_pb2.FAILED: "bold red",
    phase_pb2.CANCELLED: "yellow",
}


def phase_name(phase: int) -> str:
    return phase_pb2.ExecutionPhase.Name(phase)  # type: ignore[arg-type]


def phase_style(phase: int) -> str:
    return PHASE_STYLES.get(phase, "")
