"""TLS and API keys end to end: stigmer-server serving TLS with keys configured,
the workflow runner (runner key, CA file) and the `stigmer` CLI (user key, CA
file) as real processes; plaintext clients are refused."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from e2e_platform import Platform, running_platform
from grpc_health.v1 import health_pb2, health_pb2_grpc
from stigmer.commons.v1 import io_pb2
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_common.api_keys import new_key
from stigmer_testing.tls import write_test_certificates
from temporalio.testing import WorkflowEnvironment

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello-stigmer.yaml"
CLI_TIMEOUT = 180.0
N = 2**4  # cheap scrypt work factor: the format is the production one

USER_KEY, USER = new_key("e2e-user", "user", "acme", n=N)
RUNNER_KEY, RUNNER = new_key("e2e-runner", "runner", "*", n=N)


async def _cli(platform: Platform, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        name: value
        for name, value in platform.runner_env().items()
        if not name.startswith("STIGMER_SERVICE_")  # the CLI has its own variables
    }
    full_env.update(STIGMER_SERVER=platform.server.address, **env)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "stigmer_cli", *argv],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


async def test_runner_and_cli_against_a_tls_server_and_plaintext_refused(
    dev_server: WorkflowEnvironment, payload_keys: str, tmp_path: Path
) -> None:
    certs = write_test_certificates(tmp_path / "tls")
    server_and_runner = {
        "STIGMER_TLS_CERT_FILE": str(certs.cert_file),
        "STIGMER_TLS_KEY_FILE": str(certs.key_file),
        "STIGMER_API_KEYS": f"{USER.line()},{RUNNER.line()}",
        "STIGMER_SERVICE_CA_FILE": str(certs.ca_file),
        "STIGMER_SERVICE_API_KEY": RUNNER_KEY,
    }
    async with running_platform(
        dev_server, payload_keys, tmp_path, extra_env=server_and_runner
    ) as platform:
        user = {"STIGMER_CA_FILE": str(certs.ca_file), "STIGMER_API_KEY": USER_KEY}
        applied = await _cli(platform, "apply", "-f", str(EXAMPLE), **user)
        assert applied.returncode == 0, applied.stderr
        run = await _cli(
            platform, "run", "hello-stigmer", "--input", '{"name": "TLS"}', "--follow", **user
        )
        assert run.returncode == 0, run.stderr + platform.runner.logs()  # type: ignore[union-attr]
        output = json.loads(run.stdout)
        assert output["message"] == "Hello, TLS! Ran plan, run, report."
        execution_id = next(
            line.split()[1] for line in run.stderr.splitlines() if line.startswith("execution ")
        )

        # The user's key created it in its org; the task progress came from the runner,
        # over TLS with its key (only runner keys may report status).
        trusted = grpc.ssl_channel_credentials(certs.ca_file.read_bytes())
        async with grpc.aio.secure_channel(platform.server.address, trusted) as channel:
            stored = await execution_query.WorkflowExecutionQueryControllerStub(channel).Get(
                io_pb2.ApiResourceId(value=execution_id),
                metadata=(("authorization", f"Bearer {USER_KEY}"),),
                timeout=30,
            )
        assert stored.metadata.org == "acme"
        assert stored.status.audit.created_by == "api-key:e2e-user"
        assert [task.name for task in stored.status.tasks][:1] == ["greet"]

        # Plaintext: the CLI says so in one line; a raw client cannot even check health.
        plaintext = await _cli(platform, "apply", "-f", str(EXAMPLE), STIGMER_API_KEY=USER_KEY)
        assert plaintext.returncode == 2
        (line,) = plaintext.stderr.strip().splitlines()
        assert line.startswith("stigmer: apply: stigmer-server is not reachable"), line
        async with grpc.aio.insecure_channel(platform.server.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    logs = platform.server.logs() + platform.runner.logs()  # type: ignore[union-attr]
    assert USER_KEY not in logs and RUNNER_KEY not in logs
