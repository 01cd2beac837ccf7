"""API keys: authentication, identities (role, org), org scoping and role checks.

Keys A and B are users of orgs "acme" and "globex"; each sees only its org
(another org's resources are NOT_FOUND, as if they never existed). Only runner
keys report status or read ExecutionContexts.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from api_client import field_of, stubs
from conftest import start
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from keyed_channel import keyed_channel, make_key
from samples import build, create, sample
from stigmer.agentexecution.v1 import api_pb2 as aex_api
from stigmer.agentexecution.v1 import io_pb2 as aex_io
from stigmer.agentexecution.v1 import secrets_pb2 as aex_secrets_pb2
from stigmer.agentexecution.v1 import secrets_pb2_grpc as aex_secrets_pb2_grpc
from stigmer.commons.v1 import io_pb2, kind_pb2, metadata_pb2, phase_pb2, secret_pb2
from stigmer.workflowexecution.v1 import api_pb2 as wex_api
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer.workflowexecution.v1 import secrets_pb2, secrets_pb2_grpc
from stigmer_common.api_keys import new_key
from stigmer_server import kinds
from stigmer_server.auth.identity import every_org_admins
from stigmer_server.secrets.execution_grants import GRANT_KEY_FILE, ExecutionGrants
from stigmer_server.server import StigmerServer

ACME_USER, ACME_USER_ENTRY = make_key("acme-user", "user", "acme")
GLOBEX_USER, GLOBEX_USER_ENTRY = make_key("globex-user", "user", "globex")
ACME_RUNNER, ACME_RUNNER_ENTRY = make_key("acme-runner", "runner", "acme")
GLOBEX_RUNNER, GLOBEX_RUNNER_ENTRY = make_key("globex-runner", "runner", "globex")
ENTRIES = (ACME_USER_ENTRY, GLOBEX_USER_ENTRY, ACME_RUNNER_ENTRY, GLOBEX_RUNNER_ENTRY)


@dataclass
class Keyed:
    server: StigmerServer
    acme: grpc.aio.Channel
    globex: grpc.aio.Channel
    acme_runner: grpc.aio.Channel
    globex_runner: grpc.aio.Channel


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[StigmerServer]:
    server = await start(tmp_path, api_keys=ENTRIES)
    yield server
    await server.stop()


@pytest.fixture
async def keyed(secured: StigmerServer) -> AsyncIterator[Keyed]:
    channels = [
        keyed_channel(secured.address, key)
        for key in (ACME_USER, GLOBEX_USER, ACME_RUNNER, GLOBEX_RUNNER)
    ]
    yield Keyed(secured, *channels)
    for channel in channels:
        await channel.close()


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


async def _code_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code()


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        bearer("wrong"),
        bearer(""),
        (("authorization", ACME_USER),),
        bearer(ACME_USER[:-1] + ("a" if ACME_USER[-1] != "a" else "b")),
        bearer(ACME_USER.replace("acme-user", "nobody")),
        (("authorization", f"Basic {ACME_USER}"),),
    ],
    ids=["none", "wrong", "empty", "no-scheme", "wrong-secret", "unknown-id", "basic"],
)
async def test_calls_without_a_valid_key_are_unauthenticated(
    secured: StigmerServer, metadata: tuple[tuple[str, str], ...]
) -> None:
    async with grpc.aio.insecure_channel(secured.address) as channel:
        api = stubs(channel, kinds.SKILL)
        code = await _code_of(api.query.List(io_pb2.ApiResourceListInput(), metadata=metadata))
        assert code == grpc.StatusCode.UNAUTHENTICATED
        executions = stubs(channel, kinds.WORKFLOW_EXECUTION)
        stream = executions.query.Subscribe(io_pb2.ApiResourceId(value="wex-x"), metadata=metadata)
        assert await _code_of(stream.read()) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_bearer_scheme_is_case_insensitive_and_audit_records_the_key_id(
    secured: StigmerServer, scheme: str
) -> None:
    async with keyed_channel(secured.address, ACME_USER, scheme=scheme) as channel:
        created = await create(channel, kinds.SKILL)
    assert created.status.audit.created_by == "api-key:acme-user"
    assert created.status.audit.updated_by == "api-key:acme-user"
    assert created.metadata.org == "acme"  # a key's writes default to its org


async def test_health_stays_open_and_no_key_or_hash_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = await start(tmp_path, api_keys=ENTRIES)
    try:
        async with keyed_channel(server.address, ACME_USER) as channel:
            await create(channel, kinds.SKILL)
        async with grpc.aio.insecure_channel(server.address) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest()
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            await _code_of(
                stubs(channel, kinds.SKILL).query.List(
                    io_pb2.ApiResourceListInput(), metadata=bearer(GLOBEX_USER + "x")
                )
            )
    finally:
        await server.stop()
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "unauthenticated call rejected" in logged
    assert "4 configured" in logged
    for key in (ACME_USER, GLOBEX_USER, ACME_RUNNER, GLOBEX_RUNNER):
        assert key not in logged
    for entry in ENTRIES:
        assert entry.key_hash not in logged


async def test_another_orgs_resources_are_not_found_for_reads(keyed: Keyed) -> None:
    workflow = await create(keyed.acme, kinds.WORKFLOW)
    workflow_id = workflow.metadata.id
    acme, globex = stubs(keyed.acme, kinds.WORKFLOW), stubs(keyed.globex, kinds.WORKFLOW)
    assert (await acme.query.Get(io_pb2.ApiResourceId(value=workflow_id))).metadata.org == "acme"

    assert (
        await _code_of(globex.query.Get(io_pb2.ApiResourceId(value=workflow_id)))
        == grpc.StatusCode.NOT_FOUND
    )
    reference = metadata_pb2.ApiResourceReference(
        org="acme", slug=workflow.metadata.slug, kind=kind_pb2.WORKFLOW
    )
    assert await _code_of(globex.query.GetByReference(reference)) == grpc.StatusCode.NOT_FOUND
    assert (await acme.query.GetByReference(reference)).metadata.id == workflow_id
    # List: nothing of acme, asked for it or not (the org defaults to the key's own).
    assert not (await globex.query.List(io_pb2.ApiResourceListInput())).items
    assert not (await globex.query.List(io_pb2.ApiResourceListInput(org="acme"))).items
    assert [
        w.metadata.id for w in (await acme.query.List(io_pb2.ApiResourceListInput())).items
    ] == [workflow_id]
    # Children by parent id: acme's workflow has a default instance after a run...
    execution = await create(keyed.acme, kinds.WORKFLOW_EXECUTION)
    parent = execution.status.workflow_id
    instances = stubs(keyed.globex, kinds.WORKFLOW_INSTANCE)
    listed = await instances.query.List(io_pb2.ApiResourceListInput(parent_id=parent))
    assert not listed.items
    # ... and its executions cannot be watched from another org.
    executions = stubs(keyed.globex, kinds.WORKFLOW_EXECUTION)
    stream = executions.query.Subscribe(io_pb2.ApiResourceId(value=execution.metadata.id))
    assert await _code_of(stream.read()) == grpc.StatusCode.NOT_FOUND


async def test_another_orgs_resources_cannot_be_written(keyed: Keyed) -> None:
    workflow = await create(keyed.acme, kinds.WORKFLOW)
    globex = stubs(keyed.globex, kinds.WORKFLOW)

    update = type(workflow)()
    update.CopyFrom(workflow)
    update.metadata.name = "taken-over"
    # Naming acme is refused outright; leaving the org out means globex's own,
    # where that id does not exist.
    assert await _code_of(globex.command.Update(update)) == grpc.StatusCode.PERMISSION_DENIED
    update.metadata.org = ""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await globex.command.Update(update)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert field_of(caught.value) == "metadata.id"
    assert (
        await _code_of(globex.command.Delete(io_pb2.ApiResourceId(value=workflow.metadata.id)))
        == grpc.StatusCode.NOT_FOUND
    )

    # Writing into acme by naming it: refused, whether create or apply.
    intruder = await sample(keyed.globex, kinds.WORKFLOW, org="acme")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await globex.command.Create(intruder)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert field_of(caught.value) == "metadata.org"
    intruder.metadata.slug = workflow.metadata.slug
    assert await _code_of(globex.command.Apply(intruder)) == grpc.StatusCode.PERMISSION_DENIED

    # An execution of acme's workflow, started from globex: the workflow is not there.
    run = await sample(keyed.globex, kinds.WORKFLOW_EXECUTION)
    run.spec.workflow_id = workflow.metadata.id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stubs(keyed.globex, kinds.WORKFLOW_EXECUTION).command.Create(run)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert field_of(caught.value) == "spec.workflow_id"

    # Controlling acme's executions from globex: they do not exist there.
    execution = await create(keyed.acme, kinds.WORKFLOW_EXECUTION)
    commands = stubs(keyed.globex, kinds.WORKFLOW_EXECUTION).command
    for verb in (commands.Cancel, commands.Pause, commands.Resume):
        control = wex_io.WorkflowExecutionControlInput(execution_id=execution.metadata.id)
        assert await _code_of(verb(control)) == grpc.StatusCode.NOT_FOUND
    still = await stubs(keyed.acme, kinds.WORKFLOW_EXECUTION).query.Get(
        io_pb2.ApiResourceId(value=execution.metadata.id)
    )
    assert still.status.phase == phase_pb2.PENDING and not still.status.paused

    # Unchanged for its owner.
    stored = await stubs(keyed.acme, kinds.WORKFLOW).query.Get(
        io_pb2.ApiResourceId(value=workflow.metadata.id)
    )
    assert stored.metadata.version == workflow.metadata.version
    assert stored.metadata.name == workflow.metadata.name


def _forged_completion(execution_id: str) -> wex_io.WorkflowExecutionUpdateStatusInput:
    status = wex_api.WorkflowExecutionStatus(
        phase=phase_pb2.COMPLETED, output=struct_pb2.Value(string_value="forged")
    )
    return wex_io.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)


async def test_only_runner_keys_of_the_org_report_status(keyed: Keyed) -> None:
    execution = await create(keyed.acme, kinds.WORKFLOW_EXECUTION)
    execution_id = execution.metadata.id
    report = _forged_completion(execution_id)

    user = stubs(keyed.acme, kinds.WORKFLOW_EXECUTION)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await user.command.UpdateStatus(report)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "runner" in (caught.value.details() or "")
    other_runner = stubs(keyed.globex_runner, kinds.WORKFLOW_EXECUTION)
    assert await _code_of(other_runner.command.UpdateStatus(report)) == grpc.StatusCode.NOT_FOUND
    stored = await user.query.Get(io_pb2.ApiResourceId(value=execution_id))
    assert stored.status.phase == phase_pb2.PENDING
    assert not stored.status.HasField("output")

    agent_execution = await create(keyed.acme, kinds.AGENT_EXECUTION)
    agent_report = aex_io.AgentExecutionUpdateStatusInput(
        execution_id=agent_execution.metadata.id,
        status=aex_api.AgentExecutionStatus(phase=phase_pb2.COMPLETED),
    )
    agent_commands = stubs(keyed.acme, kinds.AGENT_EXECUTION).command
    code = await _code_of(agent_commands.UpdateStatus(agent_report))
    assert code == grpc.StatusCode.PERMISSION_DENIED

    runner = stubs(keyed.acme_runner, kinds.WORKFLOW_EXECUTION)
    reported = await runner.command.UpdateStatus(report)
    assert reported.status.phase == phase_pb2.COMPLETED
    assert reported.status.audit.updated_by == "api-key:acme-runner"


async def test_execution_contexts_are_read_by_runners_of_their_org_only(keyed: Keyed) -> None:
    created = await create(keyed.acme, kinds.EXECUTION_CONTEXT)
    by_id = io_pb2.ApiResourceId(value=created.metadata.id)
    by_parent = io_pb2.ApiResourceListInput(parent_id=created.spec.execution_id)

    user = stubs(keyed.acme, kinds.EXECUTION_CONTEXT)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await user.query.Get(by_id)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await _code_of(user.query.List(by_parent)) == grpc.StatusCode.PERMISSION_DENIED

    # A runner of another org: that execution and its secrets do not exist for it.
    other_runner = stubs(keyed.globex_runner, kinds.EXECUTION_CONTEXT)
    assert await _code_of(other_runner.query.Get(by_id)) == grpc.StatusCode.NOT_FOUND
    assert not (await other_runner.query.List(by_parent)).items

    runner = stubs(keyed.acme_runner, kinds.EXECUTION_CONTEXT)
    (read,) = (await runner.query.List(by_parent)).items
    # Reads show a secret redacted, runners' too; its value comes from ResolveSecrets.
    assert read.spec.data["TOKEN"].value == "" and read.spec.data["TOKEN"].sealed.key_id
    assert (await runner.query.Get(by_id)).metadata.id == created.metadata.id
    assert keyed.server.deps is not None
    resolve = secrets_pb2.ResolveSecretsInput(
        execution_id=created.spec.execution_id,
        names=["TOKEN"],
        grant=keyed.server.deps.grants.issue(created.spec.execution_id, "acme"),
    )

    resolved = await _resolver(keyed.acme_runner).ResolveSecrets(resolve)
    assert dict(resolved.values) == {"TOKEN": "t"}
    assert await _code_of(_resolver(keyed.acme).ResolveSecrets(resolve)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    # Even holding the grant, another org's runner does not see the execution.
    assert await _code_of(_resolver(keyed.globex_runner).ResolveSecrets(resolve)) == (
        grpc.StatusCode.NOT_FOUND
    )


def _resolver(channel: grpc.aio.Channel) -> Any:
    return secrets_pb2_grpc.WorkflowExecutionSecretControllerStub(channel)


async def _running_with_secret(keyed: Keyed, value: str) -> str:
    """A PENDING acme execution whose ExecutionContext holds TOKEN=value."""
    execution = await create(keyed.acme, kinds.WORKFLOW_EXECUTION)
    context = build(
        kinds.EXECUTION_CONTEXT,
        {
            "execution_id": execution.metadata.id,
            "data": {"TOKEN": {"value": value, "is_secret": True}},
        },
    )
    await stubs(keyed.acme_runner, kinds.EXECUTION_CONTEXT).command.Create(context)
    return str(execution.metadata.id)


async def test_a_runner_key_reads_only_the_secrets_of_the_execution_it_was_granted(
    keyed: Keyed,
) -> None:
    assert keyed.server.deps is not None
    grants = keyed.server.deps.grants
    execution_a = await _running_with_secret(keyed, "secret-of-a")
    execution_b = await _running_with_secret(keyed, "secret-of-b")
    runner = _resolver(keyed.acme_runner)

    def ask(execution_id: str, grant: Any = None) -> Any:
        request = secrets_pb2.ResolveSecretsInput(execution_id=execution_id, names=["TOKEN"])
        if grant is not None:
            request.grant.CopyFrom(grant)
        return runner.ResolveSecrets(request)

    grant_a = grants.issue(execution_a, "acme")
    assert dict((await ask(execution_a, grant_a)).values) == {"TOKEN": "secret-of-a"}

    async def refused(call: Any) -> str:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "secret-of" not in str(caught.value)
        return caught.value.details() or ""

    # A's grant does not open B; neither does no grant at all.
    assert (await refused(ask(execution_b, grant_a))).startswith("grant: ")
    assert field_of(await _error_of(ask(execution_b, grant_a))) == "grant"
    await refused(ask(execution_b))
    # Forged: A's grant relabelled for B, a MAC under another key, a flipped bit,
    # another org under A's MAC.
    relabelled = secret_pb2.ExecutionGrant(execution_id=execution_b, org="acme", mac=grant_a.mac)
    await refused(ask(execution_b, relabelled))
    await refused(ask(execution_b, ExecutionGrants.ephemeral().issue(execution_b, "acme")))
    flipped = bytes([grant_a.mac[0] ^ 1]) + grant_a.mac[1:]
    await refused(
        ask(
            execution_a,
            secret_pb2.ExecutionGrant(execution_id=execution_a, org="acme", mac=flipped),
        )
    )
    await refused(
        ask(
            execution_a,
            secret_pb2.ExecutionGrant(execution_id=execution_a, org="globex", mac=grant_a.mac),
        )
    )
    # A grant the server issued for the right id but the wrong org is refused too.
    await refused(ask(execution_a, grants.issue(execution_a, "globex")))
    # B's own grant still opens B.
    granted_b = await ask(execution_b, grants.issue(execution_b, "acme"))
    assert dict(granted_b.values) == {"TOKEN": "secret-of-b"}


async def _agent_execution_with_environments(keyed: Keyed, key: str) -> str:
    """A PENDING acme agent execution: two Environments on its instance, runtime_env."""
    keys = build(
        kinds.ENVIRONMENT,
        {
            "data": {
                "OPENAI_API_KEY": {"value": key, "is_secret": True},
                "REGION": {"value": "us"},
                "MODE": {"value": "from-environment"},
            }
        },
    )
    keys = await stubs(keyed.acme, kinds.ENVIRONMENT).command.Create(keys)
    later = build(kinds.ENVIRONMENT, {"data": {"REGION": {"value": "eu"}}})
    later = await stubs(keyed.acme, kinds.ENVIRONMENT).command.Create(later)
    agent = await create(keyed.acme, kinds.AGENT)
    instance = build(
        kinds.AGENT_INSTANCE,
        {
            "agent_id": agent.metadata.id,
            "environment_refs": [
                {"slug": keys.metadata.slug, "kind": "ENVIRONMENT"},
                {"slug": later.metadata.slug, "kind": "ENVIRONMENT"},
            ],
        },
    )
    instance = await stubs(keyed.acme, kinds.AGENT_INSTANCE).command.Create(instance)
    execution = build(
        kinds.AGENT_EXECUTION,
        {
            "agent_instance_id": instance.metadata.id,
            "message": "hello",
            "runtime_env": {"MODE": "from-runtime-env"},
        },
    )
    created = await stubs(keyed.acme, kinds.AGENT_EXECUTION).command.Create(execution)
    return str(created.metadata.id)


async def test_an_agent_runner_resolves_the_variables_of_the_execution_it_was_granted(
    keyed: Keyed,
) -> None:
    assert keyed.server.deps is not None
    grants = keyed.server.deps.grants
    execution_a = await _agent_execution_with_environments(keyed, "sk-of-a")
    execution_b = await _agent_execution_with_environments(keyed, "sk-of-b")
    runner = aex_secrets_pb2_grpc.AgentExecutionSecretControllerStub(keyed.acme_runner)

    def ask(execution_id: str, grant: Any = None, channel: Any = None) -> Any:
        request = aex_secrets_pb2.ResolveVariablesInput(execution_id=execution_id)
        if grant is not None:
            request.grant.CopyFrom(grant)
        stub = (
            aex_secrets_pb2_grpc.AgentExecutionSecretControllerStub(channel) if channel else runner
        )
        return stub.ResolveVariables(request)

    grant_a = grants.issue(execution_a, "acme")
    resolved = await ask(execution_a, grant_a)
    # The instance's Environments in order (later wins), then runtime_env; the
    # secret opened, and named as one.
    assert dict(resolved.values) == {
        "OPENAI_API_KEY": "sk-of-a",
        "REGION": "eu",
        "MODE": "from-runtime-env",
    }
    assert list(resolved.secret_names) == ["OPENAI_API_KEY"]

    async def refused(call: Any) -> None:
        error = await _error_of(call)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, error
        assert "sk-of" not in str(error)

    # Another execution's grant, no grant, a forged one: refused.
    await refused(ask(execution_b, grant_a))
    assert field_of(await _error_of(ask(execution_b, grant_a))) == "grant"
    await refused(ask(execution_b))
    await refused(ask(execution_b, ExecutionGrants.ephemeral().issue(execution_b, "acme")))
    # A grant the server issued for another (workflow) execution opens nothing here.
    workflow_execution = await _running_with_secret(keyed, "secret-of-w")
    await refused(ask(execution_b, grants.issue(workflow_execution, "acme")))
    # The grant alone is not enough: a non-runner key is refused.
    await refused(ask(execution_a, grant_a, channel=keyed.acme))
    granted_b = await ask(execution_b, grants.issue(execution_b, "acme"))
    assert granted_b.values["OPENAI_API_KEY"] == "sk-of-b"


async def _error_of(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def test_grants_survive_a_restart_and_are_bound_to_the_data_directory(tmp_path: Path) -> None:
    first = ExecutionGrants.in_data_dir(tmp_path)
    grant = first.issue("wex-1", "acme")
    assert ExecutionGrants.in_data_dir(tmp_path).verify(grant, "wex-1")
    assert (tmp_path / GRANT_KEY_FILE).stat().st_mode & 0o077 == 0
    other = tmp_path / "other"
    other.mkdir()
    assert not ExecutionGrants.in_data_dir(other).verify(grant, "wex-1")
    assert not first.verify(grant, "wex-2")


def test_a_grant_says_whether_its_creator_acts_in_every_org() -> None:
    admins = every_org_admins(
        [
            new_key("ops", "admin", "*", n=2**4)[1],
            new_key("acme-admin", "admin", "acme", n=2**4)[1],
            new_key("runner", "runner", "*", n=2**4)[1],
        ]
    )
    assert admins == {"api-key:ops"}
    assert every_org_admins([]) == {"local"}  # zero-config: the one local admin
    grants = ExecutionGrants.ephemeral(admins)
    by_admin = grants.issue("wex-1", "acme", created_by="api-key:ops")
    by_user = grants.issue("wex-2", "acme", created_by="api-key:acme-admin")
    assert by_admin.every_org and not by_user.every_org
    assert grants.verify(by_admin, "wex-1") and grants.verify(by_user, "wex-2")
    # The MAC covers the flag: a runner cannot grant itself every org.
    by_user.every_org = True
    assert not grants.verify(by_user, "wex-2")


async def test_zero_config_is_one_local_admin_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start(tmp_path)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            execution = await create(channel, kinds.WORKFLOW_EXECUTION, org="acme")
            api = stubs(channel, kinds.WORKFLOW_EXECUTION)
            reported = await api.command.UpdateStatus(_forged_completion(execution.metadata.id))
            assert reported.status.audit.updated_by == "local"
            context = await create(channel, kinds.EXECUTION_CONTEXT)
            await stubs(channel, kinds.EXECUTION_CONTEXT).query.Get(
                io_pb2.ApiResourceId(value=context.metadata.id)
            )
    finally:
        await server.stop()
    assert any("zero-config mode" in r.getMessage() for r in caplog.records)


async def test_only_user_keys_decide_tool_calls(keyed: Keyed) -> None:
    """Approval is a human's gate: a runner key cannot approve the calls it asked for."""
    execution = await create(keyed.acme, kinds.AGENT_EXECUTION)
    execution_id = execution.metadata.id
    status = aex_api.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS)
    status.tool_calls.add(id="call-1", name="bump", approval=aex_api.WAITING_APPROVAL)
    runner = stubs(keyed.acme_runner, kinds.AGENT_EXECUTION)
    await runner.command.UpdateStatus(
        aex_io.AgentExecutionUpdateStatusInput(execution_id=execution_id, status=status)
    )
    decide = aex_io.AgentExecutionDecideToolCallsInput(execution_id=execution_id)
    decide.decisions.add(tool_call_id="call-1", approved=True)

    assert await _code_of(runner.command.DecideToolCalls(decide)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    other_org = stubs(keyed.globex, kinds.AGENT_EXECUTION)
    assert await _code_of(other_org.command.DecideToolCalls(decide)) == grpc.StatusCode.NOT_FOUND
    # Recorded; the test server has no orchestrator to pass it to (retry later).
    user = stubs(keyed.acme, kinds.AGENT_EXECUTION)
    assert await _code_of(user.command.DecideToolCalls(decide)) == grpc.StatusCode.UNAVAILABLE
    stored = await user.query.Get(io_pb2.ApiResourceId(value=execution_id))
    assert stored.status.tool_calls[0].approval == aex_api.APPROVED
