"""``python -m stigmer_console``: the console gateway on a loopback HTTP port.

Started by ``stigmer server`` beside stigmer-server; on its own:
``python -m stigmer_console --listen 127.0.0.1:7236 --server 127.0.0.1:7234``.
TLS to stigmer-server: ``STIGMER_USE_TLS`` / ``STIGMER_CA_FILE``, as for the CLI.
"""

from __future__ import annotations

import argparse
import os
import sys

from aiohttp import web
from stigmer_client.address import DEFAULT_SERVER, SERVER_ENV
from stigmer_client.env import SettingsError
from stigmer_client.tls import tls_from_env

from stigmer_console.app import build_app

DEFAULT_LISTEN = "127.0.0.1:7236"
#: Seconds open requests (event streams) get once a stop is asked for.
SHUTDOWN_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stigmer-console", description=__doc__)
    parser.add_argument(
        "--listen",
        default=os.environ.get("STIGMER_CONSOLE_ADDRESS") or DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"HTTP address (default $STIGMER_CONSOLE_ADDRESS or {DEFAULT_LISTEN})",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get(SERVER_ENV) or DEFAULT_SERVER,
        metavar="HOST:PORT",
        help=f"stigmer-server gRPC address (default $STIGMER_SERVER or {DEFAULT_SERVER})",
    )
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not port.isdigit():
        print(f"stigmer-console: --listen {args.listen!r}: expected HOST:PORT", file=sys.stderr)
        return 2
    try:
        tls = tls_from_env(os.environ)
    except SettingsError as error:
        print(f"stigmer-console: {error}", file=sys.stderr)
        return 2
    web.run_app(
        build_app(args.server, tls),
        host=host or "127.0.0.1",
        port=int(port),
        print=lambda _: print(f"console on http://{args.listen}/", flush=True),
        handle_signals=True,
        # An open page holds an event stream: a stop must not wait the default 60 s for it.
        shutdown_timeout=SHUTDOWN_SECONDS,
        # A closed tab cancels its handler at once, which releases its Subscribe call.
        handler_cancellation=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
