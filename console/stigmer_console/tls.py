"""How the gateway reaches stigmer-server: plaintext, or TLS trusting a CA.

The same variables as the CLI (the console runs beside it, in the same
environment): ``STIGMER_USE_TLS`` (true/false, default false) turns TLS on with
the system's roots; ``STIGMER_CA_FILE`` names a PEM CA to trust instead (and
implies TLS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import grpc

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


class TlsConfigError(ValueError):
    """A malformed flag or an unreadable CA file; the message names it."""


@dataclass(frozen=True)
class Tls:
    """``root_certificates`` None means the system roots."""

    root_certificates: bytes | None = None


def tls_from_env(env: Mapping[str, str]) -> Tls | None:
    """The TLS settings of ``env``; None means plaintext."""
    flag = (env.get("STIGMER_USE_TLS") or "").strip().lower()
    if flag not in _TRUE + _FALSE:
        raise TlsConfigError(f"STIGMER_USE_TLS must be true or false, got {flag!r}")
    ca_file = (env.get("STIGMER_CA_FILE") or "").strip()
    if ca_file:
        try:
            with open(ca_file, "rb") as ca:
                return Tls(ca.read())
        except OSError as error:
            raise TlsConfigError(
                f"STIGMER_CA_FILE {ca_file!r} cannot be read: {error.strerror}"
            ) from None
    return Tls() if flag in _TRUE else None


def open_channel(address: str, tls: Tls | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.root_certificates)
    return grpc.aio.secure_channel(address, credentials)
