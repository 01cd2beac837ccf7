"""Human approval of agent tool calls over real processes (the fixtures of
test_platform_agents: Temporal dev server, stigmer-server, the agent-runner
process, the scripted model server, the stdio counter MCP server).

A tool listed in the Agent's ``approval_required_tools`` stops the execution
with the call WAITING_APPROVAL; ``stigmer approve`` lets it run (once), ``stigmer
reject`` makes the agent continue without it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from e2e_platform import FOLLOW_TIMEOUT
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.commons.v1 import phase_pb2
from stigmer_cli.agent_client import AgentClient
from test_platform_agents import (  # the fixtures are reused, not redefined
    AgentPlatform,
    _cli,
    _counter_agent,
    _final,
    _followed,
    agents,
    client,
    model,
)

pytestmark = pytest.mark.e2e

__all__ = ["agents", "client", "model"]


async def _guarded_agent(client: AgentClient, agents: AgentPlatform) -> agent_api.Agent:
    agent = await _counter_agent(client, agents.counter)
    agent.spec.approval_required_tools.append("bump")
    applied = await client.apply(agent)
    assert isinstance(applied, agent_api.Agent)
    return applied


async def _waiting_call(
    client: AgentClient, execution_id: str, agents: AgentPlatform
) -> execution_api.ToolCall:
    """The tool call once the execution reports it WAITING_APPROVAL."""
    try:
        async with asyncio.timeout(FOLLOW_TIMEOUT):
            async for update in client.subscribe(execution_id):
                for call in update.status.tool_calls:
                    if call.approval == execution_api.WAITING_APPROVAL:
                        return call
                assert update.status.phase not in (phase_pb2.COMPLETED, phase_pb2.FAILED), (
                    f"{update.status}\n{agents.logs()}"
                )
    except TimeoutError:
        pass
    raise AssertionError(f"{execution_id}: no tool call waits for approval\n{agents.logs()}")


async def test_a_guarded_tool_waits_survives_a_runner_kill_and_runs_once_when_approved(
    agents: AgentPlatform, client: AgentClient
) -> None:
    agent = await _guarded_agent(client, agents)
    execution = await client.run(agent, "count with the tool please")
    execution_id = execution.metadata.id
    call = await _waiting_call(client, execution_id, agents)
    assert (call.name, dict(call.args)) == ("bump", {"label": "from-model", "times": 1})
    assert not agents.counter.exists()  # the guarded tool did not run
    model_calls = len(agents.model.requests)

    # Nothing runs while it waits: a runner killed now loses nothing.
    assert agents.agent_runner is not None
    agents.agent_runner.kill()
    agents.start_agent_runner()

    approved = await asyncio.to_thread(_cli, agents, "approve", execution_id)
    assert approved.returncode == 0, f"{approved.stderr}\n{agents.logs()}"
    assert approved.stdout == f"{call.id} bump APPROVED\n"

    final = _final(await _followed(client, execution_id, agents), agents)
    assert final.output.string_value == (
        "I heard: count with the tool please. Tool said: counter from-model is 1."
    )
    assert agents.counter.read_text() == "1"  # ran exactly once
    [done] = final.tool_calls
    assert (done.status, done.approval, done.result.string_value) == (
        phase_pb2.COMPLETED,
        execution_api.APPROVED,
        "counter from-model is 1",
    )
    # Resumed from the checkpoint: one more model call (the answer), the message once.
    assert len(agents.model.requests) == model_calls + 1
    assert [m.content for m in final.messages if m.type == execution_api.HUMAN] == [
        "count with the tool please"
    ]

    again = await asyncio.to_thread(_cli, agents, "approve", execution_id)
    assert again.returncode == 2
    assert again.stderr == (
        f"stigmer: approve: no tool call of {execution_id} is waiting for approval\n"
    )
    assert "Traceback" not in again.stderr


async def test_a_rejected_tool_never_runs_and_the_agent_continues_without_it(
    agents: AgentPlatform, client: AgentClient
) -> None:
    await _guarded_agent(client, agents)
    # `agent run --follow` as a process: it shows the call waiting, then the answer.
    follow = _follow_process(agents, "count with the tool please")
    try:
        progress: list[str] = []
        async with asyncio.timeout(FOLLOW_TIMEOUT):
            assert follow.stderr is not None
            while not progress or not progress[-1].startswith("tool bump WAITING_APPROVAL "):
                line = await asyncio.to_thread(follow.stderr.readline)
                assert line, f"{progress}\n{agents.logs()}"
                progress.append(line.rstrip("\n"))
        execution_id = progress[0].split()[1]
        call_id = progress[-1].split()[-1]
        assert progress[-2] == 'tool bump {"label": "from-model", "times": 1}'
        await _unknown_then_reject(agents, execution_id, call_id)
        out, err = await asyncio.to_thread(follow.communicate, timeout=FOLLOW_TIMEOUT)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()
    answer = (
        "I heard: count with the tool please. Tool said: not run: a human rejected this "
        "tool call: not today. Continue without it.."
    )
    assert (follow.returncode, out) == (0, answer + "\n"), err
    assert "tool bump FAILED: not run: a human rejected this tool call" in err
    final = _final(await _followed(client, execution_id, agents), agents)
    assert final.output.string_value == answer
    assert not agents.counter.exists()  # the tool never ran
    [done] = final.tool_calls
    assert (done.status, done.approval, done.approval_reason) == (
        phase_pb2.FAILED,
        execution_api.REJECTED,
        "not today",
    )
    # The model saw the rejection as the call's result.
    assert agents.model.requests[-1]["messages"][-1]["role"] == "tool"


async def _unknown_then_reject(agents: AgentPlatform, execution_id: str, call_id: str) -> None:
    unknown = await asyncio.to_thread(_cli, agents, "reject", execution_id, "call-nope")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(
        f"stigmer: reject {execution_id}: FAILED_PRECONDITION: decisions[0].tool_call_id:"
    ), unknown.stderr
    assert "Traceback" not in unknown.stderr

    rejected = await asyncio.to_thread(
        _cli, agents, "reject", execution_id, call_id, "--reason", "not today"
    )
    assert rejected.returncode == 0, f"{rejected.stderr}\n{agents.logs()}"
    assert rejected.stdout == f"{call_id} bump REJECTED\n"


def _follow_process(agents: AgentPlatform, message: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stigmer_cli",
            "agent",
            "run",
            "counter-agent",
            message,
            "--follow",
            "--server",
            agents.platform.server.address,
        ],
        env=agents.platform.runner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
