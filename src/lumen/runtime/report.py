"""The report of a runtime error: the text `lumen run` writes to stderr when a run fails.

This module owns `render_runtime_error` and its parts: the `error[Kind]: message` line,
the `-->` location with an excerpt of the source and a caret under the failing
expression (the same excerpt as check diagnostics), the Lumen traceback (repeats
collapsed, very long ones shortened), the hint (`default_hint` when the error has none)
and the numbered details.

The source text comes with the call (`sources`, a path -> text mapping such as
`Program.sources`), not from any registry: a frame's columns are byte offsets
(see `frames`), turned into characters here with the line they point into.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from ..diagnostics import _Style, _use_color, excerpt
from ..source import SourceFile, Span
from .errors import LumenError
from .frames import Frame


def render_runtime_error(error: LumenError, stream=None, *,
                         sources: Mapping[str, str] | None = None) -> str:
    """The report `lumen run` writes to stderr: kind, message, excerpt, Lumen traceback.

    `sources` maps the path of each Lumen file of the program to its text (what
    `Program.sources` holds); a file it does not name is read from disk. Python frames
    are never shown. Colour only when `stream` is a terminal and NO_COLOR is unset (same
    rule as check diagnostics).
    """
    style = _Style(_use_color(stream if stream is not None else sys.stderr))
    out = [f"{style('error[' + error.kind + ']', '31;1')}: {style(error.message, '1')}"]
    frames = error.frames
    out += _location_lines(error, frames, style, sources)
    if frames:
        out.append("Lumen traceback (most recent call last):")
        out += _traceback_lines(frames)
    hint = error.hint or default_hint(error)
    if hint:
        out.append(f"  {style('hint', '32;1')}: {hint}")
    out += _detail_lines(error.details)
    return "\n".join(out)


def source_lines(path: str, sources: Mapping[str, str] | None) -> list[str] | None:
    """The lines of Lumen file `path`: its text in `sources`, else the file on disk, else
    None."""
    text = sources.get(path) if sources else None
    if text is None:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            return None
    return text.split("\n")


_KIND_HINTS = {
    "TypeError": "`type_of(v)` shows a value's type; declared types are checked at cell "
                 "boundaries",
    "IndexError": "check the index against `length(xs)` first (negative indexes count from "
                  "the end)",
    "KeyError": "`has_key(m, k)` tests a key; `m.get(k, default)` reads one with a default",
    "Halt": "the program stopped itself with `halt`; `try` turns it into an `err`",
    "AssertionFailed": "an `assert` found its condition false",
    "ConstraintViolation": "a record's `where` constraint rejected the value",
    "ToolError": "the tool's provider failed; docs/tools.md describes providers and "
                 "lumen.toml",
    "PolicyViolation": "the call asks for more than a grant allows: change the call or the "
                       "grant; nothing was sent",
    "Timeout": "raise the `timeout_ms` grant, or handle it with `try`",
    "RaceFailed": "every branch failed: their errors are listed below",
    "VoteFailed": "every voter failed: their errors are listed below",
    "Cancelled": "the work was cancelled before it finished (a race it lost, `.cancel()`, "
                 "or its cell returned)",
}


def default_hint(error: LumenError) -> str:
    """A hint for an error that came without one: what to do about its kind."""
    if error.kind == "RuntimeError" and error.message == "division by zero":
        return "check that the divisor is not 0, or handle the failure with `try`"
    return _KIND_HINTS.get(error.kind, "`try` turns a failure into an `err`; `--debug` adds "
                                       "the Python traceback")


# A traceback longer than this (after collapsing repeats) shows its two ends only.
_TRACEBACK_HEAD, _TRACEBACK_TAIL = 10, 20


def _traceback_lines(frames: list[Frame]) -> list[str]:
    """`  file:line in cell` per frame; runs of the same frame (deep recursion) are
    collapsed, and a very long traceback keeps only its outermost and innermost parts."""
    lines: list[str] = []
    repeats = 0
    for frame in frames:
        entry = f"  {frame.file}:{frame.line} in {frame.cell}"
        if lines and entry == lines[-1]:
            repeats += 1
            continue
        lines += _repeat_note(repeats)
        repeats = 0
        lines.append(entry)
    lines += _repeat_note(repeats)
    if len(lines) > _TRACEBACK_HEAD + _TRACEBACK_TAIL + 1:
        hidden = len(lines) - _TRACEBACK_HEAD - _TRACEBACK_TAIL
        lines = (lines[:_TRACEBACK_HEAD] + [f"  ... {hidden} more lines ..."]
                 + lines[-_TRACEBACK_TAIL:])
    return lines


def _repeat_note(repeats: int) -> list[str]:
    if not repeats:
        return []
    return [f"  [previous line repeated {repeats} more time{'s' * (repeats != 1)}]"]


def _location_lines(error: LumenError, frames: list[Frame], style,
                    sources: Mapping[str, str] | None) -> list[str]:
    file, line = error.file, error.line
    if not file or not line:
        return []
    text_lines = source_lines(file, sources)
    line_text = None
    if text_lines is not None and 1 <= line <= len(text_lines):
        line_text = text_lines[line - 1]
    innermost = frames[-1] if frames else None
    col = end_col = None
    if innermost is not None and (innermost.file, innermost.line) == (file, line):
        col, end_col = innermost.char_columns(line_text)
    gutter = " " * (len(str(line)) + 1)
    location = f"{file}:{line}" + (f":{col}" if col else "")
    lines = [f"{gutter}{style('-->', '34')} {location}"]
    if line_text is not None:
        source = SourceFile(file, "\n".join(text_lines))
        lines += [" " + row for row in excerpt(source, _span_of(line_text, line, col,
                                                                  end_col), style)]
    return lines


def _span_of(text: str, line: int, col: int | None, end_col: int | None) -> Span:
    if col is None:
        # No column known: underline the statement (the line without indentation).
        stripped = text.rstrip()
        col = len(stripped) - len(stripped.lstrip()) + 1
        end_col = len(stripped) + 1
    if end_col is None or end_col <= col:
        end_col = col + 1
    return Span(line, col, line, end_col)


def _detail_lines(details: list) -> list[str]:
    lines = []
    for index, detail in enumerate(details, 1):
        if isinstance(detail, LumenError):
            where = f" (line {detail.line})" if detail.line else ""
            lines.append(f"  {index}. {detail.kind}: {detail.message}{where}")
        else:
            lines.append(f"  {index}. {detail}")
    return lines
