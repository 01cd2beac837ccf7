"""``stigmer agent run``: send a message to an agent and stream its reply."""

from __future__ import annotations

import asyncio

import click

from stigmer_cli.agent_commands import run_agent
from stigmer_cli.options import server_option


@click.group("agent")
def agent_group() -> None:
    """Talk to an agent (apply it first with `stigmer apply -f`)."""


@agent_group.command("run")
@click.argument("agent", metavar="NAME")
@click.argument("message", metavar="MESSAGE")
@click.option("--session", default="", help="continue this session (ses-...)")
@click.option("--follow", is_flag=True, help="stream the reply until it ends")
@server_option
def run_command(agent: str, message: str, session: str, follow: bool, server: str) -> int:
    """Send MESSAGE to the agent NAME (a slug or agt-... id).

    Prints the execution id. With --follow: the reply and the tool calls stream
    to stderr as they happen, then the final answer on stdout; exit 0 completed,
    1 failed.
    """
    return asyncio.run(run_agent(server, agent, message, session, follow=follow))


COMMANDS = [agent_group]
