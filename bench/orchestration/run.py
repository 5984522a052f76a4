"""Micro-benchmarks of the orchestration runtime alone against plain asyncio.

    python bench/orchestration/run.py [--reps N] [--quick]

Each case runs the same work both ways on a fresh standard event loop, times only the
operation (inside the loop), and prints medians and the ratio lumen / asyncio (target:
at most 1.3 for time and memory). Branch bodies are `async def` functions, as the
compiler emits them: "trivial" ones return without suspending, "suspending" ones
`await asyncio.sleep(0)` once.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

from lumen.runtime.futures import Owner, spawn  # noqa: E402
from lumen.runtime.orchestration import parallel_for, race  # noqa: E402


async def trivial(x):
    return x


async def suspending(x):
    await asyncio.sleep(0)
    return x


async def trivial0():
    return 1


async def suspending0():
    await asyncio.sleep(0)
    return 1


def _once(make_op) -> float:
    gc.collect()

    async def main():
        operation = make_op()
        start = time.perf_counter()
        await operation()
        return time.perf_counter() - start
    return asyncio.run(main())


def compare(plain, lumen, reps):
    """Median seconds of each side over `reps` fresh loops, the two sides interleaved
    (so that a machine's changing load hits both alike)."""
    base, ours = [], []
    for _ in range(reps):
        base.append(_once(plain))
        ours.append(_once(lumen))
    return statistics.median(base), statistics.median(ours)


# ----------------------------------------------------------------------------- cases

def case_parallel_for(n, body):
    def lumen():
        async def op():
            result = await parallel_for(range(n), body)
            assert result[-1] == n - 1
        return op

    def plain():
        async def op():
            result = await asyncio.gather(*[body(i) for i in range(n)])
            assert result[-1] == n - 1
        return op
    return plain, lumen


def case_spawn_await(n, work):
    def lumen():
        async def op():
            owner = Owner()
            futures = [spawn(work, owner) for _ in range(n)]
            for future in futures:
                await future
            await owner.close()
        return op

    def plain():
        async def op():
            loop = asyncio.get_running_loop()
            tasks = [loop.create_task(work()) for _ in range(n)]
            for task in tasks:
                await task
        return op
    return plain, lumen


def case_race(n):
    async def fast():
        await asyncio.sleep(0)
        return "fast"

    async def slow():
        await asyncio.sleep(3600)

    def lumen():
        async def op():
            for _ in range(n):
                assert await race([fast, slow], lines=[1, 2]) == "fast"
        return op

    def plain():
        # The asyncio idiom with the same guarantees: first success wins, the loser is
        # cancelled and its cancellation awaited before returning.
        async def one():
            loop = asyncio.get_running_loop()
            tasks = [loop.create_task(fast()), loop.create_task(slow())]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)
            return next(iter(done)).result()

        async def op():
            for _ in range(n):
                assert await one() == "fast"
        return op
    return plain, lumen


def pending_memory(n, use_lumen):
    """tracemalloc (current, peak) bytes for n tasks/futures pending on one gate."""
    async def main():
        loop = asyncio.get_running_loop()
        gate = loop.create_future()

        async def waiter():
            await gate

        owner = Owner()
        gc.collect()
        tracemalloc.start()
        if use_lumen:
            held = [spawn(waiter, owner) for _ in range(n)]
        else:
            held = [loop.create_task(waiter()) for _ in range(n)]
        await asyncio.sleep(0)  # every task has run to its `await gate`
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        gate.set_result(None)
        for task in held:
            await task
        await owner.close()
        return current, peak
    return asyncio.run(main())


# ------------------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 3 if args.quick else args.reps

    rows = []
    cases = [
        ("parallel_for 10k trivial vs gather", case_parallel_for(10_000, trivial)),
        ("parallel_for 10k suspending vs gather", case_parallel_for(10_000, suspending)),
        ("parallel_for 100k trivial vs gather", case_parallel_for(100_000, trivial)),
        ("parallel_for 100k suspending vs gather",
         case_parallel_for(100_000, suspending)),
        ("spawn+await 100k trivial vs tasks", case_spawn_await(100_000, trivial0)),
        ("spawn+await 100k suspending vs tasks", case_spawn_await(100_000, suspending0)),
        ("race x1000 (sleep(0) vs 1 h) vs wait", case_race(1000)),
    ]
    for name, (plain, lumen) in cases:
        base, ours = compare(plain, lumen, reps)
        rows.append((name, f"{base * 1e3:9.1f} ms", f"{ours * 1e3:9.1f} ms", ours / base))

    for n in (100_000,):
        base, ours = [], []
        for _ in range(3):
            base.append(pending_memory(n, False))
            ours.append(pending_memory(n, True))
        for label, index in (("current", 0), ("peak", 1)):
            b = statistics.median(m[index] for m in base)
            o = statistics.median(m[index] for m in ours)
            rows.append((f"memory {n // 1000}k pending futures ({label})",
                         f"{b / 2**20:9.1f} MB", f"{o / 2**20:9.1f} MB", o / b))

    width = max(len(r[0]) for r in rows)
    print(f"Python {sys.version.split()[0]}, medians of {reps} runs (memory: 3)")
    print(f"{'case':<{width}}  {'asyncio':>12}  {'lumen':>12}  ratio")
    for name, base, ours, ratio in rows:
        flag = "" if ratio <= 1.3 else "  > 1.3!"
        print(f"{name:<{width}}  {base:>12}  {ours:>12}  {ratio:5.2f}{flag}")


if __name__ == "__main__":
    main()
