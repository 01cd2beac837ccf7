"""Secrets at rest and on the way out, on a real server (gRPC, RocksDB dir).

Environment and ExecutionContext secrets are sealed before they are stored and
shown only as key id + fingerprint; the runner-only ResolveSecrets opens them
for a running execution; a reported status is scrubbed of them; a restart with
a rotated key ring re-encrypts them under the new current key.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import grpc
import pytest
from api_client import field_of, stubs
from conftest import start
from google.protobuf import json_format
from samples import build, create
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import kind_pb2, metadata_pb2, phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as wex_api
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer.workflowexecution.v1 import secrets_pb2, secrets_pb2_grpc
from stigmer_server import kinds
from stigmer_server.server import StigmerServer

pytestmark = pytest.mark.integration

# Upper-case letters no record holds otherwise: RocksDB compresses its files, and a
# secret sharing 4-byte runs with nearby bytes (an id prefix) may not appear literally.
SECRET = "QZXWVKJHGFDSPLMQZX"
CONTEXT_SECRET = "YTRWQPLKJHZXCVBNMQ"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _files_contain(directory: Path, needle: str) -> list[str]:
    return [
        str(path)
        for path in directory.rglob("*")
        if path.is_file() and needle.encode() in path.read_bytes()
    ]


async def _environment(channel: grpc.aio.Channel, slug: str) -> Any:
    environment = build(
        kinds.ENVIRONMENT,
        {
            "data": {
                "API_TOKEN": {"value": SECRET, "is_secret": True},
                "REGION": {"value": "eu-west"},
            }
        },
        name=slug,
    )
    return await stubs(channel, kinds.ENVIRONMENT).command.Create(environment)


async def _running_execution(channel: grpc.aio.Channel, env_slug: str) -> Any:
    workflow = await create(channel, kinds.WORKFLOW)
    instance = build(
        kinds.WORKFLOW_INSTANCE,
        {
            "workflow_id": workflow.metadata.id,
            "environment_refs": [{"slug": env_slug, "kind": "ENVIRONMENT"}],
        },
    )
    instance = await stubs(channel, kinds.WORKFLOW_INSTANCE).command.Create(instance)
    execution = build(kinds.WORKFLOW_EXECUTION, {"workflow_instance_id": instance.metadata.id})
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(execution)


async def _resolve(
    server: StigmerServer, channel: grpc.aio.Channel, execution_id: str, *names: str
) -> dict[str, str]:
    """ResolveSecrets as the execution's runner: with the grant the orchestration issues."""
    assert server.deps is not None
    stored = server.deps.repository.get(kinds.WORKFLOW_EXECUTION, execution_id)
    org = stored.metadata.org if stored is not None else "local"
    stub = secrets_pb2_grpc.WorkflowExecutionSecretControllerStub(channel)
    reply = await stub.ResolveSecrets(
        secrets_pb2.ResolveSecretsInput(
            execution_id=execution_id,
            names=list(names),
            grant=server.deps.grants.issue(execution_id, org),
        )
    )
    return dict(reply.values)


def _assert_redacted(resource: Any, key_id: str) -> None:
    token = resource.spec.data["API_TOKEN"]
    assert token.value == "" and token.is_secret
    assert token.sealed.key_id == key_id
    assert token.sealed.fingerprint.startswith("hmac-sha256:")
    assert not token.sealed.ciphertext and not token.sealed.wrapped_key
    assert resource.spec.data["REGION"].value == "eu-west"  # not a secret: shown
    assert SECRET not in str(resource)


async def test_secrets_sealed_at_rest_and_redacted_in_every_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", f"k1={_key()}")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            env = stubs(channel, kinds.ENVIRONMENT)
            created = await _environment(channel, "prod")
            _assert_redacted(created, "k1")
            _assert_redacted(
                await env.query.Get(commons_io.ApiResourceId(value=created.metadata.id)), "k1"
            )
            _assert_redacted(
                await env.query.GetByReference(
                    metadata_pb2.ApiResourceReference(slug="prod", kind=kind_pb2.ENVIRONMENT)
                ),
                "k1",
            )
            listed = await env.query.List(commons_io.ApiResourceListInput())
            _assert_redacted(listed.items[0], "k1")

            # What a Get shows can be edited and applied back: the secret stays.
            edited = await env.query.Get(commons_io.ApiResourceId(value=created.metadata.id))
            edited.spec.data["REGION"].value = "us-east"
            updated = await env.command.Apply(edited)
            assert updated.spec.data["REGION"].value == "us-east"
            assert (
                updated.spec.data["API_TOKEN"].sealed.fingerprint
                == created.spec.data["API_TOKEN"].sealed.fingerprint
            )
            execution = await _running_execution(channel, "prod")
            assert await _resolve(server, channel, execution.metadata.id, "API_TOKEN") == {
                "API_TOKEN": SECRET
            }
            # A value-less secret with a fingerprint that is not the stored one is refused.
            updated.spec.data["API_TOKEN"].sealed.fingerprint = "hmac-sha256:00"
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await env.command.Apply(updated)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field_of(refused.value) == "spec.data[API_TOKEN].value"

            context = build(
                kinds.EXECUTION_CONTEXT,
                {
                    "execution_id": execution.metadata.id,
                    "data": {"CTX_TOKEN": {"value": CONTEXT_SECRET, "is_secret": True}},
                },
            )
            stored_context = await stubs(channel, kinds.EXECUTION_CONTEXT).command.Create(context)
            assert CONTEXT_SECRET not in str(stored_context)
            assert stored_context.spec.data["CTX_TOKEN"].sealed.key_id == "k1"
            fetched = await stubs(channel, kinds.EXECUTION_CONTEXT).query.Get(
                commons_io.ApiResourceId(value=stored_context.metadata.id)
            )
            assert CONTEXT_SECRET not in str(fetched)
    finally:
        await server.stop()
    # Nowhere in the RocksDB directory (WAL, SST, manifest), in clear.
    assert _files_contain(tmp_path / "data", SECRET) == []
    assert _files_contain(tmp_path / "data", CONTEXT_SECRET) == []


async def test_resolve_secrets_precedence_and_ended_executions(
    server: StigmerServer, channel: grpc.aio.Channel
) -> None:
    await _environment(channel, "shared")
    execution = await _running_execution(channel, "shared")
    execution_id = execution.metadata.id
    context = build(
        kinds.EXECUTION_CONTEXT,
        {
            "execution_id": execution_id,
            "data": {"API_TOKEN": {"value": CONTEXT_SECRET, "is_secret": True}},
        },
    )
    await stubs(channel, kinds.EXECUTION_CONTEXT).command.Create(context)
    # The context overrides the environment; only the names asked for come back.
    assert await _resolve(server, channel, execution_id, "API_TOKEN", "REGION", "NOPE") == {
        "API_TOKEN": CONTEXT_SECRET,
        "REGION": "eu-west",
    }
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await _resolve(server, channel, "wex-does-not-exist", "API_TOKEN")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await _resolve(server, channel, "", "API_TOKEN")
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(bad.value) == "execution_id"

    # A reported status is scrubbed of the execution's secrets before it is stored.
    status = json_format.ParseDict(
        {
            "phase": "IN_PROGRESS",
            "tasks": [
                {
                    "task_id": "do/0/leak",
                    "name": "leak",
                    "status": "FAILED",
                    "input": {"url": f"https://api.example/{CONTEXT_SECRET}"},
                    "output": {CONTEXT_SECRET: [SECRET]},
                    "error": {
                        "code": "communication",
                        "message": f"GET https://api.example/{CONTEXT_SECRET}: 500",
                        "details": {"instance": CONTEXT_SECRET},
                    },
                }
            ],
        },
        wex_api.WorkflowExecutionStatus(),
    )
    commands = stubs(channel, kinds.WORKFLOW_EXECUTION).command
    stored = await commands.UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=status)
    )
    task = stored.status.tasks[0]
    assert SECRET not in str(stored) and CONTEXT_SECRET not in str(stored)
    assert task.input.struct_value["url"] == "https://api.example/[REDACTED]"
    assert task.error.message == "GET https://api.example/[REDACTED]: 500"
    assert json_format.MessageToDict(task.output) == {"[REDACTED]": ["[REDACTED]"]}

    ended = wex_api.WorkflowExecutionStatus(
        phase=phase_pb2.COMPLETED, output=json_format.ParseDict(f"done {SECRET}", task.output)
    )
    stored = await commands.UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=execution_id, status=ended)
    )
    assert stored.status.output.string_value == "done [REDACTED]"
    with pytest.raises(grpc.aio.AioRpcError) as closed:
        await _resolve(server, channel, execution_id, "API_TOKEN")
    assert closed.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_rotation_re_encrypts_stored_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = _key(), _key()
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", f"k1={old}")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            created = await _environment(channel, "prod")
            execution = await _running_execution(channel, "prod")
    finally:
        await server.stop()
    # Rotate: k2 current, k1 still in the ring; the start re-encrypts under k2.
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", f"k2={new},k1={old}")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            env = stubs(channel, kinds.ENVIRONMENT)
            shown = await env.query.Get(commons_io.ApiResourceId(value=created.metadata.id))
            _assert_redacted(shown, "k2")
    finally:
        await server.stop()
    # The old key can now leave the ring: everything opens under k2 alone.
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", f"k2={new}")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            assert await _resolve(server, channel, execution.metadata.id, "API_TOKEN") == {
                "API_TOKEN": SECRET
            }
    finally:
        await server.stop()


async def test_secrets_stored_in_clear_are_sealed_at_start_and_leave_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data written before sealing existed (here: protection off) is sealed on the
    next start, and the store is compacted so no clear copy stays behind."""
    monkeypatch.setenv("STIGMER_PAYLOAD_KEYS", f"k1={_key()}")
    monkeypatch.setenv("STIGMER_SECRET_PROTECTION", "off")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            created = await _environment(channel, "legacy")
            assert created.spec.data["API_TOKEN"].value == SECRET  # control: in clear
    finally:
        await server.stop()
    assert _files_contain(tmp_path / "data", SECRET)
    monkeypatch.delenv("STIGMER_SECRET_PROTECTION")
    server = await start(tmp_path / "data")
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            shown = await stubs(channel, kinds.ENVIRONMENT).query.Get(
                commons_io.ApiResourceId(value=created.metadata.id)
            )
            _assert_redacted(shown, "k1")
            execution = await _running_execution(channel, "legacy")
            assert await _resolve(server, channel, execution.metadata.id, "API_TOKEN") == {
                "API_TOKEN": SECRET
            }
    finally:
        await server.stop()
    assert _files_contain(tmp_path / "data", SECRET) == []


async def test_an_environment_reference_without_org_is_read_in_the_instances_org(
    server: StigmerServer, channel: grpc.aio.Channel
) -> None:
    envs = stubs(channel, kinds.ENVIRONMENT).command
    for org, token in (("acme", "ACMETOKENQZXW"), ("local", "LOCALTOKENQZXW")):
        environment = build(
            kinds.ENVIRONMENT,
            {"data": {"TOKEN": {"value": token, "is_secret": True}}},
            name="prod",
            org=org,
        )
        await envs.Create(environment)
    workflow = await create(channel, kinds.WORKFLOW, org="acme")
    instance = build(
        kinds.WORKFLOW_INSTANCE,
        {
            "workflow_id": workflow.metadata.id,
            "environment_refs": [{"slug": "prod", "kind": "ENVIRONMENT"}],
        },
        org="acme",
    )
    instance = await stubs(channel, kinds.WORKFLOW_INSTANCE).command.Create(instance)
    execution = build(
        kinds.WORKFLOW_EXECUTION, {"workflow_instance_id": instance.metadata.id}, org="acme"
    )
    execution = await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(execution)
    assert await _resolve(server, channel, execution.metadata.id, "TOKEN") == {
        "TOKEN": "ACMETOKENQZXW"
    }
