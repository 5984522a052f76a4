"""Runtime errors: translation of Python exceptions, Lumen frames, rendering, helpers.

Python snippets are compiled with a `.lm` filename so that their frames look exactly
like frames of compiled Lumen code. A report gets the snippet's text through `sources`,
as `lumen run` gives it the program's.
"""

import asyncio
import io
import pickle
import re
import sys
import warnings

import pytest

from lumen.driver import build
from lumen.runtime.errors import LumenError
from lumen.runtime.frames import Frame, is_lumen_file, lumen_frames
from lumen.runtime.report import render_runtime_error
from lumen.runtime.support import (
    assertion, constraint_error, failure_of, halt, no_body, no_match)
from lumen.runtime.translation import translate
from lumen.runtime.values import Failure, Record


class Point(Record):
    __slots__ = ("x", "y")
    _lumen_name = "Point"
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def run_lumen(source: str, path: str = "prog.lm", entry: str = "main") -> LumenError:
    """Compile `source` as if it were Lumen file `path`, call `entry`, translate the error."""
    namespace = {"halt": halt, "Point": Point, "assertion": assertion}
    with warnings.catch_warnings():  # `3()` makes CPython warn at compile time
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(source, path, "exec")
    exec(code, namespace)
    try:
        namespace[entry]()
    except BaseException as exc:  # noqa: BLE001 - that is the point
        return translate(exc)
    raise AssertionError("the snippet did not fail")


def error_of(expression: str) -> LumenError:
    return run_lumen(f"def main():\n    return {expression}\n")


DIVIDE = """\
def divide(a, b):
    return a // b

def main():
    x = 10
    return divide(x, 0)
"""


# --------------------------------------------------------------------------- LumenError

def test_lumen_error_attributes():
    error = LumenError("ToolError", "boom", hint="check it", details=["a"])
    assert (error.kind, error.message, str(error)) == ("ToolError", "boom", "boom")
    assert error.hint == "check it" and error.details == ["a"]
    assert error.line is None and error.file is None and error.frames == []


def test_explicit_line_and_file_win_over_the_traceback():
    error = run_lumen(DIVIDE)
    error.line, error.file = 99, "other.lm"
    assert (error.line, error.file) == (99, "other.lm")


def test_lumen_error_pickles_with_its_lumen_frames():
    error = run_lumen(DIVIDE)
    error.hint, error.details = "a hint", [LumenError("Halt", "inner")]
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LumenError
    assert (copy.kind, copy.message, str(copy), copy.hint) == (
        "RuntimeError", "division by zero", "division by zero", "a hint")
    assert copy.line == 2 and copy.file == "prog.lm"
    assert [f.line for f in copy.frames] == [6, 2]
    assert copy.details[0].message == "inner"


def test_is_lumen_file():
    assert is_lumen_file("a/b.lm") and is_lumen_file("doc.lm.md")
    assert not is_lumen_file("x.py") and not is_lumen_file("README.md")


# ------------------------------------------------------------------------------ frames

def test_lumen_frames_lines_columns_and_cells():
    error = run_lumen(DIVIDE)
    assert error.frames == [
        Frame("prog.lm", 6, 12, 24, "main"),
        Frame("prog.lm", 2, 12, 18, "divide"),
    ]
    assert error.line == 2 and error.file == "prog.lm"


def test_python_frames_are_dropped():
    def python_helper():
        raise ZeroDivisionError

    source = "def main():\n    return helper()\n"
    namespace = {"helper": python_helper}
    exec(compile(source, "helper.lm", "exec"), namespace)
    with pytest.raises(ZeroDivisionError) as info:
        namespace["main"]()
    frames = lumen_frames(info.value.__traceback__)
    assert frames == [Frame("helper.lm", 2, 12, 20, "main")]


def test_nested_functions_and_methods_are_named_readably():
    source = (
        "class Agent:\n"
        "    def cell(self):\n"
        "        f = lambda: 1 // 0\n"
        "        return f()\n"
        "def main():\n"
        "    return Agent().cell()\n"
    )
    error = run_lumen(source)
    assert [f.cell for f in error.frames] == ["main", "Agent.cell", "Agent.cell.<lambda>"]


def test_generated_helper_names_read_as_lumen_names():
    source = (
        "def main():\n"
        "    def _L_fn3():\n"
        "        return _L_branch12()\n"
        "    def _L_branch12():\n"
        "        return 1 // 0\n"
        "    return _L_fn3()\n"
        "def _L_c_main():\n"
        "    return main()\n"
    )
    error = run_lumen(source, entry="_L_c_main")
    # The argument-checking wrapper `_L_c_main` is not a place in the program: skipped.
    assert [f.cell for f in error.frames] == ["main", "main.<lambda>", "main.<branch>"]


def test_frames_keep_byte_columns_and_count_characters_given_the_line():
    source = 'def main():\n    s = "ééé"; return len(s) // 0\n'
    error = run_lumen(source, "unicode.lm")
    line = source.split("\n")[1]
    frame = error.frames[-1]
    start, end = line.index("len(s) // 0"), len(line)
    assert (frame.byte_col, frame.byte_end_col) == (
        len(line[:start].encode()) + 1, len(line.encode()) + 1)
    assert frame.char_columns(line) == (start + 1, end + 1)
    assert frame.char_columns(None) == (frame.byte_col, frame.byte_end_col)
    assert frame.char_columns(line) == pickle.loads(pickle.dumps(error)).frames[-1] \
        .char_columns(line)
    text = render_runtime_error(error, io.StringIO(), sources={"unicode.lm": source})
    assert f"  --> unicode.lm:2:{start + 1}\n" in text
    assert f"   |{' ' * (start + 1)}{'^' * (end - start)}\n" in text


def test_markdown_files_are_lumen_files():
    source = "\n\n\ndef main():\n    return 1 // 0\n"
    error = run_lumen(source, "notes.lm.md")
    assert error.file == "notes.lm.md" and error.line == 5


# ------------------------------------------------------------------------- translation

@pytest.mark.parametrize("expression, message", [
    ('1 + "a"', "cannot apply `+` to Int and String"),
    ('"a" + 1', "cannot apply `+` to String and Int"),
    ("None + 1", "cannot apply `+` to Null and Int"),
    ("1.5 - [1]", "cannot apply `-` to Float and list"),
    ('2 ** "a"', "cannot apply `**` to Int and String"),
    ("{} // 2", "cannot apply `//` to map and Int"),
    ("[1] + (2,)", "cannot apply `+` to list and tuple"),
    ('-"a"', "cannot apply `-` to String"),
    ('1 < "a"', "cannot compare Int and String with `<`"),
    ("None >= 2.0", "cannot compare Null and Float with `>=`"),
    ("3()", "a value of type Int is not a function and cannot be called"),
    ("None[0]", "a value of type Null cannot be indexed with `[...]`"),
    ("[x for x in 3]", "cannot iterate over a value of type Int"),
    ('[1]["a"]', "list index must be an Int, got String"),
    ('"abc"["a"]', "String index must be an Int, got String"),
    ("{[1]: 2}", "a value of type list cannot be a map key or a set element"),
    ("(lambda x: x)(1, 2)", "`fn` takes 1 argument but 2 were given"),
    ("Point(1)", "`Point` is missing argument `y`"),
    ("Point(1, 2, z=3)", "`Point` has no parameter `z`"),
])
def test_type_errors_get_lumen_wording(expression, message):
    error = error_of(expression)
    assert (error.kind, error.message) == ("TypeError", message)


def test_division_by_zero():
    for expression in ("1 // 0", "1 % 0", "1.0 / 0", "1 / 0.0"):
        error = error_of(expression)
        assert (error.kind, error.message) == ("RuntimeError", "division by zero")


def test_recursion_error():
    error = run_lumen("def main():\n    return main()\n")
    assert error.kind == "RecursionError"
    assert error.message == (f"recursion too deep (more than {sys.getrecursionlimit()} "
                             "nested calls)")
    assert "base case" in error.hint
    assert error.line == 2


def test_recursion_depth_is_the_one_reached_even_if_the_limit_was_restored():
    # The driver raises the limit for a run and restores it before reporting.
    namespace = {}
    exec(compile("def main():\n    return main()\n", "limit.lm", "exec"), namespace)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        namespace["main"]()
    except RecursionError as exc:
        raw = exc
    finally:
        sys.setrecursionlimit(old_limit)
    error = translate(raw)
    reached = int(re.fullmatch(r"recursion too deep \(more than (\d+) nested calls\)",
                               error.message)[1])
    assert old_limit < reached <= len(error.frames) and reached % 100 == 0


def test_index_and_key_errors():
    assert (error_of("[1, 2][5]").kind, error_of("[1, 2][5]").message) == (
        "IndexError", "index out of range")
    assert error_of("[].pop()").message == "pop from an empty list"
    key_error = error_of('{"a": 1}["x"]')
    assert (key_error.kind, key_error.message) == ("KeyError", 'key "x" not found in map')
    assert error_of("{1: 2}[(1, 2)]").message == "key (1, 2) not found in map"


def test_missing_field():
    error = error_of("Point(1, 2).z")
    assert (error.kind, error.message) == ("RuntimeError",
                                           "value of type Point has no field `z`")
    assert error_of("(3).z").message == "value of type Int has no field `z`"


def test_destructuring_errors():
    error = run_lumen("def main():\n    a, b = [1]\n")
    assert (error.kind, error.message) == ("RuntimeError",
                                           "cannot destructure: expected 2 values, got 1")
    error = run_lumen("def main():\n    a, b = [1, 2, 3]\n")
    assert error.message == "cannot destructure: expected 2 values, got more"
    error = run_lumen("def main():\n    a, b = 5\n")
    assert (error.kind, error.message) == ("TypeError",
                                           "cannot destructure a value of type Int")


def test_unexpected_exceptions_are_internal_errors():
    error = run_lumen("def main():\n    raise LookupError('weird')\n")
    assert error.kind == "InternalError"
    assert error.message == "internal error: LookupError: weird"
    assert "--debug" in error.hint and "report" in error.hint


def test_translate_keeps_traceback_and_cause():
    source = "def main():\n    return 1 // 0\n"
    namespace = {}
    exec(compile(source, "cause.lm", "exec"), namespace)
    try:
        namespace["main"]()
    except ZeroDivisionError as exc:
        original = exc
    error = translate(original)
    assert error.__cause__ is original
    assert error.__traceback__ is original.__traceback__
    assert error.line == 2


def test_translate_returns_lumen_errors_as_they_are():
    error = run_lumen("def main():\n    x = 1\n    halt('stop here')\n")
    assert (error.kind, error.message, error.line) == ("Halt", "stop here", 3)
    same = LumenError("Halt", "x")
    assert translate(same) is same


def test_translate_other_kinds():
    assert translate(asyncio.CancelledError()).kind == "Cancelled"
    assert translate(TimeoutError()).kind == "Timeout"
    assert translate(OverflowError("math range error")).message == \
        "number too large (math range error)"


def test_translate_exception_groups():
    group = ExceptionGroup("two", [ZeroDivisionError(), ExceptionGroup("in", [KeyError("k")])])
    error = translate(group)
    assert error.message == "division by zero"
    assert [d.message for d in error.details] == ['key "k" not found in map']


# ----------------------------------------------------------------------------- helpers

def test_halt_keeps_the_message_exactly():
    with pytest.raises(LumenError) as info:
        halt("  spaced {braces} \"quoted\"  ")
    assert info.value.kind == "Halt"
    assert info.value.message == '  spaced {braces} "quoted"  '
    with pytest.raises(LumenError, match=r'^\["a", 1\]$'):
        halt(["a", 1])


def test_assertion():
    assertion(True)
    assertion(1 == 1, "fine")
    with pytest.raises(LumenError) as info:
        assertion(False)
    assert (info.value.kind, info.value.message) == ("AssertionFailed", "assertion failed")
    with pytest.raises(LumenError, match="^x must be positive$"):
        assertion(False, "x must be positive")


def test_constraint_no_match_no_body():
    with pytest.raises(LumenError) as info:
        constraint_error("Point", "x", "x > 0", -1)
    assert info.value.kind == "ConstraintViolation"
    assert info.value.message == "Point.x violates `where x > 0` (got -1)"
    with pytest.raises(LumenError) as info:
        no_match(Point(1, "a"))
    assert (info.value.kind, info.value.message) == (
        "RuntimeError", 'no match arm matches value Point(x: 1, y: "a")')
    with pytest.raises(LumenError, match="^cell `f` has no body$"):
        no_body("f")


def test_failure_of():
    error = run_lumen("def main():\n    halt('boom')\n")
    assert failure_of(error) == Failure("Halt", "boom", 2)
    assert failure_of(LumenError("ToolError", "x")) == Failure("ToolError", "x", 0)


# ---------------------------------------------------------------------------- rendering

def test_render_runtime_error():
    error = run_lumen(DIVIDE, "examples/div.lm")
    sources = {"examples/div.lm": DIVIDE}
    assert render_runtime_error(error, io.StringIO(), sources=sources) == (
        "error[RuntimeError]: division by zero\n"
        "  --> examples/div.lm:2:12\n"
        "   |\n"
        " 2 |     return a // b\n"
        "   |            ^^^^^^\n"
        "Lumen traceback (most recent call last):\n"
        "  examples/div.lm:6 in main\n"
        "  examples/div.lm:2 in divide\n"
        "  hint: check that the divisor is not 0, or handle the failure with `try`"
    )


def test_render_with_hint_and_details():
    error = run_lumen("def main():\n    return main()\n", "deep.lm")
    text = render_runtime_error(error, io.StringIO())
    assert text.startswith("error[RecursionError]: recursion too deep")
    assert text.endswith(f"  hint: {error.hint}")
    assert "File " not in text and ".py" not in text  # never Python frames

    race = LumenError("RaceFailed", "every branch failed",
                      details=[LumenError("Halt", "a", line=3), "plain detail"])
    assert render_runtime_error(race, io.StringIO()) == (
        "error[RaceFailed]: every branch failed\n"
        "  hint: every branch failed: their errors are listed below\n"
        "  1. Halt: a (line 3)\n"
        "  2. plain detail")


def test_render_collapses_deep_recursion():
    error = run_lumen("def main():\n    return down(10 ** 6)\n"
                      "def down(n):\n    return 1 + down(n - 1)\n", "rec.lm")
    text = render_runtime_error(error, io.StringIO())
    lines = text.split("\n")
    assert len(lines) < 15
    repeated = len(error.frames) - 2
    assert lines[-4:] == [
        "  rec.lm:2 in main",
        "  rec.lm:4 in down",
        f"  [previous line repeated {repeated} more times]",
        f"  hint: {error.hint}",
    ]


def test_render_shortens_long_tracebacks_that_do_not_repeat_one_line():
    error = run_lumen("def main():\n    return ping(10 ** 6)\n"
                      "def ping(n):\n    return pong(n - 1)\n"
                      "def pong(n):\n    return ping(n - 1)\n", "pingpong.lm")
    lines = render_runtime_error(error, io.StringIO()).split("\n")
    assert len(lines) < 45
    assert any(re.fullmatch(r"  \.\.\. \d+ more lines \.\.\.", line) for line in lines)
    assert lines[lines.index("Lumen traceback (most recent call last):") + 1] == \
        "  pingpong.lm:2 in main"


def test_record_construction_frames_are_named_after_the_record():
    source = (
        "class Pos:\n"
        "    def __init__(self, n):\n"
        "        if not n > 0:\n"
        "            constraint_error('Pos', 'n', 'n > 0', n)\n"
        "def main():\n"
        "    return Pos(0)\n"
    )
    namespace = {"constraint_error": constraint_error}
    exec(compile(source, "pos.lm", "exec"), namespace)
    with pytest.raises(LumenError) as info:
        namespace["main"]()
    assert [f.cell for f in info.value.frames] == ["main", "Pos"]
    assert "__init__" not in render_runtime_error(info.value, io.StringIO(),
                                                  sources={"pos.lm": source})


def test_render_reads_files_missing_from_sources_from_disk(tmp_path):
    path = tmp_path / "disk.lm"
    source = "def main():\n    return [][3]\n"
    path.write_text(source)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    try:
        namespace["main"]()
    except IndexError as exc:
        error = translate(exc)
    text = render_runtime_error(error, io.StringIO())
    assert " 2 |     return [][3]" in text
    assert f"  --> {path}:2:12" in text


def test_render_without_column_underlines_the_statement():
    error = LumenError("Halt", "stop", line=2, file="nocol.lm")
    sources = {"nocol.lm": "x\n    halt 'stop'\n"}
    assert render_runtime_error(error, io.StringIO(), sources=sources) == (
        "error[Halt]: stop\n"
        "  --> nocol.lm:2\n"
        "   |\n"
        " 2 |     halt 'stop'\n"
        "   |     ^^^^^^^^^^^\n"
        "  hint: the program stopped itself with `halt`; `try` turns it into an `err`")


def test_a_program_carries_the_sources_of_its_reports(tmp_path):
    (tmp_path / "lib").mkdir()
    util, main = tmp_path / "lib" / "util.lm", tmp_path / "main.lm"
    util.write_text("cell half(n: Int) -> Int\n  let whole = 10\n  whole / n\nend\n")
    main.write_text("import lib.util: half\ncell main()\n  print(half(0))\nend\n")
    program = build(main).program
    assert set(program.sources) == {str(util), str(main)}
    for path in (util, main):  # the report shows what ran, not what is on disk now
        path.write_text("changed since the build\n")
    with pytest.raises(Exception) as info:
        program.run()
    text = render_runtime_error(translate(info.value), io.StringIO(),
                                sources=program.sources)
    assert f"  --> {util}:3:3\n" in text
    assert " 3 |   whole / n\n" in text
    assert f"  {main}:3 in main\n  {util}:3 in half\n" in text


def test_render_colour_only_for_terminals(monkeypatch):
    error = LumenError("Halt", "stop")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in render_runtime_error(error, io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in render_runtime_error(error, io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")
    assert "\x1b[" not in render_runtime_error(error, io.StringIO())
