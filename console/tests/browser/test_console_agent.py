"""The agent execution page against the real server: the status an agent runner reports
(UpdateStatus) streams into the page without a reload. No agent runner takes the
execution here, so this test plays its part with the same RPC the runner uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from browser import BrowserLog, launched_browser
from console_platform import API_KEY, RUNNER_KEY, ConsolePlatform
from google.protobuf import struct_pb2
from playwright.async_api import Browser, Route, expect
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import command_pb2_grpc as agent_command
from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as agent_execution_command
from stigmer.agentexecution.v1 import io_pb2 as agent_execution_io
from stigmer.agentexecution.v1 import query_pb2_grpc as agent_execution_query
from stigmer.commons.v1 import io_pb2, phase_pb2

pytestmark = pytest.mark.integration

WAIT_MS = 60_000
METADATA = (("authorization", f"Bearer {API_KEY}"),)
#: Status reports are the runner's: only its role may send them.
RUNNER = (("authorization", f"Bearer {RUNNER_KEY}"),)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_browser() as started:
        yield started


async def test_an_agent_execution_streams_its_conversation_tools_and_todos(
    browser: Browser, console_platform: ConsolePlatform, artifacts: Path
) -> None:
    async with grpc.aio.insecure_channel(console_platform.server.address) as channel:
        agent = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
        agent.metadata.name = "helper"
        agent.spec.instructions = "be helpful"
        agent.spec.model = "test"
        agent = await agent_command.AgentCommandControllerStub(channel).Create(
            agent, metadata=METADATA, timeout=15
        )
        commands = agent_execution_command.AgentExecutionCommandControllerStub(channel)
        execution = agent_execution_api.AgentExecution(
            api_version="stigmer.ai/v1", kind="AgentExecution"
        )
        execution.metadata.name = "ask-helper"
        execution.spec.agent_id = agent.metadata.id
        execution.spec.message = "What is the weather in Paris?"
        created = await commands.Create(execution, metadata=METADATA, timeout=15)
        execution_id = created.metadata.id

        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        page = await context.new_page()
        log = BrowserLog()
        log.attach(page)
        try:
            await page.goto(f"{console_platform.console_url}/#/executions")
            await page.get_by_label("API key").fill(API_KEY)
            await page.get_by_role("button", name="Save key").click()
            row = page.locator(f'tr[data-id="{execution_id}"]')
            await expect(row).to_contain_text("helper (agent)", timeout=WAIT_MS)
            log.errors.clear()  # the first, keyless visit's refused calls (HTTP 401)
            await row.get_by_role("link").click()
            await expect(page.locator("h1")).to_contain_text("Agent execution ask-helper")
            await page.evaluate("window.__notReloaded = true")
            conversation = page.get_by_role("region", name="Conversation")
            await expect(conversation).to_contain_text("What is the weather in Paris?")

            # The runner's report: a tool call, its result, the answer, the todos.
            status = agent_execution_api.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS)
            status.messages.add(
                id="m1", type=agent_execution_api.AI, content="Let me look.", tool_call_ids=["c1"]
            )
            call = status.tool_calls.add(id="c1", name="get_weather", status=phase_pb2.COMPLETED)
            call.args.update({"city": "Paris"})
            call.result.CopyFrom(struct_pb2.Value(string_value="sunny, 21 C"))
            status.todos.add(
                id="t1", content="check the forecast", status=agent_execution_api.TODO_COMPLETED
            )
            await commands.UpdateStatus(
                agent_execution_io.AgentExecutionUpdateStatusInput(
                    execution_id=execution_id, status=status
                ),
                metadata=RUNNER,
                timeout=15,
            )
            await expect(conversation).to_contain_text("Let me look.", timeout=WAIT_MS)
            await expect(conversation).to_contain_text("→ get_weather")
            tools = page.get_by_role("region", name="Tool calls")
            await tools.get_by_text("get_weather").click()
            await expect(tools).to_contain_text('"city": "Paris"')
            await expect(tools).to_contain_text("sunny, 21 C")
            await expect(page.get_by_role("region", name="Todos")).to_contain_text(
                "check the forecast — completed"
            )
            # A guarded tool: the call waits; Approve records the decision (DecideToolCalls).
            waiting = agent_execution_api.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS)
            waiting.tool_calls.add(
                id="c2",
                name="send_mail",
                status=phase_pb2.IN_PROGRESS,
                approval=agent_execution_api.WAITING_APPROVAL,
            )
            await commands.UpdateStatus(
                agent_execution_io.AgentExecutionUpdateStatusInput(
                    execution_id=execution_id, status=waiting
                ),
                metadata=RUNNER,
                timeout=15,
            )
            guarded = tools.locator('details[data-id="tool:c2"]')
            await expect(guarded).to_contain_text("WAITING_APPROVAL", timeout=WAIT_MS)
            # The decision's reply is held until the execution has completed: a
            # reply older than a streamed change must not take the page back.
            release, replied = asyncio.Event(), asyncio.Event()

            async def hold_reply(route: Route) -> None:
                response = await route.fetch()
                await release.wait()
                await route.fulfill(response=response)
                replied.set()

            await page.route("**/tool-calls/c2/approve", hold_reply)
            await guarded.get_by_role("button", name="Approve").click()
            await expect(guarded).to_contain_text("APPROVED", timeout=WAIT_MS)
            await expect(guarded.get_by_role("button", name="Approve")).to_have_count(0)
            stored = await agent_execution_query.AgentExecutionQueryControllerStub(channel).Get(
                io_pb2.ApiResourceId(value=execution_id), metadata=METADATA, timeout=15
            )
            decided = {c.id: c.approval for c in stored.status.tool_calls}
            assert decided["c2"] == agent_execution_api.APPROVED

            # The end: the answer streams in; the tool call the user opened stays open.
            done = agent_execution_api.AgentExecutionStatus(phase=phase_pb2.COMPLETED)
            done.messages.add(id="m2", type=agent_execution_api.AI, content="Sunny, 21 C.")
            done.output.CopyFrom(struct_pb2.Value(string_value="Sunny, 21 C."))
            await commands.UpdateStatus(
                agent_execution_io.AgentExecutionUpdateStatusInput(
                    execution_id=execution_id, status=done
                ),
                metadata=RUNNER,
                timeout=15,
            )
            await expect(page.locator("h1 .phase")).to_have_attribute(
                "data-phase", "COMPLETED", timeout=WAIT_MS
            )
            await expect(conversation).to_contain_text("Sunny, 21 C.")
            release.set()
            await asyncio.wait_for(replied.wait(), WAIT_MS / 1000)
            await expect(page.locator("#execution-output")).to_contain_text("Sunny, 21 C.")
            await expect(page.locator("h1 .phase")).to_have_attribute("data-phase", "COMPLETED")
            await expect(tools.get_by_text('"city": "Paris"')).to_be_visible()
            assert await page.evaluate("window.__notReloaded === true")
            await page.screenshot(path=str(artifacts / "agent-execution.png"), full_page=True)
            assert log.errors == []
        finally:
            await context.close()
