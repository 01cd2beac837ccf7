"""Validate the request against its ``buf.validate`` rules (and kind extras)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf.message import Message

from stigmer_server.pipeline.context import RequestContext
from stigmer_server.validation.field_violations import FieldViolation, raise_first, violations_of

#: A kind's own checks; a coroutine so a costly one can leave the event loop
#: (a workflow's DSL checks compile every jq expression: ~2 s for 5,000 tasks).
ExtraValidation = Callable[[Message], Awaitable[list[FieldViolation]]]


class ValidateResource:
    """Runs protovalidate on the resource being built, then the kind's extra check
    (e.g. typed task configs of a workflow).

    Raises INVALID_ARGUMENT naming the first failing field.
    """

    name = "validate"

    def __init__(self, extra: ExtraValidation | None = None) -> None:
        self._extra = extra

    async def run(self, ctx: RequestContext) -> None:
        resource = ctx.require_resource()
        violations = violations_of(resource)
        if self._extra is not None and not violations:
            violations.extend(await self._extra(resource))
        raise_first(violations)


class ValidateRequest:
    """protovalidate on the raw request (ids, references, list inputs)."""

    name = "validate-request"

    async def run(self, ctx: RequestContext) -> None:
        raise_first(violations_of(ctx.request))
