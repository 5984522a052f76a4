"""The provider tests' harness: ToolHandles built as compiled code builds them, calls
through the installed executor the way compiled code makes them
(`call_tool(handle, arguments, line, prompt)`), program directories with a lumen.toml,
and lumen.toml snippets for the test servers."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from servers import ChatServer  # noqa: E402

from lumen.runtime import clock  # noqa: E402
from lumen.runtime.tool_calls import ToolHandle, call_tool  # noqa: E402
from lumen.tools.session import Session  # noqa: E402

MCP_SERVER = HERE / "mcp_server.py"


def handle(tool: str, alias: str = "T", scope: str | None = None, **grants) -> ToolHandle:
    """A ToolHandle as compiled code builds it (grant entries in declaration order)."""
    entries = []
    for key, value in grants.items():
        if key == "domain" and isinstance(value, list):
            entries += [("domain", v) for v in value]
        else:
            entries.append((key, value))
    return ToolHandle(tool, alias, entries, scope)


def call(h: ToolHandle, roles=None, line: int = 1, deterministic: bool = False, **arguments):
    """One tool call through the installed executor, on a fresh event loop. `roles` are
    the pending `role system:`/`role user:` lines, as (role, text) pairs."""
    pending = list(roles) if roles else None

    async def main():
        return await call_tool(h, arguments, line, pending)

    return clock.run(main, deterministic=deterministic)


def run(main, deterministic: bool = False):
    return clock.run(main, deterministic=deterministic)


class Project:
    """A program directory: lumen.toml, the program file, sessions opened on it."""

    def __init__(self, path: Path):
        self.path = path
        self.program = path / "program.lm"
        self.program.write_text("# test program\n")
        self.sessions: list[Session] = []

    def toml(self, text: str) -> "Project":
        (self.path / "lumen.toml").write_text(text)
        return self

    def session(self, **options) -> Session:
        session = Session.open(self.program, **options).enter()
        self.sessions.append(session)
        return session

    def close(self) -> None:
        for session in self.sessions:
            session.close()


def chat_toml(server: ChatServer, extra: str = "", **options) -> str:
    settings = {"base_url": server.base_url, "default_model": "test-model", "retry_base_ms": 5}
    settings.update(options)
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
    return ("[providers]\n\"llm.chat\" = \"openai-compatible\"\n"
            "\"llm.embed\" = \"openai-compatible\"\n" + extra +
            "\n[providers.config.openai-compatible]\n" + "\n".join(lines) + "\n")


def mcp_toml(extra_env: dict | None = None) -> str:
    env = ", ".join(f'{k} = "{v}"' for k, v in (extra_env or {}).items())
    return (f"[providers]\n\"calc.plus\" = \"mcp:test/add\"\n\n"
            f"[providers.mcp.test]\ncommand = \"{sys.executable}\"\n"
            f"args = [\"{MCP_SERVER}\"]\nenv = {{ {env} }}\n")
