"""Where a runner reaches stigmer-server and Temporal: the settings both runners read.

Each runner's settings dataclass extends :class:`RunnerConnections` with its own
fields, so the variable names, defaults and errors below are the same in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stigmer_client.address import DEFAULT_SERVER, server_address
from stigmer_client.channel import ServerTarget
from stigmer_client.env import env_flag, readable_file
from stigmer_client.tls import ChannelTls

DEFAULT_STIGMER_ENDPOINT = DEFAULT_SERVER
DEFAULT_TEMPORAL_HOST_PORT = "127.0.0.1:7233"
#: The runners' names (the CLI's are ``STIGMER_USE_TLS`` / ``STIGMER_CA_FILE``).
USE_TLS_ENV = "STIGMER_SERVICE_USE_TLS"
CA_FILE_ENV = "STIGMER_SERVICE_CA_FILE"
API_KEY_ENV = "STIGMER_SERVICE_API_KEY"


@dataclass(frozen=True)
class RunnerConnections:
    """Where a runner process reaches stigmer-server and Temporal.

    Attributes:
        stigmer_endpoint: stigmer-server gRPC address (``STIGMER_SERVER``, the name the CLI
            reads too; ``STIGMER_SERVICE_ENDPOINT``, its older alias, when unset).
        stigmer_api_key: sent as ``authorization: Bearer`` (``STIGMER_SERVICE_API_KEY``).
        stigmer_use_tls: TLS to stigmer-server (``STIGMER_SERVICE_USE_TLS``: true/false;
            true when a CA file is given).
        stigmer_ca_file: PEM CA certificate(s) trusted for stigmer-server's
            certificate (``STIGMER_SERVICE_CA_FILE``; unset: the system roots).
        temporal_host_port: Temporal frontend (``TEMPORAL_HOST_PORT``).
        temporal_namespace: ``TEMPORAL_NAMESPACE``.
    """

    stigmer_endpoint: str = DEFAULT_STIGMER_ENDPOINT
    stigmer_api_key: str = field(default="", repr=False)
    stigmer_use_tls: bool = False
    stigmer_ca_file: str = ""
    temporal_host_port: str = DEFAULT_TEMPORAL_HOST_PORT
    temporal_namespace: str = "default"

    @staticmethod
    def fields_from_env(source: Mapping[str, str]) -> dict[str, Any]:
        """These fields read from ``source``, as keyword arguments of a subclass.

        Raises:
            SettingsError: a malformed flag or an unreadable CA file.
        """
        ca_file = readable_file(source, CA_FILE_ENV)
        return {
            "stigmer_endpoint": server_address(source),
            "stigmer_api_key": source.get(API_KEY_ENV) or "",
            "stigmer_use_tls": env_flag(source, USE_TLS_ENV, default=False) or bool(ca_file),
            "stigmer_ca_file": ca_file,
            "temporal_host_port": source.get("TEMPORAL_HOST_PORT") or DEFAULT_TEMPORAL_HOST_PORT,
            "temporal_namespace": source.get("TEMPORAL_NAMESPACE") or "default",
        }

    def server_target(self) -> ServerTarget:
        """stigmer-server as the runner's client reaches it (the CA file is read now).

        Raises:
            OSError: the CA file cannot be read (it was when the settings were).
        """
        tls = None
        if self.stigmer_use_tls:
            roots = Path(self.stigmer_ca_file).read_bytes() if self.stigmer_ca_file else None
            tls = ChannelTls(roots)
        return ServerTarget(self.stigmer_endpoint, self.stigmer_api_key, tls)
