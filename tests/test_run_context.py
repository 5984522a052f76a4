"""The run object (runtime/run.py) and what stands on it: isolated runs, values and
programs that cross process boundaries, deterministic runs from any entry point, and a
cache that knows what the check depended on."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import lumen
from lumen.runtime import run as runs
from lumen.runtime.errors import LumenError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


WHO_PROGRAM = """
    use tool t.who as Who

    cell main(d: Int) -> String / {t}
      Who(d: d)
    end
"""


def who_project(root: Path, name: str, asynchronous: bool = False) -> Path:
    """A directory whose lumen.toml maps `t.who` to its own `who.py`, answering `name`."""
    write(root / name / "lumen.toml", '[providers]\n"t.who" = "python:who:who"\n')
    if asynchronous:
        body = f"import asyncio\nasync def who(d):\n    await asyncio.sleep(d / 1000)\n" \
               f"    return {name!r}\n"
    else:
        body = f"import time\ndef who(d):\n    time.sleep(d / 1000)\n    return {name!r}\n"
    (root / name / "who.py").write_text(body)
    return write(root / name / "prog.lm", WHO_PROGRAM)


# ------------------------------------------------------------------------ isolation


def test_two_runs_in_two_threads_are_served_by_their_own_providers(tmp_path):
    programs = {name: lumen.load(who_project(tmp_path, name)) for name in ("A", "B")}
    answers: dict = {}

    def go(name, delay):
        answers[name] = programs[name].run(d=delay)

    # A's call is still in flight while B's whole run starts and ends.
    threads = [threading.Thread(target=go, args=("A", 400)),
               threading.Thread(target=go, args=("B", 50))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {"A": "A", "B": "B"}


def test_two_runs_in_one_event_loop_are_served_by_their_own_providers(tmp_path):
    a = lumen.load(who_project(tmp_path, "A", asynchronous=True))
    b = lumen.load(who_project(tmp_path, "B", asynchronous=True))

    async def both():
        return await asyncio.gather(a.run_async(d=300), b.run_async(d=30))

    assert asyncio.run(both()) == ["A", "B"]


def test_two_runs_never_share_listeners(tmp_path):
    program = lumen.load(write(tmp_path / "p.lm", """
        cell main(n: Int) -> List
          await parallel for i in 0..n
            sleep(10)
            i
          end
        end
    """))
    seen: dict = {"one": [], "two": []}

    def go(name, n):
        program.execute("main", {"n": n},
                        listeners=(lambda kind, fields: seen[name].append(fields),))

    threads = [threading.Thread(target=go, args=("one", 2)),
               threading.Thread(target=go, args=("two", 5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [f["branches"] for f in seen["one"]] == [2, 2]
    assert [f["branches"] for f in seen["two"]] == [5, 5]
    assert runs.current() is runs.NO_RUN


def test_a_registry_given_to_load_serves_only_that_program(tmp_path):
    from lumen.tools.registry import ToolRegistry

    path = write(tmp_path / "p.lm", """
        use tool w.today as Today

        cell main() -> String / {w}
          Today(city: "Oslo")
        end
    """)
    mine = ToolRegistry()
    mine.register("w.today", lambda city: f"mine: {city}")
    theirs = ToolRegistry()
    theirs.register("w.today", lambda city: f"theirs: {city}")
    assert lumen.load(path, tools=mine).run() == "mine: Oslo"
    assert lumen.load(path, tools=theirs).run() == "theirs: Oslo"


def test_a_run_resolves_tools_in_the_registry_as_it_was_when_it_started(tmp_path):
    from lumen.tools.registry import ToolRegistry

    registry = ToolRegistry()
    started = threading.Event()
    release = threading.Event()

    def first(city):
        started.set()
        release.wait(10)
        return "first"

    registry.register("w.one", first)
    registry.register("w.two", lambda: "before")
    program = lumen.load(write(tmp_path / "p.lm", """
        use tool w.one as One
        use tool w.two as Two

        cell main() -> String / {w}
          let a = One(city: "x")
          "{a} {Two()}"
        end
    """), tools=registry)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(program.run()))
    worker.start()
    assert started.wait(10)
    registry.register("w.two", lambda: "after")   # registered while the run is going
    release.set()
    worker.join()
    assert result == ["first before"]
    assert program.run() == "first after"    # a new run sees the new registration


# ------------------------------------------------------------------------ pickling

VALUES = """
    record Point
      x: Int
      y: Int
    end

    enum Shape
      Circle(r: Int)
      Empty
    end

    cell main() -> Any
      (Point(x: 1, y: 2), Circle(r: 3), Empty)
    end

    cell norm(p: Point) -> Int
      p.x * p.x + p.y * p.y
    end
"""


def test_records_and_variants_pickle_to_the_same_classes(tmp_path):
    program = lumen.load(write(tmp_path / "vals.lm", VALUES))
    point, circle, empty = program.run()
    again = pickle.loads(pickle.dumps((point, circle, empty)))
    assert again == (point, circle, empty)
    assert type(again[0]) is type(point) and type(again[1]) is type(circle)
    assert again[2] is empty     # a unit variant is its one instance
    assert program.run("norm", p=again[0]) == 5


def test_unpickling_without_the_program_names_what_is_missing(tmp_path):
    program = lumen.load(write(tmp_path / "vals.lm", VALUES))
    data = pickle.dumps(program.run()[0])
    child = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import pickle, sys
        try:
            pickle.loads(sys.stdin.buffer.read())
        except Exception as exc:
            print(type(exc).__name__, exc)
    """)], input=data, capture_output=True, timeout=60)
    assert b"cannot rebuild a `Point` value: the program that defines it" in child.stdout


# ----------------------------------------------------------------------- program blobs


def test_a_program_blob_runs_in_a_fresh_interpreter_without_the_sources(tmp_path):
    write(tmp_path / "src" / "geometry.lm", """
        record Point
          x: Int
          y: Int
        end

        cell shifted(p: Point, by: Int) -> Point
          Point(x: p.x + by, y: p.y + by)
        end
    """)
    main = write(tmp_path / "src" / "main.lm", """
        import geometry: Point, shifted

        cell main(n: Int) -> Point
          shifted(Point(x: n, y: 0), 10)
        end
    """)
    program = lumen.load(main)
    expected = program.run(n=1)
    (tmp_path / "program.blob").write_bytes(program.blob())
    (tmp_path / "value.pickle").write_bytes(pickle.dumps(expected))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = textwrap.dedent("""
        import pickle, sys
        from pathlib import Path
        import lumen
        program = lumen.Program.from_blob(Path(sys.argv[1]).read_bytes())
        value = program.run("main", n=1)
        sent = pickle.loads(Path(sys.argv[2]).read_bytes())
        print(value, value == sent, type(value) is type(sent))
    """)
    env = dict(os.environ, LUMEN_NO_CACHE="1")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "program.blob"),
                           str(tmp_path / "value.pickle")], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout == "Point(x: 11, y: 10) True True\n", done.stderr


def test_the_blob_key_depends_only_on_the_sources(tmp_path):
    one = lumen.load(write(tmp_path / "a" / "vals.lm", VALUES))
    other_place = write(tmp_path / "b" / "deeper" / "renamed.lm", VALUES)
    os.utime(other_place, (1_000_000, 1_000_000))
    two = lumen.load(other_place)
    changed = lumen.load(write(tmp_path / "c" / "vals.lm", VALUES + "\n# an edit\n"))
    assert one.blob_key() == two.blob_key()
    assert one.blob_key() != changed.blob_key()
    assert one.blob() != changed.blob()


def test_a_blob_from_another_version_is_refused_naming_both(tmp_path):
    program = lumen.load(write(tmp_path / "vals.lm", VALUES))
    blob = program.blob()
    head, _, rest = blob.partition(b"\n{")
    header = json.loads(b"{" + rest.partition(b"\n")[0])
    body = rest.partition(b"\n")[2]
    header.update(lumen="0.0.1", python="3.99")
    forged = head + b"\n" + json.dumps(header).encode() + b"\n" + body
    with pytest.raises(LumenError) as info:
        lumen.Program.from_blob(forged)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert info.value.message == (f"this program blob was built by Lumen 0.0.1 on Python "
                                  f"3.99; this is Lumen {lumen.__version__} on Python {here}")


# ------------------------------------------------------------------- deterministic


def test_run_async_honours_deterministic(tmp_path):
    program = lumen.load(write(tmp_path / "p.lm", """
        @deterministic true

        cell main() -> Int
          sleep(3000)
          let w = await race
            sleep(100000) |> fn(_) => 1
            sleep(5) |> fn(_) => 2
          end
          w
        end
    """))
    started = time.perf_counter()
    assert asyncio.run(program.run_async()) == 2
    assert time.perf_counter() - started < 2.0   # virtual: 3 s of sleep cost nothing


# --------------------------------------------------------------------------- cache


def test_the_cache_never_hides_an_effect_error_of_another_registry(tmp_path):
    write(tmp_path / "p.lm", """
        use tool w.today as Today

        cell main() -> String / {http}
          Today(city: "Oslo")
        end
    """)
    env = dict(os.environ, LUMEN_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("LUMEN_NO_CACHE", None)
    registered = textwrap.dedent("""
        import lumen
        @lumen.tool("w.today", effect="http")
        def today(city):
            return "sunny in " + city
        print(lumen.load("p.lm").run())
    """)
    first = subprocess.run([sys.executable, "-c", registered], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert first.stdout == "sunny in Oslo\n", first.stderr
    second = subprocess.run([sys.executable, "-m", "lumen.cli", "run", "p.lm"],
                            cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "does not declare" in second.stderr and "w" in second.stderr
