"""`call: agent` on the engine alone (no stigmer-server): bad `with:` values and
the missing platform fault with the spec's configuration error naming the cause;
a call cancelled by its `timeout` cancels the agent execution's orchestration
(a stand-in here). The platform path is tested end to end in
cli/tests/platform/test_platform_call_agent*.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
from stigmer.agentexecution.v1.contract_temporal import INVOKE_AGENT_EXECUTION
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
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


@workflow.defn(name=INVOKE_AGENT_EXECUTION.name)
class StandInOrchestration:
    """Runs until cancelled, like an agent execution's orchestration while its agent works."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


class StandInAgents:
    """stigmer-server's agent calls: every creation is ``execution_id``."""

    def __init__(self, execution_id: str, create_delay: float = 0.0) -> None:
        self.execution_id = execution_id
        self.create_delay = create_delay
        self.creations = 0

    async def find_agent(self, slug_or_id: str, org: str = "") -> agent_api.Agent:
        agent = agent_api.Agent()
        agent.metadata.id, agent.metadata.org = "agt-stand-in", org
        return agent

    async def create_agent_execution(
        self, execution: execution_api.AgentExecution
    ) -> execution_api.AgentExecution:
        self.creations += 1
        await asyncio.sleep(self.create_delay)
        created = execution_api.AgentExecution()
        created.CopyFrom(execution)
        created.metadata.id = self.execution_id
        return created

    async def get_agent_execution_by_slug(
        self, slug: str, org: str = ""
    ) -> execution_api.AgentExecution:
        raise AssertionError("created once, never found again")


@pytest.mark.parametrize(
    ("orchestration_running", "create_delay"),
    [
        (True, 0.0),  # cancelled while waiting for the agent
        (False, 0.0),  # ... whose orchestration is gone already
        (True, 3.0),  # cancelled while the start activity creates the execution
    ],
)
async def test_a_call_cancelled_by_its_timeout_cancels_the_agent_execution(
    env: WorkflowEnvironment, orchestration_running: bool, create_delay: float
) -> None:
    queue = f"agents-{uuid.uuid4()}"
    execution = execution_api.AgentExecution()
    execution.metadata.id = f"aex-{uuid.uuid4().hex}"
    orchestration_id = INVOKE_AGENT_EXECUTION.workflow_id(
        agent_contract.InvokeAgentExecutionInput(execution=execution)
    )
    bus = BusConfig(task_queue=queue, bus=f"agt-{uuid.uuid4().hex[:8]}")
    agents = StandInAgents(execution.metadata.id, create_delay)
    providers = EngineProviders(bus=bus, agents=agents)
    async with (
        build_engine_worker(env.client, task_queue=queue, providers=providers),
        Worker(
            env.client,
            task_queue=f"{queue}-orchestration",
            workflows=[StandInOrchestration],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
    ):
        if orchestration_running:
            orchestration = await env.client.start_workflow(
                StandInOrchestration.run, id=orchestration_id, task_queue=f"{queue}-orchestration"
            )
        handle = await env.client.start_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(
                definition=_ask("{agent: helper, message: hi}") + "      timeout: {after: PT1S}\n"
            ),
            id=queue,
            task_queue=queue,
            memo=RunSettings(lifecycle_events=False).memo(),
        )
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        if orchestration_running:
            with pytest.raises(WorkflowFailureError) as stopped:
                async with asyncio.timeout(60):
                    await orchestration.result()
            assert isinstance(stopped.value.cause, CancelledError)
    if create_delay:
        # The cancelled start ran to its end; the second found (here: made) the same.
        assert agents.creations == 2
    # An orchestration already gone (or never started) is no engine failure either.
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.details[0]["type"].endswith("/errors/timeout"), cause.details[0]
    assert cause.details[0]["instance"] == "/do/0/ask"
