"""Scrubbing known secret values out of text, JSON values and log lines.

The last line of defense: whatever a workflow did with a secret (put it in a
task's output, an error message, a URL), a stored status or a log line shows
``REDACTED`` where its value was. Matching is by exact substring, longest value
first (so a secret containing another is replaced whole); values shorter than
:data:`MIN_SECRET_LENGTH` are not scrubbed, since replacing every "a" or "1"
would mangle everything and hide nothing.

``STIGMER_SECRET_PROTECTION=off`` switches sealing, scrubbing and failure
encoding off; it exists for the leak test's control run (which proves the leak
search can find something) and must never be set in a deployment.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from google.protobuf import struct_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

__all__ = [
    "MIN_SECRET_LENGTH",
    "PROTECTION_ENV",
    "REDACTED",
    "RedactingLogFilter",
    "Redactor",
    "install_log_redaction",
    "process_redactor",
    "protection_enabled",
]

MessageT = TypeVar("MessageT", bound=Message)

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4
PROTECTION_ENV = "STIGMER_SECRET_PROTECTION"


def protection_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False only when ``STIGMER_SECRET_PROTECTION=off`` (the leak test's control run)."""
    env = os.environ if environ is None else environ
    return env.get(PROTECTION_ENV, "").strip().lower() != "off"


class Redactor:
    """Replaces any of a set of secret values with :data:`REDACTED`."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        fresh = {v for v in values if len(v) >= MIN_SECRET_LENGTH}
        with self._lock:
            merged = fresh.union(self._values)
            self._values = tuple(sorted(merged, key=lambda v: (-len(v), v)))

    def __bool__(self) -> bool:
        return bool(self._values)

    def text(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def contains_secret(self, text: str) -> bool:
        return any(value in text for value in self._values)

    def value(self, value: struct_pb2.Value) -> bool:
        """Scrubs a JSON value in place (strings and object keys); True if it changed."""
        kind = value.WhichOneof("kind")
        if kind == "string_value":
            clean = self.text(value.string_value)
            if clean != value.string_value:
                value.string_value = clean
                return True
            return False
        if kind == "struct_value":
            return self.struct(value.struct_value)
        if kind == "list_value":
            changed = False
            for item in value.list_value.values:
                changed |= self.value(item)
            return changed
        return False

    def struct(self, struct: struct_pb2.Struct) -> bool:
        """Scrubs an object in place; True if it changed."""
        changed = False
        for key in list(struct.fields):
            changed |= self.value(struct.fields[key])
            clean_key = self.text(key)
            if clean_key != key:
                moved = struct_pb2.Value()
                moved.CopyFrom(struct.fields[key])
                del struct.fields[key]
                struct.fields[clean_key].CopyFrom(moved)
                changed = True
        return changed

    def message(self, message: Message) -> None:
        """Scrubs every string of a protobuf message in place (strings, JSON values
        and keys, string maps, nested and repeated messages)."""
        if isinstance(message, struct_pb2.Value):
            self.value(message)
            return
        if isinstance(message, struct_pb2.Struct):
            self.struct(message)
            return
        for field, value in message.ListFields():
            if field.type == FieldDescriptor.TYPE_STRING:
                if isinstance(value, str):
                    setattr(message, field.name, self.text(value))
                else:  # repeated string
                    items = [self.text(item) for item in value]
                    del value[:]
                    value.extend(items)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                entry = field.message_type
                if entry is not None and entry.GetOptions().map_entry:
                    self._map(entry.fields_by_name["value"], value)
                elif isinstance(value, Message):
                    self.message(value)
                else:  # repeated message
                    for item in value:
                        self.message(item)

    def _map(self, value_field: FieldDescriptor, entries: Any) -> None:
        for key in list(entries):
            if value_field.type == FieldDescriptor.TYPE_STRING:
                entries[key] = self.text(entries[key])
            elif value_field.type == FieldDescriptor.TYPE_MESSAGE:
                self.message(entries[key])

    def scrubbed(self, message: MessageT) -> MessageT:
        """``message`` itself if its wire bytes hold no secret, else a scrubbed copy.

        Every string is its UTF-8 bytes on the wire, so the byte check finds any
        secret in any field; most messages have none and are not copied.
        """
        if not self._values:
            return message
        wire = message.SerializeToString()
        if not any(value.encode("utf-8") in wire for value in self._values):
            return message
        copy = type(message)()
        copy.CopyFrom(message)
        self.message(copy)
        return copy


_PROCESS_REDACTOR = Redactor()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Adds a :class:`RedactingLogFilter` to every handler of ``logger`` (the root).

    On handlers, not the logger: a logger's filters do not see records that
    propagate from child loggers. Call after logging is configured. Not
    installed with protection switched off (the leak test's control run).
    """
    if not protection_enabled():
        return
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingLogFilter) for f in handler.filters):
            handler.addFilter(RedactingLogFilter())


def process_redactor() -> Redactor:
    """The secret values this process has handled (what its logs must not show)."""
    return _PROCESS_REDACTOR


class RedactingLogFilter(logging.Filter):
    """Rewrites a log record so no known secret value reaches any handler.

    Formats the message (and traceback) once, scrubs it, and stores the result
    back, so every handler and formatter downstream sees only scrubbed text.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or _PROCESS_REDACTOR

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor
        if not redactor:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's error path
            return True
        if redactor.contains_secret(message):
            record.msg = redactor.text(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and redactor.contains_secret(record.exc_text):
            # Formatters re-format exc_info themselves (the JSON one does): the
            # scrubbed traceback goes into the message, the exception is dropped.
            record.msg = f"{record.getMessage()}\n{redactor.text(record.exc_text)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        for key, extra in list(vars(record).items()):
            if isinstance(extra, str) and key not in ("msg", "exc_text"):
                if redactor.contains_secret(extra):
                    setattr(record, key, redactor.text(extra))
        return True
