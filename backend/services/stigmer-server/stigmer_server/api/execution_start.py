"""The side effect of creating an execution: hand it to the orchestrator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from google.protobuf.message import Message

from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of

_log = logging.getLogger(__name__)


class StartExecution:
    """Calls the starter after the PENDING execution is persisted (and durable).

    A failed start does not fail the Create: the execution is stored, so it is
    acknowledged, and it stays PENDING; reconciliation starts it once the
    orchestrator can be reached, or marks it FAILED with the reason after the
    start deadline (see ``execution.reconciliation``). The client sees a PENDING
    execution either way, and the log says why this one was not started yet.
    """

    name = "start-execution"

    def __init__(self, start: Callable[[Message], Awaitable[bool]]) -> None:
        self._start = start

    async def run(self, ctx: RequestContext) -> None:
        execution = ctx.require_resource()
        execution_id = metadata_of(execution).id
        try:
            await self._start(execution)
        except Exception as error:
            _log.warning(
                "execution %s stays PENDING: its orchestration could not be started (%s); "
                "reconciliation will retry it",
                execution_id,
                str(error) or type(error).__name__,
                extra={"event": "start_deferred", "execution_id": execution_id},
            )
