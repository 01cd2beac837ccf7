"""An agent's tools: the MCP servers its spec references, through langchain-mcp-adapters.

Stdio servers are started per tool call by the adapter (no session is kept
across calls, so a runner restart leaves nothing behind); their environment is
the variables named in ``env_placeholders``, valued from the execution's
``runtime_env``. HTTP servers are reached over streamable HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.commons.v1 import kind_pb2, metadata_pb2
from stigmer.mcpserver.v1 import api_pb2 as mcp_api

from agent_runner.errors import agent_spec_error
from agent_runner.stigmer_api import AgentServerApi


def connection_of(server: mcp_api.McpServer, runtime_env: Mapping[str, str]) -> dict[str, Any]:
    """The adapter's connection settings for one McpServer resource."""
    spec = server.spec
    if spec.HasField("stdio"):
        missing = [name for name in spec.stdio.env_placeholders if name not in runtime_env]
        if missing:
            raise agent_spec_error(
                f"MCP server {server.metadata.slug!r} needs {', '.join(missing)} "
                "in the execution's runtime_env"
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


async def mcp_tools(
    api: AgentServerApi,
    usages: list[agent_api.McpServerUsage],
    runtime_env: Mapping[str, str],
) -> list[BaseTool]:
    """The enabled tools of every MCP server in ``usages`` (spec order)."""
    tools: list[BaseTool] = []
    for usage in usages:
        reference = metadata_pb2.ApiResourceReference()
        reference.CopyFrom(usage.mcp_server_ref)
        if not reference.kind:
            reference.kind = kind_pb2.MCP_SERVER
        server = await api.get_mcp_server(reference)
        name = server.metadata.slug
        client = MultiServerMCPClient({name: connection_of(server, runtime_env)})  # type: ignore[dict-item]
        offered = await client.get_tools(server_name=name)
        enabled = set(usage.enabled_tools) or set(server.spec.tools)
        tools.extend(tool for tool in offered if not enabled or tool.name in enabled)
    return tools
