"""Channels that send an API key on every call (so the sample helpers work unchanged)."""

from __future__ import annotations

from typing import Any

import grpc
from stigmer_common.api_keys import KeyEntry, new_key

# Cheap scrypt for tests: the format and checks are the production ones, only
# the work factor is lowered (the production default is in stigmer_common.api_keys).
TEST_SCRYPT_N = 2**4


def make_key(key_id: str, role: str, org: str) -> tuple[str, KeyEntry]:
    return new_key(key_id, role, org, n=TEST_SCRYPT_N)


class _Bearer:
    def __init__(self, header: str) -> None:
        self._metadata = (("authorization", header),)

    def _details(self, details: Any) -> Any:
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            tuple(details.metadata or ()) + self._metadata,
            details.credentials,
            details.wait_for_ready,
        )


# grpc.aio files an interceptor under its first matching kind only: one class per kind.
class _UnaryBearer(_Bearer, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamBearer(_Bearer, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


def keyed_channel(address: str, key: str, *, scheme: str = "Bearer") -> grpc.aio.Channel:
    """An insecure channel sending ``authorization: <scheme> <key>`` on every call."""
    header = f"{scheme} {key}"
    return grpc.aio.insecure_channel(
        address, interceptors=[_UnaryBearer(header), _StreamBearer(header)]
    )
