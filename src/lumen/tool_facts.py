"""What the check of a module learns about its tools from outside its source — from the
`lumen.toml` that applies to it and from tools registered in Python: the effect a
tool's provider declares; and the check-time diagnostics about that configuration (a
tool no provider serves, a malformed lumen.toml).

Only modules that declare tools read lumen.toml, so a program without tools never
imports the configuration or the tools layer.
"""

from __future__ import annotations

from .syntax import ast as A


def declared_tools(module: A.Module) -> list[str]:
    """The tool names a module's `use tool` lines declare, top level and in agents."""
    tools = [i.tool for i in module.items if isinstance(i, A.UseTool)]
    for agent in (i for i in module.items if isinstance(i, A.AgentDecl)):
        tools += [m.tool for m in agent.members if isinstance(m, A.UseTool)]
    return tools


def declared_effects(module: A.Module, path: str) -> dict:
    """Effects that tools' providers declare (`[providers.effects]` in lumen.toml, or
    `@lumen.tool(name, effect=...)`), for a module that uses tools."""
    tools = declared_tools(module)
    if not tools:
        return {}
    from .config import ConfigError, load_for
    from .tools.registry import declared_effect

    try:
        effects = dict(load_for(path).effects)
    except ConfigError:   # reported by `report_tool_configuration`
        effects = {}
    for tool in tools:
        declared = declared_effect(tool)
        if declared is not None:
            effects[tool] = declared
    return effects


def report_tool_configuration(unit) -> None:
    """What `lumen check` says about a checked module's tools: a tool with no provider
    (a warning: it is an error only when called), grant keys no provider understands; a
    malformed lumen.toml (an error)."""
    analysis = unit.analysis
    if analysis is None or not analysis.tools:
        return
    import re
    from .config import ConfigError, load_for
    from .diagnostics import DiagnosticSink
    from .check.suggest import did_you_mean
    from .source import SourceFile, Span
    from .tools.policy import KNOWN_KEYS
    from .tools.registry import resolve

    sink = unit.sink
    try:
        config = load_for(unit.source.path)
    except ConfigError as exc:
        where = re.match(r"^(.*?):(\d+): (.*)$", exc.message, re.S)
        if where:
            toml = SourceFile.read(where[1])
            line = int(where[2])
            span = Span(line, 1, line, len(toml.line_text(line)) + 1)
            toml_sink = DiagnosticSink(toml)
            toml_sink.error("E601", where[3], span, exc.hint)
            sink.items.extend(toml_sink.items)
        else:
            sink.error("E601", exc.message, Span(1, 1, 1, 1), exc.hint)
        return
    for tool in analysis.tools:
        if resolve(tool.tool, config) is None:
            sink.warning("W101", f"tool `{tool.tool}` has no provider: calling `{tool.alias}` "
                                 f"will fail", tool.node.span,
                         f"add to lumen.toml: [providers] \"{tool.tool}\" = \"...\" "
                         f"(see docs/tools.md)")
    grants = [i for i in analysis.module.items if isinstance(i, A.Grant)]
    for agent in analysis.agents.values():
        grants += [m for m in agent.node.members if isinstance(m, A.Grant)]
    for grant in grants:
        for entry in grant.entries:
            if entry.key not in KNOWN_KEYS:
                sink.warning("W102", f"unknown grant key `{entry.key}`", entry.span,
                             did_you_mean(entry.key, KNOWN_KEYS) or
                             f"grant keys: {', '.join(KNOWN_KEYS)}")
