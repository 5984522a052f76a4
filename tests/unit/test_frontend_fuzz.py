"""Property test: the front end (lexer → parser → checker → compiler) only ever returns
diagnostics, whatever it is fed — random text, or golden programs with tokens and lines
deleted, duplicated, swapped, and random characters inserted. It never raises.

Deterministic (`derandomize=True`) and small, so CI stays fast and stable.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lumen.diagnostics import Diagnostic, DiagnosticSink, render
from lumen.driver import build
from lumen.source import SourceFile
from lumen.syntax.lexer import lex
from lumen.syntax.parser import parse
from lumen.syntax.tokens import KEYWORDS, OPERATORS

SPEC = Path(__file__).resolve().parent.parent / "spec"
GOLDEN = sorted(p for p in SPEC.rglob("*") if p.name.endswith((".lm", ".lm.md")))
SOURCES = [p.read_text(encoding="utf-8") for p in GOLDEN]

SETTINGS = dict(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WORDS = sorted(KEYWORDS) + ["parallel", "race", "vote", "select", "timeout", "x", "main",
                            "Int", "String", "print", "role system:", "@deterministic",
                            "```lumen", "```"]
PIECES = WORDS + OPERATORS + ["\n", "  ", '"', '"""', "{", "}", "\\", "#", "1", "2.5",
                              "1e", "1_", '"{x}"', 'r"', "\t", "é", "\U0001F600", r"\u{1F600}"]


def front_end(text: str, suffix: str = ".lm") -> list[Diagnostic]:
    """Build `text` as a file: parse, check and (when clean) compile. Never runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_text(text, encoding="utf-8")
        result = build(path)
    assert isinstance(result.diagnostics, list)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    if not result.ok:
        assert any(d.is_error for d in result.diagnostics)
    for d in result.diagnostics:
        str(d)          # every diagnostic renders
        render(d)
        assert d.span.line >= 0
    return result.diagnostics


def lex_and_parse(text: str) -> None:
    source = SourceFile("fuzz.lm", text)
    sink = DiagnosticSink(source)
    tokens = lex(text, sink)
    assert tokens[-1].kind == "eof"
    parse(source, DiagnosticSink(source))


# ------------------------------------------------------------------------ strategies

lumenish_text = st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join)
arbitrary_text = st.text(max_size=200)


@st.composite
def mutated_program(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


def _delete_line(draw, text):
    lines = text.split("\n")
    i = draw(st.integers(0, max(0, len(lines) - 1)))
    return "\n".join(lines[:i] + lines[i + 1:])


def _duplicate_line(draw, text):
    lines = text.split("\n")
    i = draw(st.integers(0, max(0, len(lines) - 1)))
    return "\n".join(lines[:i + 1] + lines[i:])


def _swap_lines(draw, text):
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _tokens(text):
    return text.replace("\n", " \n ").split(" ")


def _delete_token(draw, text):
    toks = _tokens(text)
    i = draw(st.integers(0, max(0, len(toks) - 1)))
    return " ".join(toks[:i] + toks[i + 1:]).replace(" \n ", "\n")


def _duplicate_token(draw, text):
    toks = _tokens(text)
    i = draw(st.integers(0, max(0, len(toks) - 1)))
    return " ".join(toks[:i + 1] + toks[i:]).replace(" \n ", "\n")


def _swap_tokens(draw, text):
    toks = _tokens(text)
    if len(toks) < 2:
        return text
    i = draw(st.integers(0, len(toks) - 1))
    j = draw(st.integers(0, len(toks) - 1))
    toks[i], toks[j] = toks[j], toks[i]
    return " ".join(toks).replace(" \n ", "\n")


def _insert_piece(draw, text):
    i = draw(st.integers(0, len(text)))
    piece = draw(st.sampled_from(PIECES) | st.characters())
    return text[:i] + piece + text[i:]


def _truncate(draw, text):
    return text[:draw(st.integers(0, len(text)))]


MUTATIONS = [_delete_line, _duplicate_line, _swap_lines, _delete_token, _duplicate_token,
             _swap_tokens, _insert_piece, _truncate]


# ---------------------------------------------------------------------------- tests


def test_there_are_golden_programs_to_mutate():
    assert len(SOURCES) >= 100


@settings(max_examples=40, **SETTINGS)
@given(arbitrary_text)
def test_random_text_only_gives_diagnostics(text):
    lex_and_parse(text)
    front_end(text)


@settings(max_examples=40, **SETTINGS)
@given(lumenish_text)
def test_random_lumen_like_text_only_gives_diagnostics(text):
    lex_and_parse(text)
    front_end(text)


@settings(max_examples=100, **SETTINGS)
@given(mutated_program())
def test_mutated_golden_programs_only_give_diagnostics(text):
    front_end(text)


@settings(max_examples=20, **SETTINGS)
@given(mutated_program())
def test_mutated_programs_as_markdown_only_give_diagnostics(text):
    front_end("# Doc\n\n```lumen\n" + text + "\n```\n\nprose `end`\n", ".lm.md")
