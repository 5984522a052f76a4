"""The one interface between compiled code and the tools layer.

Compiled code builds a `ToolHandle` per `use tool` declaration (with the grants that
apply where it is declared) and calls tools through `call_tool`. The tools layer
(`lumen.tools`) installs the executor that does the work; the runtime imports nothing
from it.
"""

from __future__ import annotations

from .errors import LumenError


class ToolHandle:
    __slots__ = ("tool", "alias", "grants", "scope")

    def __init__(self, tool: str, alias: str, grants, scope: str | None):
        self.tool = tool
        self.alias = alias
        self.grants = merge_grants(grants)
        self.scope = scope               # the agent that declares it, or None

    def _lumen_display(self) -> str:
        return f"<tool {self.alias}: {self.tool}>"

    def __repr__(self) -> str:
        return self._lumen_display()


def merge_grants(entries) -> dict:
    """Grant entries in declaration order → one dict: a later key wins (LANGUAGE.md 8.3),
    except `domain`, where every grant adds an allowed host (a list)."""
    merged: dict = {}
    for key, value in entries:
        if key == "domain":
            merged.setdefault("domain", []).extend(value if isinstance(value, list) else [value])
        else:
            merged[key] = value
    return merged


def make_tool(tool: str, alias: str, grants, scope: str | None) -> ToolHandle:
    return ToolHandle(tool, alias, grants, scope)


executor = None   # set by the tools layer: async (handle, arguments, line, prompt) -> value


async def call_tool(handle: ToolHandle, arguments: dict, line: int, prompt):
    if executor is None:
        raise LumenError("ToolError", f"tool calls are not supported yet: `{handle.alias}` "
                                      f"({handle.tool}) cannot run",
                         hint="tools, providers and grants arrive with the tools layer")
    pending = None
    if prompt:
        pending = list(prompt)
        prompt.clear()
    return await executor(handle, arguments, line, pending)
