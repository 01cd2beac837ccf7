"""`call: agent` end to end over real processes: a workflow's agent answer is used
by a later task, and a workflow runner killed (SIGKILL) while the agent works
creates no second AgentExecution: the orchestration's signal reaches the
restarted engine, which completes from it."""

# The tests take the fixtures imported from test_platform_agents as parameters.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from e2e_platform import FOLLOW_TIMEOUT, dsl_document, followed_to_end
from google.protobuf import json_format
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import CONFIGURATION_ERROR
from stigmer_cli.agent_client import AgentClient
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

# The agent platform's fixtures (model server, agent-runner process, client).
from test_platform_agents import AgentPlatform, agents, client, model  # noqa: F401
from workflow_runner.agents.activities import AgentActivities
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


def _ask_then_use(name: str) -> dict[str, object]:
    return dsl_document(
        name,
        [
            {
                "ask": {
                    "call": "agent",
                    "with": {"agent": "greeter", "message": '${ "greet " + .name }'},
                }
            },
            {"use": {"set": {"answer": "${ . }", "loud": "${ . | ascii_upcase }"}}},
        ],
    )


async def _greeter(client: AgentClient) -> None:
    agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    agent.metadata.name = "greeter"
    agent.spec.instructions = "Greet."
    await client.apply(agent)


async def _run(agents: AgentPlatform, name: str, who: str) -> tuple[StigmerClient, str]:
    workflow, _ = workflow_from_dsl(_ask_then_use(name))
    api = StigmerClient(agents.platform.server.address)
    applied = await api.apply_workflow(workflow)
    execution = await api.start_execution(applied, {"name": who})
    return api, execution.metadata.id


async def _agent_executions(agents: AgentPlatform) -> list[execution_api.AgentExecution]:
    async with grpc.aio.insecure_channel(agents.platform.server.address) as channel:
        page = await execution_query.AgentExecutionQueryControllerStub(channel).List(
            io_pb2.ApiResourceListInput(page_size=100), timeout=30
        )
    return list(page.items)


async def _ended(agents: AgentPlatform, api: StigmerClient, execution_id: str) -> Any:
    try:
        return await followed_to_end(api, execution_id)
    except TimeoutError:
        raise AssertionError(f"{execution_id} did not end:\n{agents.logs()}") from None


def _value(value: Any) -> Any:
    return json_format.MessageToDict(value)


def _output(execution: Any) -> Any:
    return _value(execution.status.output)


async def test_a_workflow_uses_the_agents_answer_in_a_later_task(
    agents: AgentPlatform,
    client: AgentClient,
) -> None:
    await _greeter(client)
    api, execution_id = await _run(agents, "ask-greeter", "Ada")
    final = await _ended(agents, api, execution_id)
    assert final.status.phase == phase_pb2.COMPLETED, f"{final.status}\n{agents.logs()}"
    answer = "I heard: greet Ada."
    assert _output(final) == {"answer": answer, "loud": answer.upper()}
    # The task shows in the execution's progress like any other.
    tasks = {task.name: task for task in final.status.tasks}
    assert tasks["ask"].status == phase_pb2.COMPLETED
    assert _value(tasks["ask"].output) == answer
    [created] = await _agent_executions(agents)
    assert created.spec.message == "greet Ada"
    assert created.spec.callback_workflow_id.endswith(execution_id)
    assert created.status.phase == phase_pb2.COMPLETED


async def test_a_killed_workflow_runner_creates_no_second_agent_execution(
    agents: AgentPlatform,
    client: AgentClient,
) -> None:
    await _greeter(client)
    agents.model.hold = lambda body: True
    api, execution_id = await _run(agents, "ask-through-a-crash", "Bo")
    # The agent execution exists and its model call is in flight: the engine's
    # worker dies now and stays down until the agent has answered.
    assert await asyncio.to_thread(agents.model.wait_held, FOLLOW_TIMEOUT), agents.logs()
    runner = agents.platform.runner
    assert runner is not None
    runner.kill()
    agents.model.release()
    [created] = await _agent_executions(agents)
    async with asyncio.timeout(FOLLOW_TIMEOUT):
        async for update in client.subscribe(created.metadata.id):
            if update.status.phase == phase_pb2.COMPLETED:
                break
    agents.platform.start_runner()

    final = await _ended(agents, api, execution_id)
    assert final.status.phase == phase_pb2.COMPLETED, f"{final.status}\n{agents.logs()}"
    assert _output(final)["answer"] == "I heard: greet Bo."
    assert [e.metadata.id for e in await _agent_executions(agents)] == [created.metadata.id]


async def test_a_retried_start_finds_the_execution_the_first_attempt_created(
    agents: AgentPlatform,
    client: AgentClient,
) -> None:
    await _greeter(client)
    api = StigmerApi(RunnerSettings(stigmer_endpoint=agents.platform.server.address))
    try:
        start = AgentActivities(api).start_agent_execution
        request = engine_contract.StartAgentExecutionInput(
            agent="greeter", message="once", name="call-agent-retried", callback_workflow_id="x"
        )
        first = await ActivityEnvironment().run(start, request)
        second = await ActivityEnvironment().run(start, request)
        assert second.agent_execution_id == first.agent_execution_id
        assert [e.metadata.id for e in await _agent_executions(agents)] == [
            first.agent_execution_id
        ]
        # Its callback names no running workflow: the orchestration still ends well.
        orchestration = agents.platform.client.get_workflow_handle(
            f"stigmer/agent-execution/invoke/{first.agent_execution_id}",
            result_type=agent_contract.InvokeAgentExecutionOutput,
        )
        async with asyncio.timeout(FOLLOW_TIMEOUT):
            ended = await orchestration.result()
        assert ended.status.phase == phase_pb2.COMPLETED

        request.agent, request.name = "nobody", "call-agent-unknown"
        with pytest.raises(ApplicationError) as raised:
            await ActivityEnvironment().run(start, request)
        assert raised.value.type == CONFIGURATION_ERROR
        assert raised.value.non_retryable
        assert "'nobody': NOT_FOUND" in str(raised.value)
    finally:
        await api.close()
