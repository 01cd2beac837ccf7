"""The bridge's pure parts: settings from the environment, value and error mapping,
the final status handed back to the orchestration (and stored first when it
can be), the engine's workflow id."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import grpc
import pytest
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.workflowexecution.v1 import api_pb2, contract_pb2, io_pb2
from stigmer_dsl.errors import WorkflowError
from temporalio.client import Client
from workflow_runner.bridge.execute_workflow import engine_workflow_id
from workflow_runner.bridge.settings import RunnerSettings, SettingsError
from workflow_runner.wiring.completion import CompleteExternalActivity, final_status
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


def test_server_address_is_stigmer_server_with_the_older_name_as_alias() -> None:
    # One name for the stigmer-server address across the CLI and the runners.
    assert RunnerSettings.from_env({"STIGMER_SERVER": "a:1"}).stigmer_endpoint == "a:1"
    assert RunnerSettings.from_env({"STIGMER_SERVICE_ENDPOINT": "b:2"}).stigmer_endpoint == "b:2"
    both = {"STIGMER_SERVER": "a:1", "STIGMER_SERVICE_ENDPOINT": "b:2"}
    assert RunnerSettings.from_env(both).stigmer_endpoint == "a:1"


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


class _Handle:
    def __init__(self, completions: list[contract_pb2.ExecuteWorkflowOutput]) -> None:
        self._completions = completions

    async def complete(self, result: contract_pb2.ExecuteWorkflowOutput) -> None:
        self._completions.append(result)


class _Client:
    """The one client call the activity makes: a handle that records the completion."""

    def __init__(self) -> None:
        self.completions: list[contract_pb2.ExecuteWorkflowOutput] = []

    def get_async_activity_handle(self, *, task_token: bytes) -> _Handle:
        return _Handle(self.completions)


class _Server:
    """stigmer-server's UpdateStatus: answers with ``phase``, or raises ``error``."""

    def __init__(self, phase: int = phase_pb2.COMPLETED, error: Exception | None = None) -> None:
        self.phase, self.error = phase, error
        self.reports: list[io_pb2.WorkflowExecutionUpdateStatusInput] = []

    async def store_final_status(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> api_pb2.WorkflowExecution:
        self.reports.append(report)
        if self.error is not None:
            raise self.error
        execution = api_pb2.WorkflowExecution()
        execution.status.phase = self.phase  # type: ignore[assignment]
        return execution


def _unavailable() -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), details="down"
    )


def _ending(execution_id: str = "wex-1") -> engine_contract.CompleteExternalActivityInput:
    ending = engine_contract.CompleteExternalActivityInput(
        task_token=b"token", output=to_value({"x": 1}), execution_id=execution_id
    )
    ending.progress.tasks.add(task_id="do/0/a", name="a", status=phase_pb2.COMPLETED)
    return ending


async def _complete(
    server: _Server | None, ending: engine_contract.CompleteExternalActivityInput
) -> contract_pb2.ExecuteWorkflowOutput:
    client = _Client()
    activity = CompleteExternalActivity(cast(Client, client), server)
    answer = await activity.complete_external_activity(ending)
    assert answer.delivered
    (completion,) = client.completions
    return completion


@pytest.mark.parametrize(
    ("server", "stored"),
    [
        (_Server(), True),
        # Cancelled meanwhile: the server holds a terminal status; nothing left to write.
        (_Server(phase=phase_pb2.CANCELLED), True),
        # The server did not take it as the end: the orchestration writes it.
        (_Server(phase=phase_pb2.IN_PROGRESS), False),
        (_Server(error=_unavailable()), False),
        (_Server(error=RuntimeError("a bug")), False),
    ],
)
async def test_the_final_status_is_stored_before_the_token_is_completed(
    server: _Server, stored: bool
) -> None:
    completion = await _complete(server, _ending())
    (report,) = server.reports
    assert report.execution_id == "wex-1"
    assert report.status.phase == phase_pb2.COMPLETED
    assert [task.task_id for task in report.status.tasks] == ["do/0/a"]
    assert completion.status_stored is stored
    assert completion.status.phase == phase_pb2.COMPLETED
    assert json_format.MessageToDict(completion.status.output) == {"x": 1}
    # Stored: the entries stay out of the orchestration's history; else they ride along.
    assert len(completion.status.tasks) == (0 if stored else 1)


@pytest.mark.parametrize("server", [None, _Server()])
async def test_without_an_execution_or_a_server_the_orchestration_stores_it(
    server: _Server | None,
) -> None:
    ending = _ending(execution_id="" if server is not None else "wex-1")
    completion = await _complete(server, ending)
    assert not completion.status_stored
    assert len(completion.status.tasks) == 1
    assert server is None or server.reports == []
