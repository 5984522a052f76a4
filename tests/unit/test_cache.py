"""The compiled-program cache: a rerun of an unchanged program is a hit that skips the
front end; any edit (to the program or a module it imports) is a miss; the cache is safe
when entries are corrupt or written concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lumen import cache
from lumen.driver import build


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LUMEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("LUMEN_NO_CACHE", raising=False)
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_second_build_is_a_hit(tmp_path, cache_dir):
    program = write(tmp_path / "p.lm", "cell main() = 40 + 2\n")
    first = build(program)
    assert first.ok and cache.lookup(str(program)) is not None
    assert len(list(cache_dir.iterdir())) == 1
    again = build(program)
    assert again.program.run() == 42


def test_an_edit_is_a_miss(tmp_path, cache_dir):
    program = write(tmp_path / "p.lm", "cell main() = 1\n")
    build(program)
    write(program, "cell main() = 2\n")
    assert cache.lookup(str(program)) is None
    assert build(program).program.run() == 2


def test_an_edit_to_an_imported_module_is_a_miss(tmp_path, cache_dir):
    write(tmp_path / "lib" / "util.lm", "cell value() -> Int = 1\n")
    program = write(tmp_path / "p.lm", "import lib.util: value\ncell main() = value()\n")
    assert build(program).program.run() == 1
    write(tmp_path / "lib" / "util.lm", "cell value() -> Int = 2\n")
    assert cache.lookup(str(program)) is None
    assert build(program).program.run() == 2


def test_a_module_built_for_a_program_that_is_not_deterministic_is_checked_for_one_that_is(
        tmp_path, cache_dir):
    """A deterministic program's directive covers the modules it imports, so a module's
    cached build under a program that is not deterministic must not stand for it."""
    write(tmp_path / "lib" / "dice.lm", "cell roll() -> Float = random()\n")
    loose = write(tmp_path / "loose.lm", "import lib.dice: roll\ncell main() = roll()\n")
    assert build(loose).ok and cache.lookup(str(loose)) is not None
    strict = write(tmp_path / "strict.lm", "@deterministic true\n" + loose.read_text())
    assert [d.code for d in build(strict).diagnostics] == ["E501"]
    assert cache.lookup(str(strict)) is None
    write(loose, "@deterministic true\n" + loose.read_text())   # the same program, now strict
    assert cache.lookup(str(loose)) is None
    assert [d.code for d in build(loose).diagnostics] == ["E501"]


def test_a_hit_keeps_warnings(tmp_path, cache_dir):
    program = write(tmp_path / "p.lm", "use tool weather.today as W\ncell main() = 1\n")
    first = build(program)
    assert [d.code for d in first.diagnostics] == ["W101"]
    again = build(program)
    assert [d.code for d in again.diagnostics] == ["W101"]
    assert again.diagnostics[0].span.line == 1


def test_a_corrupt_entry_is_a_miss(tmp_path, cache_dir):
    program = write(tmp_path / "p.lm", "cell main() = 7\n")
    build(program)
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(b"not marshal data")
    assert cache.lookup(str(program)) is None
    assert build(program).program.run() == 7


def test_no_cache_when_turned_off(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("LUMEN_NO_CACHE", "1")
    program = write(tmp_path / "p.lm", "cell main() = 7\n")
    build(program)
    assert not cache_dir.exists()


def test_concurrent_runs_share_the_cache_safely(tmp_path, cache_dir):
    programs = [write(tmp_path / f"p{i}.lm", f"cell main() = {i}\n") for i in range(4)]
    errors = []

    def worker(path, expected):
        try:
            for _ in range(5):
                assert build(path).program.run() == expected
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p, i)) for i, p in enumerate(programs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not [p for p in cache_dir.iterdir() if p.suffix == ".tmp"]


def test_a_cached_run_does_not_import_the_front_end(tmp_path, cache_dir):
    program = write(tmp_path / "p.lm", "cell main()\n  print(\"hi\")\nend\n")
    build(program)
    probe = ("import sys\nfrom lumen import cli\ncode = cli.main(['run', sys.argv[1]])\n"
             "loaded = [m for m in sys.modules if m.startswith(('lumen.syntax', "
             "'lumen.check', 'lumen.compile', 'asyncio'))]\nprint(loaded)\n")
    env = dict(os.environ, LUMEN_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", probe, str(program)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.stdout.splitlines() == ["hi", "[]"], done.stderr


def test_an_edit_to_lumen_toml_is_a_miss_for_a_program_with_tools(tmp_path, cache_dir):
    write(tmp_path / "lumen.toml", '[providers]\n"w.today" = "python:h:today"\n')
    program = write(tmp_path / "p.lm", "use tool w.today as T\ncell main() = 1\n")
    build(program)
    assert cache.lookup(str(program)) is not None
    write(tmp_path / "lumen.toml", '[providers]\n"w.today" = "python:h:now"\n')
    assert cache.lookup(str(program)) is None
