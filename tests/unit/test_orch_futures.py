"""spawn / await / futures / owners (LANGUAGE.md 7.6)."""

import asyncio
import logging

import pytest

from lumen.runtime import clock
from lumen.runtime import run as runs
from lumen.runtime.errors import LumenError
from lumen.runtime.futures import Future, Owner, await_value, spawn
from lumen.runtime.orchestration import race, sleep
from lumen.runtime.values import Completed, Err, ErrorState, Ok, Pending, Record


def run(main, deterministic=True):
    return clock.run(main, deterministic=deterministic)


def after(ms, value=None, *, log=None, fail=None):
    async def thunk():
        await sleep(ms)
        if fail is not None:
            raise LumenError("Halt", fail)
        if log is not None:
            log.append(value)
        return value
    return thunk


@pytest.fixture
def trace():
    seen = []
    _token = runs.entered(runs.Run(listeners=(lambda kind, fields: seen.append((kind, fields)),)))
    yield seen
    runs.left(_token)


class Pair(Record):
    __slots__ = ("left", "right")
    _lumen_fields = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def test_spawn_returns_a_future_that_runs_after_the_spawning_code():
    log = []

    async def child():
        log.append("child")
        return 1

    async def main():
        owner = Owner()
        future = spawn(child, owner, line=3)
        log.append("parent")
        assert type(future) is Future and future._lumen_type_name == "Future"
        assert await future == 1
        await owner.close()
    run(main)
    assert log == ["parent", "child"]


def test_deterministic_spawn_order():
    async def main():
        owner = Owner()
        f1 = spawn(after(20, "a"), owner)
        f2 = spawn(after(10, "b"), owner)
        return [await f1, await f2]
    for _ in range(5):
        assert run(main) == ["a", "b"]


def test_futures_run_concurrently():
    async def main():
        owner = Owner()
        futures = [spawn(after(100, i), owner) for i in range(20)]
        values = [await f for f in futures]
        return values, clock.current_time_ms()
    assert run(main) == (list(range(20)), 100)


def test_state_await_many_times_and_display():
    async def main():
        owner = Owner()
        future = spawn(after(10, [1, 2]), owner)
        assert future.state is Pending and future._lumen_display() == "<future pending>"
        assert await future == [1, 2]
        assert await future == [1, 2]
        assert future.state == Completed([1, 2])
        assert future._lumen_display() == "<future completed>"
    run(main)


def test_a_failed_future_reraises_its_error_on_every_await():
    async def main():
        owner = Owner()
        future = spawn(after(5, fail="broken"), owner)
        errors = []
        for _ in range(2):
            try:
                await future
            except LumenError as exc:
                errors.append(exc)
        assert errors[0] is errors[1] and errors[0].message == "broken"
        assert future.state == ErrorState("broken")
        assert future._lumen_display() == "<future failed>"
    run(main)


def test_non_lumen_errors_show_their_lumen_message_in_state():
    async def divide():
        return 1 // 0

    async def main():
        future = spawn(divide, Owner())
        with pytest.raises(ZeroDivisionError):
            await future
        assert future.state == ErrorState("division by zero")
    run(main)


def test_cancel_a_pending_future():
    log = []

    async def main():
        owner = Owner()
        future = spawn(after(100, "x", log=log), owner)
        await sleep(1)
        assert future.cancel() is None
        assert future.state == ErrorState("cancelled")  # at once, not one step later
        with pytest.raises(LumenError) as info:
            await future
        assert (info.value.kind, info.value.message) == ("Cancelled", "cancelled")
        assert future._lumen_display() == "<future cancelled>"
        future.cancel()  # cancelling again is harmless
        await sleep(500)
    run(main)
    assert log == []


def test_cancel_of_a_finished_future_does_nothing():
    async def main():
        future = spawn(after(1, 5), Owner())
        await future
        future.cancel()
        assert future.state == Completed(5)
    run(main)


def test_a_cancelled_awaiter_does_not_cancel_the_future():
    async def main():
        owner = Owner()
        future = spawn(after(100, "done"), owner)

        async def wait_for_it():
            return await future

        # The awaiting branch loses the race and is cancelled ...
        assert await race([wait_for_it, after(10, "fast")], lines=[1, 2]) == "fast"
        # ... but the future it awaited keeps running.
        assert future.state is Pending
        assert await future == "done"
    run(main)


def test_spawn_of_plain_function_and_of_a_failing_thunk():
    def plain():
        return 41 + 1

    def broken():
        raise LumenError("Halt", "at once")

    async def main():
        owner = Owner()
        ok_future = spawn(plain, owner)
        bad = spawn(broken, owner)  # the error belongs to the future, not to spawn
        assert await ok_future == 42
        with pytest.raises(LumenError, match="at once"):
            await bad
    run(main)


def test_spawn_of_a_thunk_returning_a_future_keeps_the_inner_future_as_value():
    async def main():
        owner = Owner()
        inner = spawn(after(1, "in"), owner)
        outer = spawn(lambda: inner, owner)
        assert await outer is inner
    run(main)


# ------------------------------------------------------------------ await on shapes


def test_await_value_replaces_futures_at_any_depth():
    async def main():
        owner = Owner()
        a, b, c = (spawn(after(d, v), owner) for d, v in [(30, "a"), (10, "b"), (20, "c")])
        shape = {"list": [a, (b, 1)], "record": Pair(c, [a]), "ok": Ok(b), "err": Err(7),
                 "plain": "x"}
        value = await await_value(shape)
        return value, clock.current_time_ms()
    value, at = run(main)
    assert value == {"list": ["a", ("b", 1)], "record": Pair("c", ["a"]), "ok": Ok("b"),
                     "err": Err(7), "plain": "x"}
    assert at == 30  # the futures ran concurrently


def test_await_value_of_non_futures_returns_them_as_they_are():
    data = [1, [2, 3], {"k": (4,)}]

    async def main():
        assert await await_value(5) == 5
        assert await await_value(None) is None
        assert await await_value(data) is data
    run(main)


def test_await_value_raises_the_first_failure_in_order():
    async def main():
        owner = Owner()
        shape = [spawn(after(20, fail="first"), owner), spawn(after(5, fail="second"), owner)]
        await await_value(shape)
    with pytest.raises(LumenError, match="first"):
        run(main)


def test_await_value_handles_self_containing_lists():
    async def main():
        looped = [1]
        looped.append(looped)
        assert await await_value(looped) is looped
    run(main)


# ------------------------------------------------------------------------- owners


def test_close_cancels_never_awaited_futures_and_records_it(trace):
    log = []

    async def main():
        owner = Owner()
        awaited = spawn(after(5, "awaited"), owner, line=2)
        forgotten = spawn(after(100, "forgotten", log=log), owner, line=3)
        done_already = spawn(after(1, "quick"), owner, line=4)
        await awaited
        await sleep(2)
        await owner.close(keep=None)
        assert forgotten.state == ErrorState("cancelled")  # close awaited the cancel
        assert awaited.state == Completed("awaited")
        assert done_already.state == Completed("quick")
        await sleep(500)
        return owner.cancelled_count

    assert run(main) == 1
    assert log == []
    cancels = [f for kind, f in trace if kind == "future_cancelled"]
    assert cancels == [{"line": 3, "reason": "owner returned"}]
    assert [f["line"] for kind, f in trace if kind == "spawn"] == [2, 3, 4]


def test_close_keeps_futures_reachable_from_the_return_value(trace):
    async def cell():
        owner = Owner()
        kept = spawn(after(50, "kept"), owner, line=1)
        nested = spawn(after(60, "nested"), owner, line=2)
        dropped = spawn(after(70, "dropped"), owner, line=3)
        result = {"f": kept, "more": [Pair(1, nested)]}
        await owner.close(keep=result)
        assert dropped.state == ErrorState("cancelled")
        return result

    async def main():
        result = await cell()
        return await await_value(result)

    assert run(main) == {"f": "kept", "more": [Pair(1, "nested")]}
    assert [f["line"] for kind, f in trace if kind == "future_cancelled"] == [3]


def test_returned_but_never_awaited_futures_are_cancelled_when_the_run_ends(trace):
    log = []

    async def cell():
        owner = Owner()
        future = spawn(after(1000, "late", log=log), owner, line=7)
        await owner.close(keep=future)
        return future

    async def main():
        future = await cell()
        return future

    future = run(main)
    assert future.cancelled() and log == []
    assert [(f["line"], f["reason"]) for kind, f in trace if kind == "future_cancelled"] \
        == [(7, "run ended")]


def test_close_waits_for_cancellations_even_when_its_task_is_cancelled():
    cleaned = []

    async def stubborn():
        try:
            await sleep(1000)
        finally:
            await sleep(10)  # slow cleanup
            cleaned.append("cleanup")

    async def main():
        owner = Owner()
        spawn(stubborn, owner)
        await sleep(1)
        closing = asyncio.ensure_future(owner.close())
        await asyncio.sleep(0)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        return list(cleaned)

    assert run(main) == ["cleanup"]


def test_owner_compacts_finished_futures():
    async def main():
        owner = Owner()
        for i in range(1000):
            await spawn(after(0, i), owner)
        assert len(owner._futures) <= 128
        await owner.close()
    run(main)


def test_unobserved_failed_future_is_not_logged_as_an_internal_error(caplog):
    async def main():
        spawn(after(1, fail="ignored"), Owner())
        await sleep(10)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run(main)
        import gc
        gc.collect()
    assert "never retrieved" not in caplog.text


def test_an_awaited_but_still_pending_future_is_handed_to_the_root_not_cancelled(trace):
    async def cell():
        owner = Owner()
        future = spawn(after(100, "finished"), owner, line=5)

        async def wait_for_it():
            return await future

        await race([wait_for_it, after(10, "fast")], lines=[1, 2])  # the await is cut
        await owner.close(keep=None)
        return future

    async def main():
        future = await cell()
        assert future.state is Pending  # close did not cancel it ...
        await sleep(200)
        return future.state  # ... and it ran to the end

    assert run(main) == Completed("finished")
    assert [f for kind, f in trace if kind == "future_cancelled"] == []


def test_root_owner_cancel_all_cancels_even_awaited_futures():
    async def main():
        root = Owner()
        future = spawn(after(100, 1), root, line=9)

        async def wait_for_it():
            return await future

        await race([wait_for_it, after(1, "fast")], lines=[1, 2])
        await root.cancel_all()
        return future.state, root.cancelled_count
    assert run(main) == (ErrorState("cancelled"), 1)


def test_spawn_without_an_owner_outside_run():
    async def main():
        future = spawn(after(1, "free"), None)
        return await future
    assert asyncio.run(main()) == "free"


def test_a_spawn_into_a_closed_owner_goes_to_the_root_owner(trace):
    # A closure that spawns after its cell returned: the run's root owner adopts the
    # future, so the run's end cancels it and records the cancellation.
    log = []

    async def main():
        owner = Owner()
        await owner.close()
        assert owner.closed
        future = spawn(after(100, "late", log=log), owner, line=5)
        assert owner.pending == []
        await sleep(1)
        return future

    future = run(main)
    assert future.cancelled() and log == []
    assert [f for kind, f in trace if kind == "future_cancelled"] == [
        {"line": 5, "reason": "run ended"}]


def test_spawn_takes_a_coroutine_object():
    # What the compiler may emit for `spawn(f(x))` when f is an `async def` cell.
    log = []

    async def child(x):
        log.append(("child", x))
        await sleep(1)
        return x * 2

    async def main():
        owner = Owner()
        future = spawn(child(21), owner, line=4)
        log.append("parent")  # the coroutine's body has not started yet
        assert await future == 42
        await owner.close()
        return log

    assert run(main) == ["parent", ("child", 21)]
