"""The pipeline, in one place: source → tokens → AST → checked analysis → code object →
a `Program` that runs (loader.py loads imports, program.py runs, cache.py lets a rerun of
an unchanged program skip everything before running).
"""

from __future__ import annotations

import os

from .program import Program


class Build:
    """The outcome of building a file: a program (unless only checked), or the
    diagnostics that prevent one."""

    def __init__(self, program: Program | None, diagnostics=(), checked: bool = False):
        self.program = program
        self.diagnostics = list(diagnostics)
        self.checked = checked

    @property
    def ok(self) -> bool:
        return self.program is not None or self.checked


def build(path: str | os.PathLike, check_only: bool = False, use_cache: bool = True,
          tools=None) -> Build:
    """Parse, check and compile `path` and the modules it imports — or take the result of
    an earlier build of the very same sources from the cache. `tools` is the embedder's
    `ToolRegistry` (default: the one `@lumen.tool` fills); the check reads its effects."""
    from . import cache

    if tools is None:
        from .tools.registry import DEFAULT as tools
    if not check_only and use_cache:
        hit = cache.lookup(str(path), tools.fingerprint())
        if hit is not None:
            hit.tools = tools
            return Build(hit, hit.warnings)
    from pathlib import Path
    from .loader import Loader

    loader = Loader(tools)
    try:
        unit = loader.load(Path(path))
    except RecursionError:
        return _too_deep(str(path))
    if not any(d.is_error for d in loader.diagnostics):
        for checked in loader.order:
            tool_warnings(checked, tools)
    diagnostics = loader.diagnostics
    if any(d.is_error for d in diagnostics) or unit is None:
        return Build(None, diagnostics)
    if check_only:
        return Build(None, diagnostics, checked=True)
    try:
        loader.compile_all()
    except RecursionError:
        return _too_deep(str(path))
    program = Program(loader.compiled(), deterministic=bool(unit.analysis.deterministic),
                      uses_tools=any(u.analysis.tools for u in loader.order),
                      warnings=[d for d in diagnostics if not d.is_error], tools=tools)
    if use_cache:
        cache.store(str(path), program, tools.fingerprint())
    return Build(program, diagnostics)


def _too_deep(path: str) -> Build:
    from .diagnostics import DiagnosticSink
    from .source import SourceFile, Span

    sink = DiagnosticSink(SourceFile(path, ""))
    sink.error("E004", "the program nests too deeply to compile", Span(1, 1, 1, 1),
               "split deeply nested expressions into `let` bindings")
    return Build(None, sink.items)


def tool_warnings(unit, tools) -> None:
    """What `lumen check` says about tools: a tool with no provider (an error only when
    called) and grant keys no provider understands; a malformed lumen.toml is an error."""
    analysis = unit.analysis
    if analysis is None or not analysis.tools:
        return
    import re
    from .check.suggest import did_you_mean
    from .config import ConfigError, load_for
    from .diagnostics import DiagnosticSink
    from .source import SourceFile, Span
    from .syntax import ast as A
    from .tools.policy import KNOWN_KEYS

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
        if tools.resolve(tool.tool, config) is None:
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
