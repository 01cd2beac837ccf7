"""What ExecuteGraphton adds per agent step over calling the same graph directly.

Both sides, in one run and one process: the same scripted OpenAI-compatible model
server (loopback, SSE), the same stdio MCP counter tool, the same SQLite
checkpointer with synchronous durability. Each turn is "use the tool": two model
calls and one tool call.

* direct: ``agent_graph(...).ainvoke`` (the runner's graph) on a thread, one MCP session for all turns;
* runner: ``AgentActivities.execute_graphton`` (in an ActivityEnvironment, status
  reports to an in-memory server that merges them like stigmer-server): agent
  lookup, model and graph built per execution, MCP sessions kept across executions
  as the runner process keeps them (checked with a ping per execution), the thread checked for a
  resumable turn, heartbeats, streamed status.

Prints one JSON report: per-turn median/p90 wall time of each side, their ratio,
the time per model call, and UpdateStatus reports per model call (runner side).
``python tools/bench/agent_step_overhead.py --turns 20`` (import roots: pyproject.toml).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import agent_runner_testing
from agent_runner.execute import AgentActivities, agent_graph
from agent_runner.mcp_sessions import McpSessions
from agent_runner.models import chat_model
from agent_runner.settings import AgentRunnerSettings, ModelDefaults
from agent_runner.tools import mcp_tools
from agent_runner_testing.recording_api import RecordingApi
from agent_runner_testing.scripted_model import ScriptedModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2, contract_pb2
from stigmer.commons.v1 import kind_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from temporalio.testing import ActivityEnvironment

COUNTER_SERVER = Path(agent_runner_testing.__file__).parent / "counter_mcp_server.py"


def _agent() -> agent_api.Agent:
    agent = agent_api.Agent()
    agent.metadata.id = "agt-bench"
    agent.spec.instructions = "Count with the bump tool when asked."
    usage = agent.spec.mcp_servers.add()
    usage.mcp_server_ref.slug = "counter"
    usage.mcp_server_ref.kind = kind_pb2.MCP_SERVER
    return agent


def _mcp_server(counter: Path) -> mcp_api.McpServer:
    server = mcp_api.McpServer()
    server.metadata.slug = "counter"
    server.spec.stdio.command = sys.executable
    server.spec.stdio.args.extend([str(COUNTER_SERVER), str(counter)])
    return server


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
    }


async def run(turns: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, ScriptedModel() as model:
        root = Path(tmp)
        api = RecordingApi(_agent(), {"counter": _mcp_server(root / "counter.txt")})
        defaults = ModelDefaults(model="openai:scripted", openai_base_url=model.base_url)
        settings = AgentRunnerSettings(data_dir=root, models=defaults)
        async with AsyncSqliteSaver.from_conn_string(str(root / "threads.sqlite")) as saver:
            await saver.setup()
            kept = McpSessions()  # as the runner process keeps them
            activities = AgentActivities(api, settings, saver, kept)
            direct: list[float] = []
            runner: list[float] = []
            direct_calls = runner_calls = updates = 0
            async with mcp_tools(api, list(_agent().spec.mcp_servers), {}) as tools:
                graph = agent_graph(
                    chat_model("", defaults), tools, _agent().spec.instructions, saver
                )
                # Turns alternate between the sides so machine load hits both alike;
                # turn 0 of each side warms up (imports, connections, MCP session).
                for turn in range(turns + 1):
                    before = len(model.requests)
                    started = time.perf_counter()
                    await graph.ainvoke(
                        {"messages": [HumanMessage(content=f"use the tool {turn}")]},
                        {"configurable": {"thread_id": f"direct-{turn}"}},
                        durability="sync",
                    )
                    if turn:
                        direct.append(time.perf_counter() - started)
                        direct_calls += len(model.requests) - before

                    execution = api_pb2.AgentExecution()
                    execution.metadata.id = f"aex-bench-{turn}"
                    execution.spec.message = f"use the tool {turn}"
                    execution.status.agent_id = "agt-bench"
                    before, reports = len(model.requests), len(api.reports)
                    started = time.perf_counter()
                    await ActivityEnvironment().run(
                        activities.execute_graphton,
                        contract_pb2.ExecuteGraphtonInput(
                            execution=execution, thread_id=f"runner-{turn}"
                        ),
                    )
                    if turn:
                        runner.append(time.perf_counter() - started)
                        runner_calls += len(model.requests) - before
                        updates += len(api.reports) - reports
            await kept.close()
    direct_summary, runner_summary = _summary(direct), _summary(runner)
    return {
        "turns": turns,
        "model_calls_per_turn": {"direct": direct_calls / turns, "runner": runner_calls / turns},
        "direct": direct_summary,
        "runner": runner_summary,
        "median_ratio": round(runner_summary["median_ms"] / direct_summary["median_ms"], 2),
        "runner_overhead_per_model_call_ms": round(
            (runner_summary["median_ms"] - direct_summary["median_ms"])
            / max(1.0, runner_calls / turns),
            1,
        ),
        "update_status_per_model_call": round(updates / max(1, runner_calls), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.turns)), indent=2))


if __name__ == "__main__":
    main()
