"""Lumen frames: the places in a Lumen program that a Python traceback passes through.

This module owns
* `is_lumen_file` and `is_program_frame`, which tell the frames of the Lumen program
  from Python frames (compiled code objects carry the Lumen path as `co_filename`);
* `Frame`, one Lumen stack frame, and `lumen_frames`, which filters a traceback down
  to those frames and names each after its cell.

A frame is built from the traceback alone: its columns are the UTF-8 byte columns that
CPython records, and `Frame.char_columns` turns them into characters given the line's
text. So frames need no source text, survive pickling as they are, and whoever shows
them (`report`) brings the source.

It imports nothing from the rest of Lumen.
"""

from __future__ import annotations

import itertools
import re
from collections import namedtuple


def is_lumen_file(filename: str) -> bool:
    return filename.endswith(".lm") or filename.endswith(".lm.md")


def is_program_frame(code) -> bool:
    """A frame of the Lumen program. A cell's argument-checking wrapper (`_L_c_f`) is not
    a place in the program: a wrong argument is reported at the call that passed it."""
    return is_lumen_file(code.co_filename) and not code.co_name.startswith("_L_c_")


# (collections.namedtuple, not typing.NamedTuple: `typing` costs every start-up 5 ms.)
class Frame(namedtuple("Frame", "file line byte_col byte_end_col cell")):
    """One Lumen stack frame: file, line, cell, and `byte_col`/`byte_end_col`, 1-based
    UTF-8 byte columns (end exclusive) as CPython records them, or None when it recorded
    none."""

    __slots__ = ()

    def char_columns(self, text: str | None) -> tuple[int | None, int | None]:
        """The 1-based character columns `(col, end_col)` in `text`, the frame's line.
        Without the text, the byte columns are the best guess (exact for ASCII)."""
        return _char_column(text, self.byte_col), _char_column(text, self.byte_end_col)


def _char_column(text: str | None, byte_col: int | None) -> int | None:
    if byte_col is None or text is None:
        return byte_col
    prefix = text.encode("utf-8")[:byte_col - 1]
    return len(prefix.decode("utf-8", errors="ignore")) + 1


def lumen_frames(tb) -> list[Frame]:
    """The frames of Lumen files in traceback `tb`, outermost first."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_program_frame(code):
            frames.append(_frame_of(tb, code))
        tb = tb.tb_next
    return frames


def _frame_of(tb, code) -> Frame:
    line = tb.tb_lineno
    col = end_col = None
    position = next(itertools.islice(code.co_positions(), tb.tb_lasti // 2, None), None)
    if position is not None:
        start_line, end_line, start_byte, end_byte = position
        if start_byte is not None and (start_line is None or start_line == line):
            col = start_byte + 1
            if end_byte is not None and end_line == start_line and end_byte > start_byte:
                end_col = end_byte + 1
    return Frame(code.co_filename, line if line is not None else 0, col, end_col,
                 _cell_name(code))


_GENERATED_NAME = re.compile(r"^_L_([a-z]+)\d*$")


def _cell_name(code) -> str:
    # Nested definitions read `main.<lambda>` rather than `main.<locals>.<lambda>`;
    # functions the compiler names `_L_c_f` (cell `f` with its argument checks) read
    # `f`, `_L_fn3` read `<lambda>` (`_L_branch2`: `<branch>`): user names never start
    # with `_L_`.
    name = getattr(code, "co_qualname", code.co_name)
    parts = [_readable_part(part) for part in name.split(".") if part != "<locals>"]
    return ".".join(part for part in parts if part)


def _readable_part(part: str) -> str:
    if part == "__init__":  # `Pos.__init__` is the construction of record `Pos`
        return ""
    if part.startswith("_L_c_"):  # the compiler's type-checking wrapper of a cell
        return part[5:]
    if part == "_L_script":  # the top-level statements
        return "<script>"
    match = _GENERATED_NAME.match(part)
    if match is None:
        return part
    return "<lambda>" if match[1] == "fn" else f"<{match[1]}>"
