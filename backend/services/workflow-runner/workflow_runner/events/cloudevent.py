"""CloudEvents 1.0 as plain JSON objects: validation, defaults, HTTP bindings.

Events cross Temporal as JSON objects (the agreed ``cloudevent`` signal shape),
so this module works on dicts rather than a class: what arrives is exactly what
the listener sees with ``read: envelope``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SPEC_VERSION = "1.0"
REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


class CloudEventError(ValueError):
    """An event is not a valid CloudEvent 1.0; the message names the attribute."""


def validate(event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` after checking the required context attributes.

    Raises:
        CloudEventError: a required attribute is missing/empty or not a string,
            or ``specversion`` is not 1.0.
    """
    if not isinstance(event, Mapping):
        raise CloudEventError("a CloudEvent must be a JSON object")
    for name in REQUIRED_ATTRIBUTES:
        value = event.get(name)
        if not isinstance(value, str) or not value:
            raise CloudEventError(f"CloudEvent attribute '{name}' is required (non-empty string)")
    if event["specversion"] != SPEC_VERSION:
        raise CloudEventError(
            f"CloudEvent attribute 'specversion' must be '{SPEC_VERSION}', "
            f"got {event['specversion']!r}"
        )
    return dict(event)


def new_event(
    *,
    type: str,
    source: str,
    data: Any = None,
    event_id: str | None = None,
    time: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A valid CloudEvent with generated id and time (for callers OUTSIDE workflows).

    Workflow code must not call this without ``event_id`` and ``time``: it uses
    uuid4 and the wall clock.
    """
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "time": time or datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    if data is not None:
        event["datacontenttype"] = "application/json"
        event["data"] = data
    event.update(extra or {})
    return validate(event)


def dedupe_key(event: Mapping[str, Any]) -> str:
    """``source`` + ``id`` identify a distinct event (CloudEvents 1.0, `id`)."""
    return f"{event.get('source')}\x1f{event.get('id')}"


def from_http(headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
    """Events carried by one HTTP request, in structured, batch or binary mode.

    Args:
        headers: request headers, names in any case.
        body: the raw request body.

    Raises:
        CloudEventError: the request is not a CloudEvent in any mode.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in (STRUCTURED_CONTENT_TYPE, BATCH_CONTENT_TYPE):
        try:
            parsed = json.loads(body or b"null")
        except json.JSONDecodeError as exc:
            raise CloudEventError(f"structured CloudEvent body is not JSON: {exc}") from exc
        items = parsed if media_type == BATCH_CONTENT_TYPE else [parsed]
        if not isinstance(items, list):
            raise CloudEventError("a CloudEvents batch must be a JSON array")
        return [validate(item) for item in items]
    return [_from_binary(lowered, media_type, content_type, body)]


def _from_binary(
    headers: Mapping[str, str], media_type: str, content_type: str, body: bytes
) -> dict[str, Any]:
    attributes = {k[3:]: v for k, v in headers.items() if k.startswith("ce-")}
    if not attributes:
        raise CloudEventError(
            f"not a CloudEvent: content type {content_type or '(none)'} is not "
            f"{STRUCTURED_CONTENT_TYPE} and no ce-* headers were sent (binary mode)"
        )
    missing = [n for n in REQUIRED_ATTRIBUTES if not attributes.get(n)]
    if missing:
        raise CloudEventError(f"binary-mode CloudEvent lacks header(s) ce-{', ce-'.join(missing)}")
    event: dict[str, Any] = dict(attributes)
    if body:
        if content_type:
            event["datacontenttype"] = content_type
        if media_type == "application/json" or media_type.endswith("+json") or not media_type:
            try:
                event["data"] = json.loads(body)
            except json.JSONDecodeError as exc:
                raise CloudEventError(f"binary-mode CloudEvent data is not JSON: {exc}") from exc
        elif media_type.startswith("text/"):
            event["data"] = body.decode("utf-8", "replace")
        else:
            event["data_base64"] = base64.b64encode(body).decode("ascii")
    return validate(event)
