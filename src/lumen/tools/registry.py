"""Which provider serves a tool, and the provider classes (imported on first use).

Resolution order for a tool name:
1. a Python callable registered through the embedding API (`@lumen.tool("ns.name")`,
   i.e. `tool()` here, or `register()`);
2. `lumen.toml` (`Config.provider_for`): an exact `[providers]` entry, the longest
   matching `"ns.*"` pattern, an MCP server named like the namespace;
3. the defaults: `http.*` → `builtin-http`, `llm.*` → `local`.

A tool nothing serves is a ToolError that names it and shows the lumen.toml lines to add.
"""

from __future__ import annotations

import importlib

from ..config import Config, ProviderSpec
from ..runtime.errors import LumenError

PROVIDER_CLASSES = {
    "openai-compatible": ("openai_compatible", "OpenAICompatibleProvider"),
    "local": ("local", "LocalProvider"),
    "builtin-http": ("http", "HttpProvider"),
    "python": ("python", "PythonProvider"),
    "mcp": ("mcp", "McpProvider"),
}

_registered: dict[str, object] = {}


_effects: dict[str, str] = {}


def tool(name: str, effect: str | None = None):
    """Decorator: make a Python function (sync or async) the provider of tool `name`;
    `effect` is the effect its calls bring (default: the namespace, `weather`).

        @lumen.tool("weather.today", effect="http")
        def today(city: str) -> str: ...
    """
    def decorate(function):
        register(name, function, effect)
        return function
    return decorate


def declared_effect(name: str) -> str | None:
    """The effect a registered tool declared, if any (read by `lumen.tool_facts`)."""
    return _effects.get(name)


def register(name: str, function, effect: str | None = None) -> None:
    if not isinstance(name, str) or "." not in name.strip(".") or " " in name:
        raise ValueError(f"a tool name is NAMESPACE.NAME (e.g. \"weather.today\"), "
                         f"got {name!r}")
    if not callable(function):
        raise TypeError(f"tool {name!r}: {function!r} is not callable")
    if effect is not None and (not isinstance(effect, str) or not effect.isidentifier()):
        raise ValueError(f"tool {name!r}: an effect is a name like \"http\", got {effect!r}")
    _registered[name] = function
    if effect is None:
        _effects.pop(name, None)
    else:
        _effects[name] = effect


def unregister(name: str) -> None:
    _registered.pop(name, None)
    _effects.pop(name, None)


def registered(name: str):
    return _registered.get(name)


def resolve(tool_name: str, config: Config) -> ProviderSpec | None:
    """The provider of `tool_name`, or None when nothing serves it."""
    function = _registered.get(tool_name)
    if function is not None:
        return ProviderSpec("python", f"python:@{tool_name}", {"callable": function})
    return config.provider_for(tool_name)


def provider_class(kind: str):
    module, name = PROVIDER_CLASSES[kind]
    return getattr(importlib.import_module(f"{__package__}.providers.{module}"), name)


def defaults_for(spec: ProviderSpec | None) -> dict:
    """Request defaults of a provider (no provider is created)."""
    if spec is None or spec.type not in PROVIDER_CLASSES:
        return {}
    return provider_class(spec.type).defaults(spec.options)


def no_provider(handle, config: Config) -> LumenError:
    tool_name = handle.tool
    where = config.describe()
    lines = (f"[providers]\n\"{tool_name}\" = \"python:my_module:my_function\"   "
             f"# or \"openai-compatible\", \"builtin-http\", \"mcp:SERVER\"")
    return LumenError("ToolError",
                      f"{handle.alias} ({tool_name}): no provider for tool `{tool_name}` "
                      f"({where}); add it to lumen.toml:\n{lines}",
                      hint="see docs/tools.md for providers; Python code can also register "
                           "one with @lumen.tool(\"" + tool_name + "\")")
