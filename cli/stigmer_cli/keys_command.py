"""``stigmer keys create``: a new API key and the entry stigmer-server needs to accept it.

The key is printed once (stdout, alone on its line, for scripts); the server
keeps only the entry ``<id>:<role>:<org>:<scrypt hash>`` (stderr, or appended
to ``--append FILE``, created 0600, for ``STIGMER_API_KEYS_FILE``). Nothing
is contacted: a server reads its entries at start-up.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stigmer_common.api_keys import ALL_ORGS, ROLES, KeyEntryError, new_key

from stigmer_cli.errors import UsageError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser(
        "keys",
        help="create API keys for stigmer-server",
        description="API keys: `create` prints a new key once and the entry to configure "
        "on the server (STIGMER_API_KEYS or STIGMER_API_KEYS_FILE).",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="a new key (stdout) and its server entry (stderr or --append)",
        description="Roles: admin and user manage their org's resources; runner is for "
        "workflow runners (status reports, execution contexts and secrets). "
        f"--org {ALL_ORGS} makes a key of every org (an operator, the platform's runner).",
    )
    create.add_argument("--id", required=True, dest="key_id", help="key id (recorded in audit)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--org", required=True, help=f"the key's org, or {ALL_ORGS}")
    create.add_argument(
        "--append",
        type=Path,
        metavar="FILE",
        help="append the entry to this keys file (created with mode 0600)",
    )


def run(args: argparse.Namespace) -> int:
    """Runs ``stigmer keys ACTION``; returns the exit code."""
    try:
        key, entry = new_key(args.key_id, args.role, args.org)
    except KeyEntryError as error:
        raise UsageError(f"keys create: {error}") from None
    if args.append is not None:
        try:
            fd = os.open(args.append, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as keys_file:
                keys_file.write(entry.line() + "\n")
        except OSError as error:
            raise UsageError(f"keys create: {args.append}: {error.strerror}") from None
        print(f"entry for {entry.key_id!r} appended to {args.append}", file=sys.stderr)
    else:
        print(
            f"server entry (STIGMER_API_KEYS / STIGMER_API_KEYS_FILE):\n{entry.line()}",
            file=sys.stderr,
        )
    print(key, flush=True)
    return 0
