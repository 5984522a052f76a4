"""The session's I/O loop: one asyncio loop in a daemon thread, owning provider resources.

Provider resources (httpx/openai clients, MCP sessions) live on this loop for the whole
run, whatever loop or thread the program itself runs on (the driver's big-stack thread,
deterministic mode's virtual-clock loop and its I/O thread, an embedder's loop). So
they are created and closed on the loop that uses them, and `Session.close()` can close
them synchronously.

`await io.run(factory)` runs `factory()` (a coroutine function) on the I/O loop and
returns its result to the calling loop. Cancelling the caller cancels the work on the
I/O loop and waits (bounded) until it has really stopped: a cancelled tool call has
aborted its request by the time the cancellation completes.
"""

from __future__ import annotations

import asyncio
import threading

_CANCEL_WAIT = 10.0   # seconds a cancelled caller waits for the I/O task to wind down


class IOLoop:
    def __init__(self, name: str = "lumen-tools-io"):
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._loop is not None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._main, args=(loop, ready),
                                          name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _main(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def run(self, factory):
        """`await factory()` on the I/O loop, from any other loop."""
        loop = self.loop()
        caller = asyncio.get_running_loop()
        if caller is loop:
            return await factory()
        done = caller.create_future()
        holder: dict = {}

        def transfer(task: asyncio.Task) -> None:   # on the caller's loop
            if done.done():
                return
            if task.cancelled():
                done.cancel()
            elif task.exception() is not None:
                done.set_exception(task.exception())
            else:
                done.set_result(task.result())

        def finished(task: asyncio.Task) -> None:   # on the I/O loop
            try:
                caller.call_soon_threadsafe(transfer, task)
            except RuntimeError:                    # the caller's loop is closed
                pass

        def start() -> None:                        # on the I/O loop
            task = loop.create_task(factory())
            holder["task"] = task
            task.add_done_callback(finished)

        def cancel() -> None:                       # on the I/O loop, after start()
            task = holder.get("task")
            if task is not None:
                task.cancel()

        loop.call_soon_threadsafe(start)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            if not done.done():
                loop.call_soon_threadsafe(cancel)
                await asyncio.wait({done}, timeout=_CANCEL_WAIT)
            if done.done() and not done.cancelled():
                done.exception()                    # retrieved: no "never retrieved" log
            raise

    def call(self, factory, timeout: float | None = None):
        """Run `factory()` on the I/O loop from a thread that is not running it; block."""
        if self._loop is None:
            return None
        future = asyncio.run_coroutine_threadsafe(factory(), self._loop)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what still runs on the loop, stop it and join its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        if thread is threading.current_thread():
            loop.stop()
            return

        async def cancel_all():
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
