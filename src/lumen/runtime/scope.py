"""The task scope: the one concurrency primitive every orchestration form is built on.

A `Scope` owns the tasks of one form's branches (trio's nursery, asyncio's TaskGroup):

* `start(i, awaitable)` runs branch `i` as a task of its own;
* `stop()` cancels every branch still running and lets nothing more start;
* `join()` waits until every task the scope started has finished. If the task running
  the form is cancelled meanwhile, `join` stops the scope, still waits for the branches
  to finish, then re-raises the CancelledError. Nothing the scope started outlives it.

A form is a subclass that decides what each outcome means, in `succeeded(i, value)` and
`failed(i, exc)`: collect values (parallel), stop at the first success (race, select,
timeout), stop at a quorum (vote).

Two properties the forms rely on:

1. Outcomes are reported from INSIDE the branch's task, in the step in which the branch
   finishes (see `_branch`), not from a done-callback one loop iteration later. So when
   a select's winner stops the scope, a losing `receive()` that was woken in the same
   iteration has not resumed yet: it is cancelled before taking its message, and the
   message stays in the channel.
2. Branches start eagerly (as `asyncio.eager_task_factory` does in Python 3.12): a
   branch's first step runs at once, inside `start`, with the new task as the current
   task. A branch that never suspends finishes before `start` returns and costs no
   loop iteration. Eager stepping needs the standard loop's ready queue and a few
   private asyncio names (asyncio_compat.py); on any other loop, or without them,
   branches start on the next iteration instead, with the same semantics. Eager
   steps nest (a branch's first step can start a nested form's branches) and each level
   costs Python stack, so past `EAGER_DEPTH` nested levels branches start lazily too:
   recursion through forms is as unbounded as with plain tasks.

Invariants (state that `join`'s correctness depends on):
* `tasks[i]` is branch i's task from `start` until the branch has reported, else None;
* `running` == the number of non-None entries in `tasks`;
* `stopped` is set once; after it, a branch that ends with CancelledError was cancelled
  by the scope (a CancelledError before it is the branch's own failure).
* every branch runs in its own copy of the form's context, captured when the first
  branch starts (in the task running the form, after the `form_start` trace event, so
  what a trace listener sets there is inherited); also a branch started from inside
  another branch (a `limit` refill): context variables a branch sets never leak into
  its siblings.
"""

from __future__ import annotations

from asyncio import CancelledError, Task
from collections import deque
from contextvars import copy_context
from functools import partial

from .asyncio_compat import ready_queue, step_first

BRANCH_TASK_NAME = "lumen-branch"  # a constant name: no "Task-N" string per branch
EAGER_DEPTH = 16  # eager first steps nested deeper than this start lazily instead


async def _branch(scope: "Scope", index: int, awaitable):
    # The whole body of a branch task. It reports exactly once, and is entered in the
    # task's first step (eager start), so even a branch cancelled early reports.
    try:
        value = await awaitable
    except (Exception, CancelledError) as exc:
        scope.report(index, None, exc)
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: account, then go on up
        scope.report(index, None, exc)
        raise
    else:
        scope.report(index, value, None)


def _step_now(loop, ready: deque, task: Task) -> bool:
    """Run `task`'s first step now, as the current task; False if it could not be done."""
    depth = loop.__dict__.get("_lumen_eager_depth", 0)  # eager steps running, nested
    if depth >= EAGER_DEPTH:
        return False
    loop._lumen_eager_depth = depth + 1
    try:
        return step_first(loop, ready, task)
    finally:
        loop._lumen_eager_depth = depth


class Scope:
    __slots__ = ("loop", "tasks", "running", "stopped", "cancelled", "_waiter", "_ready",
                 "_context")

    def __init__(self, loop, size: int):
        self.loop = loop
        self.tasks: list[Task | None] = [None] * size
        self.running = 0
        self.stopped = False
        self.cancelled: list[int] = []  # indices of the branches `stop` cancelled
        self._waiter = None  # the future `join` sleeps on while branches run
        self._ready = ready_queue(loop)  # None: branches start lazily on this loop
        self._context = None  # the form's context (see start), copied for each branch

    # ------------------------------------------------------------------ policy hooks

    def succeeded(self, index: int, value) -> None:
        """Branch `index` produced `value` (overridden by the forms)."""

    def failed(self, index: int, exc: BaseException) -> None:
        """Branch `index` raised `exc` (overridden by the forms)."""

    # ---------------------------------------------------------------------- the scope

    def start(self, index: int, awaitable, reports: bool = False) -> None:
        """Run `awaitable` as branch `index`; it reports through the policy hooks. With
        `reports`, the awaitable is a coroutine that reports its own outcome (it calls
        `report(index, value, exc)` exactly once, as `_branch` does): compiled
        `parallel for` bodies do, which saves a wrapper coroutine per branch."""
        context = self._context
        if context is None:  # the first branch starts in the task running the form
            context = self._context = copy_context()
        coroutine = awaitable if reports else _branch(self, index, awaitable)
        task = Task(coroutine, loop=self.loop, name=BRANCH_TASK_NAME,
                    context=context.copy())
        self.tasks[index] = task
        self.running += 1
        ready = self._ready
        if ready is None or not _step_now(self.loop, ready, task):
            # Not stepped yet: if it is cancelled before its first step, `_branch` never
            # runs and cannot report, so a done-callback accounts for it.
            task.add_done_callback(partial(self._lazy_done, index, awaitable))

    def stop(self) -> None:
        """Cancel every running branch and start no more. Idempotent."""
        if self.stopped:
            return
        self.stopped = True
        cancelled = self.cancelled
        for index, task in enumerate(self.tasks):
            if task is not None:
                task.cancel()
                cancelled.append(index)

    async def join(self) -> None:
        """Wait until every started branch has finished (see the module docstring)."""
        interrupted = None
        while self.running:
            waiter = self._waiter = self.loop.create_future()
            try:
                await waiter
            except CancelledError as exc:
                # The task running the form is being cancelled: so are the branches, and
                # we keep waiting for them; the CancelledError propagates afterwards.
                if interrupted is None:
                    interrupted = exc
                self.stop()
        self._waiter = None
        if interrupted is not None:
            raise interrupted

    def report(self, index: int, value, exc) -> None:
        """Branch `index` ended with `value` (`exc` None) or failed with `exc`. Called once
        per started branch, in the branch's own task as it ends (or by `_lazy_done`)."""
        self.tasks[index] = None
        self.running -= 1
        try:
            if exc is None:
                self.succeeded(index, value)
            else:
                self.failed(index, exc)
        finally:
            if not self.running:
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

    # -------------------------------------------------------------------- internals

    def _lazy_done(self, index: int, awaitable, task: Task) -> None:
        if self.tasks[index] is task:  # cancelled before its first step: never reported
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()  # the branch's coroutine never ran: no "never awaited" warning
            self.report(index, None, CancelledError())
