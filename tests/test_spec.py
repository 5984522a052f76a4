"""Golden tests: every `tests/spec/<feature>/NAME.lm` (or `.lm.md`) program is run with
`lumen run` and compared with its expectations:

* `NAME.out`  — the exact standard output (required);
* `NAME.code` — the exit code (default 0);
* `NAME.err`  — lines that must each appear in standard error (for errors);
* `NAME.args` — extra command-line arguments, one per line (e.g. `--cell` and a name).

A program whose first line is `# check` is only checked (`lumen check`), not run.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from lumen import cli

SPEC = Path(__file__).parent / "spec"
PROGRAMS = sorted(p for p in SPEC.rglob("*") if p.name.endswith((".lm", ".lm.md")))


def _stem(path: Path) -> Path:
    name = path.name
    base = name[:-len(".lm.md")] if name.endswith(".lm.md") else name[:-len(".lm")]
    return path.with_name(base)


def run_program(path: Path) -> tuple[int, str, str]:
    stem = _stem(path)
    args_file = stem.with_suffix(".args")
    extra = args_file.read_text().split("\n") if args_file.exists() else []
    command = "check" if path.read_text().startswith("# check") else "run"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([command, str(path.relative_to(SPEC.parent.parent))]
                        + [a for a in extra if a])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(SPEC)))
def test_program(path: Path, monkeypatch):
    monkeypatch.chdir(SPEC.parent.parent)
    stem = _stem(path)
    code, out, err = run_program(path)
    expected_code = int(stem.with_suffix(".code").read_text()) \
        if stem.with_suffix(".code").exists() else 0
    assert code == expected_code, f"exit code {code}, stderr:\n{err}"
    assert out == stem.with_suffix(".out").read_text(), f"stderr:\n{err}"
    err_file = stem.with_suffix(".err")
    if err_file.exists():
        for line in err_file.read_text().splitlines():
            if line.strip():
                assert line in err, f"missing in stderr: {line!r}\nstderr:\n{err}"
    assert "Traceback (most recent call last)" not in err, "a Python traceback leaked"


def test_there_are_many_programs():
    assert len(PROGRAMS) >= 100
