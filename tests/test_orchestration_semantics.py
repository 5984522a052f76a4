"""The semantics of LANGUAGE.md section 7, proven on Lumen programs run the way users run
them (`lumen.load(path).run(...)`), in real time where time is the point.

Timing assertions use generous bounds: a form over N branches that each sleep d must take
about d, and never anything near N * d. Orderings that depend on timing are checked with
gaps of at least 100 ms, or in deterministic mode, where they are exact. The golden
programs of tests/spec/orchestration/ cover the rest of the section, one behaviour each.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
import time
from pathlib import Path

import pytest

import lumen


def write(tmp_path: Path, source: str, name: str = "program.lm") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip("\n"))
    return path


_LISTENERS: list = []   # what the `trace` fixture listens with (test-only)


def run(path: Path, cell: str | None = "main", **args) -> tuple[object, str, float]:
    """Load and run `cell`: (its value, what it printed, real seconds of the run)."""
    program = lumen.load(path)
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        value = program.execute(cell, args, listeners=tuple(_LISTENERS))
    return value, out.getvalue(), time.perf_counter() - start


@pytest.fixture
def trace():
    """The runtime's trace events of the runs in the test, as (kind, fields) pairs."""
    seen: list = []
    _LISTENERS.append(lambda kind, fields: seen.append((kind, dict(fields))))
    yield seen
    _LISTENERS.clear()


# --------------------------------------------------------------- true concurrency


def test_fifty_branches_of_sleep_take_about_one_sleep(tmp_path):
    path = write(tmp_path, """
        cell main() -> Int
          let done = await parallel for i in 0..50
            sleep(200)
            i
          end
          length(done)
        end
    """)
    value, _, elapsed = run(path)
    assert value == 50
    assert 0.19 <= elapsed < 1.5, f"50 x 200 ms took {elapsed:.2f} s (serial: 10 s)"


def test_every_form_runs_its_branches_at_the_same_time(tmp_path):
    path = write(tmp_path, """
        cell nap(ms: Int, v: Any) -> Any
          sleep(ms)
          v
        end

        cell main() -> list[Any]
          let block = await parallel
            nap(200, 1)
            nap(200, 2)
            nap(200, 3)
            nap(200, 4)
          end
          let voted = await vote
            nap(200, "x")
            nap(200, "y")
            nap(200, "x")
            nap(200, "y")
            nap(200, "x")
          end
          let futures = [spawn(nap(200, "f1")), spawn(nap(200, "f2")), spawn(nap(200, "f3"))]
          [block, voted, await futures]
        end
    """)
    value, _, elapsed = run(path)
    assert value == [(1, 2, 3, 4), "x", ["f1", "f2", "f3"]]
    assert 0.59 <= elapsed < 1.6, f"three rounds of 200 ms took {elapsed:.2f} s (serial: 2.4 s)"


def test_a_thousand_branches_of_sleep_take_about_one_sleep(tmp_path):
    path = write(tmp_path, """
        cell main() -> Int
          let done = await parallel for i in 0..1000
            sleep(300)
            i * 2
          end
          sum(done)
        end
    """)
    value, _, elapsed = run(path)
    assert value == sum(i * 2 for i in range(1000))
    assert 0.29 <= elapsed < 2.0


def test_parallel_for_keeps_input_order_whatever_the_completion_order(tmp_path):
    path = write(tmp_path, """
        cell main() -> list[Int]
          let finished = []
          let results = await parallel for i in 0..4
            sleep(400 - 100 * i)
            finished.push(i)
            i * 10
          end
          print(finished)
          results
        end
    """)
    value, out, elapsed = run(path)
    assert value == [0, 10, 20, 30]
    assert out == "[3, 2, 1, 0]\n"
    assert elapsed < 1.2


def test_limit_bounds_the_branches_in_flight(tmp_path):
    path = write(tmp_path, """
        cell main() -> list[Int]
          let mut in_flight = 0
          let mut peak = 0
          let ids = await parallel(limit: 4) for i in 0..20
            in_flight += 1
            peak = max(peak, in_flight)
            sleep(50)
            in_flight -= 1
            i
          end
          [peak, in_flight, length(ids), ids[19]]
        end
    """)
    value, _, elapsed = run(path)
    assert value == [4, 0, 20, 19]
    # 20 branches, 4 at a time, 50 ms each: 5 rounds, about 250 ms (not 50 ms, not 1 s).
    assert 0.24 <= elapsed < 0.95


def test_limit_counted_with_a_channel(tmp_path):
    path = write(tmp_path, """
        cell main() -> Int
          let tokens = channel(capacity: 3)
          let mut peak = 0
          await parallel(limit: 3) for i in 0..12
            tokens.send(i)
            peak = max(peak, tokens.len())
            sleep(20)
            tokens.receive()
          end
          peak
        end
    """)
    value, _, _ = run(path)
    assert value == 3


# ------------------------------------------------------ cancellation is final


def test_a_losing_race_branch_never_prints(tmp_path):
    path = write(tmp_path, """
        cell loser() -> String
          sleep(150)
          print("loser's side effect")
          "loser"
        end

        cell main() -> String
          let winner = await race
            loser()
            sleep(20) |> fn(_) => "winner"
          end
          sleep(500)
          print("still running long after")
          winner
        end
    """)
    value, out, _ = run(path)
    assert value == "winner"
    assert out == "still running long after\n"


def test_timeout_and_failed_parallel_cancel_for_good(tmp_path):
    path = write(tmp_path, """
        cell effect(tag: String, ms: Int) -> String
          sleep(ms)
          print("side effect: {tag}")
          tag
        end

        cell fail(ms: Int) -> String
          sleep(ms)
          halt "branch failed"
        end

        cell main() -> list[Any]
          let t = await timeout(30, effect("timed out", 200))
          let p = try (await parallel
            effect("parallel sibling", 200)
            fail(20)
          end)
          let v = await vote
            effect("voter a", 10)
            effect("voter a", 20)
            effect("slow voter", 300)
          end
          sleep(500)
          [t, p is result, v]
        end
    """)
    value, out, _ = run(path)
    assert value == [None, True, "voter a"]
    assert out == "side effect: voter a\nside effect: voter a\n"


def test_quorum_returns_before_the_slow_voter(tmp_path):
    path = write(tmp_path, """
        cell voter(answer: String, ms: Int) -> String
          sleep(ms)
          print("{answer} after {ms} ms")
          answer
        end

        cell main() -> String
          await vote
            voter("yes", 30)
            voter("yes", 60)
            voter("no", 3000)
          end
        end
    """)
    value, out, elapsed = run(path)
    assert value == "yes"
    assert out == "yes after 30 ms\nyes after 60 ms\n"
    assert elapsed < 1.0, f"the vote waited for the slow voter ({elapsed:.2f} s)"


def test_never_awaited_futures_are_cancelled_and_recorded(tmp_path, trace):
    path = write(tmp_path, """
        cell effect(tag: String) -> String
          sleep(100)
          print("side effect: {tag}")
          tag
        end

        cell helper() -> Future
          let forgotten = spawn(effect("forgotten"))
          let returned = spawn(effect("returned"))
          sleep(10)
          returned
        end

        cell main() -> String
          let f = helper()
          sleep(300)
          await f
        end
    """)
    value, out, _ = run(path)
    assert value == "returned"
    assert out == "side effect: returned\n"
    cancelled = [f for kind, f in trace if kind == "future_cancelled"]
    assert cancelled == [{"line": 8, "reason": "owner returned"}]
    assert [f["line"] for kind, f in trace if kind == "spawn"] == [8, 9]


def test_a_closure_spawning_after_its_cell_returned_is_owned_by_the_run(tmp_path, trace):
    path = write(tmp_path, """
        cell effect() -> String
          sleep(200)
          print("side effect")
          "done"
        end

        cell make() -> Any
          sleep(1)
          fn() => spawn(effect())
        end

        cell main() -> String
          let start = make()
          let f = start()
          sleep(10)
          "main returned"
        end
    """)
    value, out, _ = run(path)
    assert value == "main returned"
    assert out == ""
    cancelled = [f for kind, f in trace if kind == "future_cancelled"]
    assert cancelled == [{"line": 9, "reason": "run ended"}]


# ------------------------------------------------------------- no message lost


@pytest.mark.parametrize("deterministic", [False, True])
def test_no_message_is_lost_when_receives_are_cancelled(tmp_path, deterministic):
    path = write(tmp_path, f"""
        @deterministic {str(deterministic).lower()}

        cell producer(c: Channel, n: Int)
          for i in 0..n
            c.send(i)
            if i % 2 == 0
              sleep(0)
            end
          end
        end

        cell main() -> list[Int]
          let c = channel()
          let n = 3000
          let p = spawn(producer(c, n))
          let received = []
          let mut losses = 0
          for round in 0..1200
            let v = await select
              got = c.receive()
              idle = sleep(0)
            end
            if got != null
              received.push(got)
            else
              losses += 1
            end
            let w = await race
              c.receive()
              sleep(0) |> fn(_) => null
            end
            if w != null
              received.push(w)
            else
              losses += 1
            end
            let t = await timeout(0, c.receive())
            if t != null
              received.push(t)
            else
              losses += 1
            end
          end
          await p
          let left = c.len()
          let rest = []
          while c.len() > 0
            rest.push(c.try_receive())
          end
          assert(received ++ rest == range(0, n), "lost, duplicated or reordered")
          [n, length(received), left, losses]
        end
    """)
    (sent, received, left, losses), _, _ = run(path)
    assert sent == received + left
    assert losses > 0  # the other branch did win some rounds: cancellation was exercised


def test_no_message_is_lost_with_a_bounded_channel_and_racing_senders(tmp_path):
    path = write(tmp_path, """
        cell main() -> list[Int]
          let c = channel(capacity: 2)
          let delivered = []
          let mut sends_cancelled = 0
          for i in 0..500
            # a send that may wait for room races a receive of the oldest value
            let sent = await race
              c.send(i) |> fn(_) => true
              sleep(0) |> fn(_) => false
            end
            if not sent
              sends_cancelled += 1
            end
            if i % 3 == 0
              delivered.push(c.receive())
            end
          end
          while c.len() > 0
            delivered.push(c.try_receive())
          end
          [length(delivered), sends_cancelled, length(unique(delivered))]
        end
    """)
    (count, cancelled, distinct), _, _ = run(path)
    # every send that returned delivered its value exactly once; a cancelled one none
    assert count == distinct == 500 - cancelled
    assert cancelled > 0  # some sends did wait for room and were cancelled


# ------------------------------------------------------------------ errors


def test_halt_message_is_the_same_through_every_form(tmp_path):
    path = write(tmp_path, """
        cell stop(message: String) -> Int
          sleep(1)
          halt message
        end

        cell message(r: result[Any, Failure]) -> String
          match r
            ok(_) -> "none"
            err(f) -> "{f.kind}|{f.message}"
          end
        end

        cell main(text: String) -> list[String]
          let f = spawn(stop(text))
          [
            message(try stop(text)),
            message(try (await f)),
            message(try (await {"k": [f]})),
            message(try (await parallel
              stop(text)
              sleep(50)
            end)),
            message(try (await parallel for i in [1]
              stop(text)
            end)),
            message(try (await timeout(500, stop(text)))),
            match f.state
              Error(m) -> "Halt|" ++ m
              _ -> "not an error"
            end,
          ]
        end
    """)
    text = 'a "quoted" {braced} message\nwith a newline'
    value, _, _ = run(path, text=text)
    assert value == ["Halt|" + text] * 7


def test_uncaught_branch_failure_has_a_traceback_through_the_branch_line(tmp_path):
    path = write(tmp_path, """
        cell inner(x: Int) -> Int
          sleep(1)
          100 / x
        end

        cell outer(x: Int) -> Int = inner(x - 1) + 1

        cell main() -> Any
          await parallel
            outer(5)
            outer(1)
          end
        end
    """)
    from lumen.runtime.frames import lumen_frames
    from lumen.runtime.translation import translate
    with pytest.raises(Exception) as info:
        run(path)
    error = translate(info.value)
    assert error.kind == "RuntimeError" and error.message == "division by zero"
    frames = [(Path(f.file).name, f.line, f.cell) for f in lumen_frames(info.tb)]
    assert frames == [("program.lm", 9, "main"), ("program.lm", 11, "main.<branch>"),
                      ("program.lm", 6, "outer"), ("program.lm", 3, "inner")]


# ---------------------------------------------------------- deterministic mode


RACY = """
@deterministic true

cell worker(name: String, log: list[String], c: Channel) -> String
  for step in 0..3
    sleep((length(name) * 7 + step * 3) % 5)
    log.push("{name}:{step}")
    c.send(name)
  end
  name
end

cell main() -> Any
  let log = []
  let c = channel(capacity: 2)
  let names = ["ann", "bo", "cyd", "dee", "eve"]
  let futures = [spawn(worker(n, log, c)) for n in names]
  let fastest = await race
    worker("racer", log, channel())
    sleep(100000) |> fn(_) => "the long timer"
  end
  let mut drained = []
  for i in 0..15
    drained.push(c.receive())
  end
  let picked = await select
    a = c.receive()
    b = sleep(0) |> fn(_) => "empty"
  end
  let voted = await vote
    await futures[0]
    await futures[1]
    "ann"
  end
  print(log)
  print(drained)
  print(fastest, picked, voted, a, b)
end
"""


def test_a_racy_program_gives_the_same_output_and_trace_every_run(tmp_path):
    path = write(tmp_path, RACY)
    outputs, traces = set(), set()
    for _ in range(20):
        seen: list = []
        _LISTENERS.append(lambda kind, fields, seen=seen: seen.append((kind, fields)))
        try:
            _, out, elapsed = run(path)
        finally:
            _LISTENERS.clear()
        assert elapsed < 2.0  # a race against sleep(100000) costs no real time
        outputs.add(out)
        traces.add(repr(seen))
    assert len(outputs) == 1 and len(traces) == 1
    out = outputs.pop()
    assert out.splitlines()[2] == "racer empty ann null empty"
    trace = eval(traces.pop())  # noqa: S307 - our own repr of plain values
    kinds = [kind for kind, _ in trace]
    assert kinds.count("spawn") == 5 and "form_end" in kinds
    elapsed_ms = [f["elapsed_ms"] for kind, f in trace if kind == "form_end"]
    assert all(ms == round(ms, 6) for ms in elapsed_ms)  # virtual times


def test_a_race_against_a_long_sleep_takes_no_real_time(tmp_path):
    path = write(tmp_path, """
        @deterministic true

        cell main() -> list[Any]
          let a = await race
            sleep(100000) |> fn(_) => "timer"
            sleep(5) |> fn(_) => "work"
          end
          let b = await timeout(100000000, sleep(99999999) |> fn(_) => "slow work")
          sleep(3600000)
          [a, b]
        end
    """)
    value, _, elapsed = run(path)
    assert value == ["work", "slow work"]
    assert elapsed < 0.5


def test_deterministic_mode_rejects_uuid_timestamp_random(tmp_path):
    path = write(tmp_path, """
        @deterministic true

        cell main()
          print(uuid(), timestamp(), random())
        end
    """)
    with pytest.raises(lumen.CheckError) as info:
        lumen.load(path)
    messages = [d.message for d in info.value.diagnostics]
    assert messages == [f"`{name}()` is not allowed with `@deterministic true`"
                        for name in ("uuid", "timestamp", "random")]
    # Without the directive they are fine.
    path.write_text(path.read_text().replace("@deterministic true", ""))
    lumen.load(path)


# -------------------------------------------------------------------- tools


@pytest.fixture
def work_tool():
    """A Python tool `test.work(tag, ms)` that really takes `ms` milliseconds (and fails
    for the tag "boom"); the log records starts and ends."""
    import asyncio

    import lumen.tools

    log: list = []

    @lumen.tools.tool("test.work")
    async def work(tag: str, ms: int) -> str:
        log.append(f"start {tag}")
        await asyncio.sleep(ms / 1000)
        if tag == "boom":
            raise ValueError("the tool broke")
        log.append(f"end {tag}")
        return tag.upper()

    yield log
    lumen.tools.unregister("test.work")


TOOL_PROGRAM = """
@deterministic {mode}
use tool test.work as Work
grant Work timeout_ms 300

cell call(tag: String, ms: Int) -> String / {{test}}
  Work(tag: tag, ms: ms)
end

cell main() -> list[Any] / {{test}}
  let both = await parallel
    call("a", 150)
    call("b", 150)
  end
  let bounded = await timeout(1, call("c", 50))
  let kinds = [try call("slow", 1000), try call("boom", 1)]
  [both, bounded, map(kinds, fn(r) => match r
    ok(v) -> v
    err(f) -> f.kind
  end)]
end
"""


def test_deterministic_tool_calls_are_atomic(tmp_path, work_tool):
    path = write(tmp_path, TOOL_PROGRAM.format(mode="true"))
    value, _, elapsed = run(path)
    # Each call completes before any other task runs and takes no virtual time: the
    # 1 ms timeout does not cut off the 50 ms call.
    assert value == [("A", "B"), "C", ["Timeout", "ToolError"]]
    assert work_tool[:6] == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert elapsed >= 0.3  # a and b ran one after the other, for real


def test_tool_calls_overlap_in_normal_mode(tmp_path, work_tool):
    path = write(tmp_path, TOOL_PROGRAM.format(mode="false"))
    value, _, _ = run(path)
    assert value == [("A", "B"), None, ["Timeout", "ToolError"]]
    assert work_tool[:2] == ["start a", "start b"]
