"""The one interface between compiled code and the tools layer.

Compiled code builds a `ToolHandle` per `use tool` declaration (with the grants that
apply where it is declared) and calls tools through `call_tool`, which hands the call to
the current run's tool executor (`Run.tools`, a tools session's `execute`); the runtime
imports nothing from the tools layer.
"""

from __future__ import annotations

from .run import current


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


async def call_tool(handle: ToolHandle, arguments: dict, line: int, prompt):
    return await current().call_tool(handle, arguments, line, prompt)
