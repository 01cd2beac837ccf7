"""Calls to stigmer-server that survive its outages (a restart, a crash and recovery).

An attempt that fails with UNAVAILABLE (also how gRPC reports a refused or
dropped connection) or DEADLINE_EXCEEDED is retried with exponential backoff
until the retry budget (two minutes by default) has passed since the call
began; then the last error is raised. Answers such as NOT_FOUND or
INVALID_ARGUMENT are final at once. Callers retry only what is safe to repeat:
reads, and ``UpdateStatus``, which merges (a report applied twice changes
nothing more). The channel reconnects quickly (at most a second between
attempts) and each attempt waits for it to be ready, up to its deadline, so a
server that is back is used as soon as it answers. Inside a regular activity,
each retry heartbeats, so a long outage is not mistaken for a lost worker.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from stigmer_observability import client_metrics_interceptors
from temporalio import activity

from stigmer_client.channel import (
    FAST_RECONNECT_OPTIONS,
    Metadata,
    ServerTarget,
    key_metadata,
    open_channel,
)

#: One attempt's deadline (the retry budget bounds the whole call).
RPC_TIMEOUT_SECONDS = 10.0
#: How long one call keeps retrying through an outage before it fails.
DEFAULT_RETRY_BUDGET = timedelta(minutes=2)
#: Transient answers: the server is down, restarting or overloaded.
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_FIRST_BACKOFF_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 2.0

ReplyT = TypeVar("ReplyT", bound=Message)


class RetryingCalls:
    """Unary calls over one channel, each retried on transient failures; ``close()`` it.

    Args:
        target: Where stigmer-server is and how to authenticate.
        retry_budget: How long one call retries transient failures.
        log: Where the retries are reported (the service's own logger).
    """

    def __init__(
        self,
        target: ServerTarget,
        *,
        retry_budget: timedelta = DEFAULT_RETRY_BUDGET,
        log: logging.Logger | None = None,
    ) -> None:
        self.channel = open_channel(
            target.address,
            target.tls,
            options=FAST_RECONNECT_OPTIONS,
            interceptors=client_metrics_interceptors(),
        )
        self._endpoint = target.address
        self._budget = retry_budget.total_seconds()
        self._metadata: Metadata = key_metadata(target.api_key)
        self._log = log or logging.getLogger(__name__)

    async def close(self) -> None:
        await self.channel.close()

    async def call(
        self,
        name: str,
        rpc: Callable[..., Awaitable[Any]],
        request: Message,
        reply_type: type[ReplyT],
    ) -> ReplyT:
        """``rpc(request)``, retried on transient failures within the budget.

        Args:
            name: The call as logs name it (``Kind.Method``).
            rpc: A stub method of :attr:`channel`.
            request: Its request message.
            reply_type: The reply's message type (checked).

        Raises:
            grpc.aio.AioRpcError: a final answer, or the last transient one once
                the budget is spent.
        """
        deadline = time.monotonic() + self._budget
        backoff = _FIRST_BACKOFF_SECONDS
        attempt = 1
        while True:
            remaining = deadline - time.monotonic()
            try:
                reply = await rpc(
                    request,
                    metadata=self._metadata,
                    timeout=max(0.1, min(RPC_TIMEOUT_SECONDS, remaining)),
                    # Wait for the channel to (re)connect within the attempt instead
                    # of failing fast: a server that is back is used at once.
                    wait_for_ready=True,
                )
            except grpc.aio.AioRpcError as error:
                # Jitter: runners restarted together do not retry in lockstep.
                delay = backoff * random.uniform(0.8, 1.2)
                if error.code() not in RETRYABLE_CODES or time.monotonic() + delay >= deadline:
                    if attempt > 1:
                        self._log.warning(
                            "%s on %s failed after %d attempts in %.0fs: %s",
                            name,
                            self._endpoint,
                            attempt,
                            self._budget - (deadline - time.monotonic()),
                            error.code().name,
                        )
                    raise
                if attempt == 1:
                    self._log.warning(
                        "%s on %s: %s (%s); retrying for up to %.0fs",
                        name,
                        self._endpoint,
                        error.code().name,
                        error.details(),
                        self._budget,
                    )
                heartbeat_if_in_activity()
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                attempt += 1
                continue
            if attempt > 1:
                self._log.info("%s on %s succeeded at attempt %d", name, self._endpoint, attempt)
            assert isinstance(reply, reply_type)
            return reply


def heartbeat_if_in_activity() -> None:
    """Heartbeat when called from a regular activity: a retried call is not a dead worker."""
    if activity.in_activity() and not activity.info().is_local:
        activity.heartbeat()
