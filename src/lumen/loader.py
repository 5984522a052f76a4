"""Loading a module and the modules it imports: parse, check, compile, each once, with
import cycles reported as the chain of files that forms them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, DiagnosticSink
from .program import CompiledUnit
from .source import SourceFile


@dataclass(eq=False)
class Unit:
    """One loaded module."""
    source: SourceFile
    sink: DiagnosticSink
    module: object = None
    analysis: object = None
    code: object = None
    imports: list = field(default_factory=list)    # (Unit, {local py name: exporter py name})
    globals: dict | None = None


class Loader:
    def __init__(self, registry=None):
        self.registry = registry   # the embedder's tools (their effects), or None
        self.units: dict[Path, Unit] = {}
        self.stack: list[Path] = []
        self.order: list[Unit] = []

    @property
    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for unit in self.order:
            out.extend(unit.sink.items)
        return out

    def load(self, path: Path) -> Unit | None:
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
            imported, imported_types = self.load_imports(unit)
            unit.analysis = self.check(unit, imported, imported_types)
        finally:
            self.stack.pop()
        self.order.append(unit)
        return unit

    def check(self, unit: Unit, imported: dict, imported_types: dict):
        """Check a module; after syntax errors too, so that every error is reported at once
        (a check of a partly parsed module that fails says nothing more)."""
        from .check.checker import check

        syntax_errors = unit.sink.has_errors
        before = len(unit.sink.items)
        try:
            analysis = check(unit.module, unit.sink, imported, imported_types,
                             declared_effects(unit, self.registry))
        except Exception:
            if not syntax_errors:
                raise
            del unit.sink.items[before:]
            return None
        return None if syntax_errors else analysis

    def load_imports(self, unit: Unit) -> tuple[dict, dict]:
        from .syntax import ast as A

        imported: dict = {}
        imported_types: dict = {}
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
            other = self.load(target)
            if other is None or other.analysis is None:
                unit.sink.error("E205", f"module `{'.'.join(item.path)}` has errors",
                                item.span, "fix the errors reported for it")
                continue
            self.bind_imports(unit, other, item, imported, imported_types)
        return imported, imported_types

    def bind_imports(self, unit: Unit, other: Unit, item, imported: dict,
                     imported_types: dict) -> None:
        from .check.suggest import did_you_mean

        exported = exports(other.analysis)
        types = other_types(other.analysis)
        if item.names is None:
            chosen = [(name, name, item.span) for name in exported]
            chosen += [(name, name, item.span) for name in types if name not in exported]
        else:
            chosen = [(n.name, n.alias or n.name, n.span) for n in item.names]
        mapping = {}
        for name, local, span in chosen:
            binding = exported.get(name)
            if binding is None and name not in types:
                unit.sink.error("E206", f"module `{'.'.join(item.path)}` has no `{name}`", span,
                                did_you_mean(name, list(exported) + list(types)))
                continue
            if name in types:
                imported_types[local] = types[name]
            if binding is None:
                continue
            imported[local] = binding
            mapping[binding.py_name] = binding.py_name
            if binding.kind == "enum":
                for variant in binding.info.variants:
                    vb = exported.get(variant)
                    if vb is not None:
                        imported.setdefault(variant, vb)
                        mapping[vb.py_name] = vb.py_name
        unit.imports.append((other, mapping))

    def compile_all(self) -> None:
        from .compile.codegen import compile_analysis

        for unit in self.order:
            if unit.code is None:
                unit.code = compile_analysis(unit.analysis)

    def compiled(self) -> list:
        """The compiled units, dependencies first (what a `Program` runs)."""
        index = {id(unit): i for i, unit in enumerate(self.order)}
        units = [CompiledUnit(u.source.path, u.source.text, u.code) for u in self.order]
        for unit, compiled in zip(self.order, units):
            compiled.imports = [(units[index[id(other)]], mapping)
                                for other, mapping in unit.imports]
        return units




def declared_effects(unit: Unit, registry=None) -> dict:
    """Effects that tools' providers declare (`[providers.effects]` in lumen.toml, or
    `@lumen.tool(name, effect=...)`), for the modules that use tools."""
    from .syntax import ast as A

    tools = [i.tool for i in unit.module.items if isinstance(i, A.UseTool)]
    for agent in (i for i in unit.module.items if isinstance(i, A.AgentDecl)):
        tools += [m.tool for m in agent.members if isinstance(m, A.UseTool)]
    if not tools:
        return {}
    from .config import ConfigError, load_for

    try:
        effects = dict(load_for(unit.source.path).effects)
    except ConfigError:   # reported by the driver's tool warnings
        effects = {}
    for tool in tools:
        declared = registry.declared_effect(tool) if registry is not None else None
        if declared is not None:
            effects[tool] = declared
    return effects


def resolve_import(base: Path, parts) -> Path | None:
    stem = base.joinpath(*parts)
    for suffix in (".lm.md", ".lm"):
        candidate = stem.with_name(stem.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def exports(analysis) -> dict:
    """What another module can import: declarations, not script variables or tools."""
    return {name: b for name, b in analysis.module_scope.names.items()
            if b.kind in ("cell", "record", "enum", "variant", "const", "agent")}


def other_types(analysis) -> dict:
    """Types another module can import: records, enums, agents and aliases."""
    return dict(analysis.type_names)
