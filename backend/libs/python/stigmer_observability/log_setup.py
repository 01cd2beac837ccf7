"""One logging setup for every Stigmer process.

* JSON lines (one object per line) by default, readable text when the stream
  is a terminal; ``LOG_FORMAT=json|text`` forces one.
* ``LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR); ``STIGMER_LOG_LEVEL`` and
  ``STIGMER_LOG_FORMAT`` are accepted as older names.
* Every line about an execution carries ``execution_id`` (and ``task`` when a
  DSL task is known): from :mod:`.log_context`, from the record's ``extra``, or
  from the Temporal workflow id Temporal's loggers attach.
* Secrets are masked (:mod:`.redaction`).
* The Temporal sandbox's "module imported after initial workflow load"
  warnings are dropped: they name every module a workflow imports lazily and
  flood a runner log without saying anything an operator can act on.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

import temporalio.activity
import temporalio.workflow

from stigmer_observability.log_context import (
    current_execution_id,
    current_task_name,
    execution_id_in,
)
from stigmer_observability.redaction import REDACTED, is_secret_name, redact_text

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
#: Fields :class:`ExecutionContextFilter` adds.
_CONTEXT_FIELDS = frozenset({"execution_id", "task"})
#: Temporal loggers' structured details; their workflow id names the execution.
_TEMPORAL_DETAILS = ("temporal_workflow", "temporal_activity")
#: Messages of the Temporal sandbox's import notifications (see module docstring).
SANDBOX_IMPORT_WARNINGS = (
    r"Module .* was imported after initial workflow load\.",
    r"Module .* was not intentionally passed through to the sandbox\.",
)


class LogConfigError(ValueError):
    """A logging variable holds a value the process cannot use (names it)."""


class ExecutionContextFilter(logging.Filter):
    """Adds ``execution_id`` / ``task`` to each record that is about an execution."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "execution_id", None):
            execution_id = (
                current_execution_id()
                or _temporal_execution_id(record)
                or _activity_execution_id()
                or execution_id_in(record.getMessage())
            )
            if execution_id:
                record.execution_id = execution_id
        if not getattr(record, "task", None):
            task = current_task_name()
            if task:
                record.task = task
        return True


def _temporal_execution_id(record: logging.LogRecord) -> str | None:
    for key in _TEMPORAL_DETAILS:
        details = getattr(record, key, None)
        if isinstance(details, Mapping):
            found = execution_id_in(str(details.get("workflow_id", "")))
            if found:
                return found
    return None


def _activity_execution_id() -> str | None:
    """In an activity: the execution its workflow serves (module loggers carry no details)."""
    if not temporalio.activity.in_activity():
        return None
    return execution_id_in(temporalio.activity.info().workflow_id or "")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's ``extra`` fields, secrets masked, Temporal details flattened."""
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if key in _TEMPORAL_DETAILS and isinstance(value, Mapping):
            for detail in ("workflow_id", "workflow_type", "activity_type", "attempt"):
                if detail in value:
                    fields[detail] = value[detail]
            continue
        if key in _CONTEXT_FIELDS:
            fields[key] = value  # ids and task pointers we set ourselves: not secrets
        elif is_secret_name(key):
            fields[key] = REDACTED
        elif isinstance(value, str):
            fields[key] = redact_text(value)
        elif isinstance(value, int | float | bool) or value is None:
            fields[key] = value
        else:
            fields[key] = redact_text(repr(value))
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "msg": redact_text(record.getMessage()),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [execution task] message key=value ...`` for people."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        fields = _fields(record)
        scope = " ".join(
            str(fields.pop(key)) for key in ("execution_id", "task") if fields.get(key)
        )
        fields.pop("workflow_type", None)
        fields.pop("workflow_id", None)
        line = f"{stamp} {record.levelname:<7} {record.name}: "
        if scope:
            line += f"[{scope}] "
        line += redact_text(record.getMessage())
        if fields:
            line += "  " + " ".join(f"{key}={value}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + redact_text(self.formatException(record.exc_info))
        return line


def log_level(env: Mapping[str, str]) -> str:
    """``LOG_LEVEL`` (or ``STIGMER_LOG_LEVEL``), INFO by default.

    Raises:
        LogConfigError: not a level name.
    """
    name = "LOG_LEVEL" if env.get("LOG_LEVEL") else "STIGMER_LOG_LEVEL"
    level = (env.get(name) or "INFO").strip().upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise LogConfigError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


def log_format(env: Mapping[str, str], stream: IO[str]) -> str:
    """``LOG_FORMAT`` (or ``STIGMER_LOG_FORMAT``); unset: text on a terminal, else json.

    Raises:
        LogConfigError: neither json nor text.
    """
    name = "LOG_FORMAT" if env.get("LOG_FORMAT") else "STIGMER_LOG_FORMAT"
    raw = (env.get(name) or "").strip().lower()
    if not raw or raw == "auto":
        return "text" if _is_tty(stream) else "json"
    if raw not in LOG_FORMATS:
        raise LogConfigError(f"{name} must be json or text, got {raw!r}")
    return raw


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def configure_logging(
    service: str, *, level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> logging.Handler:
    """Route every logger of the process to ``stream`` (stderr) in ``fmt``.

    Replaces the root handlers (a second call reconfigures, it does not stack).

    Returns:
        The installed handler.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else TextFormatter())
    handler.addFilter(ExecutionContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Warnings become log records (one format), minus the sandbox's import noise.
    logging.captureWarnings(True)
    # Temporal's loggers put their details in ``extra`` too; on the message they
    # would repeat as a dict literal on every line.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False
    for message in SANDBOX_IMPORT_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    # Libraries that log every request at INFO stay quiet unless asked.
    if level != "DEBUG":
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
