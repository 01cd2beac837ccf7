"""A stdio MCP server for tests: ``bump`` adds one to a counter file (a side effect
a test can count) and says the new value; each start appends its pid to
``FILE.starts``. Usage: ``python counter_mcp_server.py FILE``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp.server.fastmcp import FastMCP

COUNTER = Path(sys.argv[1])
# Its stderr is the agent-runner's (MCP stdio): only warnings, so the runner's
# log stays JSON lines.
server = FastMCP("counter", log_level="WARNING")


@server.tool()
def bump(label: str, times: int = 1) -> str:
    """Add ``times`` to the counter and return its new value."""
    value = int(COUNTER.read_text() or "0") if COUNTER.exists() else 0
    value += times
    COUNTER.write_text(str(value))
    # COUNTER_SUFFIX shows a test that the server got the variables it declared.
    return f"counter {label} is {value}{os.environ.get('COUNTER_SUFFIX', '')}"


if __name__ == "__main__":
    with COUNTER.with_name(COUNTER.name + ".starts").open("a") as starts:
        starts.write(f"{os.getpid()}\n")
    server.run("stdio")
