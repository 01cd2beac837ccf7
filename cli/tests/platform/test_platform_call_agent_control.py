"""`call: agent` and the execution around it, end to end over real processes
(Temporal dev server, stigmer-server, workflow-runner, agent-runner, the scripted
OpenAI-compatible model):

* orgs, with API keys: two orgs' workflows each call their own org's agent of the
  same name; each AgentExecution lands in its workflow's org and is NOT_FOUND for
  the other org's key; naming another org's agent (with.org, or its agt-... id)
  fails the task and creates nothing, unless the workflow's creator is an admin
  of every org;
* cancel: cancelling the workflow execution cancels the AgentExecution it waits
  on (CANCELLED, its orchestration cancelled, the agent's model call aborted);
* failure: an agent whose model rejects the request faults the task with the
  agent's problem, which the workflow's try/catch catches;
* continue-as-new: on a dev server suggesting continue-as-new after few events,
  the answers of calls before, between and after the engine's restarts all arrive.
"""

# The tests take the fixtures imported from test_platform_agents as parameters.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from agent_runner_testing.scripted_model import ScriptedModel
from e2e_platform import FOLLOW_TIMEOUT, dsl_document, followed_to_end
from google.protobuf import json_format
from observability_scrape import eventually, log_records
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import query_pb2_grpc as execution_query
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW
from stigmer_cli.agent_client import AgentClient
from stigmer_cli.api import StigmerClient
from stigmer_common.api_keys import new_key
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

# The agent platform's fixtures (model server, agent-runner process, client).
from test_platform_agents import (  # noqa: F401
    AgentPlatform,
    agents,
    client,
    model,
    running_agents,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

N = 2**4  # cheap scrypt work factor: the format is the production one
ACME_KEY, ACME = new_key("acme-user", "user", "acme", n=N)
GLOBEX_KEY, GLOBEX = new_key("globex-user", "user", "globex", n=N)
RUNNER_KEY, RUNNER = new_key("stack-runner", "runner", "*", n=N)
OPS_KEY, OPS = new_key("ops-admin", "admin", "*", n=N)
ORG_KEYS = {"acme": ACME_KEY, "globex": GLOBEX_KEY}

#: The dev server of the continue-as-new test suggests it after this many events.
SUGGEST_AFTER = 120


def _ask(name: str, **with_: str) -> dict[str, object]:
    document: dict[str, object] = dsl_document(
        name,
        [
            {
                "ask": {
                    "call": "agent",
                    "with": {"agent": "helper", "message": '${ "hello from " + .who }', **with_},
                }
            }
        ],
    )
    return document


async def _helper(client: AgentClient) -> agent_api.Agent:
    agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    agent.metadata.name = "helper"
    agent.spec.instructions = "Help."
    applied = await client.apply(agent)
    assert isinstance(applied, agent_api.Agent)
    return applied


async def _start(api: StigmerClient, document: dict[str, object], who: str) -> str:
    workflow, _ = workflow_from_dsl(document)
    applied = await api.apply_workflow(workflow)
    return (await api.start_execution(applied, {"who": who})).metadata.id


async def _ended(agents: AgentPlatform, api: StigmerClient, execution_id: str) -> Any:
    try:
        return await followed_to_end(api, execution_id)
    except TimeoutError:
        raise AssertionError(f"{execution_id} did not end:\n{agents.logs()}") from None


async def _agent_executions(
    channel: grpc.aio.Channel, key: str = ""
) -> list[execution_api.AgentExecution]:
    metadata = (("authorization", f"Bearer {key}"),) if key else ()
    page = await execution_query.AgentExecutionQueryControllerStub(channel).List(
        io_pb2.ApiResourceListInput(page_size=100), metadata=metadata, timeout=30
    )
    return list(page.items)


async def test_each_orgs_workflow_calls_its_own_orgs_agent(
    dev_server: WorkflowEnvironment, payload_keys: str, tmp_path: Path, model: ScriptedModel
) -> None:
    keys = {
        "STIGMER_API_KEYS": ",".join(entry.line() for entry in (ACME, GLOBEX, RUNNER, OPS)),
        # Both runners serve every org with one key, as a deployment's do.
        "STIGMER_SERVICE_API_KEY": RUNNER_KEY,
    }
    async with (
        running_agents(dev_server, payload_keys, tmp_path, model, extra_env=keys) as agents,
        grpc.aio.insecure_channel(agents.platform.server.address) as channel,
        contextlib.AsyncExitStack() as clients,
    ):
        address = agents.platform.server.address
        apis = {
            org: await clients.enter_async_context(StigmerClient(address, key, tls=None))
            for org, key in ORG_KEYS.items()
        }
        helpers = {
            org: await _helper(AgentClient(channel, api_key=key)) for org, key in ORG_KEYS.items()
        }
        # The same workflow (namespace, name) and agent slug in both orgs.
        started = {org: await _start(api, _ask("ask-helper"), org) for org, api in apis.items()}
        # An admin of every org may call into globex from its own (default) org.
        ops = await clients.enter_async_context(StigmerClient(address, OPS_KEY, tls=None))
        by_admin = await _start(ops, _ask("ask-for-globex", org="globex"), "ops")
        # In acme: another org by with.org, and globex's agent by its id.
        refused = {
            "with.org": await _start(apis["acme"], _ask("ask-elsewhere", org="globex"), "x"),
            "agent id": await _start(
                apis["acme"],
                _ask("ask-by-id", agent=helpers["globex"].metadata.id),
                "x",
            ),
        }

        for org, execution_id in started.items():
            final = await _ended(agents, apis[org], execution_id)
            assert final.status.phase == phase_pb2.COMPLETED, f"{final.status}\n{agents.logs()}"
            assert final.status.output.string_value == f"I heard: hello from {org}."
            [created] = [
                e
                for e in await _agent_executions(channel, ORG_KEYS[org])
                if e.spec.callback_workflow_id.endswith(execution_id)
            ]
            assert created.metadata.org == org
            assert created.status.agent_id == helpers[org].metadata.id
            assert created.spec.callback_workflow_id.endswith(execution_id)
            other = "globex" if org == "acme" else "acme"
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await execution_query.AgentExecutionQueryControllerStub(channel).Get(
                    io_pb2.ApiResourceId(value=created.metadata.id),
                    metadata=(("authorization", f"Bearer {ORG_KEYS[other]}"),),
                    timeout=30,
                )
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

        final = await _ended(agents, ops, by_admin)
        assert final.status.phase == phase_pb2.COMPLETED, f"{final.status}\n{agents.logs()}"
        assert final.status.output.string_value == "I heard: hello from ops."
        [for_admin] = [
            e
            for e in await _agent_executions(channel, GLOBEX_KEY)
            if e.spec.callback_workflow_id.endswith(by_admin)
        ]
        assert for_admin.status.agent_id == helpers["globex"].metadata.id

        expected = {
            "with.org": "with.org 'globex' is not this execution's org 'acme'",
            "agent id": f"{helpers['globex'].metadata.id!r}: NOT_FOUND",
        }
        for how, execution_id in refused.items():
            final = await _ended(agents, apis["acme"], execution_id)
            assert final.status.phase == phase_pb2.FAILED, f"{how}: {final.status}"
            [task] = final.status.tasks
            assert task.name == "ask" and task.status == phase_pb2.FAILED
            assert expected[how] in final.status.error.message, final.status.error
        # Nothing was created for the refused calls, in either org.
        assert len(await _agent_executions(channel, ACME_KEY)) == 1
        assert len(await _agent_executions(channel, GLOBEX_KEY)) == 2
    logs = agents.logs()
    assert RUNNER_KEY not in logs and ACME_KEY not in logs


async def test_cancelling_the_workflow_cancels_the_agent_execution_it_waits_on(
    agents: AgentPlatform, client: AgentClient
) -> None:
    await _helper(client)
    assert agents.agent_runner is not None
    agents.model.hold = lambda body: True
    async with (
        StigmerClient(agents.platform.server.address, tls=None) as api,
        grpc.aio.insecure_channel(agents.platform.server.address) as channel,
    ):
        execution_id = await _start(api, _ask("ask-then-cancel"), "Cy")
        # The agent works (its model call is in flight) when the workflow is cancelled.
        assert await asyncio.to_thread(agents.model.wait_held, FOLLOW_TIMEOUT), agents.logs()
        [created] = await _agent_executions(channel)
        await api.control_execution("cancel", execution_id, "changed my mind")
        final = await _ended(agents, api, execution_id)
        assert final.status.phase == phase_pb2.CANCELLED, final.status

        phase = phase_pb2.IN_PROGRESS
        async with asyncio.timeout(FOLLOW_TIMEOUT):
            async for update in client.subscribe(created.metadata.id):
                phase = update.status.phase
                if phase not in (phase_pb2.PENDING, phase_pb2.IN_PROGRESS):
                    break
        assert phase == phase_pb2.CANCELLED, agents.logs()
        orchestration = agents.platform.client.get_workflow_handle(
            f"stigmer/agent-execution/invoke/{created.metadata.id}"
        )
        with pytest.raises(WorkflowFailureError) as ended:
            async with asyncio.timeout(FOLLOW_TIMEOUT):
                await orchestration.result()
        assert isinstance(ended.value.cause, CancelledError), ended.value.cause
        # The agent stopped: the runner's ExecuteGraphton was cancelled mid model call
        # (at its next heartbeat), instead of running on for nobody.
        runner_log = agents.agent_runner.log_path

        def stopped() -> bool:
            return any(
                record.get("activity_type") == "ExecuteGraphton"
                and record.get("execution_id") == created.metadata.id
                and "CancelledError: Activity cancelled" in str(record.get("exc", ""))
                for record in log_records(runner_log)
            )

        await eventually(stopped, "the agent-runner's ExecuteGraphton cancelled", FOLLOW_TIMEOUT)
        agents.model.release()
        assert [e.metadata.id for e in await _agent_executions(channel)] == [created.metadata.id]


async def test_a_failing_agent_faults_the_task_and_try_catch_catches_it(
    agents: AgentPlatform, client: AgentClient
) -> None:
    await _helper(client)
    agents.model.fail_with = 400  # the provider refuses every request
    ask = _ask("ask")["do"][0]  # type: ignore[index]
    guarded = dsl_document(
        "ask-guarded",
        [
            {
                "guarded": {
                    "try": [ask],
                    "catch": {
                        "errors": {
                            "with": {
                                "type": "https://serverlessworkflow.io/spec/1.0.0/errors/runtime"
                            }
                        },
                        "as": "failure",
                        "do": [
                            {
                                "note": {
                                    "set": {
                                        "title": "${ $failure.title }",
                                        "detail": "${ $failure.detail }",
                                    }
                                }
                            }
                        ],
                    },
                }
            }
        ],
    )
    async with StigmerClient(agents.platform.server.address, tls=None) as api:
        caught_id = await _start(api, guarded, "Di")
        uncaught_id = await _start(api, _ask("ask-unguarded"), "Ed")
        caught = await _ended(agents, api, caught_id)
        uncaught = await _ended(agents, api, uncaught_id)
    assert caught.status.phase == phase_pb2.COMPLETED, f"{caught.status}\n{agents.logs()}"
    output = json_format.MessageToDict(caught.status.output)
    assert output["title"] == "Agent Execution Failed"
    assert "the model provider refused the request: HTTP 400" in output["detail"], output
    assert uncaught.status.phase == phase_pb2.FAILED
    assert (
        "ended FAILED: ExecuteGraphton failed: the model provider refused the request: HTTP 400"
        in (uncaught.status.error.message)
    ), uncaught.status.error


@pytest_asyncio.fixture(loop_scope="session")
async def restarting_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}"
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_answers_arrive_across_the_engines_continue_as_new(
    restarting_dev_server: WorkflowEnvironment,
    payload_keys: str,
    tmp_path: Path,
    model: ScriptedModel,
) -> None:
    # An agent call every fifth iteration of a loop whose waits grow the history:
    # the engine continues as new between calls (and right after some).
    document = dsl_document(
        "ask-in-a-loop",
        [
            {
                "loop": {
                    "for": {"in": "${ [range(20)] }", "each": "n"},
                    "do": [
                        {"pace": {"wait": {"milliseconds": 5}}},
                        {
                            "ask": {
                                "if": "${ $n % 5 == 4 }",
                                "call": "agent",
                                "with": {
                                    "agent": "helper",
                                    "message": '${ "n" + ($n | tostring) }',
                                },
                                "export": {
                                    "as": "${ $context + {answers: (($context.answers // []) + [.])} }"
                                },
                            }
                        },
                    ],
                }
            },
            {"done": {"set": {"answers": "${ $context.answers }"}}},
        ],
    )
    async with (
        running_agents(restarting_dev_server, payload_keys, tmp_path, model) as agents,
        grpc.aio.insecure_channel(agents.platform.server.address) as channel,
        StigmerClient(agents.platform.server.address, tls=None) as api,
    ):
        await _helper(AgentClient(channel))
        execution_id = await _start(api, document, "loop")
        final = await _ended(agents, api, execution_id)
        assert final.status.phase == phase_pb2.COMPLETED, f"{final.status}\n{agents.logs()}"
        assert json_format.MessageToDict(final.status.output) == {
            "answers": [f"I heard: n{n}." for n in (4, 9, 14, 19)]
        }
        assert len(await _agent_executions(channel)) == 4
        engine_id = EXECUTE_SERVERLESS_WORKFLOW.workflow_id(
            engine_contract.ExecuteServerlessWorkflowInput(execution_id=execution_id)
        )
        runs = [
            run
            async for run in agents.platform.client.list_workflows(f"WorkflowId = '{engine_id}'")
        ]
        assert len(runs) >= 2, f"expected the engine to continue as new: {runs}"
