"""The compiler: code objects carry Lumen files and lines, pure cells are plain functions,
calls with proven argument types skip the checking wrapper, and runtime errors point at
the Lumen line that failed. Also the CLI's promise about Python tracebacks."""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import types
from pathlib import Path

import pytest

from lumen import cli
from lumen.driver import build
from lumen.runtime.translation import translate


def program(tmp_path: Path, text: str, name: str = "prog.lm"):
    path = tmp_path / name
    path.write_text(text)
    result = build(path)
    assert result.ok, [str(d) for d in result.diagnostics]
    return result.program


def namespace(prog) -> dict:
    prog.entry(None)            # loads and executes the module
    return prog.unit.globals


def run_error(prog, cell=None, **args):
    with pytest.raises(Exception) as info:
        prog.run(cell, **args)
    return translate(info.value)


def code_of(fn) -> types.CodeType:
    return fn.__code__


# ------------------------------------------------------------------ files and lines


def test_code_objects_carry_the_lumen_path_and_lines(tmp_path):
    prog = program(tmp_path, "# header\n\ncell double(n: Int) -> Int\n  n * 2\nend\n\n"
                             "cell main()\n  print(double(2))\nend\n")
    ns = namespace(prog)
    double = ns["double"]
    assert code_of(double).co_filename == str(tmp_path / "prog.lm")
    assert code_of(double).co_firstlineno == 3
    lines = {line for _, _, line in code_of(double).co_lines() if line}
    assert 4 in lines


def test_runtime_error_reports_the_lumen_line_and_cell_frames(tmp_path):
    prog = program(tmp_path, "cell inner(xs: list[Int]) -> Int\n  let a = 1\n  xs[a + 5]\nend\n"
                             "\ncell main()\n  print(\"x\")\n  inner([1])\nend\n")
    error = run_error(prog)
    assert error.kind == "IndexError"
    assert error.line == 3
    frames = [(f.line, f.cell) for f in error.frames]
    assert frames == [(8, "main"), (3, "inner")]


def test_error_column_points_into_the_line(tmp_path):
    prog = program(tmp_path, "cell main()\n  let z = 0\n  print(1 + 10 / z)\nend\n")
    error = run_error(prog)
    frame = error.frames[-1]
    assert (frame.line, frame.byte_col) == (3, 13)


def test_error_in_a_lambda_reports_the_lambda_line(tmp_path):
    prog = program(tmp_path, "cell main()\n  let f = fn(x)\n    let y = x\n    10 / y\n  end\n"
                             "  map([1, 0], f)\nend\n")
    error = run_error(prog)
    assert error.line == 4
    assert [f.line for f in error.frames][0] == 6


def test_markdown_lines_are_markdown_file_lines(tmp_path):
    text = ("# Title\n\nprose\n\n```lumen\ncell main()\n  let z = 0\n  print(1 / z)\nend\n```\n")
    prog = program(tmp_path, text, "doc.lm.md")
    error = run_error(prog)
    assert error.line == 8
    assert error.frames[-1].file.endswith("doc.lm.md")


def test_script_statements_run_at_their_lines(tmp_path):
    prog = program(tmp_path, "let a = 1\n\n\nlet b = [a][3]\n")
    error = run_error(prog)
    assert error.line == 4


# --------------------------------------------------------------------------- colours


def test_pure_cells_compile_to_plain_functions(tmp_path):
    prog = program(tmp_path, "cell add(a: Int, b: Int) -> Int = a + b\n"
                             "cell fib(n: Int) -> Int\n  if n < 2 then n else fib(n - 1) + fib(n - 2)\n"
                             "end\n"
                             "cell nap() -> Int\n  sleep(1)\n  1\nend\n"
                             "cell uses_nap() -> Int = nap() + 1\n")
    ns = namespace(prog)
    assert not inspect.iscoroutinefunction(ns["add"])
    assert not inspect.iscoroutinefunction(ns["fib"])
    assert inspect.iscoroutinefunction(ns["nap"])
    assert inspect.iscoroutinefunction(ns["uses_nap"])
    assert prog.run("fib", n=15) == 610
    assert prog.run("uses_nap") == 2


def test_pure_lambda_is_a_plain_function(tmp_path):
    prog = program(tmp_path, "cell make() -> fn(Int) -> Int\n  fn(x: Int) -> Int => x + 1\nend\n")
    f = prog.run("make")
    assert callable(f) and not inspect.iscoroutinefunction(f)
    assert f(1) == 2


def test_proven_argument_types_call_the_cell_directly(tmp_path):
    prog = program(tmp_path, "cell double(n: Int) -> Int = n * 2\n"
                             "cell proven() -> Int = double(21)\n"
                             "cell unproven(v: Any) -> Int = double(v)\n")
    ns = namespace(prog)
    proven = code_of(ns["proven"]).co_names
    unproven = code_of(ns["unproven"]).co_names
    assert "double" in proven
    assert not any(name.startswith("_L_c_") for name in proven)
    assert any(name.startswith("_L_c_") for name in unproven)
    assert prog.run("proven") == 42


def test_unproven_call_checks_the_argument_at_the_boundary(tmp_path):
    prog = program(tmp_path, "cell double(n: Int) -> Int = n * 2\n"
                             "cell unproven(v: Any) -> Int = double(v)\n")
    assert prog.run("unproven", v=4) == 8
    error = run_error(prog, "unproven", v="x")
    assert error.kind == "TypeError"
    assert "`double`" in error.message and "`n`" in error.message
    assert "Int" in error.message and "String" in error.message


def test_entry_cells_check_their_arguments(tmp_path):
    prog = program(tmp_path, "cell double(n: Int) -> Int = n * 2\n")
    error = run_error(prog, "double", n="seven")
    assert error.kind == "TypeError"


# ------------------------------------------------------------------------ semantics


def test_shadowing_and_closures_are_exact(tmp_path):
    prog = program(tmp_path, "cell main() -> list[Int]\n  let x = 1\n  let f = fn() => x\n"
                             "  let x = 2\n  let g = fn() => x\n  [f(), g(), x]\nend\n")
    assert prog.run() == [1, 2, 2]


def test_user_names_that_look_internal_do_not_collide(tmp_path):
    prog = program(tmp_path, "cell main() -> Int\n  let _L_entry = 5\n  let _L_b_print = 6\n"
                             "  print(\"ok\")\n  _L_entry + _L_b_print\nend\n")
    assert prog.run() == 11


def test_python_keywords_as_lumen_names(tmp_path):
    prog = program(tmp_path, "cell main() -> Int\n  let def = 1\n  let class = 2\n"
                             "  let lambda = 3\n  let None = 4\n  def + class + lambda + None\nend\n")
    assert prog.run() == 10


def test_evaluation_order_is_left_to_right(tmp_path):
    prog = program(tmp_path, "let log = []\ncell note(x: Int) -> Int\n  log.push(x)\n  x\nend\n"
                             "cell main() -> list[Int]\n"
                             "  let r = note(1) + match note(2)\n    _ -> note(3)\n  end\n"
                             "  log\nend\n")
    assert prog.run() == [1, 2, 3]


def test_deep_pure_recursion_works(tmp_path):
    prog = program(tmp_path, "cell down(n: Int) -> Int\n  if n == 0 then 0 else 1 + down(n - 1)\nend\n")
    assert prog.run("down", n=20000) == 20000


# ----------------------------------------------------------------- CLI and tracebacks


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_python_traceback_only_with_debug(tmp_path):
    path = tmp_path / "boom.lm"
    path.write_text("cell main()\n  let z = 0\n  print(1 / z)\nend\n")
    code, _, err = run_cli("run", str(path))
    assert code == 1
    assert "Traceback (most recent call last)" not in err
    assert f"{path}:3 in main" in err
    code, _, err = run_cli("run", str(path), "--debug")
    assert code == 1
    assert "Traceback (most recent call last)" in err


def test_deep_recursion_error_is_short_and_clear(tmp_path):
    path = tmp_path / "deep.lm"
    path.write_text("cell down(n: Int) -> Int\n  if n == 0 then 0 else 1 + down(n - 1)\nend\n"
                    "cell main()\n  print(down(10_000_000))\nend\n")
    code, _, err = run_cli("run", str(path))
    assert code == 1
    assert "RecursionError" in err
    assert "Traceback (most recent call last)" not in err
    # Repeated frames are collapsed: the report stays readable.
    assert len(err.splitlines()) < 100, f"{len(err.splitlines())} lines of stderr"


def test_traceback_frames_are_named_by_lumen_names(tmp_path):
    path = tmp_path / "frames.lm"
    path.write_text("record Pos\n  n: Int where n > 0\nend\n"
                    "cell double(n: Int) -> Int = n * 2\n"
                    "cell main()\n  let v: Any = \"x\"\n  print(double(v))\nend\n")
    code, _, err = run_cli("run", str(path))
    assert code == 1
    frames = re.findall(r"^\s+\S+:\d+ in (.+)$", err, flags=re.M)
    assert frames, err
    for name in frames:
        assert not name.startswith("_L_"), f"internal name in traceback: {name}"
        assert "__" not in name, f"internal name in traceback: {name}"


def test_constraint_frame_has_no_python_names(tmp_path):
    path = tmp_path / "constraint.lm"
    path.write_text("record Pos\n  n: Int where n > 0\nend\n"
                    "cell main()\n  print(Pos(n: 0))\nend\n")
    code, _, err = run_cli("run", str(path))
    assert code == 1
    assert "ConstraintViolation" in err and "Pos" in err and "n > 0" in err
    assert "__init__" not in err


def test_check_errors_exit_2_and_nothing_runs(tmp_path):
    path = tmp_path / "bad.lm"
    path.write_text("print(\"ran\")\nprint(nope)\n")
    code, out, err = run_cli("run", str(path))
    assert code == 2
    assert out == ""
    assert "unknown name `nope`" in err


def test_version_and_help(tmp_path):
    with pytest.raises(SystemExit) as info:
        run_cli("--version")
    assert info.value.code == 0
    code, out, _ = run_cli()
    assert code == 0 and "lumen run" in out and "lumen check" in out


def test_missing_file_is_a_usage_error(tmp_path):
    code, _, err = run_cli("run", str(tmp_path / "nope.lm"))
    assert code == 2
    assert "nope.lm" in err and "Traceback" not in err


def test_same_enum_name_in_two_programs_does_not_collide(tmp_path):
    """Two programs (or two golden tests in one process) may both declare `enum Shape`;
    a value of one must stay a value of that one, also through pickling (DESIGN.md:
    runtime values must pickle)."""
    import pickle

    first = program(tmp_path, "enum Shape\n  Circle(Float)\n  Empty\nend\ncell e() = Empty\n",
                    "first.lm")
    empty_first = first.run("e")
    second = program(tmp_path, "enum Shape\n  Empty\n  Other\nend\ncell e() = Empty\n",
                     "second.lm")
    empty_second = second.run("e")
    assert pickle.loads(pickle.dumps(empty_first)) is empty_first
    assert pickle.loads(pickle.dumps(empty_second)) is empty_second
