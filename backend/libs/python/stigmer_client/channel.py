"""A ``grpc.aio`` channel to stigmer-server and the metadata that carries an API key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc

from stigmer_client.tls import ChannelTls

#: gRPC metadata of one call.
Metadata = tuple[tuple[str, str], ...]

#: gRPC's own reconnect backoff grows to two minutes by default: a channel whose
#: server was gone for a while would then miss its return by that much. With
#: these, a restarted server is used within a second of answering.
FAST_RECONNECT_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


@dataclass(frozen=True)
class ServerTarget:
    """Where stigmer-server is and how a runner authenticates to it.

    Attributes:
        address: gRPC ``host:port``.
        api_key: sent as ``authorization: Bearer`` on every call ("" sends none).
        tls: None for plaintext.
    """

    address: str
    api_key: str = field(default="", repr=False)
    tls: ChannelTls | None = None


def open_channel(
    address: str,
    tls: ChannelTls | None,
    *,
    options: Sequence[tuple[str, int]] = (),
    interceptors: Sequence[grpc.aio.ClientInterceptor] | None = None,
) -> grpc.aio.Channel:
    """A plaintext channel (``tls`` None) or one verifying the server's certificate."""
    if tls is None:
        return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.root_certificates)
    return grpc.aio.secure_channel(address, credentials, options=options, interceptors=interceptors)


def key_metadata(api_key: str) -> Metadata:
    """``authorization: Bearer <key>`` (nothing without a key), as stigmer-server reads it."""
    return (("authorization", f"Bearer {api_key}"),) if api_key else ()
