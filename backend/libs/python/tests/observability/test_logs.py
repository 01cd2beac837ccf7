"""The shared logging setup: JSON lines with the execution id, text on a TTY, no secrets."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest
from stigmer_observability.config import ObservabilityConfig, ObservabilityConfigError
from stigmer_observability.log_context import bound_execution
from stigmer_observability.log_setup import configure_logging

EXECUTION = "wex-01jz8k2v3c4d5e6f7g8h9j0k1m"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def _json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_bound_execution_and_task(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("workflow-runner", level="INFO", fmt="json", stream=stream)
    log = logging.getLogger("workflow_runner.test")
    with bound_execution(EXECUTION, "fetchUser"):
        log.info("calling %s", "https://example.com", extra={"attempt": 2})
    log.info("not about an execution")

    about, other = _json_lines(stream)
    assert about["execution_id"] == EXECUTION
    assert about["task"] == "fetchUser"
    assert about["msg"] == "calling https://example.com"
    assert about["attempt"] == 2
    assert about["service"] == "workflow-runner" and about["level"] == "INFO"
    assert "execution_id" not in other and "task" not in other


def test_execution_id_found_in_temporal_details_and_in_the_message(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("stigmer-server", level="INFO", fmt="json", stream=stream)
    log = logging.getLogger("temporalio.workflow")
    log.info(
        "paused",
        extra={
            "temporal_workflow": {
                "workflow_id": f"stigmer/workflow-execution/invoke/{EXECUTION}",
                "workflow_type": "stigmer/workflow-execution/invoke",
                "run_id": "r",
            }
        },
    )
    logging.getLogger("stigmer_server.x").info("execution %s: started", EXECUTION)

    from_details, from_message = _json_lines(stream)
    assert from_details["execution_id"] == EXECUTION
    assert from_details["workflow_type"] == "stigmer/workflow-execution/invoke"
    assert "temporal_workflow" not in from_details  # flattened, not a repr
    assert from_message["execution_id"] == EXECUTION


def test_secrets_are_masked_in_fields_messages_and_tracebacks(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("workflow-runner", level="INFO", fmt="json", stream=stream)
    log = logging.getLogger("workflow_runner.test")
    key = "k1=" + "A" * 43 + "="
    log.info("sending Authorization: Bearer sk-live-123456", extra={"api_key": "sk-live-123456"})
    try:
        raise ValueError(f"bad keyring {key}")
    except ValueError:
        log.exception("token=abcdef123456 refused")

    text = stream.getvalue()
    assert "sk-live-123456" not in text
    assert "abcdef123456" not in text
    assert "A" * 43 not in text
    first, second = _json_lines(stream)
    assert first["api_key"] == "[REDACTED]"
    assert "Bearer [REDACTED]" in str(first["msg"])
    assert "bad keyring k1=[REDACTED]" in str(second["exc"])


def test_text_format_reads_as_one_line_with_the_execution(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("stigmer-server", level="DEBUG", fmt="text", stream=stream)
    with bound_execution(EXECUTION):
        logging.getLogger("stigmer_server.x").debug("merged", extra={"tasks": 3})
    (line,) = stream.getvalue().splitlines()
    assert f"DEBUG   stigmer_server.x: [{EXECUTION}] merged  tasks=3" in line


def test_level_filters_and_sandbox_import_warnings_are_dropped(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("workflow-runner", level="WARNING", fmt="json", stream=stream)
    logging.getLogger("x").info("hidden")
    warnings.warn("Module foo.bar was imported after initial workflow load.", stacklevel=1)
    warnings.warn("something else", stacklevel=1)
    lines = _json_lines(stream)
    assert [line["logger"] for line in lines] == ["py.warnings"]
    assert "something else" in str(lines[0]["msg"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_format_defaults_to_text_on_a_terminal_and_json_otherwise() -> None:
    assert ObservabilityConfig.from_env({}, log_stream=_Terminal()).log_format == "text"
    assert ObservabilityConfig.from_env({}, log_stream=io.StringIO()).log_format == "json"
    forced = ObservabilityConfig.from_env({"LOG_FORMAT": "json"}, log_stream=_Terminal())
    assert forced.log_format == "json"
    assert ObservabilityConfig.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert ObservabilityConfig.from_env({"STIGMER_LOG_LEVEL": "warn"}).log_level == "WARNING"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or text"),
        ({"STIGMER_LOG_FORMAT": "xml"}, "STIGMER_LOG_FORMAT must be json or text"),
        ({"STIGMER_METRICS_ADDRESS": "localhost:http"}, "STIGMER_METRICS_ADDRESS must be"),
        ({"STIGMER_HEALTH_ADDRESS": "70000"}, "STIGMER_HEALTH_ADDRESS must be"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ObservabilityConfigError, match=message):
        ObservabilityConfig.from_env(env)


def test_addresses_accept_port_host_port_and_off() -> None:
    config = ObservabilityConfig.from_env(
        {"STIGMER_METRICS_ADDRESS": "9191", "STIGMER_HEALTH_ADDRESS": "off"}
    )
    assert config.metrics_address == "127.0.0.1:9191"
    assert config.health_address == ""
    assert config.listeners() == ["127.0.0.1:9191"]
    default = ObservabilityConfig.from_env({})
    assert default.listeners() == ["127.0.0.1:9090", "127.0.0.1:3000"]
    same = ObservabilityConfig.from_env(
        {"STIGMER_METRICS_ADDRESS": "0.0.0.0:9090", "STIGMER_HEALTH_ADDRESS": "0.0.0.0:9090"}
    )
    assert same.listeners() == ["0.0.0.0:9090"]
