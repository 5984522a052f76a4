"""Every program in examples/ runs and prints what is expected of it: exactly its
`NAME.out` file, or — for programs whose output depends on a model's answers — one line
per regular expression of its `NAME.pattern` file. A `NAME.args` file holds extra
`lumen run` arguments, one per line (e.g. `--replay` and the recording of an example
that calls models and web servers)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from lumen import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _expectation(path: Path) -> Path | None:
    stem = path.name.split(".")[0]
    for suffix in (".out", ".pattern"):
        candidate = path.with_name(stem + suffix)
        if candidate.exists():
            return candidate
    return None


def _programs() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*") if p.name.endswith((".lm", ".lm.md"))
                  and "lib" not in p.parts)


PROGRAMS = [p for p in _programs() if _expectation(p) is not None]


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example(path: Path, monkeypatch):
    monkeypatch.chdir(EXAMPLES.parent)
    out, err = io.StringIO(), io.StringIO()
    args_file = path.with_name(path.name.split(".")[0] + ".args")
    extra = [a for a in args_file.read_text().split("\n") if a] if args_file.exists() else []
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["run", str(path.relative_to(EXAMPLES.parent))] + extra)
    assert code == 0, err.getvalue()
    expected = _expectation(path)
    if expected.suffix == ".out":
        assert out.getvalue() == expected.read_text()
        return
    lines = out.getvalue().splitlines()
    patterns = expected.read_text().splitlines()
    assert len(lines) == len(patterns), out.getvalue()
    for line, pattern in zip(lines, patterns):
        assert re.match(pattern, line), f"{line!r} does not match {pattern!r}"


def test_every_example_has_an_expectation():
    missing = [p for p in _programs() if _expectation(p) is None]
    assert not missing, f"examples without a .out or .pattern file: {missing}"
