"""Token kinds and the keyword set — the one place that says what is reserved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..source import Span

# Token kinds that are not keywords or operators.
IDENT = "ident"
INT = "int"
FLOAT = "float"
STRING = "string"       # value: tuple of parts, each a str or a tuple of Tokens (an interpolation)
RAW_STRING = "rawstr"   # value: str
ROLE = "role"           # value: (role name, string parts) — a whole `role system: ...` line
DIRECTIVE = "directive"  # value: name after '@'
NEWLINE = "newline"
EOF = "eof"
ERROR = "error"          # value: message; the lexer already reported it

KEYWORDS = frozenset("""
    let mut const type record enum cell async fn return if else elif then for in while loop
    break continue match end and or not is true false null await spawn try halt emit
    use tool as grant agent orchestration import where
""".split())

# Names that are keywords only directly after `await` (LANGUAGE.md section 1).
AWAIT_FORMS = frozenset({"parallel", "race", "vote", "select", "timeout"})

# Longest first, so the lexer can match greedily.
OPERATORS = sorted("""
    ..= .. ... ?. ?? |> ++ ** // == != <= >= -> => += -= *= /= %= //= **=
    + - * / % < > = . , : ; ( ) [ ] { } ? | @
""".split(), key=len, reverse=True)

ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**="})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str          # one of the kinds above, a keyword, or an operator's text
    value: Any
    span: Span
    first_on_line: bool = False  # nothing but indentation precedes it on its line
    line_indent: int = 0         # column (1-based) of the first token on its line

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else self.kind

    def is_(self, kind: str) -> bool:
        return self.kind == kind

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind == NEWLINE:
            return "end of line"
        if self.kind == EOF:
            return "end of file"
        if self.kind == IDENT:
            return f"name `{self.value}`"
        if self.kind in (INT, FLOAT):
            return f"number `{self.value}`"
        if self.kind in (STRING, RAW_STRING):
            return "string"
        if self.kind in KEYWORDS:
            return f"keyword `{self.kind}`"
        return f"`{self.kind}`"
