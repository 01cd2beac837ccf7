"""Temporal names of the event bus, kept in one place (to move to the apis/ contract)."""

from __future__ import annotations

from typing import Final

REGISTRY_WORKFLOW_TYPE: Final = "stigmer.events.Registry"
REGISTRY_WORKFLOW_ID_PREFIX: Final = "stigmer.events.registry/"
SUBSCRIBE_SIGNAL: Final = "subscribe"
UNSUBSCRIBE_SIGNAL: Final = "unsubscribe"
PUBLISH_SIGNAL: Final = "publish"
PUBLISH_BATCH_SIGNAL: Final = "publish_batch"
PUBLISH_ACTIVITY: Final = "stigmer.events.Publish"
PUBLISH_BATCH_ACTIVITY: Final = "stigmer.events.PublishBatch"
SUBSCRIBE_ACTIVITY: Final = "stigmer.events.Subscribe"
UNSUBSCRIBE_ACTIVITY: Final = "stigmer.events.Unsubscribe"
CLOSED_WORKFLOWS_ACTIVITY: Final = "stigmer.events.ClosedWorkflows"
DEFAULT_BUS: Final = "default"
REGISTRY_TASK_QUEUE: Final = "stigmer_event_registry"
"""Queue of the registry workflow: every `dsl` process polls it, so any live one routes."""


def registry_workflow_id(bus: str = DEFAULT_BUS) -> str:
    """One registry per bus name (one bus per Temporal namespace by default)."""
    return REGISTRY_WORKFLOW_ID_PREFIX + bus
