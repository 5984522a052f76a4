"""The mcp provider against a real MCP server (tests/providers/mcp_server.py, written with
the mcp 2.x SDK's MCPServer) started over stdio. One session (one server process) for
the whole module: starting it takes about a second."""

import asyncio

import pytest
from harness import Project, handle, mcp_toml, run

from lumen.runtime.errors import LumenError
from lumen.runtime.tool_calls import call_tool


@pytest.fixture(scope="module")
def mcp_session(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("mcp"))
    project.toml(mcp_toml({"TEST_MCP_TOKEN": "tok-0123456789"}))
    session = project.session(trace=project.path / "trace.jsonl")
    yield session
    project.close()


def call(h, **arguments):
    async def main():
        return await call_tool(h, arguments, 1, None)
    return run(main)


def error_of(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        call(h, **arguments)
    return info.value


def test_tool_by_server_namespace(mcp_session):
    assert call(handle("test.add", "Add"), a=2, b=3) == 5
    assert call(handle("test.greet", "Greet"), name="Ada") == "hello, Ada"


def test_tool_mapped_in_lumen_toml(mcp_session):
    assert call(handle("calc.plus", "Plus"), a=40, b=2) == 42


def test_non_structured_result_is_text(mcp_session):
    text = call(handle("test.profile", "Profile"), name="Ada")
    assert isinstance(text, str) and '"name": "Ada"' in text


def test_tool_error_carries_the_server_message(mcp_session):
    error = error_of(handle("test.fail", "Fail"), reason="disk full")
    assert error.kind == "ToolError"
    assert error.message.startswith("Fail (test.fail): MCP tool `fail` failed: ")
    assert error.message.endswith("disk full")       # the server's own words


def test_unknown_tool_is_not_sent(mcp_session):
    error = error_of(handle("test.nope", "Nope"))
    assert error.message == "Nope (test.nope): MCP server `test` has no tool `nope`"
    assert "add" in error.hint and "greet" in error.hint


def test_timeout_cancels_the_call(mcp_session):
    error = error_of(handle("test.slow", "Slow", timeout_ms=200), ms=3000)
    assert error.kind == "Timeout"
    assert call(handle("test.add", "Add"), a=1, b=1) == 2   # the session still works


def test_concurrent_calls_share_the_server(mcp_session):
    h = handle("test.slow", "Slow")

    async def main():
        return await asyncio.gather(*(call_tool(h, {"ms": 200}, 1, None) for _ in range(4)))

    assert run(main) == ["slow done"] * 4


def test_secret_env_is_masked_in_the_trace(mcp_session):
    value = call(handle("test.secret_env", "Secret"))
    assert value == "token is tok-0123456789"        # the program gets the real value
    trace = mcp_session.trace.path.read_text()
    assert "tok-0123456789" not in trace and "token is ***" in trace


def test_server_that_cannot_start(tmp_path):
    project = Project(tmp_path)
    project.toml('[providers.mcp.broken]\ncommand = "/nonexistent/lumen-mcp"\n')
    project.session()
    try:
        error = error_of(handle("broken.tool", "B"))
        assert error.kind == "ToolError"
        assert error.message.startswith("B (broken.tool): MCP server `broken` did not start")
    finally:
        project.close()
