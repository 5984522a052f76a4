"""The lexer: source text → tokens.

It emits a NEWLINE token at the end of every line that holds tokens; whether a newline
matters (it does not inside brackets, except in block forms nested there) is the
parser's decision. Strings with `{expr}` interpolation are lexed into parts whose
expressions are token lists of their own, with real positions. A whole `role name: text`
line becomes one ROLE token. Errors are reported to the sink and lexing continues.
"""

from __future__ import annotations

import re

from ..diagnostics import DiagnosticSink
from ..source import Span
from . import tokens as T
from .tokens import Token

_IDENT = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(
    r"(?P<int>\d[\d_]*)(?P<frac>\.\d[\d_]*)?(?P<exp>[eE][+-]?\d[\d_]*)?")
_DIGITS = re.compile(r"\d+")
_ROLE_LINE = re.compile(r"role[ \t]+([^\W\d]\w*)[ \t]*:[ \t]?")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "{": "{", "}": "}",
                   "0": "\0", "'": "'"}


class Lexer:
    def __init__(self, text: str, sink: DiagnosticSink):
        self.text = text
        self.sink = sink
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.tokens: list[Token] = []
        self.line_has_tokens = False
        self.line_indent = 1
        self.error_lines: set[int] = set()
        self.broken = False

    # ------------------------------------------------------------------- positions

    def col(self, pos: int | None = None) -> int:
        return (self.pos if pos is None else pos) - self.line_start + 1

    def span_from(self, start_pos: int, start_line: int, start_col: int) -> Span:
        return Span(start_line, start_col, self.line, self.col())

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        if span.line in self.error_lines:   # one error per line: the rest are echoes
            return
        self.error_lines.add(span.line)
        self.sink.error("E001", message, span, hint)

    def add(self, kind: str, value, span: Span) -> None:
        first = not self.line_has_tokens
        if first:
            self.line_indent = span.col
        self.tokens.append(Token(kind, value, span, first, self.line_indent))
        self.line_has_tokens = True

    def newline(self) -> None:
        if self.line_has_tokens:
            span = Span(self.line, self.col(), self.line, self.col() + 1)
            self.tokens.append(Token(T.NEWLINE, "\n", span, False, self.line_indent))
        self.pos += 1
        self.line += 1
        self.line_start = self.pos
        self.line_has_tokens = False

    # ------------------------------------------------------------------------ main

    def run(self, stop_at_brace: bool = False) -> list[Token]:
        """Lex to the end of text, or (inside an interpolation) to the matching '}'."""
        text = self.text
        depth = 0
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\n":
                self.newline()
            elif ch in " \t\r\f":
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif ch == '"' or (ch == "r" and text.startswith('r"', self.pos)):
                self.string()
            elif ch.isdigit():
                self.number()
            elif ch == "@":
                self.directive()
            elif ch.isalpha() or ch == "_":
                if not self.line_has_tokens and not stop_at_brace and self.role_line():
                    continue
                self.identifier()
            else:
                if stop_at_brace:
                    if ch == "{":
                        depth += 1
                    elif ch == "}":
                        if depth == 0:
                            return self.tokens
                        depth -= 1
                self.operator()
        if stop_at_brace:
            return self.tokens
        if self.line_has_tokens:
            span = Span(self.line, self.col(), self.line, self.col() + 1)
            self.tokens.append(Token(T.NEWLINE, "\n", span, False, self.line_indent))
        self.tokens.append(Token(T.EOF, None, Span(self.line, self.col(), self.line, self.col())))
        return self.tokens

    def identifier(self) -> None:
        start, line, col = self.pos, self.line, self.col()
        match = _IDENT.match(self.text, self.pos)
        word = match.group()
        self.pos = match.end()
        kind = word if word in T.KEYWORDS else T.IDENT
        self.add(kind, word, self.span_from(start, line, col))

    def directive(self) -> None:
        start, line, col = self.pos, self.line, self.col()
        match = _IDENT.match(self.text, self.pos + 1)
        if not match:
            self.pos += 1
            self.error("expected a directive name after `@`", self.span_from(start, line, col),
                       "directives are `@deterministic true|false` and `@strict true|false`")
            return
        self.pos = match.end()
        self.add(T.DIRECTIVE, match.group(), self.span_from(start, line, col))

    def number(self) -> None:
        start, line, col = self.pos, self.line, self.col()
        after_dot = bool(self.tokens) and self.tokens[-1].kind in (".", "?.") \
            and self.tokens[-1].span.end_col == col
        if after_dot:  # `pair.0`: a tuple index, never a float
            match = _DIGITS.match(self.text, self.pos)
            self.pos = match.end()
            self.add(T.INT, int(match.group()), self.span_from(start, line, col))
            return
        match = _NUMBER.match(self.text, self.pos)
        frac, exp = match.group("frac"), match.group("exp")
        if frac and self.text.startswith("..", match.start("frac")):
            frac = None  # `1..n` is a range
        end = match.end("exp") if exp else match.end("frac") if frac else match.end("int")
        raw = self.text[start:end]
        self.pos = end
        span = self.span_from(start, line, col)
        if raw.endswith("_") or "__" in raw:
            self.error(f"malformed number `{raw}`", span, "underscores separate digits: 1_000")
        clean = raw.replace("_", "")
        if frac or exp:
            self.add(T.FLOAT, float(clean), span)
        else:
            self.add(T.INT, int(clean), span)

    def operator(self) -> None:
        start, line, col = self.pos, self.line, self.col()
        for op in T.OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                self.add(op, op, self.span_from(start, line, col))
                return
        ch = self.text[self.pos]
        self.pos += 1
        span = self.span_from(start, line, col)
        hint = "use `not` for negation" if ch == "!" else \
            "use `and` / `or` for logic" if ch in "&" else None
        self.error(f"unexpected character `{ch}`", span, hint)
        self.add(T.ERROR, ch, span)

    # ------------------------------------------------------------------ role lines

    def role_line(self) -> bool:
        match = _ROLE_LINE.match(self.text, self.pos)
        if not match:
            return False
        start, line, col = self.pos, self.line, self.col()
        role = match.group(1)
        self.pos = match.end()
        parts = self.string_body(terminator="\n", triple=False, raw=False, start_span=None)
        self.add(T.ROLE, (role, tuple(parts)), self.span_from(start, line, col))
        return True

    # --------------------------------------------------------------------- strings

    def string(self) -> None:
        start, line, col = self.pos, self.line, self.col()
        raw = self.text[self.pos] == "r"
        if raw:
            self.pos += 1
        triple = self.text.startswith('"""', self.pos)
        self.pos += 3 if triple else 1
        opener = Span(line, col, line, col + (3 if triple else 1) + raw)
        parts = self.string_body('"""' if triple else '"', triple, raw, opener)
        span = self.span_from(start, line, col)
        if triple:
            parts = _dedent_parts(parts)
        if raw:
            self.add(T.RAW_STRING, "".join(p for p in parts if isinstance(p, str)), span)
        else:
            self.add(T.STRING, tuple(parts), span)
        if self.broken:   # the rest of the line is lost: the parser abandons the statement
            self.broken = False
            self.add(T.ERROR, "", Span(self.line, self.col(), self.line, self.col()))

    def string_body(self, terminator: str, triple: bool, raw: bool,
                    start_span: Span | None) -> list:
        """Lex up to `terminator`; returns parts (str, or token tuples for `{...}`)."""
        text = self.text
        parts: list = []
        buf: list[str] = []
        while True:
            if self.pos >= len(text):
                if terminator == "\n":
                    break
                self.error("unterminated string", start_span or self.span_from(self.pos, self.line, self.col()),
                           'close it with `"""`' if triple else 'close it with `"` on the same line '
                           '(use `"""` for strings that span lines)')
                break
            ch = text[self.pos]
            if text.startswith(terminator, self.pos):
                if terminator != "\n":
                    self.pos += len(terminator)
                break
            if ch == "\n":
                if not triple:
                    self.error("unterminated string", start_span,
                               'close it with `"` on the same line (use `"""` for strings '
                               'that span lines)')
                    break
                buf.append(ch)
                self.pos += 1
                self.line += 1
                self.line_start = self.pos
                continue
            if ch == "\\" and not raw:
                buf.append(self.escape())
                continue
            if ch == "{" and not raw:
                if buf:
                    parts.append("".join(buf))
                    buf = []
                if not triple and not _closes_on_line(self.text, self.pos):
                    start = Span(self.line, self.col(), self.line, self.col() + 1)
                    self.error("unterminated interpolation: `{` has no `}` on this line", start,
                               r"close it with `}`, or write `\{` for a literal brace")
                    end = self.text.find("\n", self.pos)
                    self.pos = len(self.text) if end < 0 else end
                    self.broken = True
                    break
                parts.append(self.interpolation())
                continue
            buf.append(ch)
            self.pos += 1
        if buf:
            parts.append("".join(buf))
        return parts

    def escape(self) -> str:
        start, line, col = self.pos, self.line, self.col()
        nxt = self.text[self.pos + 1:self.pos + 2]
        if nxt in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[nxt]
        if nxt == "u":
            match = re.compile(r"\\u\{([0-9a-fA-F]{1,6})\}").match(self.text, self.pos)
            if match and int(match.group(1), 16) <= 0x10FFFF:
                self.pos = match.end()
                return chr(int(match.group(1), 16))
            self.pos += 2
            self.error("malformed unicode escape", self.span_from(start, line, col),
                       r"write a code point in braces: \u{1F600}")
            return ""
        self.pos += 2 if nxt and nxt != "\n" else 1
        self.error(f"unknown escape `\\{nxt}`", self.span_from(start, line, col),
                   r'escapes are \n \t \r \\ \" \{ \u{...}; use a raw string r"..." for '
                   'backslashes')
        return nxt

    def interpolation(self) -> tuple:
        """Lex the expression of `{...}` inside a string; returns its tokens as a tuple."""
        open_line, open_col = self.line, self.col()
        self.pos += 1
        sub = Lexer(self.text, self.sink)
        sub.error_lines = self.error_lines
        sub.pos, sub.line, sub.line_start = self.pos, self.line, self.line_start
        sub.line_has_tokens = True  # never a `role` line, never first on line
        toks = sub.run(stop_at_brace=True)
        self.pos, self.line, self.line_start = sub.pos, sub.line, sub.line_start
        toks = [t for t in toks if t.kind != T.NEWLINE]
        end_span = Span(self.line, self.col(), self.line, self.col() + 1)
        if self.pos >= len(self.text):
            self.error("unterminated interpolation `{` in string",
                       Span(open_line, open_col, open_line, open_col + 1),
                       r"close it with `}`, or write `\{` for a literal brace")
        else:
            self.pos += 1  # the closing brace
        if not toks:
            self.error("empty interpolation `{}` in string",
                       Span(open_line, open_col, open_line, open_col + 2),
                       r"put an expression between the braces, or write `\{` for a literal brace")
        toks.append(Token(T.EOF, None, end_span))
        return tuple(toks)


def _closes_on_line(text: str, pos: int) -> bool:
    """Does the `{` at `pos` have its `}` before the end of the line (skipping nested
    braces and strings)?"""
    depth = 0
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            return False
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return True
        elif ch == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            if i >= n or text[i] == "\n":
                return False
        i += 1
    return False


def _dedent_parts(parts: list) -> list:
    """Triple-quoted strings: drop a leading newline, the closing line's indentation, and the
    indentation common to all lines (so they can be indented with the code)."""
    if not parts:
        return parts
    if isinstance(parts[0], str) and parts[0].startswith("\n"):
        parts = [parts[0][1:]] + parts[1:]
    if parts and isinstance(parts[-1], str):
        last = parts[-1]
        cut = last.rfind("\n")
        if cut >= 0 and not last[cut + 1:].strip(" \t"):
            parts = parts[:-1] + [last[:cut]]
    # Lines as seen at line starts in literal parts.
    flat = "".join(p if isinstance(p, str) else "\x00" for p in parts)
    lines = [ln for ln in flat.split("\n") if ln.strip(" \t")]
    if not lines:
        return [p for p in parts if p != ""]
    indent = min(len(ln) - len(ln.lstrip(" \t")) for ln in lines)
    if indent == 0:
        return [p for p in parts if p != ""]
    out = []
    at_line_start = True
    for part in parts:
        if not isinstance(part, str):
            out.append(part)
            at_line_start = False
            continue
        pieces = part.split("\n")
        fixed = []
        for i, piece in enumerate(pieces):
            if i > 0 or at_line_start:
                piece = piece[indent:] if piece[:indent].strip(" \t") == "" else piece.lstrip(" \t")
            fixed.append(piece)
        out.append("\n".join(fixed))
        at_line_start = part.endswith("\n")
    return [p for p in out if p != ""]


def lex(text: str, sink: DiagnosticSink) -> list[Token]:
    return Lexer(text, sink).run()
