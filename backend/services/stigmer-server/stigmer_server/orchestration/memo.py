"""The memo through which an orchestration workflow learns its runner queue.

The starter writes the runner queue resolved at boot (contract default or env
override) into the workflow memo; the workflow reads it back instead of the
environment, so a deployment can re-route runners without a code change and
workflow code stays deterministic. The key is part of the wire contract shared
with other implementations of the starter (the Go server used the same key).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Declared in the workflow execution contract; agent orchestrations use it too.
    from stigmer.workflowexecution.v1.contract_temporal import RUNNER_QUEUE_MEMO

RUNNER_QUEUE_MEMO_KEY = RUNNER_QUEUE_MEMO


def runner_queue_memo(runner_queue: str) -> dict[str, str]:
    """The memo a starter attaches to an orchestration workflow."""
    if not runner_queue:
        raise ValueError("runner_queue: must not be empty")
    return {RUNNER_QUEUE_MEMO_KEY: runner_queue}


def runner_queue_from_memo() -> str | None:
    """Inside workflow code: the runner queue from the memo, or None if absent.

    None lets the caller fall back to the contract's default queue (a constant,
    so still deterministic) rather than fail an execution a starter forgot to tag.
    """
    value = workflow.memo_value(RUNNER_QUEUE_MEMO_KEY, default=None, type_hint=str)
    return value or None
