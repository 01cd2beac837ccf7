"""StatusStream: token chunks are batched, reports are throttled, entries merge by id."""

from __future__ import annotations

import asyncio
import itertools
import time

from agent_runner.status_stream import StatusStream
from agent_runner_testing.recording_api import RecordingApi
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2
from stigmer.commons.v1 import phase_pb2


async def test_a_burst_of_chunks_becomes_a_few_throttled_reports_of_the_grown_message() -> None:
    api = RecordingApi(agent_api.Agent())
    stream = StatusStream(api, "aex-1", interval=0.1)
    began = time.monotonic()
    stream.start()
    text = ""
    for index in range(300):  # 300 chunks over ~0.6 s (much faster than 10/s)
        text += f"t{index} "
        stream.message(api_pb2.AgentMessage(id="ai-1", type=api_pb2.AI, content=text))
        if index % 10 == 0:
            await asyncio.sleep(0.02)
    await stream.close()
    elapsed = time.monotonic() - began

    times = [at for at, _ in api.reports]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Never two reports closer than the interval, except the final flush of close().
    assert all(gap >= 0.095 for gap in gaps[:-1]), gaps
    # Batched: at most one report per interval (+ the first and the final flush).
    assert 2 <= stream.reports == len(api.reports) <= elapsed / 0.1 + 2 < 300
    # The server holds one message, with the full text.
    [merged] = api.status.messages
    assert (merged.id, merged.content) == ("ai-1", text)
    assert api.status.phase == phase_pb2.IN_PROGRESS


async def test_only_changed_entries_are_sent_and_tool_calls_keep_their_args() -> None:
    api = RecordingApi(agent_api.Agent())
    stream = StatusStream(api, "aex-1", interval=0.05)
    stream.start()
    started = api_pb2.ToolCall(id="call-1", name="bump", status=phase_pb2.IN_PROGRESS)
    started.args.update({"label": "x"})
    stream.tool_call(started)
    await asyncio.sleep(0.2)
    stream.message(api_pb2.AgentMessage(id="tool-call-1", type=api_pb2.TOOL, content="1"))
    finished = api_pb2.ToolCall(id="call-1", status=phase_pb2.COMPLETED)
    finished.result.string_value = "1"
    stream.tool_call(finished)
    await stream.close()

    last = api.reports[-1][1]
    assert [m.id for m in last.messages] == ["tool-call-1"]
    [call] = api.status.tool_calls
    assert call.status == phase_pb2.COMPLETED
    assert dict(call.args) == {"label": "x"}  # merged with what the start reported
    assert call.result.string_value == "1"
