"""``stigmer keys create``: a new API key and the entry stigmer-server needs to accept it.

The key is printed once (stdout, alone on its line, for scripts); the server
keeps only the entry ``<id>:<role>:<org>:<scrypt hash>`` (stderr, or appended
to ``--append FILE``, created 0600, for ``STIGMER_API_KEYS_FILE``). Nothing
is contacted: a server reads its entries at start-up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from stigmer_common.api_keys import ALL_ORGS, ROLES, KeyEntryError, new_key

from stigmer_cli.errors import EXIT_OK, UsageError


@click.group("keys")
def keys_group() -> None:
    """Create API keys for stigmer-server.

    `create` prints a new key once and the entry to configure on the server
    (STIGMER_API_KEYS or STIGMER_API_KEYS_FILE).
    """


@keys_group.command(
    "create",
    help="A new key (stdout) and its server entry (stderr or --append).\n\n"
    "Roles: admin and user manage their org's resources; runner is for workflow runners "
    "(status reports, execution contexts and secrets). "
    f"--org {ALL_ORGS} makes a key of every org (an operator, the platform's runner).",
)
@click.option("--id", "key_id", required=True, help="key id (recorded in audit)")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", required=True, help=f"the key's org, or {ALL_ORGS}")
@click.option(
    "--append",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="append the entry to this keys file (created with mode 0600)",
)
def create_command(key_id: str, role: str, org: str, append: Path | None) -> int:
    try:
        key, entry = new_key(key_id, role, org)
    except KeyEntryError as error:
        raise UsageError(f"keys create: {error}") from None
    if append is not None:
        try:
            fd = os.open(append, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as keys_file:
                keys_file.write(entry.line() + "\n")
        except OSError as error:
            raise UsageError(f"keys create: {append}: {error.strerror}") from None
        print(f"entry for {entry.key_id!r} appended to {append}", file=sys.stderr)
    else:
        print(
            f"server entry (STIGMER_API_KEYS / STIGMER_API_KEYS_FILE):\n{entry.line()}",
            file=sys.stderr,
        )
    print(key, flush=True)
    return EXIT_OK


COMMANDS = [keys_group]
