"""Twin of parallel_for_10k.lm: 10,000 tasks that each sleep 1 ms, with asyncio.gather."""

import asyncio
import sys
import time

N = 10_000


async def branch(i):
    await asyncio.sleep(0.001)
    return i


async def main():
    start = time.perf_counter()
    results = await asyncio.gather(*(branch(i) for i in range(N)))
    elapsed = time.perf_counter() - start
    print(len(results), sum(results))
    print(f"bench-time {elapsed}", file=sys.stderr)


asyncio.run(main())
