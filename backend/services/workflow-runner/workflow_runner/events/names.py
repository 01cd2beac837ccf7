"""Temporal names of the event bus, from the contracts in apis/.

The registry workflow, its signals, query, activity and queue are declared in
``apis/stigmer/events/v1/contract.proto``; the local activities through which
the engine reaches it in ``apis/stigmer/engine/v1/contract.proto``.
"""

from __future__ import annotations

from typing import Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Generated modules must not be re-imported per run inside the sandbox.
    from stigmer.engine.v1 import contract_temporal as engine_contract
    from stigmer.events.v1 import contract_temporal as events_contract

REGISTRY_WORKFLOW_TYPE: Final = events_contract.REGISTRY.name
SUBSCRIBE_SIGNAL: Final = events_contract.SUBSCRIBE.name
UNSUBSCRIBE_SIGNAL: Final = events_contract.UNSUBSCRIBE.name
PUBLISH_SIGNAL: Final = events_contract.PUBLISH.name
PUBLISH_BATCH_SIGNAL: Final = events_contract.PUBLISH_BATCH.name
STATUS_QUERY: Final = events_contract.STATUS.name
PUBLISH_ACTIVITY: Final = engine_contract.PUBLISH_EVENT.name
PUBLISH_BATCH_ACTIVITY: Final = engine_contract.PUBLISH_EVENTS.name
SUBSCRIBE_ACTIVITY: Final = engine_contract.SUBSCRIBE_EVENTS.name
UNSUBSCRIBE_ACTIVITY: Final = engine_contract.UNSUBSCRIBE_EVENTS.name
CLOSED_WORKFLOWS_ACTIVITY: Final = events_contract.CLOSED_WORKFLOWS.name
DEFAULT_BUS: Final = "default"
REGISTRY_TASK_QUEUE: Final = events_contract.EVENT_REGISTRY_QUEUE.default
"""Queue of the registry workflow: every `dsl` process polls it, so any live one routes."""


def registry_workflow_id(bus: str = DEFAULT_BUS) -> str:
    """One registry per bus name (one bus per Temporal namespace by default)."""
    return events_contract.REGISTRY.format_id(bus=bus)
