"""The pipeline, in one place: find and parse the program's modules (loader.py), check
them in dependency order, compile them, and hand the result to a `Program` that runs
(program.py). cache.py lets a rerun of an unchanged program skip every phase before
running.
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
    from .loader import load_graph

    try:
        graph = load_graph(Path(path))
        check_graph(graph, tools)
        if graph.has_errors:
            return Build(None, graph.diagnostics)
        if check_only:
            return Build(None, graph.diagnostics, checked=True)
        program = compile_graph(graph, tools)
    except RecursionError:
        return _too_deep(str(path))
    if use_cache:
        cache.store(str(path), program, tools.fingerprint())
    return Build(program, graph.diagnostics)


def check_graph(graph, tools=None) -> None:
    """Check every module after the modules it imports — all of them in deterministic
    mode when the program is `@deterministic true` — then what lumen.toml says about
    their tools (only when the program itself has no errors: those come first)."""
    from .tool_facts import report_tool_configuration

    if tools is None:
        from .tools.registry import DEFAULT as tools
    root = graph.root
    deterministic_program = root.module.directive("deterministic", False)
    for unit in graph.order:
        imported, imported_types = bind_imports(unit)
        importer = root.source.path if deterministic_program and unit is not root else None
        unit.analysis = check_module(unit, imported, imported_types, tools, importer)
    if not graph.has_errors:
        for unit in graph.order:
            report_tool_configuration(unit, tools)


def bind_imports(unit) -> tuple[dict, dict]:
    """The names and types `unit` imports from the modules it imports, already checked."""
    from .check.imports import bind_import

    imported: dict = {}
    imported_types: dict = {}
    for item, other in unit.found:
        if other.analysis is None:
            unit.sink.error("E205", f"module `{'.'.join(item.path)}` has errors",
                            item.span, "fix the errors reported for it")
            continue
        mapping = bind_import(item, other.analysis, unit.sink, imported, imported_types)
        unit.imports.append((other, mapping))
    return imported, imported_types


def check_module(unit, imported: dict, imported_types: dict, tools,
                 deterministic_importer: str | None = None):
    """The analysis of one module, or None when it has syntax or import errors. The check
    runs after those errors too, so that every error is reported at once (a check of a
    partly parsed module that fails says nothing more). `deterministic_importer` is the
    deterministic program that imports the module, if any."""
    from .check.checker import check
    from .tool_facts import tool_facts

    damaged = unit.sink.has_errors
    before = len(unit.sink.items)
    facts = tool_facts(unit.module, unit.source.path, tools)
    try:
        analysis = check(unit.module, unit.sink, imported, imported_types, facts.effects,
                         facts.kinds, deterministic_importer)
    except Exception:
        if not damaged:
            raise
        del unit.sink.items[before:]
        return None
    return None if damaged else analysis


def compile_graph(graph, tools=None) -> Program:
    """Compile every module; the program runs them dependencies first."""
    from .compile.codegen import compile_analysis
    from .program import CompiledUnit

    compiled = {}
    for unit in graph.order:
        unit.code = compile_analysis(unit.analysis)
        compiled[unit] = CompiledUnit(unit.source.path, unit.source.text, unit.code)
        compiled[unit].imports = [(compiled[other], mapping) for other, mapping in unit.imports]
    return Program(list(compiled.values()),
                   deterministic=bool(graph.root.analysis.deterministic),
                   uses_tools=any(u.analysis.tools for u in graph.order),
                   warnings=[d for d in graph.diagnostics if not d.is_error], tools=tools)


def _too_deep(path: str) -> Build:
    from .diagnostics import DiagnosticSink
    from .source import SourceFile, Span

    sink = DiagnosticSink(SourceFile(path, ""))
    sink.error("E004", "the program nests too deeply to compile", Span(1, 1, 1, 1),
               "split deeply nested expressions into `let` bindings")
    return Build(None, sink.items)
