"""On a real dev server: a secret passed through a workflow never reaches history in clear."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio import activity, workflow
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

SECRET = "s3cr3t-value-that-must-not-leak"


@activity.defn
async def shout(value: str) -> str:
    return value.upper()


@workflow.defn(sandboxed=False)
class EchoSecret:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(
            shout, value, start_to_close_timeout=timedelta(seconds=10)
        )


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


@pytest.mark.integration
async def test_history_holds_no_clear_payload(env: WorkflowEnvironment) -> None:
    ring = KeyRing.generate()
    client = await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(ring),
    )
    queue = f"codec-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[EchoSecret], activities=[shout]):
        handle = await client.start_workflow(
            EchoSecret.run, SECRET, id=f"codec-{uuid.uuid4()}", task_queue=queue
        )
        assert await handle.result() == SECRET.upper()
    # The raw history, read through a client WITHOUT the codec.
    raw = await env.client.get_workflow_handle(handle.id).fetch_history()
    # Payload bytes are base64 in the JSON form, so check the binary proto instead.
    blob = History(events=raw.events).SerializeToString()
    assert SECRET.encode() not in blob
    assert SECRET.upper().encode() not in blob
    assert b"binary/stigmer-aes256gcm" in blob
    # The same check fails without the codec, so it can detect a leak.
    async with Worker(env.client, task_queue=queue, workflows=[EchoSecret], activities=[shout]):
        clear = await env.client.start_workflow(
            EchoSecret.run, SECRET, id=f"codec-{uuid.uuid4()}", task_queue=queue
        )
        await clear.result()
    assert (
        SECRET.encode() in History(events=(await clear.fetch_history()).events).SerializeToString()
    )


@activity.defn
async def fail_with(value: str) -> str:
    raise ApplicationError(f"call to https://api.example/{value} failed", non_retryable=True)


@workflow.defn(sandboxed=False)
class RaiseSecret:
    @workflow.run
    async def run(self, value: str) -> str:
        try:
            await workflow.execute_activity(
                fail_with, value, start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError as error:
            raise ApplicationError(f"gave up: {value}", non_retryable=True) from error
        return "unreachable"


async def _raise_history(client: Client, env: WorkflowEnvironment) -> bytes:
    queue = f"codec-fail-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[RaiseSecret], activities=[fail_with]):
        handle = await client.start_workflow(
            RaiseSecret.run, SECRET, id=f"codec-fail-{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    # Through the codec, the failure reads as raised: the encoding is lossless.
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and SECRET in cause.message
    raw = await env.client.get_workflow_handle(handle.id).fetch_history()
    return History(events=raw.events).SerializeToString()


@pytest.mark.integration
async def test_failure_messages_are_encoded(env: WorkflowEnvironment) -> None:
    """A secret in an exception message (workflow or activity) is not in history."""
    target = env.client.service_client.config.target_host
    ring = KeyRing.generate()
    sealed = await Client.connect(target, data_converter=encrypted_data_converter(ring))
    blob = await _raise_history(sealed, env)
    assert SECRET.encode() not in blob
    assert b"Encoded failure" in blob
    # Control: the same run with failure encoding off shows the secret.
    unsealed = await Client.connect(
        target, data_converter=encrypted_data_converter(ring, encode_failures=False)
    )
    assert SECRET.encode() in await _raise_history(unsealed, env)
