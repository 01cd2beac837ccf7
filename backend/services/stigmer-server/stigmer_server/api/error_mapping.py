"""Turning exceptions into gRPC statuses at the edge of every RPC.

Client errors (:class:`~stigmer_server.errors.ApiError`) keep their code and
message, and the offending field also travels in the ``stigmer-field`` trailing
metadata so clients need not parse messages. Everything else is logged with its
traceback and answered INTERNAL without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import grpc

from stigmer_server.errors import ApiError

_log = logging.getLogger(__name__)

FIELD_TRAILER = "stigmer-field"

T = TypeVar("T")


async def abort_with(context: grpc.aio.ServicerContext, error: ApiError) -> NoReturn:
    if error.field:
        context.set_trailing_metadata(((FIELD_TRAILER, error.field),))
    await context.abort(error.code, error.message)
    raise AssertionError("unreachable: abort raises")


async def call_mapped(
    context: grpc.aio.ServicerContext, method: str, handler: Callable[[], Awaitable[T]]
) -> T:
    """Runs ``handler``, mapping what it raises to a gRPC status."""
    try:
        return await handler()
    except ApiError as error:
        _log.info(
            "request rejected",
            extra={
                "rpc": method,
                "code": error.code.name,
                "field": error.field,
                "detail": error.detail,
            },
        )
        await abort_with(context, error)
    except Exception:
        _log.exception("request failed", extra={"rpc": method})
        await context.abort(grpc.StatusCode.INTERNAL, f"{method}: internal error (see server log)")
        raise AssertionError("unreachable: abort raises") from None


def caller_of(context: grpc.aio.ServicerContext) -> str:
    """Who is calling, for audit fields: ``api-key:<key id>`` (``local`` in
    zero-config mode), never the key."""
    from stigmer_server.auth.identity import identity_or_none  # auth imports this module

    identity = identity_or_none()
    return "anonymous" if identity is None else identity.audit_name
