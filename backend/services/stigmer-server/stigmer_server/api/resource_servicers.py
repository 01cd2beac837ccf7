"""Generic command and query servicers; every kind uses them with its own pipelines.

The generated ``add_<Kind>CommandControllerServicer_to_server`` functions look
methods up by name (Apply, Create, ...), so one class serves every kind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from stigmer.commons.v1 import io_pb2, metadata_pb2

from stigmer_server.api.error_mapping import abort_with, call_mapped, caller_of
from stigmer_server.auth.identity import default_org, require_role
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument, NotFound
from stigmer_server.execution.change_feed import Deleted
from stigmer_server.execution.phase_rules import TERMINAL
from stigmer_server.execution.run_commands import WorkflowExecutionRunCommands
from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.kinds import KindDescriptor
from stigmer_server.pipeline import Pipeline, RequestContext
from stigmer_server.pipeline.steps.normalize import slugify
from stigmer_server.resource_fields import metadata_of, phase_of
from stigmer_server.validation.field_violations import raise_first, violations_of


@dataclass(frozen=True)
class CommandPipelines:
    create: Pipeline
    update: Pipeline
    delete: Pipeline


class ResourceCommandServicer:
    """Apply / Create / Update / Delete of one kind."""

    def __init__(
        self, kind: KindDescriptor, deps: Dependencies, pipelines: CommandPipelines
    ) -> None:
        self._kind = kind
        self._deps = deps
        self._pipelines = pipelines

    async def _run(
        self,
        context: grpc.aio.ServicerContext,
        operation: str,
        pipeline: Pipeline,
        request: Message,
    ) -> Message:
        ctx = RequestContext(
            kind=self._kind, operation=operation, request=request, caller=caller_of(context)
        )
        await pipeline.run(ctx)
        return ctx.require_resource()

    async def Create(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await call_mapped(
            context,
            f"{self._kind.kind_name}.Create",
            lambda: self._run(context, "create", self._pipelines.create, request),
        )

    async def Update(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await call_mapped(
            context,
            f"{self._kind.kind_name}.Update",
            lambda: self._run(context, "update", self._pipelines.update, request),
        )

    async def Apply(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        async def apply() -> Message:
            existing_id = self._existing_id_for_apply(request)
            if existing_id is None:
                return await self._run(context, "create", self._pipelines.create, request)
            update = type(request)()
            update.CopyFrom(request)
            metadata_of(update).id = existing_id
            return await self._run(context, "update", self._pipelines.update, update)

        return await call_mapped(context, f"{self._kind.kind_name}.Apply", apply)

    def _existing_id_for_apply(self, request: Message) -> str | None:
        """The id Apply updates: metadata.id if given, else the holder of the slug."""
        metadata = metadata_of(request)
        if metadata.id:
            return metadata.id
        org = metadata.org or default_org(self._deps.default_org)
        slug = metadata.slug or slugify(metadata.name)
        return self._deps.repository.id_by_slug(self._kind, org, slug) if slug else None

    async def Delete(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await call_mapped(
            context,
            f"{self._kind.kind_name}.Delete",
            lambda: self._run(context, "delete", self._pipelines.delete, request),
        )


class ExecutionCommandServicer(ResourceCommandServicer):
    """Adds UpdateStatus for execution kinds."""

    def __init__(
        self,
        kind: KindDescriptor,
        deps: Dependencies,
        pipelines: CommandPipelines,
        updater: ExecutionStatusUpdater,
    ) -> None:
        super().__init__(kind, deps, pipelines)
        self._updater = updater

    async def UpdateStatus(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        async def update() -> Message:
            # Status is what runners report; a user key must not forge an outcome.
            require_role(context, "runner")
            return await self._updater.run(request, caller=caller_of(context))

        return await call_mapped(context, f"{self._kind.kind_name}.UpdateStatus", update)


class WorkflowExecutionCommandServicer(ExecutionCommandServicer):
    """Adds Cancel, Pause and Resume (workflow executions only)."""

    def __init__(
        self,
        kind: KindDescriptor,
        deps: Dependencies,
        pipelines: CommandPipelines,
        updater: ExecutionStatusUpdater,
    ) -> None:
        super().__init__(kind, deps, pipelines, updater)
        self._run_commands = WorkflowExecutionRunCommands(kind, deps)

    async def _control(
        self, verb: str, pipeline: Pipeline, request: Message, context: grpc.aio.ServicerContext
    ) -> Message:
        return await call_mapped(
            context,
            f"{self._kind.kind_name}.{verb}",
            lambda: self._run_commands.run(pipeline, request, caller=caller_of(context)),
        )

    async def Cancel(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await self._control("Cancel", self._run_commands.cancel, request, context)

    async def Pause(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await self._control("Pause", self._run_commands.pause, request, context)

    async def Resume(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        return await self._control("Resume", self._run_commands.resume, request, context)


class ResourceQueryServicer:
    """Get / GetByReference / List of one kind.

    Args:
        read_roles: When set, only callers with one of these roles may read
            (PERMISSION_DENIED otherwise), e.g. ExecutionContexts: runners only.
    """

    def __init__(
        self, kind: KindDescriptor, deps: Dependencies, *, read_roles: tuple[str, ...] = ()
    ) -> None:
        self._kind = kind
        self._deps = deps
        self._read_roles = read_roles

    def _check_reader(self, context: grpc.aio.ServicerContext) -> None:
        if self._read_roles:
            require_role(context, *self._read_roles)

    def _get(self, resource_id: str, field: str) -> Message:
        resource = self._deps.repository.get(self._kind, resource_id)
        if resource is None:
            raise NotFound(f"{self._kind.kind_name} {resource_id} not found", field=field)
        return resource

    async def Get(
        self, request: io_pb2.ApiResourceId, context: grpc.aio.ServicerContext
    ) -> Message:
        async def get() -> Message:
            self._check_reader(context)
            raise_first(violations_of(request))
            return self._get(request.value, "value")

        return await call_mapped(context, f"{self._kind.kind_name}.Get", get)

    async def GetByReference(
        self, request: metadata_pb2.ApiResourceReference, context: grpc.aio.ServicerContext
    ) -> Message:
        async def get() -> Message:
            self._check_reader(context)
            raise_first(violations_of(request))
            if request.kind != self._kind.kind:
                raise InvalidArgument(
                    f"must be {self._kind.enum_name} for this service", field="kind"
                )
            org = request.org or default_org(self._deps.default_org)
            resource = self._deps.repository.get_by_slug(self._kind, org, request.slug)
            if resource is None:
                raise NotFound(
                    f"{self._kind.kind_name} {request.slug!r} not found in org {org!r}",
                    field="slug",
                )
            return resource

        return await call_mapped(context, f"{self._kind.kind_name}.GetByReference", get)

    async def List(
        self, request: io_pb2.ApiResourceListInput, context: grpc.aio.ServicerContext
    ) -> Message:
        async def list_page() -> Message:
            self._check_reader(context)
            raise_first(violations_of(request))
            page = self._deps.repository.list(
                self._kind,
                org=request.org,
                parent_id=request.parent_id,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            result = self._kind.list_type()
            getattr(result, "items").extend(page.items)  # noqa: B009
            setattr(result, "next_page_token", page.next_page_token)  # noqa: B010
            return result

        return await call_mapped(context, f"{self._kind.kind_name}.List", list_page)


class ExecutionQueryServicer(ResourceQueryServicer):
    """Adds Subscribe for execution kinds."""

    async def Subscribe(
        self, request: io_pb2.ApiResourceId, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Message]:
        """Current state first, then every accepted change; ends at a terminal phase."""
        name = f"{self._kind.kind_name}.Subscribe"
        with self._deps.change_feed.subscribe(request.value) as queue:

            async def first() -> Message:
                self._check_reader(context)
                raise_first(violations_of(request))
                return self._get(request.value, "value")

            current = await call_mapped(context, name, first)
            last_version = metadata_of(current).version
            yield current
            if phase_of(current) in TERMINAL:
                return
            while True:
                change = await queue.get()
                if change is None:  # server shutting down
                    return
                if isinstance(change, Deleted):
                    await abort_with(
                        context,
                        NotFound(
                            f"{self._kind.kind_name} {request.value} was deleted", field="value"
                        ),
                    )
                version = metadata_of(change).version
                if version <= last_version:
                    continue  # published before our read: already sent
                last_version = version
                yield change
                if phase_of(change) in TERMINAL:
                    return
