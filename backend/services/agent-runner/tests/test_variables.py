"""The execution's variables: what the runner does with ResolveVariables' answer."""

from __future__ import annotations

import grpc
import pytest
from agent_runner.errors import AGENT_SPEC_ERROR
from agent_runner.variables import execution_variables
from agent_runner_testing.recording_api import RecordingApi
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import secrets_pb2
from stigmer.commons.v1 import secret_pb2
from stigmer_common.secret_redaction import process_redactor
from temporalio.exceptions import ApplicationError


class RefusingApi(RecordingApi):
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(agent_api.Agent())
        self.code = code

    async def resolve_variables(
        self, execution_id: str, grant: secret_pb2.ExecutionGrant
    ) -> secrets_pb2.ResolvedVariables:
        raise grpc.aio.AioRpcError(
            self.code,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            details="grant: no valid grant for AgentExecution aex-1",
        )


async def test_secret_values_join_the_log_redactor_and_plain_ones_do_not() -> None:
    api = RecordingApi(agent_api.Agent())
    api.variables["aex-1"] = secrets_pb2.ResolvedVariables(
        values={"OPENAI_API_KEY": "sk-variables-test-key", "REGION": "eu-west-plain"},
        secret_names=["OPENAI_API_KEY"],
    )
    grant = secret_pb2.ExecutionGrant(execution_id="aex-1", org="acme", mac=b"m" * 32)

    variables = await execution_variables(api, "aex-1", grant)

    assert variables == {"OPENAI_API_KEY": "sk-variables-test-key", "REGION": "eu-west-plain"}
    assert api.variable_requests == [("aex-1", grant)]
    scrubbed = process_redactor().text("key sk-variables-test-key in eu-west-plain")
    assert "sk-variables-test-key" not in scrubbed and "eu-west-plain" in scrubbed


async def test_a_refused_grant_ends_the_run_without_retries() -> None:
    with pytest.raises(ApplicationError) as refused:
        await execution_variables(
            RefusingApi(grpc.StatusCode.PERMISSION_DENIED), "aex-1", secret_pb2.ExecutionGrant()
        )
    assert refused.value.type == AGENT_SPEC_ERROR and refused.value.non_retryable
    assert "no valid grant" in str(refused.value)


async def test_an_unavailable_server_is_left_to_the_activity_retry() -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await execution_variables(
            RefusingApi(grpc.StatusCode.UNAVAILABLE), "aex-1", secret_pb2.ExecutionGrant()
        )
