"""Twin of startup.lm: an asyncio program that does almost nothing."""

import asyncio


async def main():
    greeting = await asyncio.gather(*(asyncio.sleep(0, word) for word in ("hello", "world")))
    print(f'("{greeting[0]}", "{greeting[1]}")')


asyncio.run(main())
