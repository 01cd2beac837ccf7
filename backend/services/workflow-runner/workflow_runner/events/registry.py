"""The event registry: a long-lived Temporal workflow routing CloudEvents to listeners.

Why a workflow: it makes delivery durable with no broker to install. The set of
subscriptions and the queue of events not yet forwarded live in workflow state,
so a kill -9 of any worker loses nothing — another worker replays the history and
carries on. Publishers and listeners reach it by *signal-with-start*, which
starts it on first use and never races with its own start.

Per event: one ``publish`` signal in; for each subscription whose filters may
match, one ``cloudevent`` signal out to the listening execution (by workflow id
only, so it reaches the current run across continue-as-new). Guarantees:

* no duplicates: an event (``source`` + ``id``) seen again within the last
  ``dedupe_window`` events is ignored, so retried publishes are harmless, and the
  outgoing signal is a workflow command, issued once even across replays;
* order: one event is forwarded to all its targets before the next starts, so each
  listener receives events in publish order;
* bounded history: the registry continues-as-new, carrying subscriptions, the
  dedupe window and undelivered events, when Temporal suggests it or its history
  passes ``max_history_events``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from stigmer.events.v1 import contract_temporal as events_contract

from workflow_runner.engine.names import CLOUDEVENT_SIGNAL
from workflow_runner.events.cloudevent import dedupe_key
from workflow_runner.events.correlation import correlates
from workflow_runner.events.filters import filter_may_match, subscription_wants


@dataclass
class Subscription:
    """One waiting `listen`: who to signal and which events it may want.

    Attributes:
        subscription_id: unique per (execution, listen task); re-subscribing with
            the same id replaces the filters (idempotent, safe to retry).
        workflow_id: the listening execution.
        filters: the listen's event filters (DSL ``eventFilter`` objects, their
            ``correlate.*.expect`` already resolved); empty means every
            non-lifecycle event.
        learned: correlation expectations fixed by the first accepted event, for
            correlations without ``expect`` (see :mod:`.correlation`).
    """

    subscription_id: str
    workflow_id: str
    filters: list[dict[str, Any]] = field(default_factory=list)
    learned: dict[str, Any] = field(default_factory=dict)


@dataclass
class PendingDelivery:
    event: dict[str, Any]
    targets: list[str]


@dataclass
class RegistryState:
    """What the registry carries across continue-as-new."""

    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    recent_event_keys: list[str] = field(default_factory=list)
    pending: list[PendingDelivery] = field(default_factory=list)
    # Retried publishes arrive within seconds; 2,000 keys (~120 kB) travel with every
    # continue-as-new, well under the 2 MB payload limit.
    dedupe_window: int = 2_000
    max_history_events: int = 5_000
    prune_interval_seconds: float = 600.0
    delivered_total: int = 0


@dataclass
class RegistryStatus:
    """Query result: what the registry holds now (for tests and operators)."""

    subscriptions: list[Subscription]
    pending: int
    delivered_total: int
    history_length: int


def _wants(subscription: Subscription, event: dict[str, Any]) -> bool:
    if not subscription_wants(subscription.filters, event):
        return False
    if not subscription.filters:
        return True
    return any(
        filter_may_match(f, event)
        and correlates(f, event, subscription.learned, filter_index=index)
        for index, f in enumerate(subscription.filters)
    )


@events_contract.REGISTRY.defn
class EventRegistryWorkflow:
    """Routes published CloudEvents to the executions listening for them."""

    @workflow.init
    def __init__(self, state: RegistryState) -> None:
        # State is restored here, not in run(): signal handlers (the signal of a
        # signal-with-start included) run before run() starts, and must see it.
        self._state = state
        self._recent: deque[str] = deque(state.recent_event_keys)
        self._recent_set: set[str] = set(self._recent)
        self._pending: deque[PendingDelivery] = deque(state.pending)

    @workflow.run
    async def run(self, state: RegistryState) -> None:
        while True:
            try:
                await workflow.wait_condition(
                    lambda: bool(self._pending) or self._should_roll_over(),
                    timeout=(
                        timedelta(seconds=self._state.prune_interval_seconds)
                        if self._state.subscriptions
                        else None
                    ),
                )
            except TimeoutError:
                await self._prune()
                continue
            # Check the budget between events too: under a steady stream the queue
            # may never run empty, and history must stay bounded anyway.
            while self._pending and not self._should_roll_over():
                await self._deliver(self._pending[0])
                self._pending.popleft()
            if self._should_roll_over():
                # Let in-flight signal handlers finish so nothing is lost, then restart
                # carrying subscriptions, dedupe window and the undelivered queue.
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._snapshot())

    async def _prune(self) -> None:
        """Forget subscriptions of executions that ended without unsubscribing.

        A listener that is terminated (or whose worker lost it) never sends its
        unsubscribe; delivery failures catch it only when a matching event comes.
        Idle periods are used to ask Temporal which subscribers are closed.
        """
        workflow_ids = sorted({s.workflow_id for s in self._state.subscriptions.values()})
        try:
            # The contract's timeout and retry policy: deliveries wait while this runs.
            closed: list[str] = await events_contract.CLOSED_WORKFLOWS.execute(
                workflow_ids, task_queue=workflow.info().task_queue
            )
        except ActivityError:
            return  # try again next idle period
        for workflow_id in closed:
            self._drop_subscriptions_of(workflow_id)

    def _should_roll_over(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._state.max_history_events
        )

    def _snapshot(self) -> RegistryState:
        return RegistryState(
            subscriptions=self._state.subscriptions,
            recent_event_keys=list(self._recent),
            pending=list(self._pending),
            dedupe_window=self._state.dedupe_window,
            max_history_events=self._state.max_history_events,
            prune_interval_seconds=self._state.prune_interval_seconds,
            delivered_total=self._state.delivered_total,
        )

    async def _deliver(self, delivery: PendingDelivery) -> None:
        results = await asyncio.gather(
            *(self._signal(target, delivery.event) for target in delivery.targets)
        )
        self._state.delivered_total += sum(results)

    async def _signal(self, subscription_id: str, event: dict[str, Any]) -> int:
        subscription = self._state.subscriptions.get(subscription_id)
        if subscription is None:  # unsubscribed while the event was queued
            return 0
        handle = workflow.get_external_workflow_handle(subscription.workflow_id)
        try:
            await handle.signal(CLOUDEVENT_SIGNAL, event)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The listener is gone (completed, terminated): forget it rather than
            # retry forever. Its own unsubscribe may simply never have run.
            workflow.logger.info(
                "dropping subscription %s: workflow %s cannot be signalled",
                subscription_id,
                subscription.workflow_id,
            )
            self._drop_subscriptions_of(subscription.workflow_id)
            return 0
        return 1

    def _drop_subscriptions_of(self, workflow_id: str) -> None:
        for sid in [
            s.subscription_id
            for s in self._state.subscriptions.values()
            if s.workflow_id == workflow_id
        ]:
            del self._state.subscriptions[sid]

    @events_contract.SUBSCRIBE.defn
    def subscribe(self, subscription: Subscription) -> None:
        self._state.subscriptions[subscription.subscription_id] = subscription

    @events_contract.UNSUBSCRIBE.defn
    def unsubscribe(self, subscription_id: str) -> None:
        self._state.subscriptions.pop(subscription_id, None)

    @events_contract.PUBLISH.defn
    def publish(self, event: dict[str, Any]) -> None:
        key = dedupe_key(event)
        if key in self._recent_set:
            return
        self._recent.append(key)
        self._recent_set.add(key)
        while len(self._recent) > self._state.dedupe_window:
            self._recent_set.discard(self._recent.popleft())
        # Targets are fixed now, in signal order: a listener subscribing after this
        # publish does not receive it (listen only sees events after it began).
        targets = [
            s.subscription_id for s in self._state.subscriptions.values() if _wants(s, event)
        ]
        if targets:
            self._pending.append(PendingDelivery(event=event, targets=targets))

    @events_contract.PUBLISH_BATCH.defn
    def publish_batch(self, events: list[dict[str, Any]]) -> None:
        """Several events in one signal (lifecycle events are sent in batches), in order."""
        for event in events:
            self.publish(event)

    @events_contract.STATUS.defn
    def status(self) -> RegistryStatus:
        return RegistryStatus(
            subscriptions=list(self._state.subscriptions.values()),
            pending=len(self._pending),
            delivered_total=self._state.delivered_total,
            history_length=workflow.info().get_current_history_length(),
        )
