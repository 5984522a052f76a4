"""Which provider serves a tool, and the provider classes (imported on first use).

Resolution order for a tool name:
1. a Python callable registered through the embedding API (`@lumen.tool("ns.name")`,
   i.e. `DEFAULT.tool()` here, or a `ToolRegistry` given to `lumen.load`);
2. `lumen.toml` (`Config.provider_for`): an exact `[providers]` entry, the longest
   matching `"ns.*"` pattern, an MCP server named like the namespace;
3. the defaults: `http.*` → `builtin-http`, `llm.*` → `local`.

A tool nothing serves is a ToolError that names it and shows the lumen.toml lines to add.
"""

from __future__ import annotations

# `lumen run` reads the default registry's fingerprint on every start: importing this
# module must stay cheap, so config and errors are imported where they are used.

PROVIDER_CLASSES = {
    "openai-compatible": ("openai_compatible", "OpenAICompatibleProvider"),
    "local": ("local", "LocalProvider"),
    "builtin-http": ("http", "HttpProvider"),
    "python": ("python", "PythonProvider"),
    "mcp": ("mcp", "McpProvider"),
}

class ToolRegistry:
    """Python callables serving tools, each with the effect its calls bring.

    The embedding API fills one (`lumen.tool` fills `DEFAULT`, or pass your own to
    `lumen.load(path, tools=...)`); a run resolves its calls in a snapshot taken when it
    starts, so registrations made meanwhile never reach a run in progress, and two
    programs with two registries never see each other's tools."""

    __slots__ = ("_functions", "_effects")

    def __init__(self):
        self._functions: dict[str, object] = {}
        self._effects: dict[str, str] = {}

    def tool(self, name: str, effect: str | None = None):
        """Decorator: make a Python function (sync or async) the provider of tool `name`;
        `effect` is the effect its calls bring (default: the namespace, `weather`).

            @lumen.tool("weather.today", effect="http")
            def today(city: str) -> str: ...
        """
        def decorate(function):
            self.register(name, function, effect)
            return function
        return decorate

    def register(self, name: str, function, effect: str | None = None) -> None:
        if not isinstance(name, str) or "." not in name.strip(".") or " " in name:
            raise ValueError(f"a tool name is NAMESPACE.NAME (e.g. \"weather.today\"), "
                             f"got {name!r}")
        if not callable(function):
            raise TypeError(f"tool {name!r}: {function!r} is not callable")
        if effect is not None and (not isinstance(effect, str) or not effect.isidentifier()):
            raise ValueError(f"tool {name!r}: an effect is a name like \"http\", "
                             f"got {effect!r}")
        self._functions[name] = function
        if effect is None:
            self._effects.pop(name, None)
        else:
            self._effects[name] = effect

    def unregister(self, name: str) -> None:
        self._functions.pop(name, None)
        self._effects.pop(name, None)

    def registered(self, name: str):
        return self._functions.get(name)

    def declared_effect(self, name: str) -> str | None:
        """The effect a registered tool declared, if any (read by the checker)."""
        return self._effects.get(name)

    def effects(self) -> dict[str, str]:
        return dict(self._effects)

    def fingerprint(self) -> str:
        """What the checker learns from this registry (the tools' names and effects), as
        text: part of the compiled-program cache key."""
        return "\n".join(f"{name}={self._effects.get(name, '')}"
                         for name in sorted(self._functions))

    def snapshot(self) -> "ToolRegistry":
        copy = ToolRegistry()
        copy._functions = dict(self._functions)
        copy._effects = dict(self._effects)
        return copy

    def resolve(self, tool_name: str, config: "Config") -> "ProviderSpec | None":
        """The provider of `tool_name`, or None when nothing serves it."""
        function = self._functions.get(tool_name)
        if function is not None:
            from ..config import ProviderSpec
            return ProviderSpec("python", f"python:@{tool_name}", {"callable": function})
        return config.provider_for(tool_name)


# The registry `@lumen.tool` fills: the embedder's, never written by a run.
DEFAULT = ToolRegistry()
tool = DEFAULT.tool
register = DEFAULT.register
unregister = DEFAULT.unregister


def provider_class(kind: str):
    module, name = PROVIDER_CLASSES[kind]
    import importlib
    return getattr(importlib.import_module(f"{__package__}.providers.{module}"), name)


def defaults_for(spec: "ProviderSpec | None") -> dict:
    """Request defaults of a provider (no provider is created)."""
    if spec is None or spec.type not in PROVIDER_CLASSES:
        return {}
    return provider_class(spec.type).defaults(spec.options)


def no_provider(handle, config: "Config") -> "LumenError":
    from ..runtime.errors import LumenError

    tool_name = handle.tool
    where = config.describe()
    lines = (f"[providers]\n\"{tool_name}\" = \"python:my_module:my_function\"   "
             f"# or \"openai-compatible\", \"builtin-http\", \"mcp:SERVER\"")
    return LumenError("ToolError",
                      f"{handle.alias} ({tool_name}): no provider for tool `{tool_name}` "
                      f"({where}); add it to lumen.toml:\n{lines}",
                      hint="see docs/tools.md for providers; Python code can also register "
                           "one with @lumen.tool(\"" + tool_name + "\")")
