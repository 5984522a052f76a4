"""Channels (LANGUAGE.md 7.4): FIFO, bounds, close, and no message lost to cancellation."""

import asyncio
import random

import pytest

from lumen.runtime import clock
from lumen.runtime.channels import Channel, channel
from lumen.runtime.errors import LumenError
from lumen.runtime.futures import Owner, spawn
from lumen.runtime.orchestration import race, select, sleep, timeout


def run(main, deterministic=True):
    return clock.run(main, deterministic=deterministic)


def test_fifo_len_try_receive_and_display():
    async def main():
        ch = channel()
        assert ch._lumen_type_name == "Channel"
        for v in [1, "two", [3]]:
            await ch.send(v)
        assert ch.len() == 3 and len(ch) == 3
        assert ch._lumen_display() == "<channel 3>"
        assert await ch.receive() == 1
        assert ch.try_receive() == "two"
        assert await ch.receive() == [3]
        assert ch.try_receive() is None
        bounded = channel(10)
        await bounded.send(None)
        assert bounded._lumen_display() == "<channel 1/10>"
        bounded.close()
        assert bounded._lumen_display() == "<channel closed 1/10>"
    run(main)


@pytest.mark.parametrize("capacity", [0, -3, 1.5, True, "2"])
def test_bad_capacity_is_a_type_error(capacity):
    with pytest.raises(LumenError) as info:
        Channel(capacity)
    assert info.value.kind == "TypeError"
    assert "capacity must be at least 1" in info.value.message


def test_receive_waits_for_a_value():
    async def main():
        ch = channel()

        async def producer():
            await sleep(50)
            await ch.send("hello")

        spawn(producer, Owner())
        value = await ch.receive()
        return value, clock.current_time_ms()
    assert run(main) == ("hello", 50)


def test_bounded_send_waits_while_full():
    log = []

    async def main():
        ch = channel(2)

        async def producer():
            for i in range(4):
                await ch.send(i)
                log.append(f"sent {i}")

        spawn(producer, Owner())
        await sleep(10)
        assert log == ["sent 0", "sent 1"] and ch.len() == 2  # the third send waits
        assert await ch.receive() == 0
        await sleep(10)
        assert log == ["sent 0", "sent 1", "sent 2"]
        received = [await ch.receive() for _ in range(3)]
        return received
    assert run(main) == [1, 2, 3]


def test_waiting_senders_are_served_in_order():
    async def main():
        ch = channel(1)
        await ch.send("first")
        owner = Owner()
        for name in ["a", "b", "c"]:
            spawn(lambda name=name: ch.send(name), owner)
        await sleep(1)
        return [await ch.receive() for _ in range(4)]
    assert run(main) == ["first", "a", "b", "c"]


def test_close_drains_then_fails_receives():
    async def main():
        ch = channel()
        await ch.send(1)
        ch.close()
        ch.close()  # idempotent
        assert await ch.receive() == 1
        with pytest.raises(LumenError) as info:
            await ch.receive()
        assert (info.value.kind, info.value.message) == ("RuntimeError",
                                                         "receive on a closed channel")
        with pytest.raises(LumenError, match="send on a closed channel"):
            await ch.send(2)
        assert ch.try_receive() is None
    run(main)


def test_close_wakes_pending_receivers_and_senders_with_errors():
    async def main():
        empty, full = channel(), channel(1)
        await full.send("x")
        owner = Owner()
        receivers = [spawn(empty.receive, owner) for _ in range(3)]
        sender = spawn(lambda: full.send("y"), owner)
        await sleep(5)
        empty.close()
        full.close()
        messages = []
        for future in receivers + [sender]:
            with pytest.raises(LumenError) as info:
                await future
            messages.append(info.value.message)
        assert await full.receive() == "x"  # what was sent before close is kept
        return messages
    assert run(main) == ["receive on a closed channel"] * 3 + ["send on a closed channel"]


def test_a_cancelled_send_sends_nothing():
    async def main():
        ch = channel(1)
        await ch.send("kept")
        assert await timeout(10, lambda: ch.send("never")) is None
        assert ch.len() == 1
        assert await ch.receive() == "kept"
        assert ch.try_receive() is None
        await ch.send("next")  # the cancelled sender left no stale waiter behind
        return await ch.receive()
    assert run(main) == "next"


def test_a_woken_receiver_cancelled_before_it_resumes_passes_the_message_on():
    async def main():
        ch = channel()
        owner = Owner()
        first = spawn(ch.receive, owner)
        second = spawn(ch.receive, owner)
        await asyncio.sleep(0)  # both wait, `first` at the head of the queue
        await ch.send("m")  # wakes `first` ...
        first.cancel()  # ... which is cancelled before it can look
        assert await second == "m"
        assert ch.len() == 0
    run(main)


def test_racing_receives_on_one_channel_take_one_message():
    async def main():
        ch = channel()
        for v in range(3):
            await ch.send(v)
        value = await race([ch.receive, ch.receive, ch.receive], lines=[1, 2, 3])
        return value, ch.len()
    assert run(main) == (0, 2)


def test_select_binds_the_winner_and_keeps_the_other_messages():
    async def main():
        a, b = channel(), channel()

        async def feed():
            await sleep(20)
            await b.send("from b")
            await a.send("from a")

        spawn(feed, Owner())
        winner = await select([a.receive, b.receive, lambda: sleep(5000)], lines=[1, 2, 3])
        return winner, a.len(), await a.receive()
    assert run(main) == ((1, "from b"), 1, "from a")


def select_storm(deterministic, rounds, seed):
    """Many selects over receives (and a timeout) while senders race them; returns
    (sent, received, left in the channels)."""
    rng = random.Random(seed)
    delays = [rng.choice([0, 0, 1, 2, 3]) for _ in range(4 * rounds)]
    unit = 1 if deterministic else 0.2  # keep real time small in normal mode

    async def main():
        channels = [channel(), channel(3)]
        sent, received = [], []
        owner = Owner()

        async def sender(ch, base):
            for i in range(rounds):
                d = delays[(base + i) % len(delays)]
                if d:
                    await sleep(d * unit)
                else:
                    await asyncio.sleep(0)
                await ch.send((base, i))
                sent.append((base, i))

        senders = [spawn(lambda ch=ch, base=k * rounds: sender(ch, base), owner)
                   for k, ch in enumerate(channels)]
        for i in range(2 * rounds):
            index, value = await select(
                [channels[0].receive, channels[1].receive, lambda: sleep(2 * unit)],
                lines=[1, 2, 3])
            if index < 2:
                received.append(value)
            if i % 7 == 0:  # also lose some receives to a timeout and a race
                value = await timeout(unit, channels[i % 2].receive)
                if value is not None:
                    received.append(value)
                value = await race([channels[0].receive, channels[1].receive],
                                   lines=[1, 2]) if any(ch.len() for ch in channels) else None
                if value is not None:
                    received.append(value)
        while not all(f.done() for f in senders):  # a sender may wait for room
            value = await timeout(5 * unit, channels[1].receive)
            if value is not None:
                received.append(value)
        left = []
        for ch in channels:
            while ch.len():
                left.append(ch.try_receive())
        return sent, received, left

    return run(main, deterministic=deterministic)


@pytest.mark.parametrize("deterministic", [True, False])
def test_no_message_is_lost_to_cancelled_receives(deterministic):
    for seed in range(8 if deterministic else 2):
        sent, received, left = select_storm(deterministic, rounds=60, seed=seed)
        assert len(sent) == 120
        assert sorted(received + left) == sorted(sent)  # nothing lost, nothing twice
        # FIFO per channel: each sender's values arrive in the order it sent them.
        for base in (0, 60):
            got = [i for (b, i) in received + left if b == base]
            assert got == sorted(got)


def test_no_message_is_lost_when_a_winner_and_a_loser_are_woken_together():
    # Both receives are woken in the same loop iteration; the first one wins the select
    # and the other, not yet resumed, must leave its message in the channel.
    async def main():
        a, b = channel(), channel()
        owner = Owner()

        async def both():
            await sleep(10)
            await a.send("a")
            await b.send("b")

        spawn(both, owner)
        index, value = await select([a.receive, b.receive], lines=[1, 2])
        return (index, value), a.len() + b.len()
    assert run(main) == ((0, "a"), 1)


def test_a_deadlock_is_reported_in_deterministic_mode():
    async def main():
        ch = channel(1)
        await ch.send(1)
        await race([lambda: ch.send(2), lambda: channel().receive()], lines=[1, 2])
    with pytest.raises(LumenError) as info:
        run(main)
    assert info.value.kind == "RuntimeError"
    assert info.value.message.startswith("deadlock")
