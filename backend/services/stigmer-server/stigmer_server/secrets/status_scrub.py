"""Keeping an execution's secret values out of its stored status.

The server is the last line of defense: whatever a workflow did with
``$secrets`` (a task's input or output, an error message, the final output),
the reported status is scrubbed of every secret value of the execution before it
is merged and stored. The walk is generic over the status message (strings,
JSON values, string maps, nested messages), so it covers every execution kind
and any field added later.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from stigmer_common.secret_redaction import Redactor

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.secrets.execution_values import execution_values


def scrub_message(message: Message, redactor: Redactor) -> None:
    """Replaces every secret value in ``message``'s strings, in place."""
    if isinstance(message, struct_pb2.Value):
        redactor.value(message)
        return
    if isinstance(message, struct_pb2.Struct):
        redactor.struct(message)
        return
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_STRING:
            if isinstance(value, str):
                setattr(message, field.name, redactor.text(value))
            else:  # repeated string
                items = [redactor.text(item) for item in value]
                del value[:]
                value.extend(items)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            entry = field.message_type
            if entry is not None and entry.GetOptions().map_entry:
                _scrub_map(entry.fields_by_name["value"], value, redactor)
            elif isinstance(value, Message):
                scrub_message(value, redactor)
            else:  # repeated message
                for item in value:
                    scrub_message(item, redactor)


def _scrub_map(value_field: FieldDescriptor, entries: Any, redactor: Redactor) -> None:
    for key in list(entries):
        if value_field.type == FieldDescriptor.TYPE_STRING:
            entries[key] = redactor.text(entries[key])
        elif value_field.type == FieldDescriptor.TYPE_MESSAGE:
            scrub_message(entries[key], redactor)


class ScrubReportedStatus:
    """Scrubs the reported status of the loaded execution's secret values.

    Runs after the execution is loaded, before the merge; the merge then reads
    ``ctx.status_input`` (the scrubbed copy) instead of the request.
    """

    name = "scrub-secrets"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if self._deps.sealer is None:
            return  # protection switched off (the leak test's control run only)
        found = execution_values(
            self._deps.repository,
            self._deps.sealer,
            ctx.require_resource(),
            self._deps.default_org,
        )
        redactor = Redactor(found.secret_values)
        if not redactor:
            return
        report = getattr(ctx.request, "status")  # noqa: B009
        # Fast path: every string is its UTF-8 bytes on the wire, so a report whose
        # bytes hold no secret has none in any field (most reports of most runs).
        wire = report.SerializeToString()
        if not any(value.encode("utf-8") in wire for value in found.secret_values):
            return
        scrubbed = type(report)()
        scrubbed.CopyFrom(report)
        scrub_message(scrubbed, redactor)
        ctx.status_input = scrubbed
