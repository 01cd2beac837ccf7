"""The bridge's pure parts: settings from the environment, value and error mapping,
the final status handed back to the orchestration, the engine's workflow id."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer_dsl.errors import WorkflowError
from workflow_runner.bridge.execute_workflow import engine_workflow_id
from workflow_runner.bridge.settings import RunnerSettings, SettingsError
from workflow_runner.wiring.completion import final_status
from workflow_runner.wiring.progress import problem_error, to_value


def test_settings_defaults_are_the_contract_names() -> None:
    settings = RunnerSettings.from_env({})
    assert settings.runner_queue == "workflow_execution_runner"
    assert settings.engine_queue == "zigflow_execution"
    assert settings.stigmer_endpoint == "127.0.0.1:7234"
    assert settings.stigmer_use_tls is False


def test_settings_read_the_documented_overrides() -> None:
    settings = RunnerSettings.from_env(
        {
            "STIGMER_SERVICE_ENDPOINT": "stigmer:7234",
            "STIGMER_SERVICE_API_KEY": "secret",
            "STIGMER_SERVICE_USE_TLS": "true",
            "TEMPORAL_HOST_PORT": "temporal:7233",
            "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE": "runner-q",
            "TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE": "engine-q",
        }
    )
    assert (settings.runner_queue, settings.engine_queue) == ("runner-q", "engine-q")
    assert settings.stigmer_use_tls is True
    assert "secret" not in repr(settings)


def test_bad_tls_flag_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="STIGMER_SERVICE_USE_TLS"):
        RunnerSettings.from_env({"STIGMER_SERVICE_USE_TLS": "maybe"})


def test_a_ca_file_turns_tls_on_and_must_be_readable(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = RunnerSettings.from_env({"STIGMER_SERVICE_CA_FILE": str(ca)})
    assert settings.stigmer_use_tls and settings.stigmer_ca_file == str(ca)
    with pytest.raises(SettingsError, match=r"STIGMER_SERVICE_CA_FILE .* cannot be read"):
        RunnerSettings.from_env({"STIGMER_SERVICE_CA_FILE": str(tmp_path / "missing.pem")})


def test_values_cross_as_protobuf_values() -> None:
    assert json_format.MessageToDict(to_value({"a": [1, "x", None]})) == {"a": [1, "x", None]}
    assert to_value(object()).string_value.startswith("<object")


def test_problem_details_become_the_execution_error() -> None:
    error = problem_error(WorkflowError.configuration("no such task", title="Bad Flow"))
    assert error.code.endswith("/errors/configuration")
    assert error.message == "no such task"
    assert error.details["title"] == "Bad Flow"
    assert error.details["status"] == "400"


def test_final_status_completed_with_output_or_failed_with_error() -> None:
    done = final_status(engine_contract.CompleteExternalActivityInput(output=to_value({"x": 1})))
    assert done.phase == phase_pb2.COMPLETED
    assert json_format.MessageToDict(done.output) == {"x": 1}
    failed = final_status(
        engine_contract.CompleteExternalActivityInput(
            error=phase_pb2.ExecutionError(code="t", message="m")
        )
    )
    assert (failed.phase, failed.error.code) == (phase_pb2.FAILED, "t")


def test_engine_workflow_id_comes_from_the_contract_template() -> None:
    assert engine_workflow_id("wex-1") == "stigmer/serverless-workflow/wex-1"
