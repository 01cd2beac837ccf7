"""Refuse a slug another resource of the same kind and org already holds."""

from __future__ import annotations

from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import AlreadyExists
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of


class CheckSlugFree:
    name = "check-duplicate-slug"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        metadata = metadata_of(ctx.require_resource())
        holder = self._deps.repository.id_by_slug(ctx.kind, metadata.org, metadata.slug)
        own_id = metadata_of(ctx.existing).id if ctx.existing is not None else ""
        if holder is not None and holder != own_id:
            raise AlreadyExists(
                f"{ctx.kind.kind_name} {metadata.slug!r} already exists in org "
                f"{metadata.org!r} ({holder})",
                field="metadata.slug",
            )
