"""The pipeline's phases, one at a time: loading finds and parses a program's modules into
a graph (dependencies first, each module once) without checking them; checking follows
the graph's order; compiling turns the checked graph into a program; the driver runs
them in that order."""

from __future__ import annotations

from pathlib import Path

from lumen import driver
from lumen.loader import load_graph


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def diamond(tmp_path: Path) -> Path:
    write(tmp_path / "lib" / "base.lm", "cell base() -> Int = 1\n")
    write(tmp_path / "lib" / "left.lm", "import base: base\ncell left() -> Int = base() + 1\n")
    write(tmp_path / "lib" / "right.lm", "import base: base\ncell right() -> Int = base() + 2\n")
    return write(tmp_path / "main.lm", "import lib.left: left\nimport lib.right: right\n"
                                       "cell main() = left() + right() + nope\n")


def names(graph) -> list[str]:
    return [Path(unit.source.path).name for unit in graph.order]


def test_loading_parses_each_module_once_dependencies_first(tmp_path):
    graph = load_graph(diamond(tmp_path))
    assert names(graph) == ["base.lm", "left.lm", "right.lm", "main.lm"]
    assert graph.root is graph.order[-1]
    left, right = graph.order[1], graph.order[2]
    assert left.found[0][1] is right.found[0][1] is graph.order[0]


def test_loading_does_not_check(tmp_path):
    graph = load_graph(diamond(tmp_path))
    assert graph.diagnostics == []          # `nope` is unknown, but nothing checked it yet
    assert all(unit.analysis is None for unit in graph.order)


def test_loading_reports_missing_modules_and_cycles_at_the_import(tmp_path):
    write(tmp_path / "a.lm", "import b: x\ncell y() = 1\n")
    write(tmp_path / "b.lm", "import a: y\ncell x() = 2\n")
    main = write(tmp_path / "main.lm", "import a: y\nimport gone: z\n")
    graph = load_graph(main)
    assert [(Path(d.source.path).name, d.span.line, d.message) for d in graph.diagnostics] \
        == [("b.lm", 1, "import cycle: a.lm → b.lm → a.lm"),
            ("main.lm", 2, "cannot find module `gone`")]


def test_checking_follows_the_graph(tmp_path):
    graph = load_graph(diamond(tmp_path))
    driver.check_graph(graph)
    assert all(unit.analysis is not None for unit in graph.order)
    assert [d.message for d in graph.diagnostics] == ["unknown name `nope`"]
    assert [Path(other.source.path).name for other, _ in graph.root.imports] \
        == ["left.lm", "right.lm"]


def test_compiling_the_checked_graph_gives_the_program(tmp_path):
    diamond(tmp_path)
    main = write(tmp_path / "main.lm", "import lib.left: left\ncell main() = left()\n")
    graph = load_graph(main)
    driver.check_graph(graph)
    program = driver.compile_graph(graph)
    assert [Path(u.path).name for u in program.units] == ["base.lm", "left.lm", "main.lm"]
    assert program.run() == 2


def test_the_driver_runs_the_phases_in_order(tmp_path, monkeypatch):
    import lumen.loader

    calls = []
    for module, name in ((lumen.loader, "load_graph"), (driver, "check_graph"),
                         (driver, "compile_graph")):
        def phase(*args, _real=getattr(module, name), _name=name):
            calls.append(_name)
            return _real(*args)
        monkeypatch.setattr(module, name, phase)
    main = write(tmp_path / "main.lm", "cell main() = 1\n")
    assert driver.build(main, use_cache=False).program.run() == 1
    assert calls == ["load_graph", "check_graph", "compile_graph"]
    calls.clear()
    assert driver.build(main, check_only=True).ok
    assert calls == ["load_graph", "check_graph"]
