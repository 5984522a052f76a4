"""Running a compiled program: module globals, top-level statements in import order, the
selected cell, the tools session of the run, and a deep stack for deep recursion."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

RECURSION_LIMIT = 50_000
STACK_BYTES = 512 * 1024 * 1024


class CompiledUnit:
    """A compiled module, as a program runs it (and the cache stores it)."""

    __slots__ = ("path", "text", "code", "imports", "globals")

    def __init__(self, path: str, text: str, code, imports=None):
        self.path = path
        self.text = text             # the file's exact content (for error excerpts)
        self.code = code
        self.imports = imports or []  # (CompiledUnit, {local name: exporter's name})
        self.globals: dict | None = None


class Program:
    """A checked and compiled Lumen program (see `lumen.load`): its compiled modules,
    dependencies first and the program's own module last."""

    def __init__(self, units: list, *, deterministic: bool, uses_tools: bool,
                 warnings: list | None = None):
        self.units = units
        self.unit = units[-1]
        self.path = self.unit.path
        # Path -> text of every module: a runtime error's report shows excerpts from it.
        self.sources = {str(unit.path): unit.text for unit in units}
        self.deterministic = deterministic
        self._uses_tools = uses_tools
        self.warnings = list(warnings or [])
        self._initialized = False

    def cells(self) -> list[str]:
        """The names `run` (and `lumen run --cell`) accepts: cells and agents."""
        return sorted(self._globals(self.unit)["_L_entry"])

    # ------------------------------------------------------------- loading

    def _globals(self, unit) -> dict:
        if unit.globals is not None:
            return unit.globals
        from .runtime.namespace import module_globals, runtime_names

        namespace = module_globals(runtime_names(unit.code), f"lumen:{unit.path}")
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
        table = self._globals(self.unit)["_L_entry"]
        if cell is None:
            return table.get("main")
        from .check.suggest import did_you_mean
        from .runtime.errors import LumenError

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
        with self.session():
            value = self._start(cell, args)
            return await value if _is_coroutine(value) else value

    def run(self, cell: str | None = None, /, **args):
        """Run the top-level statements once, then `cell` (default `main`, if any) with
        `args`; returns its result. Deep recursion gets a deep stack."""
        return self.execute(cell, args)

    def execute(self, cell: str | None, args: dict, *, trace=None, record=None, replay=None):
        """`run` with the run's tool options: a trace file, a recording to write or one to
        replay (LANGUAGE.md section 11)."""
        with self.session(trace=trace, record=record, replay=replay):
            return run_on_big_stack(lambda: self._run_sync(cell, args))

    def uses_tools(self) -> bool:
        return self._uses_tools

    @contextmanager
    def session(self, trace=None, record=None, replay=None):
        """The tools session of one run, closed with the run's outcome. There is none when
        the program has no tools and nothing is traced, recorded or replayed: then the
        tools layer is never even imported."""
        if not (self.uses_tools() or trace or record or replay):
            yield None
            return
        from .tools.session import Session
        session = Session.open(self.path, trace=trace, record=record, replay=replay,
                               deterministic=self.deterministic).install()
        outcome, error = "error", None
        try:
            yield session
            outcome = "ok"
        except KeyboardInterrupt as exc:
            outcome, error = "interrupted", exc
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            session.close(outcome, error=error)

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

        def visit(unit) -> None:
            if unit.path in seen:
                return
            seen.add(unit.path)
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


class _DeepStack:
    """The process-wide settings of running Lumen: a high recursion limit while any run
    is in progress (runs may overlap, in threads), the limit restored after the last."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.saved_limit = 0

    def enter(self) -> None:
        with self.lock:
            if self.active == 0:
                self.saved_limit = sys.getrecursionlimit()
                sys.setrecursionlimit(max(self.saved_limit, RECURSION_LIMIT))
            self.active += 1

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            if self.active == 0:
                sys.setrecursionlimit(self.saved_limit)

    def thread(self, target) -> threading.Thread:
        with self.lock:   # stack_size is process-wide too: set it only around the start
            old_size = threading.stack_size()
            try:
                threading.stack_size(STACK_BYTES)
                worker = threading.Thread(target=target, name="lumen-main", daemon=True)
                worker.start()
            finally:
                threading.stack_size(old_size)
        return worker


_deep_stack = _DeepStack()


def run_on_big_stack(fn):
    """Run `fn` in a thread with a deep stack and a high recursion limit."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the calling thread as is
            outcome["error"] = exc

    _deep_stack.enter()
    try:
        worker = _deep_stack.thread(target)
        while worker.is_alive():
            worker.join(0.25)
    finally:
        _deep_stack.leave()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
