"""The run object: the one door from compiled code and the runtime to what a run needs.

Every run (`lumen run`, `Program.run`, `Program.run_async`) creates one `Run` and makes
it current (`current_run`, a context variable: every task and branch of the run inherits
it, and two runs in two threads or in one event loop each see their own). Compiled code
and the runtime reach

* `tools`      the tool-call executor, `async (handle, arguments, line, prompt)`;
* `listeners`  a tuple of event listeners `listener(kind, fields)` (the trace, and any
               other observer side by side); empty when nobody listens;
* `executor`   where orchestration work runs (see executor.py); None means the local
               executor, which forms resolve themselves, so this module imports none;
* `deterministic` the clock mode the program asked for;
* `root_owner` the owner that adopts futures outliving their cell (set by `clock.run`);
* `program`    the compiled program (unpickling finds its types here first)

only through it. Events (`run.emit(kind, fields)`; hot paths test `run.listeners` first,
so building the fields costs nothing when nobody listens):

* `form_start`  form, line, branches
* `form_end`    form, line, branches, outcome ("ok" | "error" | "cancelled"),
                winner (index or None), cancelled (branch indices), elapsed_ms
* `spawn`       line
* `future_cancelled`  line (of the spawn), reason ("owner returned" | "run ended")
* `emit`        value (an `emit v` statement)

Times come from the running loop's clock, so in deterministic mode they are virtual and
a trace is identical from run to run.

Outside any run, `current()` is `NO_RUN`: no tools, no listeners, the
local executor. Nothing here is process-wide state a run fills: a run's state lives on
its own object.
"""

from __future__ import annotations

from contextvars import ContextVar

from .errors import LumenError


class Run:
    __slots__ = ("tools", "listeners", "executor", "deterministic", "root_owner",
                 "program", "registry")

    def __init__(self, *, tools=None, listeners=(), executor=None,
                 deterministic: bool = False, program=None, registry=None):
        self.tools = tools
        self.listeners = tuple(listeners)
        self.executor = executor   # None: the local executor (executor.LOCAL)
        self.deterministic = deterministic
        self.root_owner = None
        self.program = program
        self.registry = registry   # the tool registry snapshot the run's calls resolve in

    def emit(self, kind: str, fields: dict) -> None:
        for listener in self.listeners:
            listener(kind, fields)

    async def call_tool(self, handle, arguments: dict, line: int, prompt):
        tools = self.tools
        if tools is None:
            raise LumenError("ToolError", f"`{handle.alias}` ({handle.tool}) cannot run: "
                                          "this run has no tools session",
                             hint="run the program through `lumen run` or `Program.run`")
        pending = None
        if prompt:
            pending = list(prompt)
            prompt.clear()
        return await tools(handle, arguments, line, pending)


NO_RUN = Run()   # immutable in practice: nothing ever assigns to it

current_run: ContextVar[Run] = ContextVar("lumen_run", default=NO_RUN)
current = current_run.get   # `current()`: the run the calling code belongs to


def entered(run: Run):
    """Make `run` current in the calling context; returns the token for `left`."""
    return current_run.set(run)


def left(token) -> None:
    current_run.reset(token)
