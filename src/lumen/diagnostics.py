"""Diagnostics as values, and their one renderer.

Every phase (lexer, parser, checker) appends `Diagnostic` values to a list instead of
raising; the driver decides what to do with them and `render` turns each into the text a
user sees: `file:line:col`, a source excerpt with a caret under the span, and a hint.
Runtime errors are rendered by `lumen.runtime.report`, with the same excerpt helper.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from .source import SourceFile, Span

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Note:
    """A secondary location that explains a diagnostic (e.g. where a block was opened)."""

    message: str
    span: Span
    source: SourceFile | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str
    code: str
    message: str
    span: Span
    source: SourceFile
    hint: str | None = None
    notes: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def location(self) -> str:
        return f"{self.source.path}:{self.span.line}:{self.span.col}"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}[{self.code}]: {self.message}"


# The hint a diagnostic shows when the phase that found it gave none.
DEFAULT_HINTS = {
    "E001": "check the characters around the caret",
    "E002": "check the syntax around the caret; docs/language.md shows every form",
    "E201": "each name can be declared once per scope",
    "E204": "check the spelling of the field",
    "E240": "check the number of arguments against the signature",
    "E246": "docs/builtins.md lists the methods of each type",
    "E301": "check the type's arguments",
    "E310": "the types must match; convert with `to_int`, `to_float` or `to_string`",
    "E311": "change the declared return type, or the value returned",
    "E313": "iterate a list, map, set, string or range",
    "E314": "the operator does not apply to these types",
    "E315": "compare values of the same type",
    "E320": "this arm can never be taken: check the pattern against the value's type",
    "E321": "a variant pattern has one sub-pattern per payload field",
    "E230": "put one expression per line between the keyword and `end`",
}
GENERIC_HINT = "see docs/language.md"


class DiagnosticSink:
    """Collects the diagnostics of one source file, in the order they are found."""

    def __init__(self, source: SourceFile):
        self.source = source
        self.items: list[Diagnostic] = []
        # Names on lines the parser could not parse: their declarations may be lost, so
        # "unknown name" errors about them would only echo the syntax error.
        self.recovered_names: set[str] = set()

    def error(self, code: str, message: str, span: Span, hint: str | None = None,
              notes: tuple[Note, ...] = ()) -> None:
        hint = hint or DEFAULT_HINTS.get(code, GENERIC_HINT)
        self.items.append(Diagnostic(ERROR, code, message, span, self.source, hint, notes))

    def warning(self, code: str, message: str, span: Span, hint: str | None = None,
                notes: tuple[Note, ...] = ()) -> None:
        hint = hint or DEFAULT_HINTS.get(code, GENERIC_HINT)
        self.items.append(Diagnostic(WARNING, code, message, span, self.source, hint, notes))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


# ---------------------------------------------------------------------------- rendering

def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR") is not None:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class _Style:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text


def excerpt(source: SourceFile, span: Span, style: _Style | None = None,
            label: str = "") -> list[str]:
    """Source lines of `span` with a caret line under the spanned columns."""
    style = style or _Style(False)
    line_no = span.line
    text = source.line_text(line_no).expandtabs(1)
    gutter = len(str(line_no))
    start = max(span.col, 1)
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        width = max(1, len(text.rstrip()) - start + 1) if span.end_line > span.line else 1
    width = max(1, min(width, max(1, len(text) - start + 1)))
    carets = " " * (start - 1) + "^" * width
    pad = " " * gutter
    lines = [
        f"{pad} {style('|', '34')}",
        f"{style(str(line_no), '34')} {style('|', '34')} {text}",
        f"{pad} {style('|', '34')} {style(carets + (' ' + label if label else ''), '31;1')}",
    ]
    return lines


def render(diag: Diagnostic, stream=None) -> str:
    """The full text of one diagnostic, as printed by `lumen check` and `lumen run`."""
    style = _Style(_use_color(stream or sys.stderr))
    colour = "31;1" if diag.is_error else "33;1"
    out = [
        f"{style(diag.location, '1')}: {style(diag.severity + '[' + diag.code + ']', colour)}: "
        f"{style(diag.message, '1')}"
    ]
    out += excerpt(diag.source, diag.span, style)
    for note in diag.notes:
        src = note.source or diag.source
        out.append(f"  {style('note', '36;1')}: {note.message} "
                   f"({src.path}:{note.span.line}:{note.span.col})")
        if note.span.line:
            out += ["  " + line for line in excerpt(src, note.span, style)[1:]]
    if diag.hint:
        out.append(f"  {style('hint', '32;1')}: {diag.hint}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic], stream=None) -> str:
    """Every diagnostic, file by file in the order found, by position within a file."""
    files = list(dict.fromkeys(d.source.path for d in diags))
    diags = sorted(diags, key=lambda d: (files.index(d.source.path), d.span.line,
                                         d.span.col))
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    parts = [render(d, stream) for d in diags]
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if summary:
        parts.append(", ".join(summary) + " found")
    return "\n\n".join(parts[:-1]) + ("\n\n" if len(parts) > 1 else "") + parts[-1] if parts else ""
