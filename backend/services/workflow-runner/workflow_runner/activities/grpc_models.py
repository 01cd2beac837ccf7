"""Input and output of the ``call: grpc`` activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow_runner.activities.http_models import HttpAuthentication


@dataclass(frozen=True)
class GrpcCallInput:
    """One unary gRPC call described by a proto file.

    Attributes:
        proto_uri: ``file:`` or ``http(s):`` URI of the ``.proto``.
        service_name: Package-qualified service name (``greet.Greeter``).
        host: Server host.
        port: Server port; ``None`` means 443. Port 443 uses TLS, any other
            port plaintext (loopback and in-cluster services).
        method: Method name.
        arguments: The request message as JSON (proto or JSON field names).
        authentication: Sent as ``authorization`` metadata (basic, bearer, oauth2).
        timeout_seconds: Deadline of the call (``None``: class default).
    """

    proto_uri: str
    service_name: str
    host: str
    method: str
    port: int | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    authentication: HttpAuthentication | None = None
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class GrpcCallOutput:
    """The response message as JSON, with proto field names and default values.

    Attributes:
        value: The response message as a dict.
    """

    value: Any
