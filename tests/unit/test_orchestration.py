"""The orchestration forms (LANGUAGE.md 7.1-7.5) driven directly with Python thunks.

Timing-sensitive properties run in deterministic mode (virtual clock: exact and fast);
a few run in normal mode with generous bounds to show real concurrency.
"""

import asyncio
import time

import pytest

from lumen.runtime import clock
from lumen.runtime import run as runs
from lumen.runtime.errors import LumenError
from lumen.runtime.orchestration import (parallel, parallel_for, race, select, sleep,
                                         timeout, vote)


def run(main, deterministic=True):
    return clock.run(main, deterministic=deterministic)


def after(ms, value=None, *, log=None, fail=None, kind="Halt"):
    """A branch: sleep `ms`, then append `value` to `log` and return it (or fail)."""
    async def branch():
        await sleep(ms)
        if fail is not None:
            raise LumenError(kind, fail)
        if log is not None:
            log.append(value)
        return value
    return branch


@pytest.fixture
def trace():
    seen = []
    _token = runs.entered(runs.Run(listeners=(lambda kind, fields: seen.append((kind, fields)),)))
    yield seen
    runs.left(_token)


# ---------------------------------------------------------------------- parallel


def test_parallel_branches_run_concurrently_in_real_time():
    async def main():
        start = time.perf_counter()
        await parallel_for(range(50), lambda i: after(200, i)())
        return time.perf_counter() - start
    elapsed = run(main, deterministic=False)
    assert 0.19 < elapsed < 1.5  # about 200 ms, not 50 * 200 ms


def test_parallel_takes_the_longest_branch_in_virtual_time():
    async def main():
        await parallel_for(range(50), lambda i: after(200, i)())
        return clock.current_time_ms()
    assert run(main) == 200


def test_parallel_for_results_in_input_order_whatever_the_completion_order():
    async def main():
        done = []
        values = await parallel_for([5, 1, 4, 2, 3], lambda d: after(d * 10, d, log=done)())
        return values, done
    values, done = run(main)
    assert values == [5, 1, 4, 2, 3]
    assert done == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("items, expected", [
    (range(4), [0, 10, 20, 30]),
    ({"a": 1, "b": 2}, ["a0", "b0"]),
    ("xy", ["x0", "y0"]),
    ((1, 2), [10, 20]),
    ((i for i in range(3)), [0, 10, 20]),
    ([], []),
])
def test_parallel_for_accepts_any_iterable(items, expected):
    async def body(x):
        await sleep(1)
        return x * 10 if isinstance(x, int) else x + "0"
    assert run(lambda: parallel_for(items, body)) == expected


def test_parallel_block_returns_a_tuple_in_source_order():
    async def main():
        return await parallel([after(30, "a"), after(10, "b"), lambda: "sync"],
                              lines=[2, 3, 4])
    assert run(main) == ("a", "b", "sync")


def test_parallel_accepts_plain_function_bodies():
    assert run(lambda: parallel_for([1, 2, 3], lambda x: x + 1)) == [2, 3, 4]


def test_limit_bounds_concurrency():
    in_flight = peak = 0

    async def body(i):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await sleep(10 + (i * 7) % 13)
        in_flight -= 1
        return i

    assert run(lambda: parallel_for(range(40), body, limit=3)) == list(range(40))
    assert peak == 3


def test_limit_one_runs_in_sequence_and_takes_the_sum():
    async def main():
        order = []
        await parallel_for([30, 10, 20], lambda d: after(d, d, log=order)(), limit=1)
        return order, clock.current_time_ms()
    assert run(main) == ([30, 10, 20], 60)


def test_limit_with_branches_that_never_suspend_does_not_recurse():
    async def body(i):
        return i
    assert run(lambda: parallel_for(range(20000), body, limit=2)) == list(range(20000))


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "2"])
def test_bad_limit_is_a_type_error(limit):
    with pytest.raises(LumenError) as info:
        run(lambda: parallel_for([1], lambda x: x, limit=limit))
    assert info.value.kind == "TypeError"


def test_first_failure_cancels_the_rest_and_their_side_effects_never_happen():
    log = []

    async def main():
        try:
            await parallel([after(50, "slow", log=log), after(10, fail="boom"),
                            after(30, fail="later")], lines=[4, 5, 6])
        except LumenError as exc:
            error = exc
        await sleep(1000)  # long after the slow branch would have finished
        return error

    error = run(main)
    assert (error.kind, error.message, error.branch_line) == ("Halt", "boom", 5)
    assert log == []


def test_failure_in_completion_order_not_source_order():
    async def main():
        await parallel_for([30, 10, 20], lambda d: after(d, fail=f"fail{d}")())
    with pytest.raises(LumenError, match="fail10"):
        run(main)


def test_the_branch_error_object_and_traceback_are_preserved():
    original = None

    async def failing():
        nonlocal original
        await sleep(1)
        original = LumenError("Halt", "inner")
        raise original

    with pytest.raises(LumenError) as info:
        run(lambda: parallel([failing, after(100)], lines=[7, 8]))
    assert info.value is original
    names = []
    tb = info.value.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "failing" in names


def test_non_lumen_exceptions_propagate_unchanged():
    async def divide():
        await sleep(1)
        return 1 // 0
    with pytest.raises(ZeroDivisionError):
        run(lambda: parallel([divide, after(10)], lines=[1, 2]))


def test_synchronous_failure_while_starting_stops_the_form():
    started = []

    def body(x):
        if x == 2:
            raise LumenError("Halt", "at start")
        started.append(x)
        return after(10, x)()

    with pytest.raises(LumenError, match="at start"):
        run(lambda: parallel_for([1, 2, 3], body))
    assert started == [1]  # branch 3 never started


def test_a_branch_cancelling_itself_is_a_cancelled_failure():
    async def self_cancel():
        await sleep(1)
        raise asyncio.CancelledError()
    with pytest.raises(LumenError) as info:
        run(lambda: parallel([self_cancel, after(10)], lines=[3, 4]))
    assert info.value.kind == "Cancelled"


def test_cancellations_have_completed_when_the_form_fails():
    cleaned = []

    async def slow():
        try:
            await sleep(1000)
        finally:
            await asyncio.sleep(0)  # cleanup that itself takes a step
            cleaned.append("slow")

    async def main():
        try:
            await parallel([slow, after(1, fail="x")], lines=[1, 2])
        except LumenError:
            return list(cleaned)
    assert run(main) == ["slow"]


def test_no_branch_task_outlives_the_form():
    tasks = []

    def branch(ms, fail=None):
        async def run_branch():
            tasks.append(asyncio.current_task())
            await sleep(ms)
            if fail:
                raise LumenError("Halt", fail)
            return ms
        return run_branch

    async def main():
        await parallel([branch(5), branch(10)], lines=[1, 2])
        assert all(t.done() for t in tasks)
        await race([branch(5), branch(50), branch(100)], lines=[1, 2, 3])
        assert all(t.done() for t in tasks)
        with pytest.raises(LumenError):
            await parallel([branch(5, "x"), branch(50), branch(100)], lines=[1, 2, 3])
        assert all(t.done() for t in tasks)
        await timeout(20, branch(50))
        assert all(t.done() for t in tasks) and len(tasks) == 9

    run(main)


def test_branches_run_as_their_own_current_task():
    # Eager start must not run a branch's first step "as" the parent: asyncio.timeout
    # (and anyio cancel scopes, used by HTTP clients) bind to the current task.
    async def branch():
        inner = asyncio.current_task()
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        except TimeoutError:
            return inner
        return None

    async def main():
        parent = asyncio.current_task()
        first, second = await parallel([branch, branch], lines=[1, 2])
        return parent, first, second

    parent, first, second = run(main)
    assert first is not None and second is not None
    assert parent not in (first, second) and first is not second


def test_parent_cancellation_cancels_and_awaits_the_branches():
    log = []

    async def child(name):
        try:
            await sleep(1000)
            log.append(f"{name} finished")
        finally:
            await asyncio.sleep(0)
            log.append(f"{name} cleaned up")

    async def main():
        task = asyncio.ensure_future(parallel([lambda: child("a"), lambda: child("b")],
                                              lines=[1, 2]))
        await sleep(10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        log.append("parent saw cancel")
        await sleep(2000)

    run(main)
    assert log == ["a cleaned up", "b cleaned up", "parent saw cancel"]


@pytest.mark.parametrize("form", ["race", "vote", "select", "parallel", "timeout"])
def test_cancelling_the_parent_is_never_swallowed(form):
    async def main():
        branches = [after(1000, 1), after(2000, 1)]
        coro = {"race": lambda: race(branches, lines=[1, 2]),
                "vote": lambda: vote(branches, lines=[1, 2]),
                "select": lambda: select(branches, lines=[1, 2]),
                "parallel": lambda: parallel(branches, lines=[1, 2]),
                "timeout": lambda: timeout(5000, branches[0])}[form]()
        task = asyncio.ensure_future(coro)
        await sleep(10)
        task.cancel()
        await asyncio.wait([task])
        return task.cancelled()
    assert run(main) is True


# -------------------------------------------------------------------------- race


def test_race_returns_the_first_success_and_skips_failures():
    losers = []

    async def main():
        return await race([after(50, "slow", log=losers), after(5, fail="fast failure"),
                           after(20, "winner")], lines=[1, 2, 3])
    assert run(main) == "winner"
    assert losers == []


def test_race_cancels_the_losers_before_returning():
    state = []

    async def loser():
        try:
            await sleep(1000)
        finally:
            await asyncio.sleep(0)
            state.append("loser cleaned")

    async def main():
        value = await race([loser, after(10, "w")], lines=[1, 2])
        return value, list(state)
    assert run(main) == ("w", ["loser cleaned"])


def test_race_fails_only_when_every_branch_fails_and_lists_each_error():
    async def main():
        await race([after(30, fail="first"), after(10, fail="second", kind="ToolError")],
                   lines=[4, 5])
    with pytest.raises(LumenError) as info:
        run(main)
    error = info.value
    assert error.kind == "RaceFailed"
    assert error.message == ("all 2 branches failed: line 4: Halt: first; "
                             "line 5: ToolError: second")
    assert [(d.kind, d.message) for d in error.details] == [("Halt", "first"),
                                                            ("ToolError", "second")]


def test_race_with_sleep_returns_the_work_in_virtual_time():
    async def main():
        value = await race([after(30, "work"), after(100000, None)], lines=[1, 2])
        return value, clock.current_time_ms()
    assert run(main) == ("work", 30)


def test_race_of_ties_goes_to_the_first_branch():
    assert run(lambda: race([after(10, "a"), after(10, "b")], lines=[1, 2])) == "a"


def test_race_with_a_synchronous_winner_starts_nothing_else():
    started = []

    def tracking(name):
        async def branch():
            started.append(name)
            await sleep(10)
            return name
        return branch

    assert run(lambda: race([lambda: "now", tracking("b")], lines=[1, 2])) == "now"
    assert started == []


# -------------------------------------------------------------------------- vote


def test_vote_returns_the_plurality():
    assert run(lambda: vote([after(1, "x"), after(2, "y"), after(3, "y")],
                            lines=[1, 2, 3])) == "y"


def test_vote_tie_goes_to_the_value_whose_first_branch_is_earliest():
    # "b" arrives first in time, but "a"'s first branch is earlier in source order.
    branches = [after(30, "a"), after(10, "b"), after(20, "b"), after(5, "a")]
    assert run(lambda: vote(branches, lines=[1, 2, 3, 4])) == "a"


def test_vote_failed_branches_abstain():
    branches = [after(1, fail="no"), after(2, "x"), after(3, fail="no"), after(4, "y"),
                after(5, "y")]
    assert run(lambda: vote(branches, lines=[1, 2, 3, 4, 5])) == "y"


def test_vote_with_one_success_returns_it():
    assert run(lambda: vote([after(1, fail="a"), after(2, 7)], lines=[1, 2])) == 7


def test_vote_fails_when_every_branch_fails():
    with pytest.raises(LumenError) as info:
        run(lambda: vote([after(1, fail="a"), after(2, fail="b")], lines=[8, 9]))
    assert info.value.kind == "VoteFailed"
    assert info.value.message == "all 2 branches failed: line 8: Halt: a; line 9: Halt: b"
    assert len(info.value.details) == 2


def test_a_single_failed_branch_is_named_in_the_singular():
    with pytest.raises(LumenError) as info:
        run(lambda: vote([after(1, fail="only")], lines=[3]))
    assert info.value.message == "the only branch failed: line 3: Halt: only"
    with pytest.raises(LumenError) as info:
        run(lambda: select([after(1, fail="x")], lines=[4]))
    assert info.value.kind == "RaceFailed"
    assert info.value.message == "the only select branch failed: line 4: Halt: x"


def test_vote_compares_unhashable_values_structurally():
    branches = [after(1, [1, 2]), after(2, {"k": [1]}), after(3, {"k": [1]}),
                after(4, [1, 2]), after(5, {"k": [1]})]
    assert run(lambda: vote(branches, lines=[1, 2, 3, 4, 5])) == {"k": [1]}


def test_vote_quorum_returns_before_the_slow_voter_finishes():
    slow = []

    async def main():
        value = await vote([after(10, "a"), after(20, "a"), after(5000, "b", log=slow)],
                           lines=[1, 2, 3])
        at = clock.current_time_ms()
        await sleep(10000)
        return value, at
    assert run(main) == ("a", 20)
    assert slow == []


def test_vote_quorum_counts_the_tie_break():
    # After "a" (branch 0) and "b" (branch 1) and "a" (branch 2), one vote is left:
    # "b" could reach a tie at 2, but "a"'s first branch is earlier, so "a" is decided.
    async def main():
        value = await vote([after(10, "a"), after(20, "b"), after(30, "a"),
                            after(5000, "b")], lines=[1, 2, 3, 4])
        return value, clock.current_time_ms()
    assert run(main) == ("a", 30)


@pytest.mark.parametrize("last, expected", [("a", "a"), ("x", "b")])
def test_vote_quorum_waits_when_a_tie_could_still_go_the_other_way(last, expected):
    # At 30 ms "b" leads 2-1 with one vote left; "a" could tie at 2 and would win the
    # tie-break (its first branch is earlier), so the vote waits for the last voter.
    async def main():
        value = await vote([after(10, "a"), after(20, "b"), after(30, "b"),
                            after(100, last)], lines=[1, 2, 3, 4])
        return value, clock.current_time_ms()
    assert run(main) == (expected, 100)


def test_vote_quorum_respects_values_not_seen_yet():
    # One vote for "a" from branch 1; branch 0 (earlier) could still bring a new value
    # and win a 1-1 tie: not decided until it arrives.
    async def main():
        value = await vote([after(50, "z"), after(10, "a")], lines=[1, 2])
        return value, clock.current_time_ms()
    assert run(main) == ("z", 50)


def plurality(outcomes):
    """The spec's vote, computed after the fact: most votes, tie -> earliest first."""
    counts = []
    for index, (value, _delay, fails) in enumerate(outcomes):
        if fails:
            continue
        for entry in counts:
            if entry[0] == value:
                entry[1] += 1
                break
        else:
            counts.append([value, 1, index])
    if not counts:
        return "VoteFailed"
    return min(counts, key=lambda e: (-e[1], e[2]))[0]


def test_vote_quorum_never_changes_the_result():
    import random
    rng = random.Random(1234)
    for _ in range(300):
        n = rng.randint(1, 7)
        outcomes = [(rng.choice("abc"), rng.randint(1, 5) * 10, rng.random() < 0.2)
                    for _ in range(n)]
        branches = [after(d, v, fail="no" if f else None) for v, d, f in outcomes]

        async def main():
            try:
                return await vote(branches, lines=list(range(1, n + 1)))
            except LumenError as exc:
                return exc.kind
        assert run(main) == plurality(outcomes), outcomes


# ------------------------------------------------------------------------ select


def test_select_returns_the_winner_index_and_value():
    async def main():
        return await select([after(30, "a"), after(10, "b"), after(20, "c")],
                            lines=[1, 2, 3])
    assert run(main) == (1, "b")


def test_select_skips_failures_and_reports_all_failures():
    assert run(lambda: select([after(5, fail="x"), after(10, "ok")], lines=[1, 2])) == \
        (1, "ok")
    with pytest.raises(LumenError) as info:
        run(lambda: select([after(5, fail="x"), after(10, fail="y")], lines=[3, 4]))
    assert info.value.kind == "RaceFailed"
    assert info.value.message.startswith("all 2 select branches failed: line 3: Halt: x")


# ----------------------------------------------------------------------- timeout


def test_timeout_returns_the_value_when_in_time():
    assert run(lambda: timeout(100, after(10, "v"))) == "v"


def test_timeout_returns_null_and_cancels_when_the_deadline_passes():
    log = []

    async def main():
        value = await timeout(50, after(100, "late", log=log))
        at = clock.current_time_ms()
        await sleep(1000)
        return value, at
    assert run(main) == (None, 50)
    assert log == []


def test_timeout_errors_propagate():
    with pytest.raises(LumenError, match="inside"):
        run(lambda: timeout(100, after(10, fail="inside")))


def test_timeout_of_a_plain_value():
    assert run(lambda: timeout(0, lambda: 42)) == 42


@pytest.mark.parametrize("ms", [-1, "5", None, True, float("nan"), float("inf")])
def test_timeout_and_sleep_reject_bad_durations(ms):
    for make in (lambda: timeout(ms, after(1, 1)), lambda: sleep(ms)):
        with pytest.raises(LumenError) as info:
            run(make)
        assert info.value.kind == "TypeError"


def test_sleep_returns_null_and_takes_float_milliseconds():
    async def main():
        value = await sleep(2.5)
        return value, clock.current_time_ms()
    assert run(main) == (None, 2.5)


# ------------------------------------------------------------------ nesting, events


def test_nested_forms():
    async def inner(x):
        return await race([after(x, x), after(x + 5, -1)], lines=[1, 2])

    async def main():
        return await parallel_for([3, 1, 2], lambda x: inner(x * 10), limit=2)
    assert run(main) == [30, 10, 20]


def test_forms_emit_trace_events(trace):
    async def main():
        await race([after(10, "a"), after(20, "b"), after(30, "c")], lines=[4, 5, 6],
                   line=3)
    run(main)
    kinds = [(kind, fields.get("form")) for kind, fields in trace]
    assert kinds == [("form_start", "race"), ("form_end", "race")]
    end = trace[-1][1]
    assert end == {"form": "race", "line": 3, "branches": 3, "outcome": "ok",
                   "winner": 0, "cancelled": [1, 2], "elapsed_ms": 10.0}


def test_failed_and_cancelled_forms_are_traced(trace):
    async def main():
        with pytest.raises(LumenError):
            await parallel_for([1, 2], lambda x: after(x, fail="f")(), line=9)
        task = asyncio.ensure_future(vote([after(100, 1)], lines=[2]))
        await sleep(1)
        task.cancel()
        await asyncio.wait([task])
    run(main)
    ends = [fields for kind, fields in trace if kind == "form_end"]
    assert [(e["form"], e["outcome"], e["line"]) for e in ends] == [
        ("parallel_for", "error", 9), ("vote", "cancelled", 2)]
    assert ends[0]["cancelled"] == [1]


def test_context_variables_set_in_a_branch_do_not_leak_into_siblings():
    import contextvars
    var = contextvars.ContextVar("var", default="form")

    async def body(i):
        seen = var.get()
        var.set(f"branch {i}")
        await sleep(1)
        return seen

    async def main():
        var.set("parent")
        # limit=1: every branch after the first is started from inside the previous one
        values = await parallel_for(range(4), body, limit=1)
        return values, var.get()
    assert run(main) == (["parent"] * 4, "parent")


def test_branches_inherit_what_a_trace_listener_sets_at_form_start():
    # The trace writer tracks form nesting in a context variable set on `form_start`.
    import contextvars
    depth = contextvars.ContextVar("depth", default=0)

    def listener(kind, fields):
        if kind == "form_start":
            depth.set(depth.get() + 1)
        elif kind == "form_end":
            depth.set(depth.get() - 1)

    async def body(i):
        await sleep(i)
        if i == 0:
            inner = await race([lambda: depth.get()], lines=[1])
            return depth.get(), inner
        return depth.get()

    _token = runs.entered(runs.Run(listeners=(listener,)))
    try:
        assert run(lambda: parallel_for(range(3), body, limit=1)) == [(1, 2), 1, 1]
    finally:
        runs.left(_token)


def test_block_parallel_accepts_a_limit():
    in_flight = peak = 0

    def branch(i):
        async def run_branch():
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await sleep(10)
            in_flight -= 1
            return i
        return run_branch

    async def main():
        return await parallel([branch(i) for i in range(5)], lines=[1] * 5, limit=2)
    assert run(main) == (0, 1, 2, 3, 4)
    assert peak == 2


@pytest.mark.parametrize("deterministic", [True, False])
def test_deep_recursion_through_forms_does_not_exhaust_the_stack(deterministic):
    # Eager first steps nest; past a small depth branches start lazily (fresh stack).
    async def down(n):
        if n == 0:
            await sleep(1)
            return 0
        deeper, one = await parallel([lambda: down(n - 1), lambda: 1], lines=[1, 2])
        return deeper + one
    assert run(lambda: down(1500), deterministic=deterministic) == 1500


def test_lazily_started_branches_have_the_same_semantics(monkeypatch):
    # Past EAGER_DEPTH (or on a loop without a ready queue) branches start on the next
    # loop iteration; a branch cancelled before its first step must still be accounted.
    from lumen.runtime import scope
    monkeypatch.setattr(scope, "EAGER_DEPTH", 0)
    log = []

    def failing_at_start():
        raise LumenError("Halt", "sync failure")

    async def main():
        with pytest.raises(LumenError, match="sync failure"):
            # branches 0 and 1 are created, then cancelled before they ever ran
            await parallel([after(10, "a", log=log), after(10, "b", log=log),
                            failing_at_start], lines=[1, 2, 3])
        assert await race([after(30, "slow", log=log), after(10, "fast")],
                          lines=[1, 2]) == "fast"
        assert await vote([after(1, "x"), after(2, "x"), after(50, "y", log=log)],
                          lines=[1, 2, 3]) == "x"
        assert await timeout(5, after(10, "late", log=log)) is None
        task = asyncio.ensure_future(parallel([after(100, "p", log=log)], lines=[1]))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.wait([task])
        assert task.cancelled()
        await sleep(1000)

    run(main)
    assert log == []
