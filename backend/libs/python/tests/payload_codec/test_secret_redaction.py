"""Scrubbing known secret values from text, JSON values and log records."""

from __future__ import annotations

import logging

import pytest
from google.protobuf import json_format, struct_pb2
from stigmer_common.secret_redaction import (
    REDACTED,
    RedactingLogFilter,
    Redactor,
    protection_enabled,
)

SECRET = "tok-8f3e-very-secret"


def test_text_and_longest_first() -> None:
    redactor = Redactor([SECRET, "tok-8f3e", "ab"])  # "ab": too short to scrub
    assert redactor.text(f"GET https://x/{SECRET}?q=tok-8f3e ab") == (
        f"GET https://x/{REDACTED}?q={REDACTED} ab"
    )


def test_json_value_strings_and_keys() -> None:
    value = json_format.ParseDict(
        {"a": [f"x{SECRET}", 1, {SECRET: True}], "b": "clean"}, struct_pb2.Value()
    )
    assert Redactor([SECRET]).value(value)
    assert json_format.MessageToDict(value) == {
        "a": [f"x{REDACTED}", 1, {REDACTED: True}],
        "b": "clean",
    }
    assert not Redactor([SECRET]).value(value)  # nothing left to change


def test_log_filter_scrubs_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    redactor = Redactor([SECRET])
    redacting = RedactingLogFilter(redactor)
    caplog.handler.addFilter(redacting)
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling %s", f"https://x/{SECRET}")
            try:
                raise RuntimeError(f"failed: {SECRET}")
            except RuntimeError:
                logger.exception("boom")
    finally:
        caplog.handler.removeFilter(redacting)
    assert SECRET not in caplog.text
    assert f"calling https://x/{REDACTED}" in caplog.text
    assert f"RuntimeError: failed: {REDACTED}" in caplog.text


def test_protection_switch() -> None:
    assert protection_enabled({})
    assert protection_enabled({"STIGMER_SECRET_PROTECTION": "on"})
    assert not protection_enabled({"STIGMER_SECRET_PROTECTION": "OFF"})


def test_scrubbed_message_copies_only_when_a_secret_is_inside() -> None:
    from stigmer.workflowexecution.v1 import api_pb2

    redactor = Redactor([SECRET])
    clean = json_format.ParseDict(
        {"phase": "IN_PROGRESS", "tasks": [{"task_id": "a", "output": {"x": 1}}]},
        api_pb2.WorkflowExecutionStatus(),
    )
    assert redactor.scrubbed(clean) is clean
    leaky = json_format.ParseDict(
        {
            "tasks": [
                {
                    "task_id": "a",
                    "input": {"url": f"https://x/{SECRET}"},
                    "error": {"message": f"GET {SECRET}", "details": {"uri": SECRET}},
                }
            ],
            "output": [SECRET],
        },
        api_pb2.WorkflowExecutionStatus(),
    )
    scrubbed = redactor.scrubbed(leaky)
    assert scrubbed is not leaky and SECRET in str(leaky)  # the original is untouched
    assert SECRET not in str(scrubbed)
    assert scrubbed.tasks[0].error.details["uri"] == REDACTED
    assert scrubbed.tasks[0].input.struct_value["url"] == f"https://x/{REDACTED}"
    assert Redactor().scrubbed(leaky) is leaky  # no secrets known: nothing to do


def test_log_filter_holds_for_formatters_that_format_exc_info_themselves() -> None:
    import io

    class ExcInfoFormatter(logging.Formatter):  # like a JSON formatter: ignores exc_text
        def format(self, record: logging.LogRecord) -> str:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + self.formatException(record.exc_info)
            return text

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ExcInfoFormatter())
    handler.addFilter(RedactingLogFilter(Redactor([SECRET])))
    logger = logging.getLogger("test.redaction.exc")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"failed: {SECRET}")
        except RuntimeError:
            logger.error("boom", exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue()
    assert f"RuntimeError: failed: {REDACTED}" in stream.getvalue()
