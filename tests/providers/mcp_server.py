"""A real MCP server over stdio for the provider tests, written with the mcp 2.x SDK
(`MCPServer`). Run: python mcp_server.py"""

import asyncio
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

app = MCPServer("lumen-test")


@app.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def greet(name: str) -> str:
    """A greeting."""
    return f"hello, {name}"


@app.tool()
def profile(name: str) -> dict:
    """A JSON object."""
    return {"name": name, "tags": ["a", "b"], "score": 1.5}


@app.tool()
def secret_env() -> str:
    """Echo the configured secret (tests check it is masked in traces)."""
    return "token is " + os.environ.get("TEST_MCP_TOKEN", "")


@app.tool()
def fail(reason: str) -> str:
    """Always fails (a tool error the client sees, with its reason)."""
    raise ToolError(reason)


@app.tool()
async def slow(ms: int) -> str:
    """Answers after `ms` milliseconds."""
    await asyncio.sleep(ms / 1000)
    return "slow done"


if __name__ == "__main__":
    app.run()
