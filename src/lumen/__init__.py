"""Lumen for Python: a statically checked language for concurrent AI-agent workflows.

The embedding API lives here:

    program = lumen.load("workflow.lm")      # parse, check, compile (raises CheckError)
    program.run("cell", arg=1)              # run a cell; await program.run_async(...)

    @lumen.tool("weather.today")            # a Python function as the provider of a tool
    def today(city: str) -> str: ...
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["load", "tool", "CheckError", "LumenError", "Program", "__version__"]


class CheckError(Exception):
    """`load` found errors; `diagnostics` holds them, `str()` renders them."""

    def __init__(self, diagnostics):
        from .diagnostics import render_all
        self.diagnostics = list(diagnostics)
        super().__init__(render_all(self.diagnostics))


def load(path, *, tools=None) -> "Program":
    """Parse, check and compile the program at `path` (a `.lm` or `.lm.md` file).
    `tools` is a `lumen.tools.registry.ToolRegistry` of Python tools for this program
    (default: the one `@lumen.tool` fills)."""
    from .driver import build

    result = build(path, tools=tools)
    if not result.ok:
        raise CheckError(result.diagnostics)
    return result.program


def __getattr__(name: str):
    # Heavier names load on first use, so `import lumen` stays cheap.
    if name == "Program":
        from .program import Program
        return Program
    if name == "tool":
        from .tools.registry import tool
        return tool
    if name == "LumenError":
        from .runtime.errors import LumenError
        return LumenError
    raise AttributeError(f"module 'lumen' has no attribute {name!r}")
