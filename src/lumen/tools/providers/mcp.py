"""`mcp`: tools of an MCP server started over stdio, with the `mcp` SDK (2.x).

`[providers.mcp.NAME] command = "..." args = [...] env = {...} cwd = "..."` declares a
server. Its tools are called as `NAME.tool` (or mapped explicitly in [providers]:
`"fs.read" = "mcp:NAME/read_file"`). The server is started on the first call (one per
run), its tool list is read once (a call to a tool the server does not have is a clear
error and is not sent), and it is stopped when the run ends.

The SDK's client is an async context manager built on anyio task groups, which must be
entered and exited by the same task: one long-lived "owner" task per server (on the
session's I/O loop) holds it open until `aclose()` asks it to leave. Calls from other
tasks go through the open session concurrently.

Results: structured content when the server gives it (the `{"result": v}` wrapper that
MCP servers put around non-object results is removed), else the text content blocks
joined by newlines. `isError` results are a ToolError with the server's text. The
server's stderr goes to a log file; its tail is shown when the server fails to start.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from .base import Provider, short

DEFAULT_STARTUP_MS = 30_000


class McpProvider(Provider):
    type = "mcp"

    def __init__(self, spec, services):
        super().__init__(spec, services)
        self.server = spec.target
        self._started: asyncio.Future | None = None
        self._closing: asyncio.Event | None = None
        self._owner: asyncio.Task | None = None
        self._client = None
        self._tools: dict[str, object] = {}
        self._log = None
        services.redactor.learn(self.options.get("env") or {})

    # ------------------------------------------------------------------ lifecycle

    async def connection(self, ctx):
        if self._started is None:
            loop = asyncio.get_running_loop()
            self._started = loop.create_future()
            self._closing = asyncio.Event()
            self._owner = loop.create_task(self._own(), name=f"mcp:{self.server}")
        try:
            await asyncio.shield(self._started)
        except Exception as exc:
            raise ctx.fail(f"MCP server `{self.server}` did not start: {_reason(exc)}",
                           hint=self._log_tail()) from None
        return self._client

    def parameters(self):
        from mcp import StdioServerParameters

        cwd = self.options.get("cwd")
        root = Path(self.services.config_root)
        return StdioServerParameters(
            command=self.options["command"], args=list(self.options.get("args", [])),
            env=dict(self.options.get("env") or {}) or None,
            cwd=str(root / cwd) if cwd else str(root))

    async def _own(self) -> None:
        from mcp import Client
        from mcp.client.stdio import stdio_client

        started = self._started
        self._log = tempfile.NamedTemporaryFile("w+", prefix=f"lumen-mcp-{self.server}-",
                                                suffix=".log", delete=False)
        try:
            timeout = self.options.get("startup_timeout_ms", DEFAULT_STARTUP_MS) / 1000.0
            transport = stdio_client(self.parameters(), errlog=self._log)
            async with Client(transport, read_timeout_seconds=None) as client:
                async with asyncio.timeout(timeout):
                    listing = await client.list_tools()
                self._tools = {tool.name: tool for tool in listing.tools}
                self._client = client
                started.set_result(None)
                await self._closing.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc if isinstance(exc, Exception)
                                      else RuntimeError("cancelled while starting"))
            if not isinstance(exc, (Exception, asyncio.CancelledError)):
                raise
        finally:
            self._client = None

    def _log_tail(self) -> str | None:
        if self._log is None:
            return None
        try:
            self._log.flush()
            text = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        lines = [line for line in text.splitlines() if line.strip()][-5:]
        if not lines:
            return "the server wrote nothing to stderr"
        return "server stderr (last lines):\n    " + "\n    ".join(
            self.services.redactor.redact_text(line) for line in lines)

    async def aclose(self) -> None:
        owner, closing = self._owner, self._closing
        self._owner = None
        if owner is not None:
            closing.set()
            try:
                await asyncio.wait_for(owner, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                owner.cancel()
        if self._log is not None:
            self._log.close()
            try:
                os.unlink(self._log.name)
            except OSError:
                pass
            self._log = None

    # ---------------------------------------------------------------------- calls

    async def call(self, ctx):
        client = await self.connection(ctx)
        name = ctx.spec.remote_tool
        if name not in self._tools:
            raise ctx.fail(f"MCP server `{self.server}` has no tool `{name}`",
                           hint="its tools: " + (", ".join(sorted(self._tools)) or "none"))
        from mcp import MCPError

        try:
            result = await client.call_tool(name, dict(ctx.request.arguments))
        except MCPError as exc:
            raise ctx.fail(f"MCP server `{self.server}` refused `{name}`: {short(exc, 300)}") \
                from None
        except (OSError, EOFError) as exc:
            raise ctx.fail(f"lost the MCP server `{self.server}` ({short(exc)})",
                           hint=self._log_tail()) from None
        return self.value_of(ctx, name, result)

    def value_of(self, ctx, name: str, result):
        text = "\n".join(block.text for block in result.content
                         if getattr(block, "type", None) == "text")
        if result.is_error:
            raise ctx.fail(f"MCP tool `{name}` failed: {short(text, 300) or 'no message'}")
        structured = result.structured_content
        if structured is not None:
            if isinstance(structured, dict) and list(structured) == ["result"]:
                return structured["result"]
            return structured
        return text



def _reason(exc: BaseException) -> str:
    """The innermost, most specific reason of a (possibly grouped) exception."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = short(exc, 300)
    return f"{type(exc).__name__}: {text}" if text and not isinstance(exc, OSError) \
        else (text or type(exc).__name__)
