"""`--trace FILE.jsonl`: the run as JSON lines, one event per line.

Events (every event has `event`; times are milliseconds since the run started, read
from the running loop's clock, so a deterministic run's trace is identical every time):

* `run_start`  program, time (wall clock ISO 8601; null in deterministic mode), lumen,
               deterministic
* `tool_call`  alias, tool, provider, scope, line, task, parent, start, duration_ms,
               request (the effective request, secrets masked), and `result` or
               `error` {kind, message}
* `form_start` id, parent, form, line, branches, task, time
* `form_end`   id, parent, form, line, branches, outcome, winner, cancelled,
               elapsed_ms, task, time
* `spawn`      line, task, parent, time;  `future_cancelled` line, reason, task, time
* `emit`       value, task, parent, time
* `run_end`    outcome ("ok" | "error" | ...), duration_ms, tool_calls, errors, and
               `error` {kind, message} when the run failed

`task` numbers asyncio tasks in the order they first appear in the trace (stable from
run to run in deterministic mode). `id`/`parent` nest forms: `parent` is the id of the
innermost orchestration form around the event (null at top level), tracked with a
context variable that branch tasks inherit. Values are encoded with `codec.encode`.
Every line goes through the run's `Redactor` before it is written.

`show(path)` renders a trace as a tree (see `trace_view`).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import json
import threading
import weakref
from pathlib import Path

from . import codec

_FORMS: contextvars.ContextVar[tuple] = contextvars.ContextVar("lumen_trace_forms",
                                                              default=())


def now_ms() -> float | None:
    """Milliseconds since the run started, on the running loop's clock (None outside
    a loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    elapsed = (loop.time() - getattr(loop, "_lumen_t0", 0.0)) * 1000.0
    return round(elapsed, 3)


class TraceWriter:
    """Writes one run's trace. Thread-safe; every event is redacted, then written and
    flushed as one line."""

    def __init__(self, path, redactor):
        self.path = Path(path)
        self.redactor = redactor
        self._file = open(self.path, "w", encoding="utf-8")
        self._lock = threading.Lock()
        self._tasks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._next_form = 0
        self._next_task = 0
        self.loop = None            # the program's loop, once seen
        self.tool_calls = 0
        self.errors = 0
        self.cancelled = 0

    # ------------------------------------------------------------------ writing

    def write(self, event: dict) -> None:
        line = json.dumps(self.redactor.redact(event), ensure_ascii=False,
                          separators=(",", ":"), default=repr)
        with self._lock:
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
        if file is not None:
            file.close()

    # -------------------------------------------------------------------- context

    def task(self) -> int | None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return None
        if task is None:
            return None
        with self._lock:
            number = self._tasks.get(task)
            if number is None:
                self._next_task += 1
                number = self._tasks[task] = self._next_task
            return number

    def see_loop(self) -> None:
        if self.loop is None:
            try:
                self.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass

    @staticmethod
    def parent() -> int | None:
        forms = _FORMS.get()
        return forms[-1] if forms else None

    # --------------------------------------------------------------------- events

    def run_start(self, program, deterministic: bool, version: str) -> None:
        time = None if deterministic else \
            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        self.write({"event": "run_start", "program": str(program) if program else None,
                    "time": time, "lumen": version, "deterministic": deterministic})

    def run_end(self, outcome: str, duration_ms: float, error=None) -> None:
        event = {"event": "run_end", "outcome": outcome, "duration_ms": round(duration_ms, 3),
                 "tool_calls": self.tool_calls, "errors": self.errors,
                 "cancelled": self.cancelled}
        if error is not None:
            event["error"] = {"kind": getattr(error, "kind", type(error).__name__),
                              "message": getattr(error, "message", str(error))}
        self.write(event)

    def on_event(self, kind: str, fields: dict) -> None:
        """The runtime's listener (`lumen.runtime.events.listener`)."""
        self.see_loop()
        event = {"event": kind}
        if kind == "form_start":
            with self._lock:
                self._next_form += 1
                form_id = self._next_form
            forms = _FORMS.get()
            event["id"], event["parent"] = form_id, (forms[-1] if forms else None)
            _FORMS.set(forms + (form_id,))
        elif kind == "form_end":
            forms = _FORMS.get()
            event["id"] = forms[-1] if forms else None
            forms = forms[:-1]
            _FORMS.set(forms)
            event["parent"] = forms[-1] if forms else None
        else:
            event["parent"] = self.parent()
        for name, value in fields.items():
            event[name] = _rounded(codec.encode(value))
        event["task"] = self.task()
        event["time"] = now_ms()
        self.write(event)

    def tool_call(self, *, handle, provider, request_view, line, start, duration_ms,
                  result=None, error=None, has_result=False) -> None:
        self.tool_calls += 1
        event = {"event": "tool_call", "alias": handle.alias, "tool": handle.tool,
                 "provider": provider, "scope": handle.scope, "line": line,
                 "task": self.task(), "parent": self.parent(), "start": start,
                 "duration_ms": round(duration_ms, 3), "request": request_view}
        if error is not None:
            cancelled = getattr(error, "kind", "Cancelled") == "Cancelled"
            self.cancelled += cancelled   # a race's loser is not a failure
            self.errors += not cancelled
            event["error"] = {"kind": getattr(error, "kind", "Cancelled"),
                              "message": getattr(error, "message", str(error))}
        elif has_result:
            event["result"] = codec.encode(result)
        self.write(event)


def _rounded(value):
    return round(value, 3) if type(value) is float else value


def show(path, console=None) -> int:
    """Render the trace at `path` as a tree in the terminal (`lumen trace show FILE`)."""
    from .trace_view import show as render
    return render(path, console)
