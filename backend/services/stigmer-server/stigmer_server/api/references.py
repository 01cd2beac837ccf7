"""Resolve-references steps: ids and org/slug references must point at real resources."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from google.protobuf.message import Message
from stigmer.commons.v1 import metadata_pb2

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument, NotFound
from stigmer_server.kinds import KindDescriptor, by_kind
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of


def require(deps: Dependencies, kind: KindDescriptor, resource_id: str, field: str) -> Message:
    """The stored resource ``resource_id`` of ``kind``.

    Raises:
        InvalidArgument: The id has another kind's prefix.
        NotFound: No such resource.
    """
    if not resource_id.startswith(f"{kind.id_prefix}-"):
        raise InvalidArgument(
            f"{resource_id!r} is not a {kind.kind_name} id (expected prefix {kind.id_prefix!r})",
            field=field,
        )
    resource = deps.repository.get(kind, resource_id)
    if resource is None:
        raise NotFound(f"{kind.kind_name} {resource_id} not found", field=field)
    return resource


class RequireParent:
    """The resource's parent id (e.g. ``spec.workflow_id``) names an existing parent."""

    def __init__(
        self,
        deps: Dependencies,
        parent: KindDescriptor,
        field: str,
        parent_id: Callable[[Message], str],
    ) -> None:
        self._deps = deps
        self._parent = parent
        self._field = field
        self._parent_id = parent_id
        self.name = f"resolve-{parent.space}"

    async def run(self, ctx: RequestContext) -> None:
        require(self._deps, self._parent, self._parent_id(ctx.require_resource()), self._field)


ReferenceList = Callable[[Message], Sequence[tuple[str, metadata_pb2.ApiResourceReference]]]


class RequireReferences:
    """Every org/slug reference of the resource resolves (empty org = the resource's org)."""

    name = "resolve-references"

    def __init__(self, deps: Dependencies, references: ReferenceList) -> None:
        self._deps = deps
        self._references = references

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        own_org = metadata_of(resource).org
        for field, reference in self._references(resource):
            try:
                kind = by_kind(reference.kind)
            except KeyError:
                raise InvalidArgument("names no resource kind", field=f"{field}.kind") from None
            org = reference.org or own_org
            if self._deps.repository.id_by_slug(kind, org, reference.slug) is None:
                raise NotFound(
                    f"{kind.kind_name} {reference.slug!r} not found in org {org!r}",
                    field=f"{field}.slug",
                )


def environment_references(
    environment_refs: Sequence[metadata_pb2.ApiResourceReference],
) -> list[tuple[str, metadata_pb2.ApiResourceReference]]:
    return [(f"spec.environment_refs[{i}]", r) for i, r in enumerate(environment_refs)]
