"""UpdateStatus as a pipeline, usable from gRPC and in-process.

The same object serves the ``UpdateStatus`` RPC, the server's own "mark FAILED"
after a failed start, and (through the orchestration integration) the local
activity of the orchestration workflows, so every path applies the same rules,
takes the same per-execution lock and notifies the same subscribers.
"""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from stigmer_server.dependencies import Dependencies
from stigmer_server.kinds import KindDescriptor
from stigmer_server.pipeline import Pipeline, RequestContext, Step, UnderLock
from stigmer_server.pipeline.steps.build_state import BumpVersion
from stigmer_server.pipeline.steps.execution_metrics import CountExecutionEnd
from stigmer_server.pipeline.steps.load import LoadById
from stigmer_server.pipeline.steps.persist import AwaitDurable, Persist
from stigmer_server.pipeline.steps.publish import PublishChange
from stigmer_server.pipeline.steps.validate import ValidateRequest
from stigmer_server.resource_fields import status_of

# (stored status, reported status, now) -> changed?
StatusMerge = Callable[[Message, Message, Timestamp], bool]


class MergeStatus:
    """Merges the reported status into the loaded execution (see status_merge)."""

    name = "merge-status"

    def __init__(self, deps: Dependencies, merge: StatusMerge) -> None:
        self._deps = deps
        self._merge = merge

    async def run(self, ctx: RequestContext) -> None:
        report = getattr(ctx.request, "status")  # noqa: B009
        ctx.changed = self._merge(status_of(ctx.require_resource()), report, self._deps.clock())


class UnderExecutionLock:
    """Runs inner steps holding the lock of the request's execution id."""

    def __init__(self, deps: Dependencies, steps: list[Step]) -> None:
        self._deps = deps
        self._inner = Pipeline("execution-locked", steps)
        self.name = "per-execution-lock(" + ", ".join(self._inner.step_names) + ")"

    async def run(self, ctx: RequestContext) -> None:
        execution_id = str(getattr(ctx.request, "execution_id"))  # noqa: B009
        async with self._deps.execution_locks.hold(execution_id):
            await self._inner.run(ctx)


class ExecutionStatusUpdater:
    """Runs the update-status pipeline of one execution kind."""

    def __init__(
        self,
        kind: KindDescriptor,
        deps: Dependencies,
        merge: StatusMerge,
        input_type: type[Message],
    ) -> None:
        self._kind = kind
        self._input_type = input_type
        self.pipeline = Pipeline(
            f"{kind.space}-update-status",
            [
                ValidateRequest(),
                UnderExecutionLock(
                    deps,
                    [
                        LoadById(deps, field="execution_id"),
                        MergeStatus(deps, merge),
                        BumpVersion(deps),
                        UnderLock(deps.repository.write_lock, [Persist(deps)]),
                        AwaitDurable(deps),
                        PublishChange(deps),
                        CountExecutionEnd(),
                    ],
                ),
            ],
        )

    async def run(self, request: Message, *, caller: str = "system") -> Message:
        """Applies one ``<Kind>UpdateStatusInput``; returns the stored execution."""
        ctx = RequestContext(
            kind=self._kind, operation="update_status", request=request, caller=caller
        )
        await self.pipeline.run(ctx)
        return ctx.require_resource()

    async def update(
        self, execution_id: str, status: Message, *, caller: str = "system"
    ) -> Message:
        """In-process form of :meth:`run` (the local activity, failure marking)."""
        request = self._input_type()
        setattr(request, "execution_id", execution_id)  # noqa: B010
        getattr(request, "status").CopyFrom(status)  # noqa: B009
        return await self.run(request, caller=caller)
