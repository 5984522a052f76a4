"""The checker: every diagnostic code with its message and hint, several errors reported at
once, `@strict false`, and colour inference (which functions can suspend)."""

from __future__ import annotations

import pytest

from lumen.check.checker import check
from lumen.diagnostics import DiagnosticSink
from lumen.source import SourceFile
from lumen.syntax.parser import parse


def analyse(text: str):
    source = SourceFile("test.lm", text)
    sink = DiagnosticSink(source)
    module = parse(source, sink)
    assert not sink.has_errors, [str(d) for d in sink.items]
    analysis = check(module, sink, {}, {})
    return analysis, sink.items


def diagnostics(text: str):
    return analyse(text)[1]


def one_error(text: str, code: str):
    diags = [d for d in diagnostics(text) if d.is_error]
    assert [d.code for d in diags] == [code], [str(d) for d in diags]
    assert diags[0].hint, "every diagnostic has a hint"
    return diags[0]


def clean(text: str):
    diags = diagnostics(text)
    assert [str(d) for d in diags] == []


# ------------------------------------------------------------------------- names


def test_unknown_name_with_did_you_mean():
    d = one_error("cell main()\n  let counter = 1\n  print(countr)\nend", "E202")
    assert d.message == "unknown name `countr`"
    assert (d.span.line, d.span.col, d.span.end_col) == (3, 9, 15)
    assert "did you mean `counter`" in d.hint


def test_unknown_name_without_a_close_match_still_has_a_hint():
    d = one_error("cell main()\n  print(qqqqqqqq)\nend", "E202")
    assert d.hint


def test_did_you_mean_suggests_branch_names():
    d = one_error("cell f(a: Channel, b: Channel) -> String\n"
                  "  await select\n    event1 = a.receive()\n    event2 = b.receive()\n  end\n"
                  "  match event\n    _ -> \"x\"\n  end\nend", "E202")
    assert d.message == "unknown name `event`"
    assert "`event1`" in d.hint


def test_duplicate_declaration():
    d = one_error("cell f() -> Int = 1\ncell f() -> Int = 2", "E201")
    assert "`f` is already declared" in d.message
    assert d.span.line == 2


def test_duplicate_record_field():
    d = one_error("record R\n  a: Int\n  a: Int\nend", "E201")
    assert "field `a` is declared twice" in d.message


def test_unknown_variant_in_pattern():
    d = one_error("enum C\n  Red\nend\ncell f(c: C) -> Int\n  match c\n    Red -> 1\n"
                  "    Blue(x) -> 2\n  end\nend", "E203")
    assert "`Blue`" in d.message


def test_unknown_type_with_suggestion():
    d = one_error("record Item\n  x: Int\nend\ncell f(i: Itme) = 1", "E302")
    assert d.message == "unknown type `Itme`"
    assert "`Item`" in d.hint


def test_type_alias_referring_to_itself():
    d = one_error("type Loop = Loop", "E303")
    assert "refers to itself" in d.message


def test_wrong_number_of_type_arguments():
    d = one_error("cell f(x: map[String]) = 1", "E301")
    assert "map" in d.message


# ------------------------------------------------------------------ records, fields


def test_unknown_record_field_read():
    d = one_error("record P\n  x: Int\nend\ncell f(p: P) -> Int = p.y", "E204")
    assert d.message == "record `P` has no field `y`"


def test_unknown_record_field_in_construction():
    d = one_error("record P\n  x: Int\nend\ncell f() = P(x: 1, z: 2)", "E241")
    assert "record `P` has no field `z`" in d.message


def test_missing_record_field():
    d = one_error("record P\n  x: Int\n  y: Int\nend\ncell f() = P(x: 1)", "E243")
    assert "`y`" in d.message


def test_record_field_assignment():
    d = one_error("record P\n  x: Int\nend\ncell f()\n  let p = P(x: 1)\n  p.x = 2\nend",
                  "E211")
    assert "cannot assign to field `x`" in d.message
    assert "new record" in d.hint


def test_tuple_index_out_of_range():
    d = one_error("cell f() = (1, 2).5", "E204")
    assert "no item 5" in d.message


# ---------------------------------------------------------------------- bindings


def test_immutable_reassignment_points_at_the_declaration():
    d = one_error("cell f()\n  let x = 1\n  x = 2\nend", "E210")
    assert d.message == "cannot assign to `x`: it is not mutable"
    assert "let mut x" in d.hint and "line 2" in d.hint


def test_compound_assignment_to_immutable():
    one_error("cell f()\n  let x = 1\n  x += 2\nend", "E210")


def test_assignment_to_const_and_cell():
    d = one_error("const K = 1\ncell f()\n  K = 2\nend", "E210")
    assert "const `K`" in d.message
    d = one_error("cell g() = 1\ncell f()\n  g = 2\nend", "E210")
    assert "`g`" in d.message


def test_let_mut_and_shadowing_are_fine():
    clean("cell f() -> Int\n  let mut x = 1\n  x = 2\n  let y = 1\n  let y = y + x\n  y\nend")


def test_assignment_inside_lambda_to_outer_mut_is_fine():
    clean("cell f() -> Int\n  let mut n = 0\n  let g = fn() => n\n  n += 1\n  n\nend")


# ------------------------------------------------------------------ control flow


def test_break_and_continue_outside_loop():
    d = one_error("cell f()\n  break\nend", "E220")
    assert "`break` outside a loop" in d.message
    d = one_error("cell f()\n  continue\nend", "E220")
    assert "`continue`" in d.message


def test_break_inside_lambda_inside_loop_is_outside_a_loop():
    one_error("cell f()\n  for x in [1]\n    let g = fn()\n      break\n    end\n  end\nend",
              "E220")


def test_return_inside_parallel_for_body():
    d = one_error("cell f(xs: list[Int])\n  await parallel for x in xs\n    return x\n  end\nend",
                  "E221")
    assert d.message == "`return` inside an orchestration branch"
    assert d.span.line == 3


def test_return_inside_block_branch():
    one_error("cell f()\n  await race\n    if true then return 1 else 2\n  end\nend", "E221")


def test_return_inside_lambda_is_fine():
    clean("cell f() -> Int\n  let g = fn(x: Int) -> Int\n    return x\n  end\n  g(1)\nend")


def test_return_outside_cell():
    d = one_error("return 1", "E222")
    assert "outside a cell" in d.message


# ------------------------------------------------------------------------ calls


def test_wrong_arity():
    d = one_error("cell add(a: Int, b: Int) -> Int = a + b\ncell f() = add(1, 2, 3)", "E240")
    assert d.message == "cell `add` takes 2 arguments, got 3"
    assert "(a: Int, b: Int)" in d.hint


def test_missing_argument():
    d = one_error("cell add(a: Int, b: Int) -> Int = a + b\ncell f() = add(1)", "E243")
    assert "missing parameter `b`" in d.message


def test_unknown_named_argument_with_suggestion():
    d = one_error("cell g(name: String, greeting: String = \"hi\") = name\n"
                  "cell f() = g(\"a\", greting: \"yo\")", "E241")
    assert d.message == "cell `g` has no parameter `greting`"
    assert "`greeting`" in d.hint


def test_argument_given_twice():
    d = one_error("cell g(a: Int) = a\ncell f() = g(1, a: 2)", "E242")
    assert "given twice" in d.message


def test_calling_a_non_function():
    d = one_error("cell f()\n  let s = 5\n  s()\nend", "E244")
    assert "not a function" in d.message


def test_unknown_method():
    d = one_error("cell f() = [1].lenght()", "E246")
    assert "`lenght`" in d.message


def test_builtin_arity():
    one_error("cell f() = length([1], [2])", "E240")


def test_tool_takes_named_arguments():
    d = one_error('use tool llm.chat as Chat\ncell f() = Chat("hi")', "E245")
    assert "named arguments" in d.message


def test_variant_without_payload_called():
    one_error("enum C\n  Red\nend\ncell f() = Red(1)", "E240")


# -------------------------------------------------------------------------- types


def test_let_type_mismatch():
    d = one_error('cell f()\n  let n: Int = "s"\nend', "E310")
    assert d.message == "`let` declares Int but the value is String"


def test_argument_type_mismatch():
    d = one_error('cell sq(n: Int) -> Int = n * n\ncell f() = sq("4")', "E310")
    assert d.message == "parameter `n` of cell `sq` expects Int, got String"


def test_return_type_mismatch():
    d = one_error("cell name() -> String\n  42\nend", "E311")
    assert "returns String" in d.message and "Int" in d.message


def test_condition_must_be_bool():
    d = one_error("cell f()\n  if 1\n    2\n  end\nend", "E312")
    assert "Bool" in d.message


def test_cannot_iterate():
    one_error("cell f()\n  for x in 5\n    x\n  end\nend", "E313")


def test_operator_mismatch():
    d = one_error('cell f() = 1 + "a"', "E314")
    assert d.message == "cannot apply `+` to Int and String"


def test_concat_mismatch():
    one_error('cell f() = [1] ++ "a"', "E314")


def test_comparison_of_unrelated_types():
    one_error('cell f() = 1 == "a"', "E315")


def test_question_mark_on_non_result():
    d = one_error("cell f() -> result[Int, String]\n  let x = 5?\n  ok(x)\nend", "E310")
    assert "`?` needs a result" in d.message


def test_default_parameter_type_mismatch():
    one_error('cell f(x: Int = "a") = x', "E310")


def test_const_type_mismatch():
    one_error('const K: Int = "a"', "E310")


def test_gradual_typing_accepts_any():
    clean("cell sq(n: Int) -> Int = n * n\ncell f()\n  let v: Any = \"s\"\n  sq(v)\nend")


# ---------------------------------------------------------------------- patterns


def test_non_exhaustive_enum_match_lists_missing_variants():
    d = one_error("enum C\n  Red\n  Green\n  Blue\nend\ncell f(c: C) -> Int\n  match c\n"
                  "    Red -> 1\n  end\nend", "E401")
    assert "`Green`" in d.message and "`Blue`" in d.message
    assert "`Red`" not in d.message
    assert "_" in d.hint


def test_non_exhaustive_result_match():
    d = one_error("cell f(r: result[Int, String]) -> Int\n  match r\n    ok(v) -> v\n  end\nend",
                  "E401")
    assert "err" in d.message


def test_exhaustive_matches_are_clean():
    clean("enum C\n  Red\n  Green\nend\ncell f(c: C) -> Int\n  match c\n    Red -> 1\n"
          "    Green -> 2\n  end\nend\n"
          "cell g(c: C) -> Int\n  match c\n    Red -> 1\n    _ -> 2\n  end\nend\n"
          "cell h(c: C) -> Int\n  match c\n    Red -> 1\n    other -> 2\n  end\nend")


def test_typed_enum_binding_covers_the_enum_in_a_union_match():
    clean("enum S\n  A\n  B\nend\ncell f(v: Int | S) -> Int\n  match v\n    n: Int -> n\n"
          "    s: S -> 0\n  end\nend")
    # With a variant arm before it, `s: S` still covers the remaining variants.
    clean("enum S\n  A\n  B\nend\ncell f(v: Int | S) -> Int\n  match v\n    n: Int -> n\n"
          "    A -> 1\n    s: S -> 0\n  end\nend")


def test_variant_pattern_arity():
    d = one_error("enum S\n  Rect(Float, Float)\nend\ncell f(s: S) -> Float\n  match s\n"
                  "    Rect(w) -> w\n  end\nend", "E321")
    assert "Rect" in d.message


def test_pattern_that_can_never_match():
    one_error('cell f(n: Int) -> Int\n  match n\n    "a" -> 1\n    _ -> 2\n  end\nend', "E320")


def test_alternatives_cannot_bind_names():
    one_error("cell f(t: tuple[Int, Int]) -> Int\n  match t\n    (a, 1) | (1, a) -> a\n"
              "    _ -> 0\n  end\nend", "E322")


# ------------------------------------------------------------- several at once


def test_all_errors_of_a_file_are_reported_in_order():
    diags = diagnostics("cell helper(count: Int) -> Int = count + 1\n"
                        "cell main()\n  let total = 1\n  total = 2\n  print(totl)\n"
                        "  helper(1, 2)\n  let s: String = 5\nend")
    assert [(d.code, d.span.line) for d in diags] == [
        ("E210", 4), ("E202", 5), ("E240", 6), ("E310", 7)]


def test_errors_in_different_cells_are_all_reported():
    diags = diagnostics("cell a() = x1\ncell b() = x2\ncell c() = x3")
    assert [d.message for d in diags] == [
        "unknown name `x1`", "unknown name `x2`", "unknown name `x3`"]


def test_strict_false_turns_unknown_names_into_warnings():
    diags = diagnostics("@strict false\ncell f() = nope")
    assert [(d.severity, d.code) for d in diags] == [("warning", "E202")]


def test_deterministic_mode_rejects_nondeterministic_builtins():
    d = one_error("@deterministic true\ncell f() = random()", "E501")
    assert "random" in d.message


def test_empty_cell_body_is_accepted():
    clean("cell later() -> String\n  # nothing yet\nend")


# ------------------------------------------------------------------------ colours


def colours(text: str) -> dict[str, bool]:
    analysis, diags = analyse(text)
    assert not [d for d in diags if d.is_error], [str(d) for d in diags]
    return {f.name: f.is_async for f in analysis.functions.values() if f.kind == "cell"}


def test_pure_cells_are_sync():
    c = colours("cell add(a: Int, b: Int) -> Int = a + b\n"
                "cell main()\n  print(add(1, 2))\nend")
    assert c == {"add": False, "main": False}


def test_sleep_makes_a_cell_async_and_its_callers_transitively():
    c = colours("cell nap() -> Int\n  sleep(1)\n  1\nend\n"
                "cell middle() -> Int = nap() + 1\n"
                "cell top() -> Int = middle()\n"
                "cell unrelated() -> Int = 3")
    assert c == {"nap": True, "middle": True, "top": True, "unrelated": False}


def test_async_keyword_does_not_make_a_cell_async():
    c = colours("async cell twice(x: Int) -> Int = x * 2")
    assert c == {"twice": False}


@pytest.mark.parametrize("body", [
    "await parallel\n    a = 1\n  end",
    "spawn(1)",
    "let c = channel()\n  c.send(1)",
    "await timeout(10, 1)",
])
def test_suspension_points_make_a_cell_async(body):
    c = colours(f"cell f()\n  {body}\nend")
    assert c == {"f": True}


def test_call_of_unknown_target_makes_the_caller_async():
    c = colours("cell apply(f: fn(Int) -> Int, x: Int) -> Int = f(x)")
    assert c == {"apply": True}


def test_calling_a_known_pure_lambda_stays_sync():
    c = colours("cell f() -> Int\n  let g = fn(x: Int) -> Int => x + 1\n  g(1)\nend")
    assert c["f"] is False


def test_recursion_alone_does_not_make_a_cell_async():
    c = colours("cell fib(n: Int) -> Int\n  if n < 2 then n else fib(n - 1) + fib(n - 2)\nend")
    assert c == {"fib": False}


def test_mutual_recursion_with_a_suspending_cell():
    c = colours("cell a(n: Int) -> Int\n  if n == 0 then b(1) else 0\nend\n"
                "cell b(n: Int) -> Int\n  sleep(1)\n  a(n - 1)\nend")
    assert c == {"a": True, "b": True}


def test_orchestration_branches_are_async():
    analysis, _ = analyse("cell f()\n  await parallel\n    a = 1 + 1\n  end\nend")
    branches = [fn for fn in analysis.functions.values() if fn.kind == "branch"]
    assert branches and all(fn.is_async for fn in branches)


def test_lambda_that_sleeps_is_async():
    analysis, _ = analyse("cell f()\n  let g = fn() => sleep(1)\nend")
    lambdas = [fn for fn in analysis.functions.values() if fn.kind == "lambda"]
    assert lambdas and all(fn.is_async for fn in lambdas)


# ------------------------------------------------- every diagnostic is complete

def _golden_error_programs():
    from pathlib import Path
    spec = Path(__file__).resolve().parent.parent / "spec"
    for path in sorted(spec.rglob("*")):
        if not path.name.endswith((".lm", ".lm.md")):
            continue
        stem = path.name[:-len(".lm.md")] if path.name.endswith(".lm.md") else path.name[:-3]
        code = path.with_name(stem + ".code")
        if code.exists() and code.read_text().strip() == "2":
            yield path


def test_every_golden_diagnostic_has_location_excerpt_caret_and_hint():
    from lumen.diagnostics import render
    from lumen.driver import build

    programs = list(_golden_error_programs())
    assert len(programs) >= 40
    for path in programs:
        result = build(path, check_only=True)
        assert result.diagnostics, path
        for d in result.diagnostics:
            assert d.span.line >= 1 and d.span.col >= 1, (path, str(d))
            assert d.hint, (path, str(d))
            text = render(d)
            first = text.splitlines()[0]
            assert first.startswith(f"{d.source.path}:{d.span.line}:{d.span.col}: "), first
            assert f"{d.span.line} | " in text, text
            assert "^" in text, text
            assert "hint: " in text, text
