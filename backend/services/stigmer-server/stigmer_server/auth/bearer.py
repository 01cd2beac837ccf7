"""Who is calling: ``authorization: Bearer <key>`` resolved to an :class:`Identity`.

Plain functions the server's one interceptor
(:mod:`stigmer_server.api.call_interceptor`) calls for every call but health
checks: the key's identity, or the local admin's when no keys are configured. A
call without a valid key is answered UNAUTHENTICATED before its handler runs.
The scheme is matched case-insensitively (RFC 7235). Neither the configured
hashes nor the presented keys are ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NoReturn

import grpc

from stigmer_server.auth.identity import LOCAL_ADMIN, Identity
from stigmer_server.auth.key_store import KeyStore

_log = logging.getLogger(__name__)

OPEN_SERVICE_PREFIXES = ("/grpc.health.v1.Health/",)
UNAUTHENTICATED_MESSAGE = "missing or invalid API key: send 'authorization: Bearer <key>'"


def is_open(method: str) -> bool:
    """Whether ``method`` is answered without an identity (health checks)."""
    return method.startswith(OPEN_SERVICE_PREFIXES)


def presented_key(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    """The key of an ``authorization: Bearer <key>`` header ("" when there is none)."""
    for name, value in metadata or ():
        if name != "authorization":
            continue
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        scheme, _, credentials = text.strip().partition(" ")
        if scheme.lower() == "bearer":
            return credentials.strip()
    return ""


async def identify(
    keys: KeyStore | None,
    metadata: Sequence[tuple[str, str | bytes]] | None,
    method: str,
) -> Identity | None:
    """The caller's identity; None when it presented no valid key (refuse the call).

    Args:
        keys: The configured keys; None is zero-config mode (every call is
            :data:`~stigmer_server.auth.identity.LOCAL_ADMIN`).
    """
    if keys is None:
        return LOCAL_ADMIN
    identity = await keys.authenticate(presented_key(metadata))
    if identity is None:
        _log.info("unauthenticated call rejected", extra={"rpc": method})
    return identity


async def refuse_unauthenticated(context: grpc.aio.ServicerContext) -> NoReturn:
    """Answers the call UNAUTHENTICATED (raises, as ``context.abort`` does)."""
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE)
    raise AssertionError("unreachable: abort raises")
