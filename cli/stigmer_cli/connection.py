"""How the CLI reaches stigmer-server: plaintext, or TLS trusting a CA.

``STIGMER_USE_TLS`` (true/false, default false) turns TLS on with the system's
trusted roots; ``STIGMER_CA_FILE`` names a PEM CA to trust instead (and implies
TLS), e.g. the CA of a self-signed deployment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import grpc

from stigmer_cli.errors import UsageError

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


@dataclass(frozen=True)
class TlsSettings:
    """``root_certificates`` None means the system roots."""

    root_certificates: bytes | None = None


def tls_from_env(env: Mapping[str, str] | None = None) -> TlsSettings | None:
    """The TLS settings of ``env`` (default: the process environment); None = plaintext.

    Raises:
        UsageError: a malformed flag or an unreadable CA file (one line naming it).
    """
    env = os.environ if env is None else env
    flag = (env.get("STIGMER_USE_TLS") or "").strip().lower()
    if flag not in _TRUE + _FALSE:
        raise UsageError(f"STIGMER_USE_TLS must be true or false, got {flag!r}")
    ca_file = (env.get("STIGMER_CA_FILE") or "").strip()
    if ca_file:
        try:
            with open(ca_file, "rb") as ca:
                return TlsSettings(ca.read())
        except OSError as error:
            raise UsageError(
                f"STIGMER_CA_FILE {ca_file!r} cannot be read: {error.strerror}"
            ) from None
    return TlsSettings() if flag in _TRUE else None


def open_channel(address: str, tls: TlsSettings | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.root_certificates)
    return grpc.aio.secure_channel(address, credentials)
