"""``stigmer get`` and ``stigmer list``: read resources of any kind.

``get`` takes ``KIND REF`` (a slug or an id) or just an id, whose prefix names
the kind (``stigmer get wex-...``). Kinds: workflows, executions, agents,
sessions, agent-executions... (``stigmer list --help`` names them all).
"""

from __future__ import annotations

import asyncio

import click
from google.protobuf.message import Message

from stigmer_cli.api import StigmerClient
from stigmer_cli.errors import EXIT_OK, UsageError
from stigmer_cli.options import api_key, output_option, server_option
from stigmer_cli.output import as_dict, print_data, print_table
from stigmer_cli.resource_kinds import KIND_NAMES, ResourceKind, kind_named, kind_of_id

_KINDS_HELP = ", ".join(KIND_NAMES)


def _complete_kind(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [name for name in KIND_NAMES if name.startswith(incomplete)]


def _kind_and_ref(first: str, second: str | None) -> tuple[ResourceKind, str]:
    if second is not None:
        return kind_named(first), second.strip()
    kind = kind_of_id(first.strip())
    if kind is None:
        raise UsageError(
            f"get: {first!r} is not an id (wfl-..., wex-...); name the kind: stigmer get KIND REF"
        )
    return kind, first.strip()


async def _get(server: str, kind: ResourceKind, ref: str) -> Message:
    async with StigmerClient(server, api_key()) as client:
        return await client.get_resource(kind, ref)


async def _list(server: str, kind: ResourceKind, parent: str, limit: int) -> list[Message]:
    async with StigmerClient(server, api_key()) as client:
        return await client.list_resources(kind, parent_id=parent, limit=limit)


@click.command(
    "get", help=f"Show one resource: KIND REF (slug or id), or an ID.\n\nKinds: {_KINDS_HELP}."
)
@click.argument("first", metavar="KIND|ID", shell_complete=_complete_kind)
@click.argument("ref", metavar="[REF]", required=False)
@output_option
@server_option
def get_command(first: str, ref: str | None, output: str, server: str) -> int:
    kind, reference = _kind_and_ref(first, ref)
    if not reference:
        raise UsageError("get: REF must be a slug or an id")
    resource = asyncio.run(_get(server, kind, reference))
    if output == "table":
        print_table([resource])
    else:
        print_data(as_dict(resource), output)
    return EXIT_OK


@click.command("list", help=f"List resources of KIND, oldest first.\n\nKinds: {_KINDS_HELP}.")
@click.argument("kind_name", metavar="KIND", shell_complete=_complete_kind)
@click.option(
    "--parent",
    default="",
    metavar="ID",
    help="only those under this resource (the executions of a workflow wfl-...)",
)
@click.option("--limit", type=click.IntRange(min=0), default=0, help="at most this many (0: all)")
@output_option
@server_option
def list_command(kind_name: str, parent: str, limit: int, output: str, server: str) -> int:
    kind = kind_named(kind_name)
    resources = asyncio.run(_list(server, kind, parent.strip(), limit))
    if output == "table":
        print_table(resources)
    else:
        print_data([as_dict(resource) for resource in resources], output)
    return EXIT_OK


COMMANDS = [get_command, list_command]
