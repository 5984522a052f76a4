"""The executor interface: where the work of orchestration forms and `spawn` runs.

Forms and `spawn` hand the run's executor (`Run.executor`) WORK, never coroutines:

* a **work item** is a function plus its arguments, the branch index and its line.
  Block-form branch i is `(form.items[i], ())` (a zero-argument closure whose captured
  values are its cells); a `parallel for` body is `(form.body, (form.report, i, item))`
  when it reports its own outcome (compiled bodies do), else `(form.body, (item,))`.
  `Form.work(i)` spells it out for executors that ship work elsewhere.
* `fill(form)` starts the form's waiting work items, in index order, while the form has
  room (`form.has_room()`: not stopped, fewer than `limit` running). The executor decides
  how a work item runs; the form decides what each outcome means. An executor reports a
  branch's outcome with `form.report(index, value, error)`, exactly once per started
  branch (or lets `Scope.start` do it, as the local executor does).
* `spawn(run, work, owner, line)` starts `work()` as a future owned by `owner`.

`LocalExecutor` (the default, `LOCAL`) runs everything as tasks of the current event
loop, built on `Scope` and `Future`: branches start eagerly, in the caller's loop.
"""

from __future__ import annotations

from asyncio import CancelledError
from types import CoroutineType

from .futures import Future, spawn


def _is_awaitable(value) -> bool:
    cls = type(value)
    # A Future is a VALUE here (`parallel for x in xs: spawn(f(x))` returns futures).
    return cls is CoroutineType or (cls is not Future and hasattr(cls, "__await__"))


class Executor:
    """What every executor provides (see the module docstring)."""

    name = "executor"
    local = False   # True: work runs as tasks of the caller's loop (futures.spawn inline)

    def fill(self, form) -> None:
        raise NotImplementedError

    def spawn(self, run, work, owner, line: int):
        raise NotImplementedError


class LocalExecutor(Executor):
    """Every work item is a task of the running event loop."""

    name = "local"
    local = True

    def fill(self, form) -> None:
        items, body, size = form.items, form.body, form.size
        if form.reporting:
            report = form.report
            while form.next < size and not form.stopped and form.running < form.limit:
                index = form.next
                form.next = index + 1
                form.start(index, body(report, index, items[index]), True)
            return
        while form.next < size and not form.stopped and form.running < form.limit:
            index = form.next
            form.next = index + 1
            try:
                result = items[index]() if body is None else body(items[index])
            except (Exception, CancelledError) as exc:
                form.failed(index, exc)
                continue
            if type(result) is CoroutineType or _is_awaitable(result):
                form.start(index, result)
            else:
                form.succeeded(index, result)

    def spawn(self, run, work, owner, line: int):
        return spawn(work, owner, line=line, run=run)


LOCAL = LocalExecutor()
