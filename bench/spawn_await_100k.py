"""Twin of spawn_await_100k.lm: 100,000 tasks of a trivial coroutine, then gather."""

import asyncio
import sys
import time

N = 100_000


async def work(i):
    return i * 2


async def main():
    start = time.perf_counter()
    tasks = [asyncio.create_task(work(i)) for i in range(N)]
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    print(len(results), sum(results))
    print(f"bench-time {elapsed}", file=sys.stderr)


asyncio.run(main())
