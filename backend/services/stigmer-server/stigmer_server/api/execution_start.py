"""The side effect of creating an execution: hand it to the orchestrator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from google.protobuf.message import Message
from stigmer.commons.v1 import phase_pb2

from stigmer_server.errors import Unavailable
from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of

_log = logging.getLogger(__name__)


class StartExecution:
    """Calls the starter after the PENDING execution is persisted.

    If the start fails, the execution is marked FAILED (through the status
    updater, so subscribers see it) and the client gets UNAVAILABLE: the record
    stays, telling the truth about what happened.
    """

    name = "start-execution"

    def __init__(
        self,
        start: Callable[[Message], Awaitable[None]],
        updater: ExecutionStatusUpdater,
        status_type: type[Message],
    ) -> None:
        self._start = start
        self._updater = updater
        self._status_type = status_type

    async def run(self, ctx: RequestContext) -> None:
        execution = ctx.require_resource()
        execution_id = metadata_of(execution).id
        try:
            await self._start(execution)
        except Exception as error:
            _log.error(
                "could not start execution",
                extra={"execution_id": execution_id, "error": repr(error)},
            )
            failed = self._status_type()
            setattr(failed, "phase", phase_pb2.FAILED)  # noqa: B010
            failure = getattr(failed, "error")  # noqa: B009
            failure.code = "START_FAILED"
            failure.message = f"could not start the execution: {error}"
            ctx.resource = await self._updater.update(execution_id, failed, caller=ctx.caller)
            raise Unavailable(
                f"execution {execution_id} is FAILED: could not start it ({error})",
            ) from error
