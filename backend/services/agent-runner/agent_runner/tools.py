"""An agent's tools: the MCP servers its spec references, through langchain-mcp-adapters.

With a :class:`~agent_runner.mcp_sessions.McpSessions` (the runner process
has one), sessions are kept across executions; without one, each server gets
a session for the length of the block (a stdio server started once, not once
per tool call). Its environment is the variables named in ``env_placeholders``, valued
from the execution's ``runtime_env``. HTTP servers are reached over
streamable HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.commons.v1 import kind_pb2, metadata_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api

from agent_runner.errors import agent_spec_error
from agent_runner.mcp_sessions import McpSessions
from agent_runner.stigmer_api import AgentServerApi


def connection_of(server: mcp_api.McpServer, runtime_env: Mapping[str, str]) -> dict[str, Any]:
    """The adapter's connection settings for one McpServer resource."""
    spec = server.spec
    if spec.HasField("stdio"):
        missing = [name for name in spec.stdio.env_placeholders if name not in runtime_env]
        if missing:
            raise agent_spec_error(
                f"MCP server {server.metadata.slug!r} needs {', '.join(missing)} "
                "in the agent instance's environments or the execution's runtime_env"
            )
        return {
            "transport": "stdio",
            "command": spec.stdio.command,
            "args": list(spec.stdio.args),
            "env": {name: runtime_env[name] for name in spec.stdio.env_placeholders},
        }
    return {
        "transport": "streamable_http",
        "url": spec.http.url,
        "headers": dict(spec.http.headers),
    }


@contextlib.asynccontextmanager
async def mcp_tools(
    api: AgentServerApi,
    usages: list[agent_api.McpServerUsage],
    runtime_env: Mapping[str, str],
    kept: McpSessions | None = None,
) -> AsyncIterator[list[BaseTool]]:
    """The enabled tools of every MCP server in ``usages`` (spec order), usable
    while the block runs (each server's session closes at its end)."""
    tools: list[BaseTool] = []
    async with contextlib.AsyncExitStack() as sessions:
        for usage in usages:
            reference = metadata_pb2.ApiResourceReference()
            reference.CopyFrom(usage.mcp_server_ref)
            if not reference.kind:
                reference.kind = kind_pb2.MCP_SERVER
            server = await api.get_mcp_server(reference)
            name = server.metadata.slug
            connection = connection_of(server, runtime_env)
            if kept is not None:
                offered = await kept.tools(name, connection)
            else:
                client = MultiServerMCPClient({name: connection})  # type: ignore[dict-item]
                session = await sessions.enter_async_context(client.session(name))
                offered = await load_mcp_tools(session, server_name=name)
            enabled = set(usage.enabled_tools) or set(server.spec.tools)
            tools.extend(tool for tool in offered if not enabled or tool.name in enabled)
        yield tools
