"""Todos and sub-agent executions from the thread's messages (a replay reports the same
entries), and skills appended to the instructions."""

from __future__ import annotations

from agent_runner.delegation import report, todo_tool
from agent_runner.skills import with_skills
from agent_runner.status_stream import StatusStream
from agent_runner_testing.recording_api import RecordingApi
from langchain_core.messages import AIMessage, ToolMessage
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2
from stigmer.commons.v1 import phase_pb2
from stigmer.skill.v1 import api_pb2 as skill_api

PLAN = AIMessage(
    content="",
    id="ai-1",
    tool_calls=[
        {
            "id": "c1",
            "name": "write_todos",
            "args": {"todos": [{"content": "a", "status": "completed"}, {"content": "b"}]},
        },
        {"id": "c2", "name": "task", "args": {"description": "do b", "subagent_type": "helper"}},
    ],
)
DONE = ToolMessage(content="b done", tool_call_id="c2", name="task")


async def test_the_plan_and_the_sub_agent_come_from_the_messages_and_a_replay_agrees() -> None:
    api = RecordingApi(agent_api.Agent())
    stream = StatusStream(api, "aex-1", interval=0.05)
    stream.start()
    report(stream, PLAN)
    assert [(t.id, t.content, t.status) for t in stream.todos.values()] == [
        ("todo-1", "a", api_pb2.TODO_COMPLETED),
        ("todo-2", "b", api_pb2.TODO_PENDING),
    ]
    [started] = stream.sub_agents.values()
    assert (started.id, started.name, started.input, started.status) == (
        "sub-c2",
        "helper",
        "do b",
        phase_pb2.IN_PROGRESS,
    )
    report(stream, DONE)
    # A resumed attempt replays the thread: the finished sub-agent is not restarted.
    report(stream, PLAN)
    report(stream, DONE)
    await stream.close()
    [sub] = api.status.sub_agent_executions  # merged by id on the server
    assert (sub.output, sub.status) == ("b done", phase_pb2.COMPLETED)
    assert [t.id for t in api.status.todos] == ["todo-1", "todo-2"]


async def test_write_todos_answers_with_the_plan() -> None:
    answer = await todo_tool().ainvoke({"todos": [{"content": "x", "status": "in_progress"}]})
    assert answer == "Updated the todo list: [in_progress] x"


async def test_skills_are_appended_to_the_agent_and_sub_agent_instructions() -> None:
    skill = skill_api.Skill()
    skill.metadata.name = "tidy"
    skill.spec.description = "Keep it tidy."
    skill.spec.markdown_content = "Use lists.\n"
    agent = agent_api.Agent()
    agent.spec.instructions = "Main."
    agent.spec.skill_refs.add(slug="tidy")
    sub = agent.spec.sub_agents.add(name="helper", instructions="Sub.")
    sub.skill_refs.add(slug="tidy")
    api = RecordingApi(agent, skills={"tidy": skill})

    given = await with_skills(api, agent)
    section = "# Skills\n\n## Skill: tidy\n\nKeep it tidy.\n\nUse lists."
    assert given.spec.instructions == f"Main.\n\n{section}"
    assert given.spec.sub_agents[0].instructions == f"Sub.\n\n{section}"
    assert agent.spec.instructions == "Main."  # the fetched agent is not changed


async def test_an_agent_without_skills_keeps_its_instructions() -> None:
    agent = agent_api.Agent()
    agent.spec.instructions = "Main."
    assert (await with_skills(RecordingApi(agent), agent)).spec.instructions == "Main."
