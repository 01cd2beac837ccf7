"""Per-execution settings of the wired engine, carried in the Temporal memo.

Workflow code may not read the environment or config files, so the starter
puts these settings in the workflow memo (deterministic, visible in the UI)
and children inherit them through their own memo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # The keys are part of the engine contract (apis/stigmer/engine/v1/contract.proto).
    from stigmer.engine.v1 import contract_temporal as engine_contract

LIFECYCLE_EVENTS_MEMO: Final = engine_contract.LIFECYCLE_EVENTS_MEMO
DEPTH_MEMO: Final = engine_contract.WORKFLOW_DEPTH_MEMO
MAX_DEPTH_MEMO: Final = engine_contract.MAX_WORKFLOW_DEPTH_MEMO
EXECUTION_ID_MEMO: Final = engine_contract.EXECUTION_ID_MEMO
DEFAULT_MAX_DEPTH: Final = 8


@dataclass(frozen=True)
class RunSettings:
    """Attributes:
    lifecycle_events: publish the spec's lifecycle events (default on).
    depth: how many `run: workflow` parents this execution has (0 = top level).
    max_depth: deepest nesting allowed; deeper `run: workflow` faults clearly.
    execution_id: the platform execution a `run: workflow` child belongs to
        (its secrets are that execution's); empty outside the platform.
    """

    lifecycle_events: bool = True
    depth: int = 0
    max_depth: int = DEFAULT_MAX_DEPTH
    execution_id: str = ""

    def memo(self) -> dict[str, Any]:
        return {
            LIFECYCLE_EVENTS_MEMO: self.lifecycle_events,
            DEPTH_MEMO: self.depth,
            MAX_DEPTH_MEMO: self.max_depth,
            EXECUTION_ID_MEMO: self.execution_id,
        }

    @staticmethod
    def current() -> RunSettings:
        """The settings of the running workflow (call from workflow code only)."""
        return RunSettings(
            lifecycle_events=bool(workflow.memo_value(LIFECYCLE_EVENTS_MEMO, True)),
            depth=int(workflow.memo_value(DEPTH_MEMO, 0)),
            max_depth=int(workflow.memo_value(MAX_DEPTH_MEMO, DEFAULT_MAX_DEPTH)),
            execution_id=str(workflow.memo_value(EXECUTION_ID_MEMO, "")),
        )
