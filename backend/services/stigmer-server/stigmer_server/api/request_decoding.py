"""Undecodable request bytes answer INVALID_ARGUMENT, not UNKNOWN.

grpcio decodes a request before any servicer code runs, and a ``DecodeError``
there reaches the client as UNKNOWN with a Python exception name in it. The
server's one interceptor (:mod:`stigmer_server.api.call_interceptor`) therefore
takes over decoding of unary-request methods and, on bytes that are not the
method's message (wrong wire types, truncated data), aborts here with a proper
client error naming the expected message type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import grpc

Deserializer = Callable[[bytes], Any]


def undecodable_message(decode: Deserializer, method: str) -> str:
    """The INVALID_ARGUMENT message for bytes ``decode`` refused."""
    expected = getattr(getattr(decode, "__self__", None), "DESCRIPTOR", None)
    name = expected.full_name if expected is not None else "the request message"
    return f"request: not a valid {name} (corrupt protobuf wire format) for {method}"


async def refuse_undecodable(
    context: grpc.aio.ServicerContext, decode: Deserializer, method: str
) -> NoReturn:
    """Answers the call INVALID_ARGUMENT (raises, as ``context.abort`` does)."""
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, undecodable_message(decode, method))
    raise AssertionError("unreachable: abort raises")
