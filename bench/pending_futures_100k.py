"""Twin of pending_futures_100k.lm: 100,000 tasks pending in a sleep, then cancelled and
awaited."""

import asyncio
import sys
import time

N = 100_000


async def sleeper():
    await asyncio.sleep(1000)
    return 0


async def hold():
    tasks = [asyncio.create_task(sleeper()) for _ in range(N)]
    await asyncio.sleep(0.01)
    pending = sum(1 for t in tasks if not t.done())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return pending


async def main():
    start = time.perf_counter()
    pending = await hold()
    elapsed = time.perf_counter() - start
    print(f"{pending} futures were pending")
    print(f"bench-time {elapsed}", file=sys.stderr)


asyncio.run(main())
