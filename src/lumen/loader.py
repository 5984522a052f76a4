"""Finding a program's modules: the program's file and every module it imports, each read
and parsed once, as a graph whose order puts every module after the modules it imports.

An import that names no file, or that closes a cycle (reported as the chain of files that
forms it), is an error at that import. Nothing here checks or compiles: the driver does
that, module by module, in the graph's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, DiagnosticSink
from .source import SourceFile


@dataclass(eq=False)
class Unit:
    """One module of the program: its source and syntax tree, then what the later
    phases add — its analysis, the names it binds from each module it imports, its code."""
    source: SourceFile
    sink: DiagnosticSink
    module: object = None                           # the syntax tree (syntax.ast.Module)
    found: list = field(default_factory=list)       # (ast.Import, Unit) for each file found
    analysis: object = None
    imports: list = field(default_factory=list)     # (Unit, {local py name: exporter py name})
    code: object = None


class ModuleGraph:
    """A program's modules; `order` has dependencies first and the program's file last."""

    def __init__(self, root: Unit, order: list[Unit]):
        self.root = root
        self.order = order

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for unit in self.order for d in unit.sink.items]

    @property
    def has_errors(self) -> bool:
        return any(unit.sink.has_errors for unit in self.order)


def load_graph(path: Path) -> ModuleGraph:
    """Read and parse `path` and, transitively, the modules it imports."""
    loader = _GraphLoader()
    root = loader.load(path)
    return ModuleGraph(root, loader.order)


class _GraphLoader:
    def __init__(self):
        self.units: dict[Path, Unit] = {}
        self.stack: list[Path] = []      # the chain of imports being followed (for cycles)
        self.order: list[Unit] = []

    def load(self, path: Path) -> Unit:
        from .syntax.parser import parse

        path = path.resolve() if path.is_absolute() else path
        key = path.resolve()
        if key in self.units:
            return self.units[key]
        source = SourceFile.read(path)
        sink = DiagnosticSink(source)
        unit = Unit(source, sink)
        self.units[key] = unit
        self.stack.append(key)
        try:
            unit.module = parse(source, sink)
            self.load_imports(unit)
        finally:
            self.stack.pop()
        self.order.append(unit)
        return unit

    def load_imports(self, unit: Unit) -> None:
        from .syntax import ast as A

        base = Path(unit.source.path).parent
        for item in unit.module.items:
            if not isinstance(item, A.Import):
                continue
            target = resolve_import(base, item.path)
            if target is None:
                where = "/".join(item.path)
                unit.sink.error("E205", f"cannot find module `{'.'.join(item.path)}`",
                                item.span, f"looked for {where}.lm.md and {where}.lm next to "
                                           f"{unit.source.path}")
                continue
            key = target.resolve()
            if key in self.stack:
                chain = self.stack[self.stack.index(key):] + [key]
                shown = " → ".join(p.name for p in chain)
                unit.sink.error("E205", f"import cycle: {shown}", item.span,
                                "move what both modules need into a third module")
                continue
            unit.found.append((item, self.load(target)))


def resolve_import(base: Path, parts) -> Path | None:
    stem = base.joinpath(*parts)
    for suffix in (".lm.md", ".lm"):
        candidate = stem.with_name(stem.name + suffix)
        if candidate.is_file():
            return candidate
    return None
