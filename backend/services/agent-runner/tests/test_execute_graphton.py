"""ExecuteGraphton at the activity level: the real OpenAI client against the
scripted model server, a real stdio MCP server, a real SQLite checkpointer;
stigmer-server is the in-memory recording API (the platform tests use the real one)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import agent_runner_testing
import pytest
import pytest_asyncio
from agent_runner.errors import MODEL_REQUEST_REJECTED
from agent_runner.execute import UNANSWERED_TOOL_CALL, AgentActivities, agent_graph
from agent_runner.mcp_sessions import McpSessions
from agent_runner.models import chat_model
from agent_runner.settings import AgentRunnerSettings, ModelDefaults
from agent_runner.threads import human_message_id
from agent_runner_testing.recording_api import RecordingApi
from agent_runner_testing.scripted_model import ScriptedModel, user_texts
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2, contract_pb2
from stigmer.agentexecution.v1 import secrets_pb2 as execution_secrets
from stigmer.commons.v1 import kind_pb2, phase_pb2, secret_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer_common.secret_redaction import process_redactor
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

SUPPORT = Path(agent_runner_testing.__file__).parent


def _agent(with_tool: bool) -> agent_api.Agent:
    agent = agent_api.Agent()
    agent.metadata.id = "agt-1"
    agent.spec.instructions = "You are a test agent."
    if with_tool:
        usage = agent.spec.mcp_servers.add()
        usage.mcp_server_ref.slug = "counter"
        usage.mcp_server_ref.kind = kind_pb2.MCP_SERVER
    return agent


def _counter_server(counter: Path) -> mcp_api.McpServer:
    server = mcp_api.McpServer()
    server.metadata.slug = "counter"
    server.spec.stdio.command = sys.executable
    server.spec.stdio.args.extend([str(SUPPORT / "counter_mcp_server.py"), str(counter)])
    return server


def _execution(execution_id: str, message: str, session: str = "") -> api_pb2.AgentExecution:
    execution = api_pb2.AgentExecution()
    execution.metadata.id = execution_id
    execution.spec.message = message
    execution.status.agent_id = "agt-1"
    execution.status.session_id = session
    return execution


@pytest_asyncio.fixture
async def saver(tmp_path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "threads.sqlite")) as saver:
        await saver.setup()
        yield saver


def _settings(model: ScriptedModel, tmp_path: Path) -> AgentRunnerSettings:
    return AgentRunnerSettings(
        data_dir=tmp_path,
        models=ModelDefaults(model="openai:scripted", openai_base_url=model.base_url),
    )


async def _run(
    activities: AgentActivities, execution: api_pb2.AgentExecution, thread: str
) -> api_pb2.AgentExecutionStatus:
    result: Any = await ActivityEnvironment().run(
        activities.execute_graphton,
        contract_pb2.ExecuteGraphtonInput(execution=execution, thread_id=thread),
    )
    assert isinstance(result, contract_pb2.ExecuteGraphtonOutput)
    return result.status


async def test_an_agent_with_an_mcp_tool_answers_with_the_tool_result(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    counter = tmp_path / "counter.txt"
    api = RecordingApi(_agent(with_tool=True), {"counter": _counter_server(counter)})
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        status = await _run(activities, _execution("aex-1", "please use the tool"), "thread-s1")

    assert status.phase == phase_pb2.COMPLETED
    assert counter.read_text() == "1"
    assert status.output.string_value == (
        "I heard: please use the tool. Tool said: counter from-model is 1."
    )
    # The tool call streamed with its arguments (split across deltas) and result.
    [call] = status.tool_calls
    assert call.name == "bump"
    assert dict(call.args) == {"label": "from-model", "times": 1}
    assert call.status == phase_pb2.COMPLETED
    assert call.result.string_value == "counter from-model is 1"
    kinds = [(m.type, m.content) for m in status.messages]
    assert kinds[0] == (api_pb2.HUMAN, "please use the tool")
    assert kinds[-1] == (api_pb2.AI, status.output.string_value)
    assert [m.type for m in status.messages] == [
        api_pb2.HUMAN,
        api_pb2.AI,
        api_pb2.TOOL,
        api_pb2.AI,
    ]
    # Streaming was used, and the tools were offered to the model.
    assert all(body["stream"] for body in model.requests)
    assert model.requests[0]["tools"][0]["function"]["name"] == "bump"
    # What the server merged equals the final status (no duplicate streamed message).
    assert [m.id for m in api.status.messages] == [m.id for m in status.messages]
    assert api.status.messages[-1].content == status.output.string_value


async def test_kept_mcp_sessions_serve_many_executions_with_one_server_process(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    counter = tmp_path / "counter.txt"
    api = RecordingApi(_agent(with_tool=True), {"counter": _counter_server(counter)})
    kept = McpSessions()
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver, kept)
        try:
            for number in (1, 2, 3):
                status = await _run(
                    activities, _execution(f"aex-{number}", "use the tool"), f"thread-{number}"
                )
                assert status.output.string_value.endswith(f"counter from-model is {number}.")
        finally:
            await kept.close()
    assert len(counter.with_name("counter.txt.starts").read_text().split()) == 1


async def test_a_second_execution_on_the_session_continues_the_thread(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    api = RecordingApi(_agent(with_tool=False))
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        first = await _run(activities, _execution("aex-1", "my name is Ada", "s1"), "thread-s1")
        second = await _run(activities, _execution("aex-2", "what is my name?", "s1"), "thread-s1")

    assert first.output.string_value == "I heard: my name is Ada."
    assert second.output.string_value == "I heard: my name is Ada | what is my name?."
    assert user_texts(model.requests[-1]) == ["my name is Ada", "what is my name?"]
    # The second status holds only its own turn.
    assert [m.content for m in second.messages if m.type == api_pb2.HUMAN] == ["what is my name?"]


async def test_a_retried_attempt_does_not_send_the_user_message_again(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    api = RecordingApi(_agent(with_tool=False))
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        execution = _execution("aex-1", "hello", "s1")
        await _run(activities, execution, "thread-s1")
        again = await _run(activities, execution, "thread-s1")  # as a retry would

    assert len(model.requests) == 1  # the finished turn was not run again
    assert again.output.string_value == "I heard: hello."
    assert again.messages[0].id == human_message_id("aex-1")


async def test_heartbeats_carry_the_checkpoint_and_a_cancelled_run_keeps_the_thread(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    api = RecordingApi(_agent(with_tool=False))
    with ScriptedModel(hold=lambda body: True) as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        env = ActivityEnvironment()
        beats: list[Any] = []
        cursor_seen = asyncio.Event()

        def on_heartbeat(*details: Any) -> None:
            beats.extend(details)
            if any(beat.get("checkpoint_id") for beat in details):
                cursor_seen.set()

        env.on_heartbeat = on_heartbeat
        running = asyncio.create_task(
            env.run(
                activities.execute_graphton,
                contract_pb2.ExecuteGraphtonInput(
                    execution=_execution("aex-1", "hello", "s1"), thread_id="thread-s1"
                ),
            )
        )
        assert await asyncio.to_thread(model.wait_held, 60)
        # While the model call is in flight, heartbeats name the thread's checkpoint.
        await asyncio.wait_for(cursor_seen.wait(), 60)
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(running, 60)
        model.release()

    checkpoint = await saver.aget_tuple({"configurable": {"thread_id": "thread-s1"}})
    assert checkpoint is not None
    assert beats[-1]["checkpoint_id"] == checkpoint.config["configurable"]["checkpoint_id"]
    held = checkpoint.checkpoint["channel_values"]["messages"]
    assert [m.id for m in held] == [human_message_id("aex-1")]
    # What was reported before the cancel stays on the server.
    assert [m.id for m in api.status.messages] == [human_message_id("aex-1")]


async def test_a_turn_abandoned_in_a_tool_call_leaves_a_valid_conversation(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    api = RecordingApi(_agent(with_tool=False))
    with ScriptedModel() as model:
        settings = _settings(model, tmp_path)
        # An earlier execution of the session ended (failed, cancelled) while its
        # tool call ran: the thread's last message is an unanswered tool call.
        abandoned = agent_graph(chat_model("", settings.models), [], "", saver)
        config: RunnableConfig = {"configurable": {"thread_id": "thread-s1"}}
        opened = AIMessage(
            content="", id="ai-0", tool_calls=[{"id": "call_x", "name": "bump", "args": {}}]
        )
        await abandoned.aupdate_state(
            config,
            {"messages": [HumanMessage(content="first", id="human-aex-0"), opened]},
            as_node="agent",
        )
        activities = AgentActivities(api, settings, saver)
        status = await _run(activities, _execution("aex-1", "second", "s1"), "thread-s1")

    assert status.phase == phase_pb2.COMPLETED
    sent = model.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "user"]
    assert sent[3]["tool_call_id"] == "call_x"
    assert sent[3]["content"] == UNANSWERED_TOOL_CALL


async def test_provider_keys_and_mcp_variables_come_from_resolve_variables(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    counter = tmp_path / "counter.txt"
    server = _counter_server(counter)
    server.spec.stdio.env_placeholders.append("COUNTER_SUFFIX")
    api = RecordingApi(_agent(with_tool=True), {"counter": server})
    api.variables["aex-1"] = execution_secrets.ResolvedVariables(
        values={"OPENAI_API_KEY": "sk-from-environment", "COUNTER_SUFFIX": "!"},
        secret_names=["OPENAI_API_KEY"],
    )
    grant = secret_pb2.ExecutionGrant(execution_id="aex-1", org="acme", mac=b"m" * 32)
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        result: Any = await ActivityEnvironment().run(
            activities.execute_graphton,
            contract_pb2.ExecuteGraphtonInput(
                execution=_execution("aex-1", "use the tool"), thread_id="thread-1", grant=grant
            ),
        )

    # The grant handed over with the execution is what the runner presents.
    assert api.variable_requests == [("aex-1", grant)]
    assert model.authorizations == ["Bearer sk-from-environment"] * 2
    assert result.status.tool_calls[0].result.string_value == "counter from-model is 1!"
    # A secret the runner holds is kept out of its logs.
    assert "sk-from-environment" not in process_redactor().text("key sk-from-environment")


@pytest.mark.parametrize(
    ("limits", "code", "model_calls"),
    [
        ({"max_steps": 1}, "STEP_LIMIT", 1),  # the tool round would be step 2
        ({"max_total_tokens": 1}, "TOKEN_LIMIT", 1),  # the first reply's usage is over it
        # The first reply's usage at $1 per million input tokens is over a millionth dollar.
        ({"max_cost_usd": 1e-6, "input_token_price_usd": 1.0}, "COST_LIMIT", 1),
    ],
)
async def test_limits_end_the_execution_failed_with_a_clear_error(
    tmp_path: Path,
    saver: AsyncSqliteSaver,
    limits: dict[str, float],
    code: str,
    model_calls: int,
) -> None:
    agent = _agent(with_tool=True)
    for name, value in limits.items():
        setattr(agent.spec.limits, name, value)
    agent.spec.limits.max_output_tokens = 77
    counter = tmp_path / "counter.txt"
    api = RecordingApi(agent, {"counter": _counter_server(counter)})
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        status = await _run(activities, _execution("aex-1", "use the tool"), "thread-1")

    assert status.phase == phase_pb2.FAILED
    assert status.error.code == code
    assert "limits.max_" in status.error.message
    assert len(model.requests) == model_calls
    assert not counter.exists()  # the tool never ran
    assert model.requests[0]["max_completion_tokens"] == 77


async def test_a_cost_cap_ends_the_run_naming_cap_and_spent_amount_and_keeps_the_steps(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    agent = _agent(with_tool=True)
    agent.spec.limits.input_token_price_usd = 2.0
    agent.spec.limits.output_token_price_usd = 10.0
    agent.spec.limits.max_cost_usd = 0.00001
    counter = tmp_path / "counter.txt"
    api = RecordingApi(agent, {"counter": _counter_server(counter)})
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        status = await _run(activities, _execution("aex-1", "use the tool"), "thread-1")

    assert status.phase == phase_pb2.FAILED
    assert status.error.code == "COST_LIMIT"
    # The model call done stays in the thread (a pending write of its checkpoint:
    # a later run goes on from it without calling the model again).
    checkpoint = await saver.aget_tuple({"configurable": {"thread_id": "thread-1"}})
    assert checkpoint is not None
    held = checkpoint.checkpoint["channel_values"]["messages"]
    assert [m.id for m in held] == [human_message_id("aex-1")]
    [reply] = [w[2][0] for w in checkpoint.pending_writes or [] if w[1] == "messages"]
    assert reply.tool_calls[0]["name"] == "bump"
    # The reply's usage as the provider reported it, priced per million tokens.
    usage = reply.usage_metadata
    spent = (usage["input_tokens"] * 2.0 + usage["output_tokens"] * 10.0) / 1_000_000
    assert spent > 0.00001
    assert status.error.message == (
        f"the model calls cost ${spent:.6f} ({usage['input_tokens']} input, "
        f"{usage['output_tokens']} output tokens), more than the agent's "
        "limits.max_cost_usd ($0.000010)"
    )
    # The tool round after it never ran.
    assert len(model.requests) == 1
    assert not counter.exists()


async def test_a_run_under_its_cost_cap_completes(tmp_path: Path, saver: AsyncSqliteSaver) -> None:
    agent = _agent(with_tool=True)
    agent.spec.limits.input_token_price_usd = 2.0
    agent.spec.limits.output_token_price_usd = 10.0
    agent.spec.limits.max_cost_usd = 0.01  # both model calls cost well under a cent
    counter = tmp_path / "counter.txt"
    api = RecordingApi(agent, {"counter": _counter_server(counter)})
    with ScriptedModel() as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        status = await _run(activities, _execution("aex-1", "use the tool"), "thread-1")

    assert status.phase == phase_pb2.COMPLETED
    assert len(model.requests) == 2
    assert counter.read_text() == "1"


async def test_a_request_the_provider_refuses_fails_without_retries(
    tmp_path: Path, saver: AsyncSqliteSaver
) -> None:
    api = RecordingApi(_agent(with_tool=False))
    with ScriptedModel(fail_with=401) as model:
        activities = AgentActivities(api, _settings(model, tmp_path), saver)
        with pytest.raises(ApplicationError) as refused:
            await _run(activities, _execution("aex-1", "hello"), "thread-1")

    assert refused.value.type == MODEL_REQUEST_REJECTED
    assert refused.value.non_retryable
    assert refused.value.message == "the model provider refused the request: HTTP 401"
    assert len(model.requests) == 1  # a 401 is not retried by the client either
