"""The ``call: http`` activity."""

from __future__ import annotations

from temporalio import activity

from workflow_runner.activities import names
from workflow_runner.activities.heartbeat import heartbeating
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import HttpCallInput, HttpCallOutput


class HttpActivities:
    """HTTP calls of the DSL, sharing one connection pool.

    Args:
        exchange: Sends requests (built once per worker around its httpx client).
    """

    def __init__(self, exchange: HttpExchange) -> None:
        self._exchange = exchange

    @activity.defn(name=names.CALL_HTTP)
    async def call_http(self, call: HttpCallInput) -> HttpCallOutput:
        """Send the request; fail with a problem-details ``ApplicationError``.

        Heartbeats while waiting, so a cancelled task abandons its request.
        """
        return HttpCallOutput(value=await heartbeating(self._exchange.send(call)))
