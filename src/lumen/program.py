"""Running a compiled program: module globals, top-level statements in import order, the
selected cell, the run object and tools session of each run, and a deep stack for deep
recursion."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from contextvars import copy_context

RECURSION_LIMIT = 50_000
BLOB_FORMAT = 1
BLOB_MAGIC = b"LUMEN-PROGRAM\n"
STACK_BYTES = 512 * 1024 * 1024


class CompiledUnit:
    """A compiled module, as a program runs it (and the cache stores it)."""

    __slots__ = ("path", "text", "code", "imports", "globals", "_key", "_types")

    def __init__(self, path: str, text: str, code, imports=None):
        self.path = path
        self.text = text             # the file's exact content (for error excerpts)
        self.code = code
        self.imports = imports or []  # (CompiledUnit, {local name: exporter's name})
        self.globals: dict | None = None
        self._key: str | None = None
        self._types: dict | None = None

    @property
    def key(self) -> str:
        """The content key of the module (runtime/shipping.py): its `__name__` is
        `lumen:<key>`, and its types pickle by it."""
        if self._key is None:
            from .runtime.shipping import module_key
            self._key = module_key(self.text)
        return self._key


class Program:
    """A checked and compiled Lumen program (see `lumen.load`): its compiled modules,
    dependencies first and the program's own module last."""

    def __init__(self, units: list, *, deterministic: bool, uses_tools: bool,
                 warnings: list | None = None, tools=None):
        self.units = units
        self.unit = units[-1]
        self.path = self.unit.path
        # Path -> text of every module: a runtime error's report shows excerpts from it.
        self.sources = {str(unit.path): unit.text for unit in units}
        self.deterministic = deterministic
        self._uses_tools = uses_tools
        self.warnings = list(warnings or [])
        self.tools = tools   # the ToolRegistry it was checked with (None: `lumen.tool`'s)
        self._initialized = False
        self._lock = threading.RLock()   # runs in two threads initialize it once
        from .runtime import shipping
        shipping.loaded(self)

    def cells(self) -> list[str]:
        """The names `run` (and `lumen run --cell`) accepts: cells and agents."""
        return sorted(self._globals(self.unit)["_L_entry"])

    # ------------------------------------------------------------- loading

    def _globals(self, unit) -> dict:
        if unit.globals is not None:
            return unit.globals
        with self._lock:
            if unit.globals is None:
                self._load(unit)
            return unit.globals

    def _load(self, unit) -> None:
        from .runtime.namespace import module_globals, runtime_names

        namespace = module_globals(runtime_names(unit.code), f"lumen:{unit.key}")
        for other, mapping in unit.imports:
            exporter = self._globals(other)
            for local, remote in mapping.items():
                namespace[local] = exporter[remote]
                checked = f"_L_c_{remote}"
                if checked in exporter:
                    namespace[f"_L_c_{local}"] = exporter[checked]
        exec(unit.code, namespace)
        unit.globals = namespace

    # ----------------------------------------------------------- program blobs

    def blob_key(self) -> str:
        """The key of this program's blob: its modules' contents (and how they import one
        another), the Lumen version and the Python minor version — no paths, no mtimes,
        so the same sources give the same key on every machine."""
        from . import __version__
        from .runtime.shipping import module_key

        parts = [f"lumen-blob/{BLOB_FORMAT}", __version__, _python_minor()]
        index = {id(unit): i for i, unit in enumerate(self.units)}
        for unit in self.units:
            imports = sorted((index[id(other)], sorted(mapping.items()))
                             for other, mapping in unit.imports)
            parts.append(f"{unit.key}:{imports}")
        return module_key("\n".join(parts))

    def blob(self) -> bytes:
        """The program as bytes another interpreter turns back into it with `from_blob`
        (same Lumen and Python minor version; no sources needed). The paths it holds are
        only what errors and traces call the files."""
        import json
        import marshal
        from . import __version__

        index = {id(unit): i for i, unit in enumerate(self.units)}
        payload = {
            "units": [(u.path, u.text, u.code,
                       [(index[id(other)], mapping) for other, mapping in u.imports])
                      for u in self.units],
            "deterministic": self.deterministic,
            "uses_tools": self._uses_tools,
        }
        header = {"format": BLOB_FORMAT, "lumen": __version__, "python": _python_minor(),
                  "key": self.blob_key()}
        return BLOB_MAGIC + json.dumps(header).encode() + b"\n" + marshal.dumps(payload)

    @classmethod
    def from_blob(cls, data: bytes) -> "Program":
        """The program a `blob()` holds. A blob of another Lumen or Python version is
        refused with a LumenError naming both (its bytecode would not load)."""
        import json
        import marshal
        from . import __version__
        from .runtime.errors import LumenError

        if not data.startswith(BLOB_MAGIC):
            raise LumenError("RuntimeError", "not a Lumen program blob",
                             hint="make one with Program.blob()")
        line, _, rest = data[len(BLOB_MAGIC):].partition(b"\n")
        header = json.loads(line)
        made = (header.get("lumen"), header.get("python"), header.get("format"))
        here = (__version__, _python_minor(), BLOB_FORMAT)
        if made != here:
            raise LumenError(
                "RuntimeError",
                f"this program blob was built by Lumen {made[0]} on Python {made[1]}; "
                f"this is Lumen {here[0]} on Python {here[1]}",
                hint="build the blob again with this Lumen and Python (the bytecode "
                     "inside it is specific to both)")
        payload = marshal.loads(rest)
        units: list = []
        for path, text, code, imports in payload["units"]:
            unit = CompiledUnit(path, text, code)
            unit.imports = [(units[i], dict(mapping)) for i, mapping in imports]
            units.append(unit)
        return cls(units, deterministic=payload["deterministic"],
                   uses_tools=payload["uses_tools"])

    # ------------------------------------------------------------ its types

    def has_module(self, key: str) -> bool:
        return any(unit.key == key for unit in self.units)

    def lumen_type(self, key: str, enum: str | None, name: str):
        """The compiled record (`enum` None) or variant class named so in the module
        with content key `key`, or None."""
        for unit in self.units:
            if unit.key == key:
                if unit._types is None:
                    unit._types = _types_of(self._globals(unit), f"lumen:{key}")
                return unit._types.get((enum, name))
        return None

    def lumen_function(self, key: str, qualname: str, line: int):
        """(code object, module globals) of the function `qualname` that starts at
        `line` in the module with content key `key`, or None."""
        for unit in self.units:
            if unit.key == key:
                namespace = self._globals(unit)
                stack = [unit.code]
                while stack:
                    code = stack.pop()
                    if code.co_qualname == qualname and code.co_firstlineno == line:
                        return code, namespace
                    stack.extend(c for c in code.co_consts if isinstance(c, type(code)))
        return None

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
        """Run inside an already running event loop (see `run` for the arguments). A
        `@deterministic` program runs on its virtual clock, which needs a loop of its
        own: it runs in a worker thread, and this coroutine waits for it."""
        if self.deterministic:
            import asyncio
            return await asyncio.to_thread(self.execute, cell, args)
        from .runtime import run as runs
        with self.session() as session:
            token = runs.entered(self.new_run(session))
            try:
                value = self._start(cell, args)
                return await value if _is_coroutine(value) else value
            finally:
                runs.left(token)

    def run(self, cell: str | None = None, /, **args):
        """Run the top-level statements once, then `cell` (default `main`, if any) with
        `args`; returns its result. Deep recursion gets a deep stack."""
        return self.execute(cell, args)

    def execute(self, cell: str | None, args: dict, *, trace=None, record=None, replay=None,
                listeners=(), executor=None):
        """`run` with the run's options: a trace file, a recording to write or one to
        replay (LANGUAGE.md section 11), event listeners `listener(kind, fields)` of the
        run's own (runtime/run.py lists the events), and the executor its orchestration
        work runs on (runtime/executor.py; default: the local one)."""
        with self.session(trace=trace, record=record, replay=replay) as session:
            run = self.new_run(session, listeners, executor)
            return run_on_big_stack(lambda: self._run_sync(run, cell, args))

    def new_run(self, session=None, listeners=(), executor=None):
        """The run object of one run (runtime/run.py): the session's tool executor and
        trace listener, the program's clock mode."""
        from .runtime.run import Run

        if session is None:
            return Run(deterministic=self.deterministic, program=self, listeners=listeners,
                       executor=executor)
        return Run(tools=session.execute, listeners=(*session.listeners(), *listeners),
                   deterministic=self.deterministic, program=self,
                   registry=session.registry, executor=executor)

    def uses_tools(self) -> bool:
        return self._uses_tools

    def registry(self):
        """The ToolRegistry this program's tool calls resolve in (a run takes a snapshot
        of it when it starts)."""
        if self.tools is not None:
            return self.tools
        from .tools.registry import DEFAULT
        return DEFAULT

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
                               deterministic=self.deterministic,
                               registry=self.registry().snapshot())
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

    def _run_sync(self, run, cell, args):
        from .runtime import run as runs

        token = runs.entered(run)
        try:
            value = self._start(cell, args)
            if not _is_coroutine(value):
                return value
            from .runtime import clock
            return clock.run(lambda: value, deterministic=self.deterministic)
        finally:
            runs.left(token)

    def _start(self, cell, args):
        """Run the top-level statements (imported modules' first, once per program), then
        the cell; a coroutine when any of them can suspend."""
        target = self.entry(cell)
        steps = []
        with self._lock:
            first, self._initialized = not self._initialized, True
        if first:
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


def _python_minor() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _types_of(namespace: dict, module: str) -> dict:
    """(enum or None, name) -> class, for the records and variants a module defines."""
    from .runtime.values import Record, Variant

    found: dict = {}
    for value in namespace.values():
        cls = value if isinstance(value, type) else type(value)
        if cls.__module__ != module or "_lumen_name" not in cls.__dict__:
            continue
        if issubclass(cls, Record):
            found[(None, cls._lumen_name)] = cls
        elif issubclass(cls, Variant):
            found[(cls._lumen_enum, cls._lumen_name)] = cls
    return found


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
    """Run `fn` in a thread with a deep stack and a high recursion limit, in a copy of
    the caller's context (context variables set by the caller are seen inside)."""
    outcome: dict = {}
    context = copy_context()

    def target():
        try:
            outcome["value"] = context.run(fn)
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
