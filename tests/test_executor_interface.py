"""The executor interface takes work, not coroutines: an executor that ships every work
item through pickling (as a distributed executor does) and rebuilds it from the
program's code gives every orchestration golden program its expected output."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

import lumen
from lumen.runtime import shipping
from lumen.runtime.executor import LocalExecutor

SPEC = Path(__file__).parent / "spec"
PROGRAMS = sorted(p for p in (SPEC / "orchestration").glob("*.lm")
                  if not p.with_suffix(".code").exists()
                  and not p.with_suffix(".args").exists()
                  and not p.read_text().startswith("# check"))


class ShippingExecutor(LocalExecutor):
    """Every work item crosses a pickle boundary before it runs; a work item that must not
    (`shipping.shippable` says no: it assigns a captured variable or captures a list,
    a channel, ...) or cannot (a started coroutine) runs as it is, and is counted."""

    name = "shipping"
    local = False   # its spawn must be called: it ships the work first

    def __init__(self):
        self.shipped = 0
        self.kept = 0
        self._seen: list = []   # forms whose work has been shipped (kept alive: ids stay unique)

    def _ship(self, function):
        if not shipping.shippable(function):
            self.kept += 1
            return function
        copy = shipping.loads(shipping.dumps(function))
        assert copy is not function
        self.shipped += 1
        return copy

    def fill(self, form) -> None:
        if not any(seen is form for seen in self._seen):
            self._seen.append(form)
            if form.body is None:
                form.items = [self._ship(item) for item in form.items]
            else:
                form.body = self._ship(form.body)
        super().fill(form)

    def spawn(self, run, work, owner, line):
        if type(work).__name__ != "coroutine":
            work = self._ship(work)
        return super().spawn(run, work, owner, line)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_orchestration_programs_give_the_same_output_with_shipped_work(path):
    program = lumen.load(path)
    executor = ShippingExecutor()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        program.execute(None, {}, executor=executor)
    assert out.getvalue() == path.with_suffix(".out").read_text()


def test_work_items_really_cross_and_unshippable_ones_stay(tmp_path):
    path = tmp_path / "p.lm"
    path.write_text(
        "cell main() -> Int\n"
        "  let base = 10\n"
        "  let xs = await parallel for i in 0..4\n"
        "    base + i\n"
        "  end\n"
        "  let log = []\n"
        "  let (a, b) = await parallel\n"
        "    log.push(sum(xs))\n"
        "    base * 2\n"
        "  end\n"
        "  log[0] + b\n"
        "end\n")
    executor = ShippingExecutor()
    assert lumen.load(path).execute("main", {}, executor=executor) == 66
    assert executor.shipped == 2      # the parallel-for body and the second branch
    assert executor.kept == 1         # the first branch pushes to the captured `log`


def test_a_shipped_function_is_rebuilt_from_the_same_code_with_copied_values(tmp_path):
    path = tmp_path / "p.lm"
    path.write_text("cell make(n: Int) -> Any\n  fn(x: Int) => x + n\nend\n")
    program = lumen.load(path)
    add = program.run("make", n=5)
    copy = shipping.loads(shipping.dumps(add))
    assert copy is not add and copy.__code__ is add.__code__
    assert copy(1) == 6
