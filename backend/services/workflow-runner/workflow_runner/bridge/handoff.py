"""Keeping handed-off ``ExecuteWorkflow`` attempts alive: one heartbeat loop per runner.

``ExecuteWorkflow`` has a heartbeat timeout (contract), and Temporal applies it
to an attempt completed asynchronously too. So once an attempt has handed its
token to the engine, this runner heartbeats that token until the engine
completes it. If the runner dies, the heartbeats stop, the attempt times out
within the heartbeat timeout and Temporal retries it on a live runner, which
hands the engine the new token (see :mod:`.execute_workflow`). Nothing of this
touches the engine's history: the heartbeats are plain client calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import timedelta

from temporalio.client import AsyncActivityCancelledError, Client
from temporalio.service import RPCError, RPCStatusCode

_log = logging.getLogger(__name__)


def heartbeat_interval(timeout: timedelta | None) -> float:
    """Seconds between heartbeats: a third of the timeout, so one lost beat is harmless."""
    return (timeout or timedelta(seconds=30)).total_seconds() / 3


class HandoffKeeper:
    """Heartbeats every token it holds until Temporal says the attempt is gone or cancelled.

    Args:
        client: the runner's Temporal client.
        interval: seconds between two rounds of heartbeats.
        watch: called every ``watch_every`` rounds with the executions held;
            answers those whose engine is closed, which are released (see
            :mod:`.engine_watch`).
    """

    def __init__(
        self,
        client: Client,
        interval: float,
        watch: Callable[[Iterable[str]], Awaitable[set[str]]] | None = None,
        watch_every: int = 3,
    ) -> None:
        self._client = client
        self._interval = interval
        self._watch = watch
        self._watch_every = watch_every
        self._tokens: dict[bytes, str] = {}
        self._loop: asyncio.Task[None] | None = None

    @property
    def held(self) -> int:
        """How many handed-off attempts this runner keeps alive now."""
        return len(self._tokens)

    def hold(self, token: bytes, execution_id: str) -> None:
        """Keep the attempt of ``token`` alive until it is completed or times out."""
        self._tokens[token] = execution_id

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="execute-workflow-heartbeats")

    async def stop(self) -> None:
        """Stop heartbeating; the attempts held time out and are retried elsewhere."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None

    async def _run(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(self._interval)
            rounds += 1
            if self._watch is not None and rounds % self._watch_every == 0:
                closed = await self._watch(list(self._tokens.values()))
                for token, execution_id in list(self._tokens.items()):
                    if execution_id in closed:
                        _log.info("execution %s: engine closed; attempt released", execution_id)
                        del self._tokens[token]
            tokens = list(self._tokens.items())
            results = await asyncio.gather(
                *(self._beat(token) for token, _ in tokens), return_exceptions=True
            )
            for (token, execution_id), result in zip(tokens, results, strict=True):
                if result is False:
                    self._tokens.pop(token, None)
                elif isinstance(result, BaseException):
                    _log.warning("execution %s: heartbeat failed: %s", execution_id, result)

    async def _beat(self, token: bytes) -> bool:
        """Heartbeat one attempt; False once it no longer exists (completed or timed out)."""
        try:
            await self._client.get_async_activity_handle(task_token=token).heartbeat()
        except AsyncActivityCancelledError:
            # The orchestration was cancelled: the engine is stopped by the cancel itself.
            return False
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True


@contextlib.asynccontextmanager
async def heartbeating(beat: Callable[[], None], interval: float) -> AsyncIterator[None]:
    """Call ``beat`` every ``interval`` seconds while the block runs (an activity's own phase)."""

    async def loop() -> None:
        while True:
            beat()
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
