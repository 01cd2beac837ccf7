"""How the CLI reaches stigmer-server: plaintext, or TLS trusting a CA.

``STIGMER_USE_TLS`` (true/false, default false) turns TLS on with the system's
trusted roots; ``STIGMER_CA_FILE`` names a PEM CA to trust instead (and implies
TLS), e.g. the CA of a self-signed deployment. The reading and the channel are
every process's (``stigmer_client``); the CLI turns a bad setting into its usage
error (one line, exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from stigmer_client.channel import open_channel
from stigmer_client.env import SettingsError
from stigmer_client.tls import ChannelTls
from stigmer_client.tls import tls_from_env as _read_tls

from stigmer_cli.errors import UsageError

__all__ = ["TlsSettings", "open_channel", "tls_from_env"]

#: ``root_certificates`` None means the system roots.
TlsSettings = ChannelTls


def tls_from_env(env: Mapping[str, str] | None = None) -> TlsSettings | None:
    """The TLS settings of ``env`` (default: the process environment); None = plaintext.

    Raises:
        UsageError: a malformed flag or an unreadable CA file (one line naming it).
    """
    try:
        return _read_tls(os.environ if env is None else env)
    except SettingsError as error:
        raise UsageError(str(error)) from None
