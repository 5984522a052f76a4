"""The private asyncio names (runtime/asyncio_compat.py) and their public fallback: the
same orchestration programs print the same with and without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lumen.runtime import asyncio_compat

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "orchestration"

# Normal mode (real time), every kind of branch: trivial ones that finish in their first
# step, nested forms, a race whose loser is cancelled, spawn/await, parallel for.
REAL_TIME_PROGRAM = """\
# Can suspend, so it compiles to a coroutine, but never does: its branches finish in
# their first step.
cell trivial(i: Int) -> Int
  if i < 0
    sleep(1)
  end
  print("trivial {i}")
  i * 10
end

cell nap(name: String, ms: Int) -> String
  print("start {name}")
  sleep(ms)
  print("done {name}")
  name
end

cell nested(i: Int) -> Int
  let pair = await parallel
    trivial(i)
    trivial(i + 1)
  end
  pair.0 + pair.1
end

cell main()
  let tens = await parallel for i in [1, 2, 3]
    trivial(i)
  end
  print(tens)
  let sums = await parallel for i in [1, 3]
    nested(i)
  end
  print(sums)
  let winner = await race
    nap("slow", 400)
    nap("fast", 5)
  end
  print("winner {winner}")
  let futures = [spawn(nap("s{i}", 10 * i)) for i in [3, 1, 2]]
  print(await futures)
  let majority = await vote
    trivial(1)
    trivial(1)
    trivial(2)
  end
  print(majority)
  print(await timeout(20, nap("late", 2000)))
  sleep(450)
  print("the slow racer never finished")
end
"""

# Runs each program with the CLI and prints what the runtime resolved, then each output.
RUNNER = """\
import contextlib, io, sys
from lumen import cli
from lumen.runtime import asyncio_compat as compat
print("eager", compat.EAGER_STEP,
      "public loop lookup", compat.get_running_loop_or_none is compat._public_get_running_loop)
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["run", path])
    print(f"== {path} exit {code}")
    print(out.getvalue(), end="")
"""


def _run_all(paths: list[str], public: bool) -> str:
    env = dict(os.environ)
    env.pop("LUMEN_ASYNCIO_PUBLIC", None)
    if public:
        env["LUMEN_ASYNCIO_PUBLIC"] = "1"
    done = subprocess.run([sys.executable, "-c", RUNNER, *paths], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _programs(tmp_path: Path) -> list[str]:
    real_time = tmp_path / "real_time.lm"
    real_time.write_text(REAL_TIME_PROGRAM)
    names = ["race", "race_with_timeout", "parallel_collection", "parallel_block",
             "spawn_futures", "spawn_list", "deterministic_scheduling", "select", "vote",
             "timeout", "future_states"]
    return [str(real_time)] + [str(EXAMPLES / f"{name}.lm") for name in names]


def test_the_public_fallback_runs_orchestration_exactly_like_the_private_names(tmp_path):
    paths = _programs(tmp_path)
    private = _run_all(paths, public=False)
    public = _run_all(paths, public=True)
    private_head, _, private_outputs = private.partition("\n")
    public_head, _, public_outputs = public.partition("\n")
    # This interpreter (3.11-3.13) has the private names; the variable disables them.
    assert private_head == "eager True public loop lookup False"
    assert public_head == "eager False public loop lookup True"
    assert public_outputs == private_outputs
    # ... and both are right: every example prints its .out file.
    sections = private_outputs.split("== ")[1:]
    assert len(sections) == len(paths)
    for path, section in zip(paths, sections):
        head, _, output = section.partition("\n")
        assert head == f"{path} exit 0"
        if path.startswith(str(EXAMPLES)):
            assert output == Path(path).with_suffix(".out").read_text()
    assert "done slow" not in private_outputs
    assert "winner fast\n" in private_outputs
    assert "[30, 70]\n" in private_outputs  # nested parallel forms: (10+20), (30+40)


def test_trivial_branches_finish_inside_start_with_the_private_names():
    # The point of the private names: on 3.11-3.13 a branch that never suspends has
    # finished by the time `Scope.start` returns, without a loop iteration.
    import asyncio

    from lumen.runtime.scope import Scope

    assert asyncio_compat.EAGER_STEP
    seen = []

    class Collect(Scope):
        __slots__ = ()

        def succeeded(self, index, value):
            seen.append((index, value))

    async def trivial():
        return 7

    async def main():
        scope = Collect(asyncio.get_running_loop(), 1)
        scope.start(0, trivial())
        finished_in_start = seen == [(0, 7)] and scope.running == 0
        await scope.join()
        return finished_in_start
    assert asyncio.run(main()) is True
    assert seen == [(0, 7)]


def test_the_check_at_import_refuses_names_that_are_missing_or_behave_differently(
        monkeypatch):
    import asyncio.tasks

    assert asyncio_compat._probe_eager_names() is not None  # as on 3.11-3.13
    # As on Python 3.14: `_current_tasks` still exists, but the C `_enter_task` no
    # longer records the current task there.
    monkeypatch.setattr(asyncio.tasks, "_current_tasks", {})
    assert asyncio_compat._probe_eager_names() is None
    monkeypatch.undo()
    monkeypatch.delattr(asyncio.tasks, "_leave_task")
    assert asyncio_compat._probe_eager_names() is None
