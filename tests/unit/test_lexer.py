"""The lexer: token kinds, values and positions; strings with interpolation parts; role
lines; numbers; errors reported as diagnostics while lexing continues."""

from __future__ import annotations

import pytest

from lumen.diagnostics import DiagnosticSink
from lumen.source import SourceFile, Span
from lumen.syntax import tokens as T
from lumen.syntax.lexer import lex


def run(text: str):
    sink = DiagnosticSink(SourceFile("test.lm", text))
    return lex(text, sink), sink.items


def tokens(text: str):
    toks, diags = run(text)
    assert diags == [], [str(d) for d in diags]
    return toks


def kinds(text: str) -> list[str]:
    return [t.kind for t in tokens(text)]


def significant(text: str):
    """Tokens without NEWLINE and EOF."""
    return [t for t in tokens(text) if t.kind not in (T.NEWLINE, T.EOF)]


# ------------------------------------------------------------------ kinds and positions


def test_let_statement_kinds_values_and_spans():
    toks = tokens("let x = 42")
    assert [t.kind for t in toks] == ["let", T.IDENT, "=", T.INT, T.NEWLINE, T.EOF]
    assert toks[1].value == "x"
    assert toks[3].value == 42
    assert toks[0].span == Span(1, 1, 1, 4)
    assert toks[1].span == Span(1, 5, 1, 6)
    assert toks[3].span == Span(1, 9, 1, 11)


def test_positions_on_later_lines_and_columns():
    toks = significant("cell f()\n  return 1\nend")
    ret = next(t for t in toks if t.kind == "return")
    assert (ret.span.line, ret.span.col) == (2, 3)
    end = toks[-1]
    assert end.kind == "end" and (end.span.line, end.span.col) == (3, 1)


def test_first_on_line_and_line_indent():
    toks = significant("cell f()\n    x + y\nend")
    x = next(t for t in toks if t.value == "x")
    plus = next(t for t in toks if t.kind == "+")
    assert x.first_on_line and x.line_indent == 5
    assert not plus.first_on_line and plus.line_indent == 5


def test_blank_lines_and_comment_lines_produce_no_newline_tokens():
    assert kinds("a\n\n\n# comment\n\nb") == [T.IDENT, T.NEWLINE, T.IDENT, T.NEWLINE, T.EOF]


def test_trailing_comment_is_skipped():
    assert kinds("x # the rest is a comment ( [ {") == [T.IDENT, T.NEWLINE, T.EOF]


def test_keywords_and_identifiers():
    toks = significant("let mut match end fn await spawn try halt emit where")
    assert all(t.kind == t.value for t in toks)
    assert all(t.kind in T.KEYWORDS for t in toks)


@pytest.mark.parametrize("word", ["parallel", "race", "vote", "select", "timeout"])
def test_orchestration_words_are_identifiers(word):
    toks = significant(f"await {word}")
    assert toks[0].kind == "await"
    assert toks[1].kind == T.IDENT and toks[1].value == word


def test_identifiers_with_underscores_and_digits():
    toks = significant("_a b_2 snake_case CamelCase")
    assert [t.value for t in toks] == ["_a", "b_2", "snake_case", "CamelCase"]
    assert all(t.kind == T.IDENT for t in toks)


@pytest.mark.parametrize("text,expected", [
    ("a //= b", "//="), ("a **= b", "**="), ("a ?? b", "??"), ("a |> b", "|>"),
    ("a ++ b", "++"), ("a ..= b", "..="), ("a .. b", ".."), ("a ** b", "**"),
    ("a != b", "!="), ("a <= b", "<="), ("a -> b", "->"), ("a => b", "=>"),
    ("a ?. b", "?."), ("a // b", "//"), ("a += b", "+="), ("a %= b", "%="),
])
def test_operators_are_matched_greedily(text, expected):
    toks = significant(text)
    assert [t.kind for t in toks] == [T.IDENT, expected, T.IDENT]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("text,kind,value", [
    ("42", T.INT, 42), ("1_000_000", T.INT, 1_000_000), ("0", T.INT, 0),
    ("3.14", T.FLOAT, 3.14), ("1e-3", T.FLOAT, 0.001), ("2.5e2", T.FLOAT, 250.0),
    ("1E3", T.FLOAT, 1000.0), ("1_000.5", T.FLOAT, 1000.5),
])
def test_numbers(text, kind, value):
    (tok,) = significant(text)
    assert tok.kind == kind
    assert tok.value == value
    assert type(tok.value) is type(value)


def test_range_is_not_a_float():
    toks = significant("1..5")
    assert [(t.kind, t.value) for t in toks] == [(T.INT, 1), ("..", ".."), (T.INT, 5)]
    toks = significant("0..=n")
    assert [t.kind for t in toks] == [T.INT, "..=", T.IDENT]


def test_tuple_index_after_dot_is_an_int():
    toks = significant("pair.0")
    assert [(t.kind, t.value) for t in toks] == [(T.IDENT, "pair"), (".", "."), (T.INT, 0)]


@pytest.mark.parametrize("text", ["1__0", "1_", "2.5_"])
def test_malformed_number_is_an_error(text):
    _, diags = run(text)
    assert diags and diags[0].code == "E001"
    assert "malformed number" in diags[0].message


# --------------------------------------------------------------------------- strings


def test_plain_string_is_one_part():
    (tok,) = significant('"hello"')
    assert tok.kind == T.STRING
    assert tok.value == ("hello",)
    assert tok.span == Span(1, 1, 1, 8)


def test_escapes():
    (tok,) = significant(r'"a\nb\tc\\d\"e\{f\r"')
    assert tok.value == ('a\nb\tc\\d"e{f\r',)


def test_unicode_escape():
    (tok,) = significant(r'"\u{1F600} \u{41}"')
    assert tok.value == ("\U0001F600 A",)


def test_interpolation_parts_hold_tokens_with_real_positions():
    (tok,) = significant('"sum={a + b}!"')
    assert tok.kind == T.STRING
    before, inner, after = tok.value
    assert before == "sum=" and after == "!"
    assert [t.kind for t in inner] == [T.IDENT, "+", T.IDENT, T.EOF]
    a = inner[0]
    assert a.value == "a" and (a.span.line, a.span.col) == (1, 7)


def test_interpolation_with_nested_string_and_map():
    (tok,) = significant('"x {f("y {1}")} {{"k": 1}["k"]}"')
    exprs = [p for p in tok.value if not isinstance(p, str)]
    assert len(exprs) == 2
    assert exprs[0][0].value == "f"
    assert exprs[1][0].kind == "{"


def test_interpolation_only():
    (tok,) = significant('"{x}"')
    assert len(tok.value) == 1 and not isinstance(tok.value[0], str)


def test_raw_string_keeps_backslashes_and_braces():
    (tok,) = significant(r'r"C:\new {x}"')
    assert tok.kind == T.RAW_STRING
    assert tok.value == r"C:\new {x}"


def test_triple_quoted_string_spans_lines_and_later_positions_are_right():
    text = 'let s = """one\ntwo {n}\nthree"""\nlet t = 1'
    toks = significant(text)
    s = next(t for t in toks if t.kind == T.STRING)
    assert s.value[0] == "one\ntwo "
    assert s.value[-1] == "\nthree"
    second_let = [t for t in toks if t.kind == "let"][1]
    assert second_let.span.line == 4


def test_triple_quoted_string_strips_leading_newline_and_common_indent():
    (tok,) = significant('"""\n    a\n      b\n    """')
    assert tok.value == ("a\n  b",)


# ------------------------------------------------------------------------ role lines


def test_role_line_is_one_token():
    toks = tokens("role system: Be brief about {topic}.\nx")
    role = toks[0]
    assert role.kind == T.ROLE
    name, parts = role.value
    assert name == "system"
    assert parts[0] == "Be brief about "
    assert [t.value for t in parts[1] if t.kind != T.EOF] == ["topic"]
    assert parts[2] == "."
    assert toks[1].kind == T.NEWLINE
    assert toks[2].kind == T.IDENT


def test_role_text_keeps_quotes_and_hashes():
    role = tokens('  role user: say "hi" # not a comment')[0]
    assert role.kind == T.ROLE
    assert role.value[1] == ('say "hi" # not a comment',)


def test_role_is_a_name_when_not_a_role_line():
    toks = significant("let role = 1")
    assert [t.kind for t in toks] == ["let", T.IDENT, "=", T.INT]


# -------------------------------------------------------------------------- directives


def test_directive():
    toks = significant("@deterministic true")
    assert toks[0].kind == T.DIRECTIVE and toks[0].value == "deterministic"
    assert toks[1].kind == "true"


def test_at_without_a_name_is_an_error():
    _, diags = run("@ true")
    assert diags[0].code == "E001"


# ------------------------------------------------------------------------------ errors


def test_unterminated_string_reports_the_opening_quote_and_continues():
    toks, diags = run('x = "open\ny = 2')
    assert len(diags) == 1
    d = diags[0]
    assert d.code == "E001" and "unterminated string" in d.message
    assert (d.span.line, d.span.col) == (1, 5)
    assert d.hint
    assert any(t.kind == T.IDENT and t.value == "y" for t in toks)


def test_unknown_escape_is_reported_with_hint():
    _, diags = run(r'"bad \q"')
    assert len(diags) == 1
    assert "unknown escape" in diags[0].message
    assert "raw string" in diags[0].hint


def test_malformed_unicode_escape():
    _, diags = run(r'"\u{ZZ}"')
    assert diags and "unicode escape" in diags[0].message


def test_unexpected_character_reports_and_continues():
    toks, diags = run("a $ b")
    assert len(diags) == 1
    assert diags[0].message == "unexpected character `$`"
    assert diags[0].span == Span(1, 3, 1, 4)
    assert [t.value for t in toks if t.kind == T.IDENT] == ["a", "b"]


def test_bang_gets_a_hint_about_not():
    _, diags = run("!x")
    assert "not" in diags[0].hint


def test_empty_interpolation_is_an_error():
    _, diags = run('"{}"')
    assert any("empty interpolation" in d.message for d in diags)


def test_unterminated_interpolation_is_an_error():
    _, diags = run('"abc {x')
    assert any("interpolation" in d.message or "unterminated" in d.message for d in diags)


def test_several_lexical_errors_are_all_reported():
    _, diags = run('a $ b\nc ` d\n"\\q"')
    assert [d.span.line for d in diags] == [1, 2, 3]


def test_eof_token_is_always_last():
    for text in ["", "x", "x\n", '"unterminated', "# only a comment"]:
        toks, _ = run(text)
        assert toks[-1].kind == T.EOF
