"""What the check of a module learns about its tools from outside its source — from the
`lumen.toml` that applies to it and from tools registered in Python: the effect a
tool's provider declares and the kind of each tool (which grant keys apply to it); and
the check-time diagnostics about that configuration (a tool no provider serves, a
malformed lumen.toml).

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


class ToolFacts:
    # A plain class: a dataclass costs start-up time on every uncached build.
    __slots__ = ("effects", "kinds")

    def __init__(self):
        self.effects: dict = {}   # tool → the effect its provider declares
        self.kinds: dict = {}     # tool → its kind (grant_schema.TOOL_KINDS)


def tool_facts(module: A.Module, path: str, registry) -> ToolFacts:
    """What lumen.toml (`[providers]`, `[providers.effects]`) and tools registered with
    `@lumen.tool(name, effect=...)` (in `registry`, a ToolRegistry) say about a module's
    tools. With a malformed lumen.toml
    nothing is known (the file's error is reported by `report_tool_configuration`)."""
    tools = declared_tools(module)
    if not tools:
        return ToolFacts()
    from .config import ConfigError, load_for
    from .grant_schema import kind_of

    facts = ToolFacts()
    try:
        config = load_for(path)
    except ConfigError:
        config = None
    if config is not None:
        facts.effects = dict(config.effects)
        for tool in tools:
            spec = registry.resolve(tool, config)
            facts.kinds[tool] = kind_of(tool, spec.type if spec else None)
    for tool in tools:
        declared = registry.declared_effect(tool)
        if declared is not None:
            facts.effects[tool] = declared
    return facts


def report_tool_configuration(unit, registry) -> None:
    """What `lumen check` says about a checked module's tools: a tool with no provider
    (a warning: it is an error only when called); a malformed lumen.toml (an error)."""
    analysis = unit.analysis
    if analysis is None or not analysis.tools:
        return
    import re
    from .config import ConfigError, load_for
    from .diagnostics import DiagnosticSink
    from .source import SourceFile, Span

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
        if registry.resolve(tool.tool, config) is None:
            sink.warning("W101", f"tool `{tool.tool}` has no provider: calling `{tool.alias}` "
                                 f"will fail", tool.node.span,
                         f"add to lumen.toml: [providers] \"{tool.tool}\" = \"...\" "
                         f"(see docs/tools.md)")
