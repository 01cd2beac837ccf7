"""`call: agent` on the engine alone (no stigmer-server): bad `with:` values and
the missing platform fault with the spec's configuration error naming the cause.
The platform path is tested end to end in cli/tests/platform/test_platform_call_agent.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from workflow_runner.engine.inputs import engine_input
from workflow_runner.events.publisher import BusConfig
from workflow_runner.wiring.settings import RunSettings
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    yield environment
    await environment.shutdown()


def _ask(with_: str) -> str:
    return f"""
document: {{dsl: '1.0.3', namespace: app, name: asker, version: '1.0.0'}}
do:
  - ask:
      call: agent
      with: {with_}
"""


async def _problem(env: WorkflowEnvironment, text: str) -> Any:
    queue = f"agents-{uuid.uuid4()}"
    bus = BusConfig(task_queue=queue, bus=f"agt-{uuid.uuid4().hex[:8]}")
    async with build_engine_worker(
        env.client, task_queue=queue, providers=EngineProviders(bus=bus)
    ):
        handle = await env.client.start_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(definition=text, input={"q": 1}),
            id=queue,
            task_queue=queue,
            memo=RunSettings(lifecycle_events=False).memo(),
        )
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause.details[0]


@pytest.mark.parametrize(
    ("with_", "detail"),
    [
        ("{agent: helper}", "with.message is required"),
        ("{agent: helper, message: '${ .q }'}", "with.message must be a string, not int"),
        ("{agent: helper, message: hi, tools: []}", "unknown with.tools"),
        ("{agent: helper, message: hi, env: {A: 1}}", "with.env must be an object of strings"),
        ("{agent: helper, message: hi}", "call: agent needs the platform"),
    ],
)
async def test_call_agent_faults_with_a_configuration_error(
    env: WorkflowEnvironment, with_: str, detail: str
) -> None:
    problem = await _problem(env, _ask(with_))
    assert problem["type"].endswith("/errors/configuration")
    assert detail in problem["detail"]
    assert problem["instance"] == "/do/0/ask"
