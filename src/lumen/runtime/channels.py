"""`Channel`: a FIFO queue between tasks, unbounded or bounded, that can be closed.

The invariant that matters (LANGUAGE.md 7.4): cancelling a `receive()` — because a
select, race or timeout it ran in was decided, or its future was cancelled — never loses
a message, and cancelling a `send()` never half-sends one.

How: a waiting receiver is never HANDED a value. It is woken to look again, and a value
leaves the buffer only in `receive()`'s final synchronous step, which returns it to the
caller in the same step. A receiver woken but cancelled before it could look passes its
wake-up on to the next receiver, so no value is stranded while receivers wait.
Symmetrically a sender appends its value only in its final synchronous step (after
waiting for room): a cancelled send() has not sent anything; a returned one has sent.

Waiters are queued FIFO. A woken waiter that finds nothing to do (another task took the
value first) queues again at the FRONT, keeping its turn. Values are always FIFO.

Closing wakes everyone: waiting receivers fail with "receive on a closed channel" once
the buffer is empty (buffered values are still delivered after close), waiting senders
fail with "send on a closed channel".
"""

from __future__ import annotations

from asyncio import get_running_loop
from collections import deque

from .errors import LumenError


def _wake_first(waiters: deque) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return


def _wake_all(waiters: deque) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)


async def _wait(waiters: deque, front: bool, pass_on) -> None:
    """Queue a waiter and sleep on it. If cancelled after being woken, `pass_on()`."""
    waiter = get_running_loop().create_future()
    if front:
        waiters.appendleft(waiter)
    else:
        waiters.append(waiter)
    try:
        await waiter
    except BaseException:
        if waiter.done() and not waiter.cancelled():
            pass_on()  # woken but leaving without looking: let the next waiter look
        else:
            try:
                waiters.remove(waiter)
            except ValueError:
                pass
        raise


class Channel:
    __slots__ = ("_buffer", "_capacity", "_closed", "_receivers", "_senders")
    _lumen_type_name = "Channel"

    def __init__(self, capacity: int | None = None):
        if capacity is not None and (type(capacity) is not int or capacity < 1):
            raise LumenError("TypeError", "channel capacity must be at least 1, got "
                             + _shown(capacity))
        self._buffer: deque = deque()
        self._capacity = capacity
        self._closed = False
        self._receivers: deque = deque()  # futures of receive() calls waiting for a value
        self._senders: deque = deque()  # futures of send() calls waiting for room

    async def send(self, value) -> None:
        """Append `value`; on a full bounded channel, wait for room first."""
        if self._closed:
            raise LumenError("RuntimeError", "send on a closed channel")
        capacity = self._capacity
        if capacity is not None:
            front = False
            while len(self._buffer) >= capacity:
                await _wait(self._senders, front, self._pass_on_to_sender)
                front = True
                if self._closed:
                    raise LumenError("RuntimeError", "send on a closed channel")
        # Committed: from here to the end there is no suspension point.
        self._buffer.append(value)
        if self._receivers:
            _wake_first(self._receivers)

    async def receive(self):
        """The oldest value; waits while the channel is empty; fails once it is closed
        and empty."""
        buffer = self._buffer
        front = False
        while not buffer:
            if self._closed:
                raise LumenError("RuntimeError", "receive on a closed channel")
            await _wait(self._receivers, front, self._pass_on_to_receiver)
            front = True
        # Committed: the value leaves the buffer in the step that returns it.
        value = buffer.popleft()
        if self._senders:
            _wake_first(self._senders)
        return value

    def try_receive(self):
        """The oldest value, or None (null) when the channel is empty. Never waits."""
        if not self._buffer:
            return None
        value = self._buffer.popleft()
        if self._senders:
            _wake_first(self._senders)
        return value

    def close(self) -> None:
        """Close the channel (idempotent): no more sends; receives drain the buffer."""
        if self._closed:
            return
        self._closed = True
        _wake_all(self._receivers)
        _wake_all(self._senders)

    def len(self) -> int:
        """The number of buffered values."""
        return len(self._buffer)

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def capacity(self) -> int | None:
        return self._capacity

    def _pass_on_to_receiver(self) -> None:
        if self._buffer or self._closed:
            _wake_first(self._receivers)

    def _pass_on_to_sender(self) -> None:
        if self._closed or len(self._buffer) < self._capacity:
            _wake_first(self._senders)

    def _lumen_display(self) -> str:
        size = len(self._buffer)
        text = f"{size}/{self._capacity}" if self._capacity is not None else f"{size}"
        return f"<channel closed {text}>" if self._closed else f"<channel {text}>"

    def __repr__(self) -> str:
        return self._lumen_display()


def channel(capacity: int | None = None) -> Channel:
    """Lumen's `channel()` / `channel(capacity: n)`."""
    return Channel(capacity)


def _shown(value) -> str:
    try:
        from .display import short_display
        return short_display(value)
    except Exception:  # display is another module's business; never fail on an error path
        return repr(value)
