"""Running a program: `run()`, and deterministic mode's virtual-clock event loop.

Deterministic mode (LANGUAGE.md 7.8) is a loop, not a special case elsewhere:

* asyncio already runs one callback at a time from a FIFO ready queue;
* `VirtualClockLoop.time()` is a virtual clock that starts at 0. The loop keeps its
  timers itself; its selector, asked to wait while no task is ready, does not sleep: it
  polls real file descriptors without blocking and, finding nothing, sets the clock to
  the earliest timer's deadline. So virtual time advances only when no task is ready,
  to the earliest pending timer, and `sleep(100000)` takes no real time;
* timers due at the same instant fire in the order they were set: asyncio's timer heap
  compares deadlines only (ties come out in heap order), so the loop's own heap orders
  them by (deadline, sequence number), and deadlines are rounded to the nanosecond so
  that 0.1 + 0.2 and 0.3 are the same instant. All of it is public asyncio API: the
  loop relies on no private attribute of asyncio's loop;
* tool I/O goes through `io_call`, which runs the tool's coroutine on a separate
  I/O loop in a background thread and blocks this loop until it is done: the call
  completes before any other task runs and takes zero virtual time;
* other real I/O still works (sockets, `asyncio.to_thread` through the self-pipe): while
  an executor job is outstanding, the clock does not jump (the job takes zero virtual
  time), the loop waits for it for real. Its completion is not ordered with respect to
  other ready tasks, though, so only `io_call` is deterministic.

Deadlocks. If, while the program runs, no task is ready, no timer is pending, no
executor job runs and no file descriptor but the loop's own self-pipe is watched, then
nothing can ever wake a task again: the program is deadlocked (every task waits on a
channel or a future). A virtual-clock loop knows this, so instead of waiting forever it
cancels the main task, which `run` reports as
`LumenError("RuntimeError", "deadlock: ...")` once the cancellation has unwound (forms
cancel their branches, owners their futures, as usual). If the unwinding deadlocks again,
the loop gives up with a Python RuntimeError. (Normal mode waits forever, like asyncio.)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import selectors
import threading
from asyncio import TimerHandle, get_running_loop
from contextvars import copy_context

from .errors import LumenError
from . import run as runs
from .futures import Future, Owner
from .executor import _is_awaitable

# ------------------------------------------------------------------------- the loop


class _VirtualSelector(selectors.DefaultSelector):
    loop: "VirtualClockLoop"

    def select(self, timeout=None):
        # The loop keeps its timers itself (see `call_at`), so asyncio asks for
        # timeout 0 while a callback is ready and for None (no limit) otherwise.
        ready = super().select(0)
        loop = self.loop
        if not ready and timeout != 0:  # nothing can run now
            if loop._outside_work:
                # A thread job still runs: it takes zero virtual time, so no timer may
                # fire before it is done. Wait for it (or other real I/O) for real.
                ready = super().select(None)
            elif not loop._advance():  # no timer to jump to: only real I/O can help
                if not loop._deadlocked():
                    ready = super().select(None)
        loop._fire_due_timers()
        return ready


def _run_timer(timer: TimerHandle, callback, args) -> None:
    # A due timer's callback, run from the ready queue; it may have been cancelled
    # since it was found due, by a callback that ran before it.
    if not timer.cancelled():
        callback(*args)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """The deterministic-mode event loop: asyncio's loop on a virtual clock.

    It keeps its timers in a heap of its own, ordered by (deadline, sequence number),
    and hands due ones to `call_soon`: asyncio's own timer heap compares deadlines only
    (ties come out in heap order), and is private."""

    lumen_deterministic = True

    def __init__(self):
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._clock_selector = selector
        self._vtime = 0.0
        self._timers: list = []  # heap of (deadline, seq, TimerHandle, callback, args, ctx)
        self._timers_limit = 64  # drop cancelled timers from the heap beyond this size
        self._timer_seq = itertools.count().__next__
        self._outside_work = 0  # executor jobs running in threads
        self._io: _IOThread | None = None
        self._main_task = None  # set by `run`: the task deadlock detection cancels
        self.deadlocks = 0

    def _deadlocked(self) -> bool:
        """Called when no task is ready and no timer pending: True (and the main task
        cancelled) if nothing outside the loop can wake a task either."""
        main = self._main_task
        if (main is None or main.done() or self._outside_work
                or len(self._clock_selector.get_map()) > 1):  # more than the self-pipe
            return False
        self.deadlocks += 1
        if self.deadlocks > 1:
            raise RuntimeError("deadlock while unwinding a deadlocked Lumen program")
        main.cancel(msg=_DEADLOCK)
        return True

    def time(self) -> float:
        return self._vtime

    def call_at(self, when, callback, *args, context=None):
        if when is None:
            raise TypeError("when cannot be None")
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        if math.isfinite(when):
            # Whole nanoseconds: 0.1 + 0.2 and 0.3 are the same instant.
            when = round(when * 1e9) / 1e9
        if context is None:
            context = copy_context()  # the callback runs in the caller's context
        timer = TimerHandle(when, callback, args, self, context)
        timers = self._timers
        heapq.heappush(timers, (when, self._timer_seq(), timer, callback, args, context))
        if len(timers) > self._timers_limit:
            self._compact_timers()
        return timer

    def _compact_timers(self) -> None:
        # Amortised O(1) per timer: a long run that sets and cancels many timeouts
        # keeps only the live ones.
        timers = [entry for entry in self._timers if not entry[2].cancelled()]
        heapq.heapify(timers)
        self._timers = timers
        self._timers_limit = max(64, 2 * len(timers))

    def _advance(self) -> bool:
        """Nothing is ready: jump to the earliest live timer; False if there is none."""
        timers = self._timers
        while timers and timers[0][2].cancelled():
            heapq.heappop(timers)
        if not timers:
            return False
        when = timers[0][0]
        if when > self._vtime:
            self._vtime = when
        return True

    def _fire_due_timers(self) -> None:
        """Queue the callbacks of the timers due now, in (deadline, sequence) order."""
        timers = self._timers
        now = self._vtime
        while timers and timers[0][0] <= now:
            _, _, timer, callback, args, context = heapq.heappop(timers)
            if not timer.cancelled():
                self.call_soon(_run_timer, timer, callback, args, context=context)

    def run_in_executor(self, executor, func, *args):
        future = super().run_in_executor(executor, func, *args)
        self._outside_work += 1
        future.add_done_callback(self._outside_work_done)
        return future

    def _outside_work_done(self, _future) -> None:
        self._outside_work -= 1

    async def shutdown_default_executor(self, *args, **kwargs):
        # The executor's threads are joined in a thread of its own, which is outside
        # work too: without this the clock would jump to any pending timer while the
        # loop waits for it, e.g. to the 300 s deadline `asyncio.Runner` sets on the
        # shutdown (which 3.13 waits for with `asyncio.timeout`, on this clock), and
        # asyncio would warn that "the executor did not finish joining its threads".
        self._outside_work += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._outside_work -= 1

    def run_io(self, coro_factory):
        """Run `await coro_factory()` on the I/O thread; block until it is done."""
        if self._io is None:
            self._io = _IOThread()
        return self._io.call(coro_factory)

    def close(self) -> None:
        io, self._io = self._io, None
        if io is not None:
            io.close()
        super().close()


class _IOThread:
    """A real-time asyncio loop in a daemon thread, for deterministic mode's tool I/O."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="lumen-io", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    def call(self, coro_factory):
        done = asyncio.run_coroutine_threadsafe(_invoke(coro_factory), self.loop)
        try:
            return done.result()
        except BaseException:
            done.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


async def _invoke(coro_factory):
    return await coro_factory()


async def io_call(coro_factory):
    """Perform real I/O (a tool call): `await coro_factory()`. In deterministic mode the
    coroutine runs on the I/O thread while this loop blocks (zero virtual time, and no
    other task runs meanwhile)."""
    loop = get_running_loop()
    if getattr(loop, "lumen_deterministic", False):
        return loop.run_io(coro_factory)
    return await coro_factory()


def current_time_ms() -> float:
    """Milliseconds since the run started (virtual in deterministic mode)."""
    loop = get_running_loop()
    elapsed = (loop.time() - getattr(loop, "_lumen_t0", 0.0)) * 1000.0
    if getattr(loop, "lumen_deterministic", False):
        return round(elapsed, 6)
    return elapsed


def is_deterministic() -> bool:
    return getattr(get_running_loop(), "lumen_deterministic", False)


# -------------------------------------------------------------------------- running


def run(main, *, deterministic: bool = False, debug: bool | None = None):
    """Run `main()` (a coroutine or a value) on a fresh event loop and return its result.

    Deterministic mode uses a `VirtualClockLoop`. The run's root owner (which adopts the
    futures cells return) is closed at the end: futures still pending are cancelled and
    recorded (`future_cancelled`, reason "run ended")."""
    factory = VirtualClockLoop if deterministic else None
    with asyncio.Runner(debug=debug, loop_factory=factory) as runner:
        return runner.run(_main(main))


_DEADLOCK = ("deadlock: every task is waiting (on a channel, a future or a form) and "
             "nothing can wake them")


async def _main(main):
    loop = get_running_loop()
    loop.set_exception_handler(_exception_handler)
    loop._lumen_t0 = loop.time()
    if isinstance(loop, VirtualClockLoop):
        loop._main_task = asyncio.current_task()
    root = Owner()
    run = runs.current()
    if run is runs.NO_RUN:   # a bare `clock.run` (no program): a run of its own
        run = runs.Run(deterministic=isinstance(loop, VirtualClockLoop))
        runs.entered(run)    # this task's context only: what it starts inherits it
    previous, run.root_owner = run.root_owner, root
    try:
        result = main()
        if _is_awaitable(result):
            result = await result
        return result
    except asyncio.CancelledError:
        if getattr(loop, "deadlocks", 0):
            raise LumenError("RuntimeError", _DEADLOCK) from None
        raise
    finally:
        try:
            await root.cancel_all("run ended")
        finally:
            run.root_owner = previous


def _exception_handler(loop, context) -> None:
    # A spawned future that failed and was never awaited is the program's business
    # (its state says Error), not an internal error worth a log line.
    if isinstance(context.get("future"), Future) and "exception" in context:
        return
    loop.default_exception_handler(context)
