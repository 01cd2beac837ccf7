"""Where stigmer-server is: one variable for the CLI and the runners, one default."""

from __future__ import annotations

from collections.abc import Mapping

#: stigmer-server's gRPC address on a local stack.
DEFAULT_SERVER = "127.0.0.1:7234"
#: The address variable every process reads.
SERVER_ENV = "STIGMER_SERVER"
#: The runners' older name, read when ``SERVER_ENV`` is unset.
SERVER_ENV_ALIAS = "STIGMER_SERVICE_ENDPOINT"


def server_address(source: Mapping[str, str]) -> str:
    """``STIGMER_SERVER``, else ``STIGMER_SERVICE_ENDPOINT``, else :data:`DEFAULT_SERVER`."""
    return source.get(SERVER_ENV) or source.get(SERVER_ENV_ALIAS) or DEFAULT_SERVER
