"""Every program in examples/ runs and prints what its `.out` file (next to it) says."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from lumen import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROGRAMS = sorted(p for p in EXAMPLES.rglob("*") if p.name.endswith((".lm", ".lm.md"))
                  and p.with_name(p.name.split(".")[0] + ".out").exists())


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example(path: Path, monkeypatch):
    monkeypatch.chdir(EXAMPLES.parent)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["run", str(path.relative_to(EXAMPLES.parent))])
    assert code == 0, err.getvalue()
    expected = path.with_name(path.name.split(".")[0] + ".out").read_text()
    assert out.getvalue() == expected


def test_every_example_has_expected_output():
    programs = [p for p in EXAMPLES.rglob("*") if p.name.endswith((".lm", ".lm.md"))
                and "lib" not in p.parts]
    missing = [p for p in programs if not p.with_name(p.name.split(".")[0] + ".out").exists()]
    assert not missing, f"examples without a .out file: {missing}"
