"""MCP sessions kept for the life of the runner process, one per server definition.

Starting a stdio MCP server (a new process, its imports) costs seconds on a
busy machine, far more than an agent step: executions share one session per
distinct connection (command, args, environment; or URL and headers), opened
on first use and checked with a ping before each execution uses it (a dead
one is reopened). A stdio server exits on end of input when the runner dies.

The MCP client runs in anyio task groups that must be left by the task that
entered them, so each session lives in a task of its own until closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import ClientSession

_log = logging.getLogger(__name__)

#: How long a kept session has to answer a ping before it is reopened.
PING_TIMEOUT_SECONDS = 5.0


class _Held:
    """One open session, held by its own task until ``close``."""

    def __init__(self) -> None:
        self.session: ClientSession | None = None
        self.tools: list[BaseTool] = []
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    async def open(name: str, connection: dict[str, Any]) -> _Held:
        held = _Held()
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def hold() -> None:
            client = MultiServerMCPClient({name: connection})  # type: ignore[dict-item]
            try:
                async with client.session(name) as session:
                    held.session = session
                    held.tools = await load_mcp_tools(session, server_name=name)
                    ready.set_result(None)
                    await held._closing.wait()
            except BaseException as error:
                if not ready.done():
                    ready.set_exception(error)
                    return
                _log.info("MCP session %s ended: %r", name, error)

        held._task = asyncio.create_task(hold(), name=f"mcp-{name}")
        await ready
        return held

    async def alive(self) -> bool:
        if self.session is None or self._task is None or self._task.done():
            return False
        try:
            await asyncio.wait_for(self.session.send_ping(), PING_TIMEOUT_SECONDS)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        self._closing.set()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, PING_TIMEOUT_SECONDS)


class McpSessions:
    """The runner's kept MCP sessions; ``await close()`` at shutdown."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}
        self._lock = asyncio.Lock()

    async def tools(self, name: str, connection: dict[str, Any]) -> list[BaseTool]:
        """The tools of the server at ``connection`` (opened, or reopened, as needed)."""
        key = json.dumps(connection, sort_keys=True)
        async with self._lock:
            held = self._held.get(key)
            if held is not None and not await held.alive():
                _log.info("MCP server %s does not answer: reopening its session", name)
                await held.close()
                held = None
            if held is None:
                held = await _Held.open(name, connection)
                self._held[key] = held
            return held.tools

    async def close(self) -> None:
        async with self._lock:
            for held in self._held.values():
                await held.close()
            self._held.clear()
