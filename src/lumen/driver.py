"""The pipeline, in one place: source → tokens → AST → checked analysis → code object →
a `Program` that runs. Also the loading of imported modules and the run-time setting
every run shares (a deep stack, so deep Lumen recursion is an error, not a crash).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .diagnostics import Diagnostic, DiagnosticSink
from .source import SourceFile, Span

RECURSION_LIMIT = 50_000
STACK_BYTES = 512 * 1024 * 1024


@dataclass
class Build:
    """The outcome of building a file: a program, or the diagnostics that prevent one."""
    program: "Program | None"
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.program is not None


def build(path: str | os.PathLike, check_only: bool = False) -> Build:
    """Parse, check and compile `path` and the modules it imports."""
    loader = Loader()
    try:
        unit = loader.load(Path(path))
    except RecursionError:
        source = SourceFile(str(path), "")
        sink = DiagnosticSink(source)
        sink.error("E004", "the program nests too deeply to compile", Span(1, 1, 1, 1),
                   "split deeply nested expressions into `let` bindings")
        return Build(None, sink.items)
    if not any(d.is_error for d in loader.diagnostics):
        for checked in loader.order:
            tool_warnings(checked)
    diagnostics = loader.diagnostics
    if any(d.is_error for d in diagnostics) or unit is None:
        return Build(None, diagnostics)
    if check_only:
        return Build(Program(unit, loader), diagnostics)
    try:
        loader.compile_all()
    except RecursionError:
        unit.sink.error("E004", "the program nests too deeply to compile", Span(1, 1, 1, 1),
                        "split deeply nested expressions into `let` bindings")
        return Build(None, unit.sink.items)
    return Build(Program(unit, loader), diagnostics)


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
    def __init__(self):
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
            analysis = check(unit.module, unit.sink, imported, imported_types)
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


def tool_warnings(unit: Unit) -> None:
    """What `lumen check` says about tools: a tool with no provider (an error only when
    called) and grant keys no provider understands; a malformed lumen.toml is an error."""
    analysis = unit.analysis
    if analysis is None or not analysis.tools:
        return
    import re
    from .check.suggest import did_you_mean
    from .config import ConfigError, load_for
    from .syntax import ast as A
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


# ----------------------------------------------------------------------- running


class Program:
    """A checked and compiled Lumen program (see `lumen.load`)."""

    def __init__(self, unit: Unit, loader: Loader):
        self.unit = unit
        self.loader = loader
        self.path = unit.source.path
        self.analysis = unit.analysis
        self._initialized = False

    @property
    def deterministic(self) -> bool:
        return bool(self.analysis.deterministic)

    def cells(self) -> list[str]:
        names = [c.name for c in self.analysis.cells if c.agent is None]
        names += [a.name for a in self.analysis.agents.values()]
        return names

    # ------------------------------------------------------------- loading

    def _globals(self, unit: Unit) -> dict:
        if unit.globals is not None:
            return unit.globals
        from .runtime import errors
        from .runtime.namespace import module_globals, runtime_names

        errors.register_source(unit.source.path, unit.source.code.split("\n"))
        namespace = module_globals(runtime_names(unit.code), f"lumen:{unit.source.path}")
        for other, mapping in unit.imports:
            exporter = self._globals(other)
            for local, remote in mapping.items():
                namespace[local] = exporter[remote]
                checked = f"_L_c_{remote}"
                if checked in exporter:
                    namespace[f"_L_c_{local}"] = exporter[checked]
        unit.globals = namespace
        exec(unit.code, namespace)
        return namespace

    def entry(self, cell: str | None):
        """The callable that `lumen run --cell` runs, or None for a plain script."""
        from .runtime.errors import LumenError
        from .check.suggest import did_you_mean

        table = self._globals(self.unit)["_L_entry"]
        if cell is None:
            return table.get("main")
        agent_name, _, method = cell.partition(".")
        target = table.get(agent_name)
        if target is None:
            raise LumenError("RuntimeError", f"no cell named `{cell}` in {self.path}",
                             hint=did_you_mean(cell, table) or
                             f"cells: {', '.join(sorted(table)) or 'none'}")
        if isinstance(target, type):
            method = method or "run"
            if not hasattr(target, method):
                raise LumenError("RuntimeError", f"`{agent_name}` has no cell `{method}`",
                                 hint=f"`lumen run --cell {agent_name}` runs its `run` cell")
            return getattr(target(), method)
        return target

    async def run_async(self, cell: str | None = None, /, **args):
        """Run inside an already running event loop (see `run` for the arguments)."""
        session = self.open_session()
        outcome, error = "error", None
        try:
            value = self._start(cell, args)
            value = await value if _is_coroutine(value) else value
            outcome = "ok"
            return value
        except BaseException as exc:
            error = exc
            raise
        finally:
            if session is not None:
                session.close(outcome, error=error)

    def run(self, cell: str | None = None, /, **args):
        """Run the top-level statements once, then `cell` (default `main`, if any) with
        `args`; returns its result. Deep recursion gets a deep stack."""
        return self.execute(cell, args)

    def execute(self, cell: str | None, args: dict, *, trace=None, record=None, replay=None):
        """`run` with the run's tool options: a trace file, a recording to write or one to
        replay (LANGUAGE.md section 11)."""
        session = self.open_session(trace=trace, record=record, replay=replay)
        outcome, error = "error", None
        try:
            value = run_on_big_stack(lambda: self._run_sync(cell, args))
            outcome = "ok"
            return value
        except KeyboardInterrupt as exc:
            outcome, error = "interrupted", exc
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            if session is not None:
                session.close(outcome, error=error)

    def uses_tools(self) -> bool:
        return any(unit.analysis is not None and unit.analysis.tools
                   for unit in self.loader.order)

    def open_session(self, trace=None, record=None, replay=None):
        """The tools session of one run (None when the program has no tools and nothing is
        traced, recorded or replayed: then the tools layer is never even imported)."""
        if not (self.uses_tools() or trace or record or replay):
            return None
        from .tools.session import Session
        session = Session.open(self.path, trace=trace, record=record, replay=replay,
                               deterministic=self.deterministic)
        return session.install()

    def _run_sync(self, cell, args):
        value = self._start(cell, args)
        if not _is_coroutine(value):
            return value
        from .runtime import clock
        return clock.run(lambda: value, deterministic=self.deterministic)

    def _start(self, cell, args):
        """Run the top-level statements (imported modules' first, once per program), then
        the cell; a coroutine when any of them can suspend."""
        target = self.entry(cell)
        steps = []
        if not self._initialized:
            self._initialized = True
            steps = self._scripts()
        if target is not None:
            steps.append(lambda: target(**args))
        elif args:
            from .runtime.errors import LumenError
            raise LumenError("RuntimeError", "arguments given, but the program has no `main` "
                                             "cell", hint="pick a cell with --cell")
        return _in_order(steps)

    def _scripts(self) -> list:
        order: list = []
        seen: set = set()

        def visit(unit: Unit) -> None:
            if unit.source.path in seen:
                return
            seen.add(unit.source.path)
            for other, _ in unit.imports:
                visit(other)
            order.append(self._globals(unit)["_L_script"])

        visit(self.unit)
        return order


def _in_order(steps):
    """Call each step; the last one's value. As soon as one returns a coroutine, the rest
    run inside a coroutine too (so plain code never needs an event loop)."""
    value = None
    for i, step in enumerate(steps):
        value = step()
        if _is_coroutine(value):
            return _finish(value, steps[i + 1:])
    return value


async def _finish(pending, steps):
    value = await pending
    for step in steps:
        value = step()
        if _is_coroutine(value):
            value = await value
    return value


def _is_coroutine(value) -> bool:
    return type(value).__name__ == "coroutine"


def run_on_big_stack(fn):
    """Run `fn` in a thread with a deep stack and a high recursion limit."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the calling thread as is
            outcome["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        threading.stack_size(STACK_BYTES)
        worker = threading.Thread(target=target, name="lumen-main", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_size)
    try:
        while worker.is_alive():
            worker.join(0.25)
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def version() -> str:
    return __version__
