"""``stigmer emit``: publish one CloudEvent to the platform's event endpoint.

The workflow runner serves the CloudEvents HTTP binding (structured mode) and
routes each event to the executions whose ``listen`` waits for it; a 202 means
the event registry recorded it durably.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from stigmer_cli.errors import Unreachable, UsageError
from stigmer_cli.input_limits import parse_json

DEFAULT_EVENTS_ADDRESS = "127.0.0.1:7235"
STRUCTURED = "application/cloudevents+json"


def cloud_event(*, type: str, source: str, data: Any, subject: str | None = None) -> dict[str, Any]:
    """A CloudEvents 1.0 event in structured form, with a fresh id and the current time."""
    if not type.strip():
        raise UsageError("--type: a CloudEvent needs a non-empty type")
    if not source.strip():
        raise UsageError("--source: a CloudEvent needs a non-empty source")
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": type,
        "source": source,
        "time": datetime.now(UTC).isoformat(),
    }
    if subject:
        event["subject"] = subject
    if data is not None:
        event["datacontenttype"] = "application/json"
        event["data"] = data
    return event


def parse_data(text: str | None) -> Any:
    """``--data``: strict JSON (finite numbers, nested at most the documented limit)."""
    if text is None:
        return None
    return parse_json(text, "--data")


def emit(address: str, event: dict[str, Any]) -> None:
    """POST ``event``; raise a one-line :class:`UsageError` unless it was accepted."""
    url = f"http://{address}/"
    try:
        reply = httpx.post(
            url,
            content=json.dumps(event).encode(),
            headers={"content-type": STRUCTURED},
            timeout=45.0,
        )
    except httpx.HTTPError as error:
        raise Unreachable(f"emit: the event endpoint {url} is not reachable ({error})") from None
    if reply.status_code != 202:
        raise UsageError(f"emit: {url} refused the event ({reply.status_code}: {reply.text})")
