"""Running a program: `run()`, and deterministic mode's virtual-clock event loop.

Deterministic mode (LANGUAGE.md 7.8) is a loop, not a special case elsewhere:

* asyncio already runs one callback at a time from a FIFO ready queue;
* `VirtualClockLoop.time()` is a virtual clock that starts at 0. The loop's selector,
  asked to sleep until the next timer while no task is ready, does not sleep: it polls
  real file descriptors without blocking and, finding nothing, sets the clock to the
  earliest timer's deadline. So virtual time advances only when no task is ready, to
  the earliest pending timer, and `sleep(100000)` takes no real time;
* timers due at the same instant fire in the order they were set: asyncio's timer heap
  compares deadlines only (ties come out in heap order), so timers here also carry a
  sequence number, and deadlines are rounded to the nanosecond so that 0.1 + 0.2 and 0.3
  are the same instant;
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
from asyncio import get_running_loop
from asyncio.events import TimerHandle

from .errors import LumenError
from . import run as runs
from .futures import Future, Owner
from .executor import _is_awaitable

# ------------------------------------------------------------------------- the loop


class _Timer(TimerHandle):
    """A timer ordered by (deadline, sequence number): equal deadlines fire FIFO."""

    __slots__ = ("_seq",)

    def __lt__(self, other):
        if self._when == other._when:
            return self._seq < other._seq
        return self._when < other._when

    def __gt__(self, other):
        if self._when == other._when:
            return self._seq > other._seq
        return self._when > other._when


class _VirtualSelector(selectors.DefaultSelector):
    loop: "VirtualClockLoop"

    def select(self, timeout=None):
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        loop = self.loop
        if timeout is None or loop._outside_work:
            # No timer (or a thread job still running): only real I/O can wake a task.
            if timeout is None and loop._deadlocked():
                return ready
            return super().select(None)
        loop._advance()  # nothing ready: jump to the earliest timer
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """The deterministic-mode event loop: asyncio's loop on a virtual clock."""

    lumen_deterministic = True

    def __init__(self):
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._vtime = 0.0
        # Timers due within half a nanosecond of now are due (deadlines are rounded to
        # whole nanoseconds, so this means "at or before now").
        self._clock_resolution = 0.5e-9
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
                or len(self._selector.get_map()) > 1):  # more than the self-pipe
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
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        if math.isfinite(when):
            when = round(when * 1e9) / 1e9
        timer = _Timer(when, callback, args, self, context)
        timer._seq = self._timer_seq()
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def _advance(self) -> None:
        # `_run_once` has dropped cancelled timers from the head of the heap.
        if self._scheduled:
            when = self._scheduled[0]._when
            if when > self._vtime:
                self._vtime = when

    def run_in_executor(self, executor, func, *args):
        future = super().run_in_executor(executor, func, *args)
        self._outside_work += 1
        future.add_done_callback(self._outside_work_done)
        return future

    def _outside_work_done(self, _future) -> None:
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
