"""Deterministic mode (LANGUAGE.md 7.8): the virtual clock loop, `run`, `io_call`."""

import asyncio
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from lumen.runtime import clock
from lumen.runtime import run as runs
from lumen.runtime.channels import channel
from lumen.runtime.errors import LumenError
from lumen.runtime.futures import Owner, spawn
from lumen.runtime.orchestration import parallel, parallel_for, race, select, sleep, \
    timeout, vote


def test_run_returns_the_result_of_a_coroutine_or_a_value():
    async def main():
        return 42
    assert clock.run(main) == 42
    assert clock.run(lambda: "plain", deterministic=True) == "plain"


def test_errors_propagate_out_of_run():
    async def main():
        raise LumenError("Halt", "stop")
    for deterministic in (False, True):
        with pytest.raises(LumenError, match="stop"):
            clock.run(main, deterministic=deterministic)


def test_virtual_time_jumps_instead_of_waiting():
    async def main():
        await sleep(100000)
        first = clock.current_time_ms()
        await asyncio.sleep(3600)  # plain asyncio timers are virtual too
        return first, clock.current_time_ms(), clock.is_deterministic()
    start = time.perf_counter()
    assert clock.run(main, deterministic=True) == (100000, 3700000, True)
    assert time.perf_counter() - start < 0.5


def test_race_between_work_and_a_long_sleep_takes_no_real_time():
    async def work():
        await sleep(250)
        return "work"

    async def main():
        return await race([work, lambda: sleep(100000)], lines=[1, 2])
    start = time.perf_counter()
    assert clock.run(main, deterministic=True) == "work"
    assert time.perf_counter() - start < 0.5


def test_timeout_of_a_longer_sleep_returns_null_instantly():
    async def main():
        value = await timeout(5000, lambda: sleep(10000))
        return value, clock.current_time_ms()
    start = time.perf_counter()
    assert clock.run(main, deterministic=True) == (None, 5000)
    assert time.perf_counter() - start < 0.5


def test_time_advances_only_when_no_task_is_ready():
    async def busy():
        for _ in range(1000):
            await asyncio.sleep(0)  # always ready again: the clock must not move
        return clock.current_time_ms()

    async def main():
        return await parallel([busy, lambda: sleep(1)], lines=[1, 2])
    assert clock.run(main, deterministic=True) == (0, None)


def test_timers_due_at_the_same_instant_fire_in_the_order_they_were_set():
    order = []

    async def a():
        await sleep(100)
        await sleep(200)  # set at 100 ms: due at 0.1 + 0.2 = 0.30000000000000004 s
        order.append("a")

    async def b():
        await sleep(250)
        await sleep(50)  # set at 250 ms: due at 0.25 + 0.05 = 0.3 s, the same instant
        order.append("b")

    async def main():
        await parallel([b, a], lines=[1, 2])
        return clock.current_time_ms()
    assert clock.run(main, deterministic=True) == 300
    assert order == ["a", "b"]


def test_many_equal_timers_fire_in_order():
    order = []

    async def _append(i):
        await sleep(10)
        order.append(i)

    async def run_all():
        await parallel_for(range(200), _append)
    clock.run(run_all, deterministic=True)
    assert order == list(range(200))


def test_spawned_futures_start_in_spawn_order():
    log = []

    def task(name, steps):
        async def body():
            for i in range(steps):
                log.append(f"{name}{i}")
                await asyncio.sleep(0)
            return name
        return body

    async def main():
        owner = Owner()
        f1 = spawn(task("a", 3), owner)
        f2 = spawn(task("b", 3), owner)
        return [await f1, await f2]
    assert clock.run(main, deterministic=True) == ["a", "b"]
    assert log == ["a0", "b0", "a1", "b1", "a2", "b2"]


def racy_program(log):
    """Many tasks, forms and channels whose interleaving depends on the scheduler."""
    async def worker(name, delays, ch):
        total = 0
        for d in delays:
            await sleep(d)
            total += d
            log.append((name, d, clock.current_time_ms()))
            await ch.send((name, d))
        return total

    async def main():
        ch = channel(4)
        owner = Owner()
        futures = [spawn(lambda i=i: worker(f"w{i}", [(i * 7 + k * 3) % 5 for k in range(6)],
                                            ch), owner)
                   for i in range(5)]
        for _ in range(12):
            index, value = await select([ch.receive, lambda: sleep(3)], lines=[1, 2])
            log.append(("select", index, value))
        log.append(("race", await race([lambda: sleep(2), ch.receive], lines=[1, 2])))
        log.append(("vote", await vote([ch.receive, ch.receive, ch.receive], lines=[1, 2, 3])))
        while not all(f.done() for f in futures):
            log.append(("drain", await timeout(4, ch.receive)))
        log.append(("rest", [ch.try_receive() for _ in range(ch.len())]))
        await owner.close()
        return [await f for f in futures]

    return main


def test_the_same_racy_program_behaves_identically_every_run():
    traces = []
    for _ in range(20):
        log = []
        listener = lambda kind, fields, log=log: log.append((kind, fields))  # noqa: E731
        token = runs.entered(runs.Run(listeners=(listener,), deterministic=True))
        try:
            result = clock.run(racy_program(log), deterministic=True)
        finally:
            runs.left(token)
        traces.append((result, log))
    assert len(traces[0][1]) > 100
    assert all(t == traces[0] for t in traces)


def test_io_call_blocks_the_loop_and_takes_no_virtual_time():
    ticks = []

    async def ticker():
        for i in range(5):
            ticks.append(i)
            await asyncio.sleep(0)

    async def tool():
        # Runs on the I/O thread's own (real-time) loop.
        assert threading.current_thread().name == "lumen-io"
        await asyncio.sleep(0.05)
        return "result"

    async def caller():
        await asyncio.sleep(0)  # let the ticker start
        before = list(ticks)
        value = await clock.io_call(tool)
        return value, before == ticks, clock.current_time_ms()

    async def main():
        return await parallel([ticker, caller], lines=[1, 2])
    (_, (value, nothing_ran, at)) = clock.run(main, deterministic=True)
    assert (value, nothing_ran, at) == ("result", True, 0)


def test_io_call_errors_propagate():
    async def tool():
        raise LumenError("ToolError", "bad request")

    for deterministic in (False, True):
        with pytest.raises(LumenError, match="bad request"):
            clock.run(lambda: clock.io_call(tool), deterministic=deterministic)


def test_io_call_in_normal_mode_just_awaits():
    async def tool():
        return threading.current_thread() is threading.main_thread()
    assert clock.run(lambda: clock.io_call(tool)) is True


def test_to_thread_works_and_the_clock_waits_for_it():
    def blocking():
        time.sleep(0.05)
        return "thread"

    async def main():
        a = await asyncio.to_thread(lambda: "quick")
        # The thread job takes zero virtual time: the virtual sleep cannot overtake it.
        b = await race([lambda: asyncio.to_thread(blocking), lambda: sleep(10)],
                       lines=[1, 2])
        return a, b, clock.current_time_ms()
    assert clock.run(main, deterministic=True) == ("quick", "thread", 0)


class _SlowShutdownExecutor(ThreadPoolExecutor):
    """An executor whose shutdown takes real time (joining a busy worker, say)."""

    def shutdown(self, wait=True, **kwargs):
        time.sleep(0.05)
        super().shutdown(wait=wait, **kwargs)


def test_the_clock_waits_for_the_executor_shutdown():
    # Joining the executor's threads happens in a thread of its own: outside work, like
    # any executor job, so the clock must not jump past it to a pending timer.
    async def shutdown():
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: None)  # the default executor exists
        await loop.shutdown_default_executor()
        return "shut down"

    async def main():
        asyncio.get_running_loop().set_default_executor(_SlowShutdownExecutor())
        return await race([shutdown, lambda: sleep(10)], lines=[1, 2]), \
            clock.current_time_ms()
    assert clock.run(main, deterministic=True) == ("shut down", 0)


def test_a_run_that_used_threads_ends_without_an_executor_warning():
    # asyncio.Runner gives the executor's shutdown a 300 s deadline, which Python 3.13
    # waits for on the loop's clock: on the virtual clock it used to pass at once, with
    # a RuntimeWarning "The executor did not finish joining its threads within 300
    # seconds".
    async def main():
        asyncio.get_running_loop().set_default_executor(_SlowShutdownExecutor())
        return await asyncio.to_thread(lambda: "thread")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert clock.run(main, deterministic=True) == "thread"
    assert [w for w in caught if "executor" in str(w.message)] == []


def test_the_root_owner_cancels_leftover_futures_when_the_run_ends():
    seen = []
    log = []

    async def cell():
        owner = Owner()
        future = spawn(lambda: sleep(100), owner, line=12)
        await owner.close(keep=[future])  # returned: handed to the root owner
        return future

    async def main():
        future = await cell()
        log.append(future.state)
        return future

    _token = runs.entered(runs.Run(listeners=(lambda kind, fields: seen.append((kind, fields)),)))
    try:
        future = clock.run(main, deterministic=True)
    finally:
        runs.left(_token)
    assert future.cancelled()
    assert ("future_cancelled", {"line": 12, "reason": "run ended"}) in seen


def test_normal_mode_uses_real_time():
    async def main():
        start = time.perf_counter()
        await sleep(50)
        return time.perf_counter() - start, clock.current_time_ms(), clock.is_deterministic()
    real, ms, deterministic = clock.run(main)
    assert real >= 0.045 and ms >= 45 and deterministic is False


def test_deterministic_loop_is_closed_with_its_io_thread():
    async def tool():
        return 1

    before = {t.name for t in threading.enumerate()}
    assert clock.run(lambda: clock.io_call(tool), deterministic=True) == 1
    assert "lumen-io" not in {t.name for t in threading.enumerate()} - before
