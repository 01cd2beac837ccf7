"""Fill the defaults of the common header: api_version, kind, org, slug."""

from __future__ import annotations

import re

from stigmer_server.auth.identity import PermissionDenied, default_org, identity_or_none
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument
from stigmer_server.kinds import API_VERSION
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.resource_fields import metadata_of, set_header

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 63


def slugify(name: str) -> str:
    """A slug from a human name: lowercase, runs of other characters become "-"."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")[:SLUG_MAX].strip("-")


class NormalizeMetadata:
    """Defaults the header so every stored resource is self-describing and addressable."""

    name = "normalize-metadata"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        set_header(resource, API_VERSION, ctx.kind.kind_name)
        metadata = metadata_of(resource)
        if not metadata.org:
            metadata.org = default_org(self._deps.default_org)
        identity = identity_or_none()
        if identity is not None and not identity.sees(metadata.org):
            raise PermissionDenied(
                f"is {metadata.org!r}, but API key {identity.key_id!r} belongs to org "
                f"{identity.org!r}",
                field="metadata.org",
            )
        if not metadata.slug:
            metadata.slug = slugify(metadata.name)
            if not metadata.slug:
                raise InvalidArgument(
                    "must contain a letter or digit (the slug is derived from it)",
                    field="metadata.name",
                )
