"""The parser: AST shapes (compared through `ast.dump`), precedence, newline rules inside
brackets and block forms, contextual keywords, grant blocks, dedent-closing, error
recovery and unclosed blocks reported at their opener. Also: every code block of the seed
tutorial parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lumen.diagnostics import DiagnosticSink
from lumen.source import SourceFile
from lumen.syntax import ast as A
from lumen.syntax.parser import parse

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "orchestration-tutorial.txt"


def parse_text(text: str, path: str = "test.lm"):
    source = SourceFile(path, text)
    sink = DiagnosticSink(source)
    module = parse(source, sink)
    return module, sink.items


def parse_ok(text: str) -> A.Module:
    module, diags = parse_text(text)
    assert [str(d) for d in diags] == []
    return module


def expr(text: str) -> str:
    """The dump of the single expression statement `text`."""
    (item,) = parse_ok(text).items
    assert isinstance(item, A.ExprStmt), A.dump(item)
    return A.dump(item.expr)


def items(text: str) -> str:
    return A.dump(parse_ok(text).items)


def errors(text: str):
    _, diags = parse_text(text)
    return [d for d in diags if d.is_error]


# -------------------------------------------------------------------------- precedence


@pytest.mark.parametrize("source,expected", [
    ("1 + 2 * 3", "(Binary '+' (Literal 1) (Binary '*' (Literal 2) (Literal 3)))"),
    ("(1 + 2) * 3", "(Binary '*' (Binary '+' (Literal 1) (Literal 2)) (Literal 3))"),
    ("a - b - c", "(Binary '-' (Binary '-' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("-2 ** 2", "(Binary '**' (Literal -2) (Literal 2))"),
    ("-x ** 2", "(Binary '**' (Unary '-' (Name 'x')) (Literal 2))"),
    ("2 ** 3 ** 2", "(Binary '**' (Literal 2) (Binary '**' (Literal 3) (Literal 2)))"),
    ("a * b ** c", "(Binary '*' (Name 'a') (Binary '**' (Name 'b') (Name 'c')))"),
    ("a // b % c", "(Binary '%' (Binary '//' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("0..n + 1", "(Range (Literal 0) (Binary '+' (Name 'n') (Literal 1)) False)"),
    ("1..=n", "(Range (Literal 1) (Name 'n') True)"),
    ("a ++ b |> f", "(Call (Name 'f') [(Arg None (Binary '++' (Name 'a') (Name 'b')))] True)"),
    ("xs |> f == 3",
     "(Binary '==' (Call (Name 'f') [(Arg None (Name 'xs'))] True) (Literal 3))"),
    ("a or b and c", "(Binary 'or' (Name 'a') (Binary 'and' (Name 'b') (Name 'c')))"),
    ("a ?? b or c", "(Binary '??' (Name 'a') (Binary 'or' (Name 'b') (Name 'c')))"),
    ("a == b and c", "(Binary 'and' (Binary '==' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("not a == b", "(Binary '==' (Unary 'not' (Name 'a')) (Name 'b'))"),
    ("a not in b", "(Unary 'not' (Binary 'in' (Name 'a') (Name 'b')))"),
    ("x is Int?", "(IsType (Name 'x') (OptionalType (TypeName 'Int' [])))"),
    ("x is Int | String",
     "(IsType (Name 'x') (UnionType [(TypeName 'Int' []) (TypeName 'String' [])]))"),
    ("a ?? b ?? c", "(Binary '??' (Binary '??' (Name 'a') (Name 'b')) (Name 'c'))"),
])
def test_precedence(source, expected):
    assert expr(source) == expected


@pytest.mark.parametrize("source,expected", [
    ("xs |> f", "(Call (Name 'f') [(Arg None (Name 'xs'))] True)"),
    ("xs |> f(1)", "(Call (Name 'f') [(Arg None (Name 'xs')) (Arg None (Literal 1))] True)"),
    ("a |> fn(x) => x",
     "(Call (Lambda [(Param 'x' None None)] None [(ExprStmt (Name 'x'))] False) "
     "[(Arg None (Name 'a'))] True)"),
    ("a |> f |> g",
     "(Call (Name 'g') [(Arg None (Call (Name 'f') [(Arg None (Name 'a'))] True))] True)"),
])
def test_pipes(source, expected):
    assert expr(source) == expected


def test_pipeline_continues_on_next_line():
    assert expr("xs\n  |> f\n  |> g") == expr("xs |> f |> g")


def test_method_chain_continues_on_next_line():
    assert expr('s\n  .trim()\n  .upper()') == expr("s.trim().upper()")


@pytest.mark.parametrize("source,expected", [
    ("a.b", "(Member (Name 'a') 'b' False)"),
    ("a?.b", "(Member (Name 'a') 'b' True)"),
    ("f(x)?", "(Propagate (Call (Name 'f') [(Arg None (Name 'x'))] False))"),
    ("xs[0]", "(Index (Name 'xs') (Literal 0))"),
    ("pair.0", "(Member (Name 'pair') '0' False)"),
    ("f(a, b: 2)", "(Call (Name 'f') [(Arg None (Name 'a')) (Arg 'b' (Literal 2))] False)"),
    ("-f(x).y", "(Unary '-' (Member (Call (Name 'f') [(Arg None (Name 'x'))] False) 'y' False))"),
    ("try f()", "(Try (Call (Name 'f') [] False))"),
])
def test_postfix_and_calls(source, expected):
    assert expr(source) == expected


@pytest.mark.parametrize("source,expected", [
    ("[1, 2]", "(ListLit [(Literal 1) (Literal 2)])"),
    ("[]", "(ListLit [])"),
    ('{"a": 1}', "(MapLit [[(Literal 'a') (Literal 1)]])"),
    ("(1,)", "(TupleLit [(Literal 1)])"),
    ("(1, 2)", "(TupleLit [(Literal 1) (Literal 2)])"),
    ("()", "(TupleLit [])"),
    ("(1)", "(Literal 1)"),
    ("[x * 2 for x in xs if x > 1]",
     "(ListComp (Binary '*' (Name 'x') (Literal 2)) (BindPat 'x') (Name 'xs') "
     "(Binary '>' (Name 'x') (Literal 1)))"),
    ('"a{b}c"', "(StringInterp ['a' (Name 'b') 'c'])"),
    ('"plain"', "(Literal 'plain')"),
    ("null", "(Literal None)"),
])
def test_literals(source, expected):
    assert expr(source) == expected


# --------------------------------------------------------------------- newline rules


def test_newlines_inside_brackets_are_ignored():
    assert expr("f(1,\n  2,\n  3)") == expr("f(1, 2, 3)")
    assert expr("[1,\n2,\n]") == expr("[1, 2]")
    assert expr('{\n"a": 1,\n"b": 2\n}') == expr('{"a": 1, "b": 2}')


def test_block_form_inside_parentheses_uses_lines_again():
    module = parse_ok("try (await vote\n a()\n b()\nend)")
    assert A.dump(module.items) == (
        "[(ExprStmt (Try (OrchestrationBlock 'vote' [(Branch None (Call (Name 'a') [] False)) "
        "(Branch None (Call (Name 'b') [] False))] None)))]")


def test_block_lambda_inside_call_arguments():
    module = parse_ok("map(xs, fn(x)\n  let y = x * 2\n  y + 1\nend)")
    call = module.items[0].expr
    lam = call.args[1].value
    assert isinstance(lam, A.Lambda) and lam.is_block
    assert [type(s).__name__ for s in lam.body] == ["Let", "ExprStmt"]


def test_match_inside_call_arguments():
    module = parse_ok("f(match x\n  1 -> \"one\"\n  _ -> \"other\"\nend)")
    match = module.items[0].expr.args[0].value
    assert isinstance(match, A.Match) and len(match.arms) == 2


def test_line_ending_with_operator_continues():
    assert expr("1 +\n  2") == expr("1 + 2")


def test_statements_are_separated_by_lines():
    module = parse_ok("let a = 1\nlet b = 2\nprint(a)")
    assert [type(i).__name__ for i in module.items] == ["Let", "Let", "ExprStmt"]


# ---------------------------------------------------------------- orchestration forms


def test_await_forms():
    module = parse_ok(
        "let a = await parallel\n  x = f()\n  g()\nend\n"
        "let b = await race\n  f()\n  g()\nend\n"
        "let c = await parallel(limit: 2) for u in urls\n  fetch(u)\nend\n"
        "let d = await timeout(5000, fetch(u))\n"
        "let e = await f\n")
    values = [item.value for item in module.items]
    assert isinstance(values[0], A.OrchestrationBlock) and values[0].kind == "parallel"
    assert [b.name for b in values[0].branches] == ["x", None]
    assert isinstance(values[1], A.OrchestrationBlock) and values[1].kind == "race"
    assert isinstance(values[2], A.ParallelFor) and A.dump(values[2].limit) == "(Literal 2)"
    assert isinstance(values[3], A.Timeout)
    assert isinstance(values[4], A.Await)


def test_select_branch_may_be_named_timeout():
    module = parse_ok("let e = await select\n  event1 = a.receive()\n"
                      "  timeout = sleep(5000)\nend")
    block = module.items[0].value
    assert block.kind == "select"
    assert [b.name for b in block.branches] == ["event1", "timeout"]


@pytest.mark.parametrize("word", ["parallel", "race", "vote", "select", "timeout"])
def test_orchestration_words_are_names_elsewhere(word):
    module = parse_ok(f"let {word} = 1\nprint({word})\n{word}(2)")
    assert A.dump(module.items[0].target) == f"(BindPat '{word}')"
    assert A.dump(module.items[2].expr) == f"(Call (Name '{word}') [(Arg None (Literal 2))] False)"


def test_spawn_forms():
    module = parse_ok("let a = spawn(f())\nlet b = spawn([f(), g()])\nlet c = spawn(f, 1, 2)")
    spawns = [item.value for item in module.items]
    assert all(isinstance(s, A.Spawn) for s in spawns)
    assert [len(s.args) for s in spawns] == [1, 1, 3]


# ---------------------------------------------------------------------- declarations


def test_cell_declaration_forms():
    module = parse_ok(
        "cell f(x: Int, y: String = \"a\") -> Int / {http, llm}\n  x\nend\n"
        "async cell g(x: Int) -> Int = x * 2\n"
        "cell h()\n  # only a comment\nend\n")
    f, g, h = module.items
    assert [p.name for p in f.params] == ["x", "y"]
    assert A.dump(f.params[1].default) == "(Literal 'a')"
    assert f.effects == ("http", "llm")
    assert g.is_async and len(g.body) == 1
    assert not h.has_body and h.body == ()


def test_record_with_default_and_where():
    (rec,) = parse_ok("record A\n  s: String\n  n: Float = 0.0\n"
                      "  t: String where length(t) > 0\nend").items
    assert [f.name for f in rec.fields] == ["s", "n", "t"]
    assert A.dump(rec.fields[1].default) == "(Literal 0.0)"
    assert A.dump(rec.fields[2].constraint) == (
        "(Binary '>' (Call (Name 'length') [(Arg None (Name 't'))] False) (Literal 0))")


def test_enum_variants():
    (enum,) = parse_ok("enum Shape\n  Circle(Float)\n  Rect(Float, Float)\n  Empty\nend").items
    assert [(v.name, len(v.fields)) for v in enum.variants] == [
        ("Circle", 1), ("Rect", 2), ("Empty", 0)]


def test_type_alias_const_import_use():
    module = parse_ok("type Id = String\nconst MAX: Int = 3\n"
                      "import lib.util: a, b as c\nimport other: *\n"
                      "use tool llm.chat as Chat")
    alias, const, imp, star, use = module.items
    assert A.dump(alias) == "(TypeAlias 'Id' (TypeName 'String' []))"
    assert const.name == "MAX"
    assert imp.path == ("lib", "util")
    assert [(n.name, n.alias) for n in imp.names] == [("a", None), ("b", "c")]
    assert star.names is None
    assert (use.tool, use.alias) == ("llm.chat", "Chat")


def test_grant_on_one_line():
    (grant,) = parse_ok('grant Chat model "gpt-4o" max_tokens 100').items
    assert grant.alias == "Chat"
    assert [e.key for e in grant.entries] == ["model", "max_tokens"]


def test_indented_grant_block_ends_at_dedent():
    module = parse_ok('grant Chat\n  model "gpt-4o"\n  temperature 0.2\n'
                      '  domain "*.example.com"\nlet x = 1')
    grant, let = module.items
    assert [e.key for e in grant.entries] == ["model", "temperature", "domain"]
    assert isinstance(let, A.Let)


def test_indented_grant_block_inside_agent():
    module = parse_ok('agent A\n  use tool llm.chat as Chat\n  grant Chat\n    model "m"\n'
                      '    max_calls 3\n  cell f() -> Int = 1\nend')
    agent = module.items[0]
    kinds = [type(m).__name__ for m in agent.members]
    assert kinds == ["UseTool", "Grant", "CellDecl"]
    assert [e.key for e in agent.members[1].entries] == ["model", "max_calls"]


def test_unindented_declarations_need_end():
    module = parse_ok("agent A\ncell f() -> Int\n1\nend\nend")
    assert [type(m).__name__ for m in module.items[0].members] == ["CellDecl"]


def test_unclosed_declaration_in_indented_code_is_closed_by_dedent():
    module = parse_ok("agent Helper\n  cell greet() -> String\n    \"hi\"\nend\n"
                      "cell main()\n  print(1)\nend")
    agent, main = module.items
    assert isinstance(agent, A.AgentDecl) and agent.cells[0].name == "greet"
    assert isinstance(main, A.CellDecl) and main.name == "main"


def test_unclosed_record_closed_by_dedent():
    module = parse_ok("record P\n    x: Int\ncell main()\n  print(1)\nend")
    assert [type(i).__name__ for i in module.items] == ["RecordDecl", "CellDecl"]


def test_directives():
    module = parse_ok("@deterministic true\n@strict false\nx")
    assert module.directive("deterministic") is True
    assert module.directive("strict") is False


# ---------------------------------------------------------------------- statements


def test_if_forms_elif_equals_else_if():
    a = items("if a\n  1\nelse if b\n  2\nelse\n  3\nend")
    b = items("if a\n  1\nelif b\n  2\nelse\n  3\nend")
    assert a == b
    inline = parse_ok("let x = if a then 1 else 2").items[0].value
    assert isinstance(inline, A.If) and inline.inline


def test_match_arms_with_patterns_guards_and_blocks():
    module = parse_ok(
        "match v\n"
        "  0 -> a\n"
        "  n if n > 1 -> b\n"
        "  1 | 2 -> c\n"
        "  [first, ...rest] -> d\n"
        "  (x, _) -> e\n"
        "  Circle(r) -> f\n"
        "  s: String ->\n    print(s)\n    g\n  end\n"
        "  _ -> h\n"
        "end")
    arms = module.items[0].expr.arms
    dumps = [A.dump(a.pattern) for a in arms]
    assert dumps == [
        "(LiteralPat 0)", "(BindPat 'n')", "(OrPat [(LiteralPat 1) (LiteralPat 2)])",
        "(ListPat [(BindPat 'first')] 'rest')", "(TuplePat [(BindPat 'x') (WildcardPat )])",
        "(VariantPat 'Circle' [(BindPat 'r')])", "(TypedPat 's' (TypeName 'String' []))",
        "(WildcardPat )"]
    assert arms[1].guard is not None
    assert len(arms[6].body) == 2


def test_let_forms():
    module = parse_ok("let x = 1\nlet mut y: Int = 2\nlet (a, b) = p")
    x, y, pair = module.items
    assert not x.mutable and y.mutable and A.dump(y.type) == "(TypeName 'Int' [])"
    assert A.dump(pair.target) == "(TuplePat [(BindPat 'a') (BindPat 'b')])"


@pytest.mark.parametrize("op", ["=", "+=", "-=", "*=", "/=", "//=", "%=", "**="])
def test_assignment_operators(op):
    (stmt,) = parse_ok(f"x {op} 1").items
    assert isinstance(stmt, A.Assign) and stmt.op == op


def test_index_assignment():
    (stmt,) = parse_ok("xs[0] = 1").items
    assert isinstance(stmt.target, A.Index)


def test_for_with_filter_and_destructuring():
    (loop,) = parse_ok("for (k, v) in pairs if v > 1\n  print(k)\nend").items
    assert A.dump(loop.target) == "(TuplePat [(BindPat 'k') (BindPat 'v')])"
    assert loop.condition is not None


def test_lambda_forms():
    module = parse_ok("let a = fn(x) => x\nlet b = fn(x: Int) -> Int => x\n"
                      "let c = fn(x)\n  return x\nend")
    a, b, c = (item.value for item in module.items)
    assert not a.is_block and not b.is_block and c.is_block
    assert A.dump(b.ret) == "(TypeName 'Int' [])"


def test_role_line_statement():
    (cell,) = parse_ok("cell f()\n  role system: Be brief about {t}.\nend").items
    role = cell.body[0]
    assert isinstance(role, A.Role) and role.role == "system"
    assert A.dump(role.text) == "(StringInterp ['Be brief about ' (Name 't') '.'])"


def test_types():
    (cell,) = parse_ok("cell f(a: list[Int], b: map[String, Int]?, c: fn(Int) -> Int, "
                       "d: tuple[Int, String], e: Future, g: A | B) = 1").items
    types = [A.dump(p.type) for p in cell.params]
    assert types == [
        "(TypeName 'list' [(TypeName 'Int' [])])",
        "(OptionalType (TypeName 'map' [(TypeName 'String' []) (TypeName 'Int' [])]))",
        "(FnType [(TypeName 'Int' [])] (TypeName 'Int' []) None)",
        "(TypeName 'tuple' [(TypeName 'Int' []) (TypeName 'String' [])])",
        "(TypeName 'Future' [])",
        "(UnionType [(TypeName 'A' []) (TypeName 'B' [])])",
    ]


# ------------------------------------------------------------------ errors, recovery


def test_two_syntax_errors_give_two_diagnostics():
    errs = errors("cell main()\n  let = 5\n  print(\"ok\")\n  print(1 +)\nend")
    assert [(d.code, d.span.line) for d in errs] == [("E002", 2), ("E002", 4)]


def test_errors_in_different_cells_are_all_reported():
    errs = errors("cell a()\n  let = 1\nend\ncell b()\n  x = = 2\nend\ncell c()\n  ) \nend")
    assert [d.span.line for d in errs] == [2, 5, 8]


def test_unclosed_block_is_reported_at_its_opener():
    errs = errors("cell main()\n  for x in xs\n    print(x)\n")
    assert len(errs) == 1
    d = errs[0]
    assert d.code == "E003"
    assert "unclosed `for` block" in d.message and "opened at line 2" in d.message
    assert (d.span.line, d.span.col) == (2, 3)
    assert "line 2" in d.hint
    assert d.notes and d.notes[0].span.line >= 3


def test_unclosed_vote_is_reported_when_a_statement_follows():
    errs = errors("cell f()\nlet s = await vote\na()\nb()\nreturn s\nend")
    assert len(errs) == 1
    assert errs[0].code == "E003"
    assert "unclosed `vote` block: opened at line 2" in errs[0].message
    assert errs[0].span.line == 2


def test_end_without_an_open_block():
    errs = errors("cell f()\n  1\nend\nend")
    assert len(errs) == 1 and "without an open block" in errs[0].message


def test_chained_comparison_is_an_error_with_a_hint():
    errs = errors("a < b < c")
    assert "cannot be chained" in errs[0].message and "and" in errs[0].hint


def test_declaration_inside_a_cell_is_an_error():
    errs = errors("cell f()\n  record R\n    x: Int\n  end\nend")
    assert errs and "top level" in errs[0].message


def test_every_diagnostic_has_a_hint():
    for text in ["let = 1", "cell f(\n", "f(1,, 2)", "x = = 1", "match\n", "1 +", "end",
                 "cell f()\n  for x in\n  end\nend", "let x = [1, 2"]:
        for d in errors(text):
            assert d.hint, str(d)


# -------------------------------------------------------------------- seed tutorial


def seed_blocks() -> list[tuple[int, str]]:
    """The code blocks of the seed tutorial: each follows a line `lumen` and ends at a
    line that starts with `end` (an `end` glued to the next heading is an artifact)."""
    lines = SEED.read_text().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i] == "lumen":
            body = []
            j = i + 1
            while j < len(lines):
                line = lines[j]
                j += 1
                if re.match(r"^end[A-Z]", line):
                    body.append("end")
                    break
                body.append(line)
            blocks.append((i + 2, "\n".join(body) + "\n"))
            i = j
        else:
            i += 1
    return blocks


def test_seed_tutorial_blocks_parse():
    blocks = seed_blocks()
    assert len(blocks) == 14
    for number, (line, text) in enumerate(blocks, 1):
        errs = errors(text)
        if number == len(blocks):
            # The last example leaves its `vote` block unclosed.
            assert [d.code for d in errs] == ["E003"], [str(d) for d in errs]
            assert "`vote`" in errs[0].message
        else:
            assert errs == [], (number, line, [str(d) for d in errs])


def test_seed_select_block_binds_branch_named_timeout():
    text = dict(enumerate((t for _, t in seed_blocks()), 1))[7]
    cell = parse_ok(text).items[0]
    block = cell.body[0].expr
    assert block.kind == "select"
    assert [b.name for b in block.branches] == ["event1", "event2", "timeout"]
