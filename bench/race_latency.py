"""Twin of race_latency.lm: 1,000 races of a 1 ms branch against a 1 s one; the loser is
cancelled and its cancellation awaited before the next race."""

import asyncio
import sys
import time


async def after(seconds, value):
    await asyncio.sleep(seconds)
    return value


async def race(*coroutines):
    tasks = [asyncio.create_task(c) for c in coroutines]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)
    return next(iter(done)).result()


async def main():
    start = time.perf_counter()
    fast_wins = 0
    for _ in range(1000):
        winner = await race(after(0.001, "fast"), after(1.0, "slow"))
        if winner == "fast":
            fast_wins += 1
    elapsed = time.perf_counter() - start
    print(f"fast won {fast_wins} of 1000 races")
    print(f"bench-time {elapsed}", file=sys.stderr)


asyncio.run(main())
