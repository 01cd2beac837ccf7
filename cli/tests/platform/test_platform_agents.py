"""Agents end to end over real processes: Temporal dev server, stigmer-server on a
RocksDB dir, the agent-runner process, the scripted OpenAI-compatible model server
and a stdio MCP server with a side-effect counter."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agent_runner_testing
import grpc
import pytest
import pytest_asyncio
from agent_runner_testing.scripted_model import (
    Body,
    Reply,
    ScriptedModel,
    ToolCallReply,
    tool_then_answer,
    user_texts,
)
from e2e_platform import FOLLOW_TIMEOUT, Platform, RunnerProcess, running_platform
from observability_scrape import (
    endpoint_address,
    eventually,
    eventually_grown,
    get,
    log_records,
    samples,
    total,
)
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as execution_command
from stigmer.agentexecution.v1 import secrets_pb2 as execution_secrets
from stigmer.agentexecution.v1 import secrets_pb2_grpc as execution_secrets_grpc
from stigmer.agentinstance.v1 import api_pb2 as instance_api
from stigmer.agentinstance.v1 import command_pb2_grpc as instance_command
from stigmer.commons.v1 import kind_pb2, phase_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.environment.v1 import command_pb2_grpc as environment_command
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer_cli.agent_client import AgentClient
from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.e2e

COUNTER_SERVER = Path(agent_runner_testing.__file__).parent / "counter_mcp_server.py"


@dataclass
class AgentPlatform:
    platform: Platform
    model: ScriptedModel
    counter: Path
    agent_runner: RunnerProcess | None = None
    starts: int = 0

    def start_agent_runner(self) -> RunnerProcess:
        self.starts += 1
        log_path = self.platform.tmp / f"agent-runner-{self.starts}.log"
        env = self.platform.runner_env()
        env.update(
            {
                "STIGMER_AGENT_MODEL": "openai:scripted",
                "STIGMER_AGENT_OPENAI_BASE_URL": self.model.base_url,
                "STIGMER_AGENT_RUNNER_DATA_DIR": str(self.platform.tmp / "agent-runner"),
            }
        )
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "agent_runner"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.agent_runner = RunnerProcess(process, log_path)
        return self.agent_runner

    def logs(self) -> str:
        runner = self.agent_runner.logs() if self.agent_runner else ""
        return f"{self.platform.logs()}\n--- agent-runner\n{runner}"


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as server:
        yield server


@asynccontextmanager
async def running_agents(
    dev_server: WorkflowEnvironment,
    payload_keys: str,
    tmp_path: Path,
    model: ScriptedModel,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[AgentPlatform]:
    """The platform plus an agent-runner process on fresh agent queues.

    ``extra_env`` goes to every process (e.g. API keys and the runners' key).
    """
    suffix = uuid.uuid4().hex[:8]
    env = {
        "TEMPORAL_AGENT_EXECUTION_STIGMER_TASK_QUEUE": f"agent-stigmer-{suffix}",
        "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE": f"agent-runner-{suffix}",
        **(extra_env or {}),
    }
    async with running_platform(dev_server, payload_keys, tmp_path, extra_env=env) as platform:
        started = AgentPlatform(platform, model, tmp_path / "counter.txt")
        started.start_agent_runner()
        try:
            yield started
        finally:
            if started.agent_runner is not None:
                started.agent_runner.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def agents(
    dev_server: WorkflowEnvironment, payload_keys: str, tmp_path: Path, model: ScriptedModel
) -> AsyncIterator[AgentPlatform]:
    async with running_agents(dev_server, payload_keys, tmp_path, model) as started:
        yield started


@pytest_asyncio.fixture(loop_scope="session")
async def client(agents: AgentPlatform) -> AsyncIterator[AgentClient]:
    async with grpc.aio.insecure_channel(agents.platform.server.address) as channel:
        yield AgentClient(channel)


async def _counter_agent(client: AgentClient, counter: Path) -> agent_api.Agent:
    server = mcp_api.McpServer(api_version="stigmer.ai/v1", kind="McpServer")
    server.metadata.name = "counter"
    server.spec.stdio.command = sys.executable
    server.spec.stdio.args.extend([str(COUNTER_SERVER), str(counter)])
    await client.apply(server)
    agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    agent.metadata.name = "counter-agent"
    agent.spec.instructions = "Count with the bump tool when asked."
    usage = agent.spec.mcp_servers.add()
    usage.mcp_server_ref.slug = "counter"
    usage.mcp_server_ref.kind = kind_pb2.MCP_SERVER
    applied = await client.apply(agent)
    assert isinstance(applied, agent_api.Agent)
    return applied


async def _followed(
    client: AgentClient, execution_id: str, agents: AgentPlatform
) -> list[execution_api.AgentExecution]:
    """Every state Subscribe sent, up to the terminal one."""
    seen: list[execution_api.AgentExecution] = []
    try:
        async with asyncio.timeout(FOLLOW_TIMEOUT):
            async for update in client.subscribe(execution_id):
                seen.append(update)
                if update.status.phase in (phase_pb2.COMPLETED, phase_pb2.FAILED):
                    break
    except TimeoutError:
        raise AssertionError(f"{execution_id} did not end:\n{agents.logs()}") from None
    return seen


def _final(seen: list[execution_api.AgentExecution], agents: AgentPlatform) -> Any:
    final = seen[-1].status
    assert final.phase == phase_pb2.COMPLETED, f"{final}\n{agents.logs()}"
    return final


async def test_an_agent_with_an_mcp_tool_answers_and_subscribers_see_it_work(
    agents: AgentPlatform, client: AgentClient
) -> None:
    assert agents.agent_runner is not None
    metrics = await endpoint_address(agents.agent_runner.log_path)
    await eventually(lambda: get(metrics, "/readyz")[0] == 200, f"{metrics}/readyz 200")
    assert set(json.loads(get(metrics, "/readyz")[1])["checks"]) == {
        "temporal",
        "workers",
        "checkpoints",
    }
    before = samples(metrics)

    agent = await _counter_agent(client, agents.counter)
    execution = await client.run(agent, "count with the tool please")
    seen = await _followed(client, execution.metadata.id, agents)

    final = _final(seen, agents)
    assert final.output.string_value == (
        "I heard: count with the tool please. Tool said: counter from-model is 1."
    )
    assert agents.counter.read_text() == "1"
    [call] = final.tool_calls
    assert (call.name, call.status, call.result.string_value) == (
        "bump",
        phase_pb2.COMPLETED,
        "counter from-model is 1",
    )
    assert dict(call.args) == {"label": "from-model", "times": 1}
    assert [m.type for m in final.messages] == [
        execution_api.HUMAN,
        execution_api.AI,
        execution_api.TOOL,
        execution_api.AI,
    ]
    # Intermediate states reached the subscriber while the agent ran.
    running = [u.status for u in seen if u.status.phase == phase_pb2.IN_PROGRESS]
    assert any(s.tool_calls for s in running), [str(u.status) for u in seen]
    assert any(not s.output.string_value and s.messages for s in running)

    # The agent-runner's metrics moved with the run: two model calls (the tool
    # call, then the answer), one tool call that succeeded, the tokens the
    # scripted model reported, its UpdateStatus calls, the SDK's activity metrics.
    await eventually_grown(
        metrics,
        before,
        [
            ("stigmer_agent_model_calls_total", {"provider": "openai", "result": "ok"}),
            ("stigmer_agent_tool_calls_total", {"result": "success"}),
            ("stigmer_agent_tokens_total", {"direction": "input"}),
            ("stigmer_agent_tokens_total", {"direction": "output"}),
            ("grpc_client_handled_total", {"grpc_method": "UpdateStatus", "grpc_code": "OK"}),
            ("temporal_activity_execution_latency_seconds_count", {}),
        ],
    )
    after = samples(metrics)
    calls = "stigmer_agent_model_calls_total"
    assert total(after, calls, result="ok") - total(before, calls, result="ok") == 2
    assert total(after, calls, result="error") == total(before, calls, result="error")
    # Its logs are JSON lines of the agent-runner service.
    records = log_records(agents.agent_runner.log_path)
    assert records and not [r for r in records if "raw" in r], records[:5]
    assert {r.get("service") for r in records} == {"agent-runner"}
    assert [r for r in records if r.get("execution_id") == execution.metadata.id], records[-10:]


def _cli(agents: AgentPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args, "--server", agents.platform.server.address],
        env=agents.platform.runner_env(),
        capture_output=True,
        text=True,
        timeout=FOLLOW_TIMEOUT,
        check=False,
    )


AGENT_YAML = """\
apiVersion: stigmer.ai/v1
kind: McpServer
metadata: {{name: counter}}
spec:
  stdio: {{command: {python}, args: [{server}, {counter}]}}
---
apiVersion: stigmer.ai/v1
kind: Agent
metadata: {{name: counter-agent}}
spec:
  instructions: Count with the bump tool when asked.
  mcpServers:
    - mcpServerRef: {{slug: counter, kind: MCP_SERVER}}
"""


async def test_cli_applies_an_agent_and_a_second_message_in_the_session_sees_the_first(
    agents: AgentPlatform,
) -> None:
    manifest = agents.platform.tmp / "agent.yaml"
    manifest.write_text(
        AGENT_YAML.format(python=sys.executable, server=COUNTER_SERVER, counter=agents.counter)
    )
    applied = await asyncio.to_thread(_cli, agents, "apply", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    assert [json.loads(line)["kind"] for line in applied.stdout.splitlines()] == [
        "McpServer",
        "Agent",
    ]

    first = await asyncio.to_thread(
        _cli, agents, "agent", "run", "counter-agent", "use the tool, I am Ada", "--follow"
    )
    assert first.returncode == 0, f"{first.stderr}\n{agents.logs()}"
    answer = "I heard: use the tool, I am Ada. Tool said: counter from-model is 1."
    assert first.stdout == answer + "\n"
    progress = first.stderr.splitlines()
    # The call with its arguments, its result, then the answer, in the conversation's order.
    call = progress.index('tool bump {"label": "from-model", "times": 1}')
    assert progress[call + 1] == "tool bump COMPLETED: counter from-model is 1"
    assert progress[call + 2 :] == [f"ai: {answer}", "phase COMPLETED"]
    session = next(line.split()[1] for line in progress if line.startswith("session "))

    second = await asyncio.to_thread(
        _cli, agents, "agent", "run", "counter-agent", "who am I?", "--session", session, "--follow"
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout == "I heard: use the tool, I am Ada | who am I?.\n"
    assert user_texts(agents.model.requests[-1]) == ["use the tool, I am Ada", "who am I?"]

    unknown = await asyncio.to_thread(_cli, agents, "agent", "run", "nobody", "hi")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("stigmer: agent 'nobody': NOT_FOUND")
    assert "Traceback" not in unknown.stderr


async def test_kill_9_after_a_tool_call_resumes_without_repeating_the_tool_or_the_message(
    agents: AgentPlatform, client: AgentClient
) -> None:
    def after_the_tool(body: Body) -> bool:
        return bool(body["messages"][-1]["role"] == "tool")

    agents.model.hold = after_the_tool
    agent = await _counter_agent(client, agents.counter)
    execution = await client.run(agent, "use the tool, then crash")
    assert await asyncio.to_thread(agents.model.wait_held, FOLLOW_TIMEOUT), agents.logs()
    # The tool ran; the next model call is in flight: the runner dies here.
    assert agents.counter.read_text() == "1"
    assert agents.agent_runner is not None
    agents.agent_runner.kill()
    agents.model.release()
    agents.start_agent_runner()

    final = _final(await _followed(client, execution.metadata.id, agents), agents)
    assert final.output.string_value == (
        "I heard: use the tool, then crash. Tool said: counter from-model is 1."
    )
    assert agents.counter.read_text() == "1"  # the completed tool call did not run again
    last = agents.model.requests[-1]
    assert user_texts(last) == ["use the tool, then crash"]  # the message is once in the thread
    assert [m["role"] for m in last["messages"]] == ["system", "user", "assistant", "tool"]
    assert [m.content for m in final.messages if m.type == execution_api.HUMAN] == [
        "use the tool, then crash"
    ]
    assert "resumes" in agents.agent_runner.logs()
    assert (agents.platform.tmp / "agent-runner" / "threads.sqlite").exists()


HELPER_INSTRUCTIONS = "You are the helper: count with the bump tool."


def _plan_then_delegate(body: Body) -> Reply:
    """The main agent writes a plan and hands the counting to the helper sub-agent,
    then answers with the helper's answer; the helper is the default script."""
    messages = body["messages"]
    if str(messages[0].get("content")).startswith(HELPER_INSTRUCTIONS):
        return tool_then_answer(body)
    offered = {tool["function"]["name"] for tool in body.get("tools") or []}
    assert {"write_todos", "task"} <= offered, offered
    if messages[-1]["role"] == "user":
        plan = [
            {"content": "ask the helper to count", "status": "in_progress"},
            {"content": "report the count", "status": "pending"},
        ]
        return Reply(
            tool_calls=(
                ToolCallReply("write_todos", {"todos": plan}),
                ToolCallReply(
                    "task", {"description": "use the tool to count", "subagent_type": "helper"}
                ),
            )
        )
    helper = [m["content"] for m in messages if m["role"] == "tool" and "I heard" in m["content"]]
    return Reply(text=f"The helper says: {helper[-1]}")


async def test_an_agent_plans_with_todos_and_delegates_to_a_sub_agent(
    agents: AgentPlatform, client: AgentClient
) -> None:
    agents.model.decide = _plan_then_delegate
    await _counter_agent(client, agents.counter)  # the counter McpServer
    skill = skill_api.Skill(api_version="stigmer.ai/v1", kind="Skill")
    skill.metadata.name = "careful-counting"
    skill.spec.description = "How to count."
    skill.spec.markdown_content = "Count exactly once; say the number."
    await client.apply(skill)
    agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    agent.metadata.name = "planner"
    agent.spec.instructions = "Plan, then delegate."
    agent.spec.skill_refs.add(slug="careful-counting", kind=kind_pb2.SKILL)
    helper = agent.spec.sub_agents.add()
    helper.name = "helper"
    helper.description = "counts things"
    helper.instructions = HELPER_INSTRUCTIONS
    helper.skill_refs.add(slug="careful-counting", kind=kind_pb2.SKILL)
    usage = helper.mcp_servers.add()
    usage.mcp_server_ref.slug = "counter"
    usage.mcp_server_ref.kind = kind_pb2.MCP_SERVER
    applied = await client.apply(agent)
    assert isinstance(applied, agent_api.Agent)

    execution = await client.run(applied, "plan and delegate")
    seen = await _followed(client, execution.metadata.id, agents)
    final = _final(seen, agents)

    answer = "I heard: use the tool to count. Tool said: counter from-model is 1."
    assert final.output.string_value == f"The helper says: {answer}"
    assert agents.counter.read_text() == "1"  # the helper's own MCP tool ran once
    assert [(t.id, t.content, t.status) for t in final.todos] == [
        ("todo-1", "ask the helper to count", execution_api.TODO_IN_PROGRESS),
        ("todo-2", "report the count", execution_api.TODO_PENDING),
    ]
    [sub] = final.sub_agent_executions
    assert (sub.name, sub.input, sub.output, sub.status) == (
        "helper",
        "use the tool to count",
        answer,
        phase_pb2.COMPLETED,
    )
    assert sub.id.startswith("sub-") and sub.started_at.seconds and sub.completed_at.seconds
    # The plan and the running sub-agent reached the subscriber while the helper worked.
    running = [u.status for u in seen if u.status.phase == phase_pb2.IN_PROGRESS]
    assert any(
        s.todos and [x.status for x in s.sub_agent_executions] == [phase_pb2.IN_PROGRESS]
        for s in running
    ), [str(s) for s in running]
    # The helper ran in a conversation of its own: its instructions, the task as its message.
    prompts = [str(r["messages"][0]["content"]) for r in agents.model.requests]
    helper_requests = [
        r
        for r, p in zip(agents.model.requests, prompts, strict=True)
        if p.startswith(HELPER_INSTRUCTIONS)
    ]
    assert [user_texts(r) for r in helper_requests] == [["use the tool to count"]] * 2
    # Both were given the skill in their instructions.
    given = "## Skill: careful-counting\n\nHow to count.\n\nCount exactly once; say the number."
    planner = [p for p in prompts if p.startswith("Plan, then delegate.")]
    assert len(planner) == 2 and all(given in p for p in planner), prompts
    assert all(given in p for p in prompts if p.startswith(HELPER_INSTRUCTIONS)), prompts


async def test_an_environment_secret_reaches_the_model_call_and_no_log(
    agents: AgentPlatform, client: AgentClient
) -> None:
    key = f"sk-env-secret-{uuid.uuid4().hex}"
    channel = client.channel
    environment = environment_api.Environment(api_version="stigmer.ai/v1", kind="Environment")
    environment.metadata.name = "model-keys"
    environment.spec.data["OPENAI_API_KEY"].value = key
    environment.spec.data["OPENAI_API_KEY"].is_secret = True
    environment = await environment_command.EnvironmentCommandControllerStub(channel).Apply(
        environment, timeout=30
    )
    # Reads show the secret sealed: the runner gets it only through ResolveVariables.
    assert environment.spec.data["OPENAI_API_KEY"].value == ""
    agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    agent.metadata.name = "keyed-agent"
    agent.spec.instructions = "Answer."
    applied = await client.apply(agent)
    assert isinstance(applied, agent_api.Agent)
    instance = instance_api.AgentInstance(api_version="stigmer.ai/v1", kind="AgentInstance")
    instance.metadata.name = "keyed-instance"
    instance.spec.agent_id = applied.metadata.id
    instance.spec.environment_refs.add(slug="model-keys", kind=kind_pb2.ENVIRONMENT)
    instance = await instance_command.AgentInstanceCommandControllerStub(channel).Create(
        instance, timeout=30
    )
    execution = execution_api.AgentExecution(api_version="stigmer.ai/v1", kind="AgentExecution")
    execution.metadata.name = f"keyed-{uuid.uuid4().hex[:10]}"
    execution.spec.agent_instance_id = instance.metadata.id
    execution.spec.message = "hello"
    execution = await execution_command.AgentExecutionCommandControllerStub(channel).Create(
        execution, timeout=30
    )
    before = len(agents.model.authorizations)

    final = _final(await _followed(client, execution.metadata.id, agents), agents)

    assert final.output.string_value == "I heard: hello."
    assert agents.model.authorizations[before:] == [f"Bearer {key}"]
    assert key not in agents.logs()
    # Without the execution's grant nobody reads its variables.
    resolver = execution_secrets_grpc.AgentExecutionSecretControllerStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await resolver.ResolveVariables(
            execution_secrets.ResolveVariablesInput(execution_id=execution.metadata.id),
            timeout=30,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "grant" in (refused.value.details() or "")
