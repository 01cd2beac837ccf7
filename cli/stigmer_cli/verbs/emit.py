"""``stigmer emit``: publish a CloudEvent to executions waiting in ``listen``."""

from __future__ import annotations

import json

import click

from stigmer_cli.errors import EXIT_OK
from stigmer_cli.events import DEFAULT_EVENTS_ADDRESS, cloud_event, emit, parse_data


@click.command("emit")
@click.option("--type", "event_type", required=True, help="CloudEvent type")
@click.option("--source", required=True, help="CloudEvent source (a URI)")
@click.option("--data", metavar="JSON", help="event data, a JSON value")
@click.option("--subject", help="CloudEvent subject")
@click.option(
    "--events",
    envvar="STIGMER_EVENTS",
    default=DEFAULT_EVENTS_ADDRESS,
    show_default=f"$STIGMER_EVENTS or {DEFAULT_EVENTS_ADDRESS}",
    metavar="HOST:PORT",
    help="event endpoint",
)
def emit_command(
    event_type: str, source: str, data: str | None, subject: str | None, events: str
) -> int:
    """Publish one CloudEvent to the platform's event endpoint.

    Executions whose listen task waits for it receive it. Prints the event as sent.
    """
    event = cloud_event(type=event_type, source=source, data=parse_data(data), subject=subject)
    emit(events, event)
    print(json.dumps(event))
    return EXIT_OK


COMMANDS = [emit_command]
