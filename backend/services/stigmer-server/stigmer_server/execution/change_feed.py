"""In-process pub/sub of execution changes, one topic per execution id.

Subscribe registers its queue BEFORE reading the current state, so no change
can fall between the two; the subscriber drops duplicates by metadata.version.
Queues are unbounded: a change is one small message and a subscription ends at
the terminal phase, so a slow client cannot grow one without bound for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from google.protobuf.message import Message


class Deleted:
    """Queued to a topic's subscribers when its execution is deleted: the stream
    ends with NOT_FOUND instead of waiting for a change that will never come."""


DELETED = Deleted()

#: What a subscription queue carries: a change, ``DELETED``, or ``None`` (shutdown).
FeedItem = Message | Deleted | None


class ChangeFeed:
    def __init__(self) -> None:
        self._topics: dict[str, set[asyncio.Queue[FeedItem]]] = {}

    @contextmanager
    def subscribe(self, execution_id: str) -> Iterator[asyncio.Queue[FeedItem]]:
        """A queue receiving a copy of every change published for ``execution_id``;
        ``None`` means the feed is closing (server shutdown), ``DELETED`` that the
        execution is gone."""
        queue: asyncio.Queue[FeedItem] = asyncio.Queue()
        self._topics.setdefault(execution_id, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._topics.get(execution_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._topics[execution_id]

    def publish(self, execution_id: str, resource: Message) -> None:
        """Queues one snapshot of ``resource`` to every subscriber of ``execution_id``.

        One copy shared by all of them (not one each): subscribers only read and
        send it, and the copy keeps it apart from the publisher's later changes.
        """
        subscribers = self._topics.get(execution_id)
        if not subscribers:
            return
        snapshot = type(resource)()
        snapshot.CopyFrom(resource)
        for queue in subscribers:
            queue.put_nowait(snapshot)

    def end(self, execution_id: str) -> None:
        """Ends the subscriptions of a deleted execution (they answer NOT_FOUND)."""
        for queue in self._topics.get(execution_id, ()):
            queue.put_nowait(DELETED)

    def close(self) -> None:
        """Ends every open subscription (graceful shutdown)."""
        for subscribers in self._topics.values():
            for queue in subscribers:
                queue.put_nowait(None)

    def subscriber_count(self, execution_id: str) -> int:
        return len(self._topics.get(execution_id, ()))
