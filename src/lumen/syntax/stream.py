"""The parser's token stream: lookahead, newline significance, blocks and recovery.

Newlines end statements, except inside brackets — where they are ignored until a block
form nested there (`fn ... end`, `match`, `if`, an `await` form) makes them significant
again. The stream keeps that as a stack. It also keeps the stack of open blocks, so an
unclosed block is reported with the line that opened it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import DiagnosticSink, Note
from ..source import Span
from . import tokens as T
from .tokens import Token


class ParseError(Exception):
    """Raised to abandon the current statement; the diagnostic is already recorded."""


@dataclass(slots=True)
class OpenBlock:
    kind: str           # "cell", "if", "vote", ...
    opener: Token       # the token that opened it
    dedent_closable: bool
    body_indent: int | None = None   # column of the first body line, once seen


class TokenStream:
    def __init__(self, tokens: list[Token], sink: DiagnosticSink):
        self.tokens = tokens
        self.sink = sink
        self.i = 0
        self.newline_significant = [True]
        self.blocks: list[OpenBlock] = []
        self.reported_unclosed = False
        self.error_lines: set[int] = set()

    # ------------------------------------------------------------------- lookahead

    def peek(self) -> Token:
        toks = self.tokens
        if not self.newline_significant[-1]:
            while toks[self.i].kind == T.NEWLINE:
                self.i += 1
        return toks[self.i]

    def peek_at(self, offset: int) -> Token:
        """The token `offset` places after the current one (newlines count when significant)."""
        j = self.i
        skip = not self.newline_significant[-1]
        seen = -1
        while True:
            tok = self.tokens[min(j, len(self.tokens) - 1)]
            if not (skip and tok.kind == T.NEWLINE):
                seen += 1
                if seen == offset or tok.kind == T.EOF:
                    return tok
            j += 1

    def at(self, *kinds: str) -> bool:
        return self.peek().kind in kinds

    def at_ident(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind == T.IDENT and tok.value == value

    def advance(self) -> Token:
        tok = self.peek()
        if tok.kind != T.EOF:
            self.i += 1
        self.prev = tok
        return tok

    def accept(self, kind: str) -> Token | None:
        return self.advance() if self.peek().kind == kind else None

    def expect(self, kind: str, what: str | None = None, hint: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind == kind:
            return self.advance()
        wanted = what or (f"`{kind}`" if kind not in (T.IDENT, T.NEWLINE) else
                          "a name" if kind == T.IDENT else "end of line")
        self.fail(f"expected {wanted}, found {tok.describe()}", tok.span, hint)

    def expect_name(self, what: str = "a name") -> Token:
        tok = self.peek()
        if tok.kind == T.IDENT:
            return self.advance()
        hint = f"`{tok.kind}` is a keyword and cannot be used as a name" \
            if tok.kind in T.KEYWORDS else None
        self.fail(f"expected {what}, found {tok.describe()}", tok.span, hint)

    def skip_newlines(self) -> None:
        while self.tokens[self.i].kind in (T.NEWLINE, ";"):
            self.i += 1

    def at_line_end(self) -> bool:
        return self.peek().kind in (T.NEWLINE, T.EOF, ";")

    # ----------------------------------------------------------------------- spans

    def span_from(self, start: Span) -> Span:
        end = getattr(self, "prev", None)
        if end is None:
            return start
        return Span(start.line, start.col, end.span.end_line, end.span.end_col)

    # ---------------------------------------------------------------------- errors

    def fail(self, message: str, span: Span, hint: str | None = None,
             notes: tuple[Note, ...] = ()) -> None:
        self.report(message, span, hint, notes)
        raise ParseError(message)

    def report(self, message: str, span: Span, hint: str | None = None,
               notes: tuple[Note, ...] = (), code: str = "E002") -> None:
        if span.line in self.error_lines:  # one error per line: the rest are echoes
            return
        self.error_lines.add(span.line)
        self.sink.error(code, message, span, hint, notes)

    def synchronize(self, newline_depth: int) -> None:
        """Skip to the start of the next statement after an error. Names on the broken
        line are remembered, so the checker does not also call them unknown."""
        del self.newline_significant[newline_depth:]
        back = self.i - 1
        while back >= 0 and self.tokens[back].kind != T.NEWLINE:
            if self.tokens[back].kind == T.IDENT:
                self.sink.recovered_names.add(self.tokens[back].value)
            back -= 1
        while True:
            tok = self.tokens[self.i]
            if tok.kind == T.IDENT:
                self.sink.recovered_names.add(tok.value)
            if tok.kind == T.EOF:
                return
            if tok.kind in (T.NEWLINE, ";"):
                self.i += 1
                return
            if tok.kind == "end" and tok.first_on_line:
                return
            self.i += 1

    # ---------------------------------------------------------------------- nesting

    def push_newlines(self, significant: bool) -> None:
        self.newline_significant.append(significant)

    def pop_newlines(self) -> None:
        self.newline_significant.pop()

    def open_block(self, kind: str, opener: Token, dedent_closable: bool = False) -> OpenBlock:
        block = OpenBlock(kind, opener, dedent_closable)
        self.blocks.append(block)
        return block

    def close_block(self) -> None:
        self.blocks.pop()

    def block_ends_here(self, block: OpenBlock, terminators: tuple[str, ...]) -> bool:
        """At the start of a statement line: does `block` end before this token?"""
        tok = self.peek()
        if tok.kind in terminators or tok.kind == T.EOF:
            return True
        if block.body_indent is None:
            block.body_indent = tok.span.col if tok.first_on_line else 0
        indented = block.body_indent > block.opener.line_indent
        return (block.dedent_closable and indented and tok.first_on_line
                and tok.span.col <= block.opener.line_indent)

    def close_with_end(self, block: OpenBlock, what: str) -> Token | None:
        """Consume the `end` of `block`, or report it unclosed."""
        tok = self.peek()
        if tok.kind == "end":
            dedented = (block.dedent_closable and block.body_indent
                        and block.body_indent > block.opener.line_indent
                        and tok.first_on_line and tok.span.col < block.opener.line_indent)
            if not dedented:
                return self.advance()
            return None
        if tok.kind == T.EOF:
            self.report_unclosed(block, what, tok)
            return None
        if block.dedent_closable and block.body_indent and \
                block.body_indent > block.opener.line_indent:
            return None  # closed by indentation (LANGUAGE.md section 1)
        self.report_unclosed(block, what, tok)
        return None

    def report_unclosed(self, block: OpenBlock, what: str, found: Token) -> None:
        if self.reported_unclosed and found.kind == T.EOF:
            return
        self.reported_unclosed = True
        opener = block.opener
        where = "the end of the file" if found.kind == T.EOF else f"line {found.span.line}"
        self.sink.error(
            "E003", f"unclosed `{what}` block: opened at line {opener.span.line}, "
                    f"still open at {where}",
            opener.span,
            f"add `end` to close the `{what}` opened at line {opener.span.line}",
            (Note(f"reached {found.describe()} here", found.span),))
