"""ContextFreeRunner: same results, no serialization-context trips into the sandbox."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest_asyncio
from shout_workflow import ShoutTwice, shout
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_temporal.context_free_runner import (
    ContextFreeRunner,
    context_free,
    without_context_trips,
)
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner


class CountingRunner(WorkflowRunner):
    """Counts the serialization-context questions reaching the wrapped instances."""

    def __init__(self, inner: WorkflowRunner) -> None:
        self.inner = inner
        self.asked = 0

    def prepare_workflow(self, defn: workflow._Definition) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        instance = self.inner.create_instance(det)
        original = instance.get_serialization_context

        def counted(command_info: object) -> SerializationContext | None:
            self.asked += 1
            return original(command_info)  # type: ignore[arg-type]

        instance.get_serialization_context = counted  # type: ignore[method-assign]
        return instance

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    env: WorkflowEnvironment = await start_dev_server()
    try:
        config = env.client.config()
        config["data_converter"] = encrypted_data_converter(KeyRing.generate())
        yield Client(**config)
    finally:
        await env.shutdown()


async def _run(client: Client, runner: WorkflowRunner) -> str:
    queue = f"context-free-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ShoutTwice],
        activities=[shout],
        workflow_runner=runner,
    ):
        return await client.execute_workflow(ShoutTwice.run, "hi", id=queue, task_queue=queue)


async def test_same_result_and_no_context_questions_reach_the_sandbox(client: Client) -> None:
    plain = CountingRunner(SandboxedWorkflowRunner())
    assert await _run(client, plain) == "HI!!"
    # Control: the SDK does ask the sandboxed instance, many times per run.
    assert plain.asked > 5

    wrapped = CountingRunner(SandboxedWorkflowRunner())
    assert await _run(client, ContextFreeRunner(wrapped)) == "HI!!"
    assert wrapped.asked == 0


class _ContextCodec(PayloadCodec, WithSerializationContext):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    def with_context(self, context: SerializationContext) -> _ContextCodec:
        return _ContextCodec()


def test_the_platform_converter_is_context_free_and_a_context_codec_is_not() -> None:
    converter = encrypted_data_converter(KeyRing.generate())
    assert context_free(converter)
    contextual = dataclasses.replace(converter, payload_codec=_ContextCodec())
    assert not context_free(contextual)
    sandbox = SandboxedWorkflowRunner()
    assert isinstance(without_context_trips(sandbox, converter), ContextFreeRunner)
    assert without_context_trips(sandbox, contextual) is sandbox
