"""Every private asyncio name the runtime uses, in one place, resolved once at import.

The runtime is written against public asyncio except for two speed-ups that public
asyncio cannot express on every supported Python (3.11 to 3.13). Each private name is
looked up here once and checked to behave as this module expects; if one is missing or
behaves differently (a newer Python, another implementation), the runtime falls back to
public API with the same semantics, only slower. `LUMEN_ASYNCIO_PUBLIC=1` in the
environment when this module is imported forces every fallback (a test runs the same
programs both ways and compares their output).

The names, what for, and the fallback:

* `asyncio.events._get_running_loop()`: the running loop or None in one C call, on
  every `spawn` and form. Fallback: `get_running_loop()` inside try/except.
* `asyncio.tasks._enter_task`, `_leave_task` and `_current_tasks`: a branch's eager
  first step runs inside `Scope.start` with the new task as the loop's current task;
  the task that was running is left meanwhile, then entered again. `_current_tasks.get`
  rather than the public `current_task(loop)`, which on 3.11 is a Python function
  around the same lookup (this runs once per branch).
* `BaseEventLoop._ready` (a deque) and `Handle._callback`, `Handle._context`: `Task()`
  has just appended its first step to the ready queue; the eager start pops that
  handle, checks that it is the new task's step, and runs it in its context.
  Fallback for these and the names above: no eager step; branches start lazily, on the
  next loop iteration, which every form already handles (it is what happens on other
  loops and past `scope.EAGER_DEPTH`).

Why an eager first step: a branch that never suspends then finishes inside
`Scope.start`, costing no loop iteration and no done-callback (scope.py has the
semantics; `parallel_for` over trivial bodies runs 2-3x faster than `asyncio.gather`).
Python 3.12's public eager start (`Task(..., eager_start=True)`, the basis of
`asyncio.eager_task_factory`) is not the fallback: 3.11 lacks it, and it runs the step
inside the `Task()` call, before the scope has recorded the task. Python 3.14 keeps the
current task in the thread state rather than in `_current_tasks`: the check at import
notices, and the fallback applies there.
"""

from __future__ import annotations

import asyncio
import os
from asyncio import get_running_loop
from collections import deque
from contextvars import copy_context

FORCED_PUBLIC = os.environ.get("LUMEN_ASYNCIO_PUBLIC", "") not in ("", "0")


# ------------------------------------------------------------- the running loop, or None

def _public_get_running_loop():
    try:
        return get_running_loop()
    except RuntimeError:
        return None


_private_get_running_loop = getattr(asyncio.events, "_get_running_loop", None)
get_running_loop_or_none = (
    _public_get_running_loop if FORCED_PUBLIC or _private_get_running_loop is None
    else _private_get_running_loop)


# ---------------------------------------------------------------- the eager first step

def _probe_eager_names():
    """(enter, leave, current) if the private names exist and behave as expected."""
    tasks = asyncio.tasks
    enter = getattr(tasks, "_enter_task", None)
    leave = getattr(tasks, "_leave_task", None)
    current_tasks = getattr(tasks, "_current_tasks", None)
    if enter is None or leave is None or type(current_tasks) is not dict:
        return None
    current = current_tasks.get
    key, task = object(), object()  # any hashable object keys the table, as a loop does
    try:
        enter(key, task)
        try:
            entered = current(key) is task and asyncio.current_task(key) is task
        finally:
            leave(key, task)
        if not entered or current(key) is not None:
            return None
    except Exception:  # e.g. "not the running loop": the names work differently here
        return None
    # A Handle keeps its callback and context as `_callback` and `_context`.
    callback, context = object(), copy_context()
    try:
        handle = asyncio.Handle(callback, (), _NoDebugLoop(), context)
        if handle._callback is not callback or handle._context is not context:
            return None
    except Exception:
        return None
    return enter, leave, current


class _NoDebugLoop:
    # All that `Handle()` asks of its loop.
    @staticmethod
    def get_debug() -> bool:
        return False


_eager_names = None if FORCED_PUBLIC else _probe_eager_names()
EAGER_STEP = _eager_names is not None  # False: every branch starts lazily

if EAGER_STEP:
    _enter_task, _leave_task, _current_task = _eager_names

    def ready_queue(loop):
        """The loop's ready queue when branches can take their first step eagerly on
        it (the standard loop, or a subclass), else None."""
        ready = getattr(loop, "_ready", None)
        return ready if type(ready) is deque and hasattr(loop, "__dict__") else None

    def step_first(loop, ready: deque, task) -> bool:
        """Run the first step of `task`, created a moment ago, now, as the loop's
        current task (the task running now is suspended meanwhile, then current
        again). False, with nothing done, if the last handle in `ready` is not that
        step."""
        handle = ready.pop()  # Task() has just appended its first step to the queue
        callback = handle._callback
        if getattr(callback, "__self__", None) is not task:
            ready.append(handle)  # someone else's callback (another thread?): lazily
            return False
        current = _current_task(loop)
        if current is not None:
            _leave_task(loop, current)
        try:
            handle._context.run(callback)
        finally:
            if current is not None:
                _enter_task(loop, current)
        return True
else:
    def ready_queue(loop):
        """None: without the private names there is no eager first step."""
        return None

    def step_first(loop, ready, task) -> bool:
        return False
