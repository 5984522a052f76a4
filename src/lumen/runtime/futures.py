"""`spawn`, `await` and futures: Lumen's `Future` and its per-cell-invocation `Owner`.

A `Future` IS the asyncio task running the spawned expression (a subclass with two
slots), so a pending future costs what a pending task costs. Differences from a task:

* awaiting a future never cancels it: `await f` waits on a private waiter future, so
  when the awaiting task is cancelled (it lost a race, say) only the waiter goes;
* awaiting a cancelled future raises `LumenError("Cancelled", "cancelled")`, not
  CancelledError (which would read as "the awaiting task was cancelled");
* `cancel()` returns None (Lumen's `f.cancel()` is a statement), `state` is a Lumen
  `FutureState`, and `_lumen_display()` shows `<future pending>` and the like.

Spawned tasks start lazily: the spawned expression runs when the scheduler reaches it,
in spawn order (FIFO), not inside `spawn`. (Forms start their branches eagerly instead,
which is invisible to the form; for spawn the spawning code goes on first, as with
`asyncio.create_task`, tokio and Go.)

Ownership. A compiled cell invocation that spawns creates an `Owner`, passes it to every
`spawn`, and on exit calls `await owner.close(keep=return_value)`. `close` cancels every
future the owner spawned that is still pending and was never awaited, records each such
cancellation (`cancelled_count`, a `future_cancelled` trace event) and waits for the
cancellations to complete. Two kinds of pending futures are not cancelled but handed to
the run's ROOT owner (`Run.root_owner`), whose `cancel_all()` `clock.run` calls when the
run ends:
* futures reachable from the cell's return value (in lists, tuples, maps, sets, records,
  variants and results, at any depth): returning a future keeps it running;
* futures that were awaited but are still pending (their awaiter was itself cancelled,
  or still waits in another task).
Outside `clock.run` there is no root owner and such futures are simply left running.
A closure that spawns after its cell has returned (its owner is closed) hands the new
future to the root owner too.
"""

from __future__ import annotations

from asyncio import CancelledError, Task
from asyncio import wait as _asyncio_wait
from functools import partial
from types import CoroutineType

from . import run as runs
from .asyncio_compat import get_running_loop_or_none as _get_running_loop
from .errors import LumenError
from .run import current
from .translation import translate
from .values import Completed, Err, ErrorState, LumenSet, Ok, Pending, Record, Variant

FUTURE_TASK_NAME = "lumen-future"
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE



def _wake(waiter, _future) -> None:
    if not waiter.done():
        waiter.set_result(None)


def cancelled_error() -> LumenError:
    # No explicit line: the traceback gives the line of the `await`.
    return LumenError("Cancelled", "cancelled")


def error_message(exc: BaseException) -> str:
    """The message text of an error as Lumen shows it (`FutureState.Error(message)`)."""
    if isinstance(exc, LumenError):
        return exc.message
    return translate(exc).message


class Future(Task):
    """A spawned expression: an asyncio task with Lumen's await/state/cancel semantics."""

    __slots__ = ("_lumen_line", "_lumen_awaited")
    _lumen_type_name = "Future"

    def __await__(self):
        self._lumen_awaited = True
        if self.done() and not self.cancelled():
            return Task.__await__(self)  # C fast path: returns or raises at once
        return self._wait()

    def _wait(self):
        if not self.done():
            waiter = self.get_loop().create_future()
            wake = partial(_wake, waiter)
            self.add_done_callback(wake)
            try:
                yield from waiter  # CancelledError here: the AWAITER is cancelled, not us
            finally:
                if not self.done():
                    self.remove_done_callback(wake)
        if self.cancelled():
            raise cancelled_error()
        return self.result()  # re-raises a failure with its own traceback

    def cancel(self, msg=None) -> None:
        """Cancel the future if it is pending (Lumen's `f.cancel()`, returns null)."""
        Task.cancel(self, msg)

    @property
    def state(self):
        """`Pending`, `Completed(value)` or `Error(message)` (Lumen's `FutureState`)."""
        if not self.done():
            return ErrorState("cancelled") if self.cancelling() else Pending
        if self.cancelled():
            return ErrorState("cancelled")
        exc = self.exception()
        if exc is None:
            return Completed(self.result())
        return ErrorState(error_message(exc))

    def _lumen_display(self) -> str:
        if not self.done():
            return "<future cancelled>" if self.cancelling() else "<future pending>"
        if self.cancelled():
            return "<future cancelled>"
        return "<future failed>" if self.exception() is not None else "<future completed>"


async def _call(thunk):
    # A thunk that is not an `async def`: call it inside the task, await what it returns.
    result = thunk()
    if type(result) is CoroutineType or (type(result) is not Future
                                         and hasattr(result, "__await__")):
        result = await result
    return result


def spawn(thunk, owner: "Owner | None", *, line: int = 0, run=None) -> Future:
    """Compiled `spawn(...)`: the run's executor starts `thunk()` (see executor.py).
    This function is also the local executor's `spawn` (called with `run`): the
    default path costs no extra call per future.

    Locally: start `thunk()` as a task owned by `owner` and return its Future (`owner`
    None: outside `clock.run` with no owning cell, the future is owned by nobody).

    `thunk` may also be a coroutine object, run as is: `spawn(f(x))` for an `async def`
    `f` needs no thunk (the call only creates the coroutine, with `x` evaluated now; the
    body still runs when the task starts). That saves a closure and a coroutine frame
    per future: about 600 bytes of each pending one."""
    if run is None:
        run = current()
        executor = run.executor
        if executor is not None and not executor.local:
            return executor.spawn(run, thunk, owner, line)
    if type(thunk) is CoroutineType:
        coro = thunk
    elif (code := getattr(thunk, "__code__", None)) is not None \
            and code.co_flags & _CO_COROUTINE:
        coro = thunk()  # an `async def` thunk: calling it only creates the coroutine
    else:
        coro = _call(thunk)
    loop = _get_running_loop()
    if loop is None:
        coro.close()
        raise RuntimeError("spawn() needs a running event loop")
    future = Future(coro, loop=loop, name=FUTURE_TASK_NAME)
    future._lumen_line = line
    future._lumen_awaited = False
    if owner is not None and owner.closed:
        # Spawned by a closure called after its cell returned: the run's root owner
        # takes it (cancelled and recorded when the run ends, if still pending).
        owner = run.root_owner
    if owner is not None:
        owned = owner._futures
        owned.append(future)
        if len(owned) > owner._limit:
            owner._compact()
    if run.listeners:
        run.emit("spawn", {"line": line})
    return future


class Owner:
    """The futures one cell invocation spawned (see the module docstring)."""

    __slots__ = ("_futures", "_limit", "cancelled_count", "closed")

    def __init__(self):
        self._futures: list[Future] = []
        self._limit = 64  # compact `_futures` (drop finished ones) beyond this length
        self.cancelled_count = 0  # futures this owner's close() has cancelled
        self.closed = False  # set by close(): later spawns go to the root owner

    def adopt(self, future: Future) -> None:
        owned = self._futures
        owned.append(future)
        if len(owned) > self._limit:
            self._compact()

    def _compact(self) -> None:
        # Amortised O(1) per spawn: a long-running cell that spawns and awaits millions
        # of futures keeps only the pending ones.
        pending = [f for f in self._futures if not f.done()]
        self._futures = pending
        self._limit = max(64, 2 * len(pending))

    @property
    def pending(self) -> list[Future]:
        return [f for f in self._futures if not f.done()]

    async def close(self, keep=None) -> None:
        """A cell invocation ends: cancel its never-awaited pending futures, except those
        reachable from `keep` (its return value), and wait for the cancellations.
        Pending futures that are kept or were awaited go to the run's root owner."""
        self.closed = True
        owned = self._futures
        if not owned:
            return
        self._futures = []
        kept = set()
        if keep is not None:
            _collect(keep, kept.add, set())
        root = runs.current().root_owner
        victims = []
        for future in owned:
            if future.done():
                continue
            if future._lumen_awaited or future in kept:
                if root is not None and root is not self:
                    root.adopt(future)
            else:
                victims.append(future)
        if victims:
            await self._cancel(victims, "owner returned")

    async def cancel_all(self, reason: str = "run ended") -> None:
        """Cancel every pending future this owner holds and wait for the cancellations
        (the root owner, when the run ends)."""
        owned, self._futures = self._futures, []
        victims = [f for f in owned if not f.done()]
        if victims:
            await self._cancel(victims, reason)

    async def _cancel(self, victims: list, reason: str) -> None:
        for future in victims:
            future.cancel()
        await _wait_finished(victims)
        self.cancelled_count += len(victims)
        run = runs.current()
        for future in victims:  # in spawn order: deterministic traces
            if not future.cancelled():
                future.exception()  # it failed while being cancelled: mark it seen
            if run.listeners:
                run.emit("future_cancelled", {"line": future._lumen_line, "reason": reason})


async def _wait_finished(tasks: list) -> None:
    # Wait until every task is done, even if we are cancelled meanwhile (then re-raise).
    interrupted = None
    pending = [t for t in tasks if not t.done()]
    while pending:
        try:
            await _asyncio_wait(pending)
        except CancelledError as exc:
            if interrupted is None:
                interrupted = exc
        pending = [t for t in pending if not t.done()]
    if interrupted is not None:
        raise interrupted


# ------------------------------------------------------------------------------ await

def _collect(value, found, seen: set) -> None:
    """Call `found(f)` for every Future in `value`, depth first, in order."""
    cls = type(value)
    if cls is Future:
        found(value)
        return
    if cls is list or cls is tuple:
        items = value
    elif cls is dict:
        items = value.values()
    elif cls is Ok:
        items = (value.value,)
    elif cls is Err:
        items = (value.error,)
    elif cls is LumenSet:
        items = value
    elif isinstance(value, (Record, Variant)):
        items = value._lumen_values()
    else:
        return
    if cls is not tuple:  # mutable containers may contain themselves
        if id(value) in seen:
            return
        seen.add(id(value))
    for item in items:
        if type(item) is Future:
            found(item)
        elif type(item) not in _SCALARS:
            _collect(item, found, seen)


_SCALARS = frozenset({int, float, str, bool, type(None), bytes})


def _replace(value):
    """`value` rebuilt with every (finished) Future replaced by its result."""
    cls = type(value)
    if cls is Future:
        return value.result()
    if cls in _SCALARS:
        return value
    if cls is list:
        return [_replace(item) for item in value]
    if cls is tuple:
        return tuple(_replace(item) for item in value)
    if cls is dict:
        return {key: _replace(item) for key, item in value.items()}
    if cls is Ok:
        return Ok(_replace(value.value))
    if cls is Err:
        return Err(_replace(value.error))
    if cls is LumenSet:
        return LumenSet(_replace(item) for item in value)
    if isinstance(value, (Record, Variant)) and cls._lumen_fields:
        values = [_replace(item) for item in value._lumen_values()]
        return cls(**dict(zip(cls._lumen_fields, values)))
    return value


async def await_value(value):
    """Lumen's `await v`: a future's value; a structure with every future in it, at any
    depth, replaced by its value; any other value as is. The futures already run
    concurrently (spawn started them): they are awaited in order and the first failure
    in that order is raised."""
    if type(value) is Future:
        return await value
    if type(value) in _SCALARS:
        return value
    futures: list[Future] = []
    _collect(value, futures.append, set())
    if not futures:
        return value
    for future in futures:
        await future
    return _replace(value)
