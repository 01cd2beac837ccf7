"""TLS to stigmer-server: off, on with the system's roots, or on trusting a CA file.

The CLI and the console read ``STIGMER_USE_TLS`` / ``STIGMER_CA_FILE``; the
runners ``STIGMER_SERVICE_USE_TLS`` / ``STIGMER_SERVICE_CA_FILE``. Either way a
CA file implies TLS, and the file is read when the settings are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stigmer_client.env import env_flag, read_file

#: The CLI's and the console's variables.
USE_TLS_ENV = "STIGMER_USE_TLS"
CA_FILE_ENV = "STIGMER_CA_FILE"


@dataclass(frozen=True)
class ChannelTls:
    """How a channel verifies stigmer-server's certificate.

    Attributes:
        root_certificates: PEM CA certificate(s) to trust; None means the system roots.
    """

    root_certificates: bytes | None = None


def channel_tls(use_tls: bool, ca_file: str, *, ca_name: str = CA_FILE_ENV) -> ChannelTls | None:
    """The TLS of a flag and a CA path (read now; a CA file implies TLS); None: plaintext.

    Raises:
        SettingsError: the CA file cannot be read (``ca_name`` names its variable).
    """
    if ca_file:
        return ChannelTls(read_file(ca_file, ca_name))
    return ChannelTls() if use_tls else None


def tls_from_env(
    source: Mapping[str, str], *, use_tls_name: str = USE_TLS_ENV, ca_name: str = CA_FILE_ENV
) -> ChannelTls | None:
    """The TLS settings of ``source``; None means plaintext.

    Raises:
        SettingsError: a malformed flag or an unreadable CA file (one line naming it).
    """
    use_tls = env_flag(source, use_tls_name, default=False)
    return channel_tls(use_tls, (source.get(ca_name) or "").strip(), ca_name=ca_name)
