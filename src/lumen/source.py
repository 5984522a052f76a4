"""Source files and positions.

A `SourceFile` owns the text of one `.lm` or `.lm.md` file and the *code view* the lexer
reads. For Markdown, every line outside a ```` ```lumen ```` fence is blanked (kept as an
empty line), so line and column numbers of the code view are exactly those of the
Markdown file: no separate line map is needed anywhere downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w.+-]*)")


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based lines and columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def to(self, other: "Span") -> "Span":
        """The span from the start of `self` to the end of `other`."""
        return Span(self.line, self.col, other.end_line, other.end_col)

    def __repr__(self) -> str:
        return f"{self.line}:{self.col}"


NO_SPAN = Span(0, 0, 0, 0)


class SourceFile:
    """One Lumen source file: its path, its original text, and the code view."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.is_markdown = path.endswith(".md")
        self.code = markdown_code_view(text) if self.is_markdown else text
        self._lines: list[str] | None = None

    @classmethod
    def read(cls, path: str | Path) -> "SourceFile":
        # Bytes decoded as they are (no newline translation): `text` is the file's exact
        # content, which the compiled-program cache hashes.
        with open(path, "rb") as handle:
            return cls(str(path), handle.read().decode("utf-8"))

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def line_text(self, line: int) -> str:
        """The original text of a 1-based line ('' when out of range)."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].rstrip("\r")
        return ""

    @property
    def name(self) -> str:
        return self.path


def markdown_code_view(text: str) -> str:
    """Blank every line that is not inside a fence tagged `lumen`, keeping line count."""
    out: list[str] = []
    fence: str | None = None  # the closing marker of the open fence
    in_lumen = False
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(2)
                in_lumen = match.group(3).lower() == "lumen"
            out.append("")
            continue
        if match and match.group(2).startswith(fence[0]) and len(match.group(2)) >= len(fence) \
                and not match.group(3):
            fence = None
            in_lumen = False
            out.append("")
            continue
        out.append(line if in_lumen else "")
    return "\n".join(out)
