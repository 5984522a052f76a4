"""Runtime errors: the `LumenError` exception, Lumen tracebacks, and their rendering.

This module owns
* `LumenError`, the one exception type Lumen programs see (`kind`, `message`, `line`,
  `file`, `hint`, `details`);
* `translate`, which turns a Python exception raised inside compiled Lumen code into a
  `LumenError` worded in Lumen terms (types `Int`/`String`, not `int`/`str`);
* `lumen_frames`, which filters a Python traceback down to the frames of Lumen files
  (compiled code objects carry the Lumen path as `co_filename`), and the source
  registry used to show excerpts;
* `render_runtime_error`, the text `lumen run` writes to stderr;
* the small raising helpers the compiled code calls: `halt`, `assertion`,
  `constraint_error`, `no_match`, `no_body`, and `failure_of` for `try`.

It imports nothing from the rest of the runtime at module level (values and display
import *this* module), so the few helpers that need `display` or `Failure` import them
inside the function: those are error paths, never hot.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections import namedtuple
from functools import lru_cache

# ------------------------------------------------------------------------- the exception


class LumenError(Exception):
    """An error raised by a Lumen program (or by the runtime on its behalf).

    `line` and `file` are filled lazily from the traceback (the innermost Lumen frame)
    unless set explicitly, e.g. by the orchestration runtime for a branch's line.
    """

    def __init__(self, kind: str, message: str, *, line: int | None = None,
                 file: str | None = None, hint: str | None = None,
                 details: list | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.details = list(details) if details else []
        self._line = line
        self._file = file
        # A snapshot of the Lumen frames, kept when the live traceback is gone
        # (after pickling) or set by whoever moves the error between tasks.
        self._saved_frames: list[Frame] | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"LumenError({self.kind!r}, {self.message!r})"

    @property
    def frames(self) -> list["Frame"]:
        """Lumen frames of the traceback, outermost first (most recent call last)."""
        if self.__traceback__ is not None:
            live = lumen_frames(self.__traceback__)
            if live:
                return live
        return list(self._saved_frames or ())

    @frames.setter
    def frames(self, frames: list["Frame"]) -> None:
        self._saved_frames = list(frames)

    @property
    def line(self) -> int | None:
        if self._line is not None:
            return self._line
        innermost = self._innermost_location()
        return innermost[1] if innermost else None

    @line.setter
    def line(self, line: int | None) -> None:
        self._line = line

    @property
    def file(self) -> str | None:
        if self._file is not None:
            return self._file
        innermost = self._innermost_location()
        return innermost[0] if innermost else None

    @file.setter
    def file(self, file: str | None) -> None:
        self._file = file

    def _innermost_location(self) -> tuple[str, int] | None:
        # Cheaper than `frames` (no columns, no source lookup): `try` asks for the line
        # of every error it catches.
        location = None
        tb = self.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if is_program_frame(code):
                location = (code.co_filename, tb.tb_lineno)
            tb = tb.tb_next
        if location is None and self._saved_frames:
            location = (self._saved_frames[-1].file, self._saved_frames[-1].line)
        return location

    def __reduce__(self):
        # The traceback does not pickle: keep its Lumen frames as a snapshot instead.
        state = dict(self.__dict__)
        state["_saved_frames"] = self.frames or None
        state["_line"] = self.line
        state["_file"] = self.file
        return (_restore_error, (type(self), state))


def _restore_error(cls, state):
    error = cls.__new__(cls)
    error.args = (state.get("message", ""),)
    error.__dict__.update(state)
    return error


# ------------------------------------------------------------------ sources and frames

_SOURCES: dict[str, list[str]] = {}


def register_source(path: str, text_lines: list[str]) -> None:
    """Remember the lines of a loaded Lumen file, for excerpts in error reports."""
    _SOURCES[str(path)] = list(text_lines)


def source_lines(path: str) -> list[str] | None:
    """The registered lines of `path`, else the file read from disk, else None."""
    lines = _SOURCES.get(path)
    if lines is not None:
        return lines
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return None


def is_lumen_file(filename: str) -> bool:
    return filename.endswith(".lm") or filename.endswith(".lm.md")


def is_program_frame(code) -> bool:
    """A frame of the Lumen program. A cell's argument-checking wrapper (`_L_c_f`) is not
    a place in the program: a wrong argument is reported at the call that passed it."""
    return is_lumen_file(code.co_filename) and not code.co_name.startswith("_L_c_")


# One Lumen stack frame. `col`/`end_col` are 1-based characters (end exclusive), or None.
Frame = namedtuple("Frame", "file line col end_col cell")


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
            text = _line_text(code.co_filename, line)
            col = _char_column(text, start_byte) + 1
            if end_byte is not None and end_line == start_line and end_byte > start_byte:
                end_col = _char_column(text, end_byte) + 1
    return Frame(code.co_filename, line if line is not None else 0, col, end_col,
                 _cell_name(code))


def _line_text(path: str, line: int | None) -> str | None:
    lines = source_lines(path)
    if lines is None or line is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1]


def _char_column(text: str | None, byte_offset: int) -> int:
    # CPython column offsets are UTF-8 byte offsets; convert to characters.
    if text is None:
        return byte_offset
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


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


# ----------------------------------------------------------------------- translation

_LUMEN_TYPE_NAMES = {
    "int": "Int", "float": "Float", "str": "String", "bool": "Bool", "NoneType": "Null",
    "bytes": "Bytes", "list": "list", "dict": "map", "tuple": "tuple", "LumenSet": "set",
    "function": "fn", "builtin_function_or_method": "fn", "method": "fn",
    "Ok": "result", "Err": "result",
    "string": "String",  # "string indices must be integers"
}


def lumen_type_of_python_name(name: str) -> str:
    """Lumen's name for a Python type name found in an error message."""
    return _LUMEN_TYPE_NAMES.get(name, name)


def _t(name: str) -> str:
    return lumen_type_of_python_name(name)


# Each rule: (regex over the Python message, function of the match -> Lumen message).
@lru_cache(maxsize=None)
def _type_error_rules() -> list:
    """Compiled on first use: most runs never format a Python error."""
    return [
        (re.compile(r"unsupported operand type\(s\) for (\*\*|[^:]+?)(?: or pow\(\))?: "
                    r"'([^']+)' and '([^']+)'"),
         lambda m: f"cannot apply `{m[1]}` to {_t(m[2])} and {_t(m[3])}"),
        (re.compile(r"bad operand type for unary (\S+?): '([^']+)'"),
         lambda m: f"cannot apply `{m[1]}` to {_t(m[2])}"),
        (re.compile(r"'([^']+)' not supported between instances of '([^']+)' and '([^']+)'"),
         lambda m: f"cannot compare {_t(m[2])} and {_t(m[3])} with `{m[1]}`"),
        (re.compile(r'can only concatenate (\w+) \(not "([^"]+)"\) to \w+'),
         lambda m: f"cannot apply `+` to {_t(m[1])} and {_t(m[2])}"),
        (re.compile(r"can't multiply sequence by non-int of type '([^']+)'"),
         lambda m: f"cannot apply `*` to a sequence and {_t(m[1])}"),
        (re.compile(r"'([^']+)' object is not callable"),
         lambda m: f"a value of type {_t(m[1])} is not a function and cannot be called"),
        (re.compile(r"'([^']+)' object is not subscriptable"),
         lambda m: f"a value of type {_t(m[1])} cannot be indexed with `[...]`"),
        (re.compile(r"cannot unpack non-iterable (\S+) object"),
         lambda m: f"cannot destructure a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object is not iterable"),
         lambda m: f"cannot iterate over a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object does not support item assignment"),
         lambda m: f"cannot assign to an element of a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object doesn't support item deletion"),
         lambda m: f"cannot remove an element of a value of type {_t(m[1])}"),
        (re.compile(r"(\w+) indices must be integers(?: or slices)?(?:, not '?([^']+?)'?)?$"),
         lambda m: f"{_t(m[1])} index must be an Int"
                   + (f", got {_t(m[2])}" if m[2] else "")),
        (re.compile(r"unhashable type: '([^']+)'"),
         lambda m: f"a value of type {_t(m[1])} cannot be a map key or a set element"),
        (re.compile(r"'in <string>' requires string as left operand, not (\S+)"),
         lambda m: f"`in` on a String needs a String on the left, got {_t(m[1])}"),
        (re.compile(r"object of type '([^']+)' has no len\(\)"),
         lambda m: f"a value of type {_t(m[1])} has no length"),
        (re.compile(r"([\w.<>]+)\(\) takes (from \d+ to \d+|\d+) positional arguments? "
                    r"but (\d+) (?:was|were) given"),
         lambda m: f"`{_callable_name(m[1])}` takes {m[2]} argument{'s' * (m[2] != '1')} "
                   f"but {m[3]} {'was' if m[3] == '1' else 'were'} given"),
        (re.compile(r"([\w.<>]+)\(\) missing \d+ required (?:positional|keyword-only) "
                    r"arguments?: (.+)"),
         lambda m: f"`{_callable_name(m[1])}` is missing argument "
                   + m[2].replace("'", "`")),
        (re.compile(r"([\w.<>]+)\(\) got an unexpected keyword argument '([^']+)'"),
         lambda m: f"`{_callable_name(m[1])}` has no parameter `{m[2]}`"),
        (re.compile(r"([\w.<>]+)\(\) got multiple values for argument '([^']+)'"),
         lambda m: f"`{_callable_name(m[1])}` got argument `{m[2]}` twice"),
    ]


@lru_cache(maxsize=None)
def _unpack_rules() -> list:
    return [
        (re.compile(r"too many values to unpack \(expected (\d+)\)"),
         lambda m: f"cannot destructure: expected {m[1]} values, got more"),
        (re.compile(r"not enough values to unpack \(expected (\d+), got (\d+)\)"),
         lambda m: f"cannot destructure: expected {m[1]} values, got {m[2]}"),
    ]


def _callable_name(name: str) -> str:
    # Python names callables by qualname: `main.<locals>.<lambda>`, `Point.__init__`.
    name = name.replace(".<locals>", "").removesuffix(".__init__")
    return "fn" if name.endswith("<lambda>") else name


def lumen_type_error_message(python_message: str) -> str:
    """Lumen wording of a Python TypeError message (unchanged when no rule applies)."""
    return _reword(_type_error_rules(), python_message) or python_message


def _reword(rules, message: str) -> str | None:
    for pattern, wording in rules:
        match = pattern.search(message)
        if match:
            return wording(match)
    return None


RECURSION_HINT = ("a cell probably calls itself without reaching a base case; if the "
                  "recursion is intended, rewrite it as a loop")
INTERNAL_HINT = ("this is a bug in Lumen, not in your program: please report it with the "
                 "output of `lumen run --debug`")


def translate(exc: BaseException) -> LumenError:
    """The `LumenError` for any exception raised while running Lumen code.

    A `LumenError` is returned as is. Others get Lumen wording, keep the original
    traceback (so the Lumen frames are still there) and the original as `__cause__`.
    """
    if isinstance(exc, LumenError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        return _translate_group(exc)
    kind, message, hint = _classify(exc)
    error = LumenError(kind, message, hint=hint)
    error.__cause__ = exc
    error.__suppress_context__ = True
    return error.with_traceback(exc.__traceback__)


def _classify(exc: BaseException) -> tuple[str, str, str | None]:
    # RecursionError is a RuntimeError subclass: test it before anything generic.
    if isinstance(exc, RecursionError):
        return ("RecursionError",
                f"recursion too deep (more than {_recursion_depth(exc)} nested calls)",
                RECURSION_HINT)
    if isinstance(exc, ZeroDivisionError):
        return "RuntimeError", "division by zero", None
    if isinstance(exc, TypeError):
        return "TypeError", lumen_type_error_message(str(exc)), None
    if isinstance(exc, IndexError):
        if "pop from empty" in str(exc):
            return "IndexError", "pop from an empty list", None
        return "IndexError", "index out of range", None
    if isinstance(exc, KeyError):
        return "KeyError", _key_error_message(exc), None
    if isinstance(exc, AttributeError):
        return "RuntimeError", _attribute_error_message(exc), None
    if isinstance(exc, ValueError):
        message = str(exc)
        if message == "math domain error":   # `sqrt` of a negative number, compiled inline
            return "RuntimeError", "math domain error: `sqrt` of a negative number", None
        return "RuntimeError", _reword(_unpack_rules(), message) or message, None
    if isinstance(exc, OverflowError):
        return "RuntimeError", f"number too large ({exc.args[-1] if exc.args else exc})", None
    if isinstance(exc, MemoryError):
        return "RuntimeError", "out of memory", None
    asyncio = sys.modules.get("asyncio")  # not imported: nothing can be cancelled
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        return "Cancelled", "the task was cancelled", None
    if isinstance(exc, TimeoutError):
        return "Timeout", str(exc) or "timed out", None
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted", "interrupted", None
    return ("InternalError", f"internal error: {type(exc).__name__}: {exc}", INTERNAL_HINT)


def _recursion_depth(exc: RecursionError) -> int:
    # The limit in force when the error was raised: the driver raises it for the run
    # and restores it before the error is reported, so the traceback's depth is the
    # better witness. Rounded down to two significant digits, so "more than" holds.
    depth = 0
    tb = exc.__traceback__
    while tb is not None:
        depth += 1
        tb = tb.tb_next
    if depth <= sys.getrecursionlimit():
        return sys.getrecursionlimit()
    unit = 10 ** max(len(str(depth)) - 2, 0)
    return depth // unit * unit


def _key_error_message(exc: KeyError) -> str:
    from .display import short_display
    if not exc.args:
        return "key not found in map"
    return f"key {short_display(exc.args[0])} not found in map"


def _attribute_error_message(exc: AttributeError) -> str:
    name = getattr(exc, "name", None)
    owner = getattr(exc, "obj", None)
    if name is not None and owner is not None:
        from .values import type_name
        return f"value of type {type_name(owner)} has no field `{name}`"
    match = re.search(r"'([^']+)' object has no attribute '([^']+)'", str(exc))
    if match:
        return f"value of type {_t(match[1])} has no field `{match[2]}`"
    return str(exc)


def _translate_group(group: BaseExceptionGroup) -> LumenError:
    # A task group may fail with several errors: the first one is the error, the
    # others are kept as details so nothing is lost.
    leaves = _leaves(group)
    first, rest = translate(leaves[0]), [translate(e) for e in leaves[1:]]
    if rest:
        first.details = list(first.details) + rest
    return first


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves


# -------------------------------------------------------------- helpers compiled code calls


def halt(message) -> None:  # never returns
    """`halt "message"`: stop with kind Halt; the message is kept exactly as given."""
    if type(message) is not str:
        from .display import to_string
        message = to_string(message)
    raise LumenError("Halt", message)


def assertion(cond, message=None) -> None:
    """`assert(cond, message?)`: kind AssertionFailed when `cond` is false."""
    if not cond:
        if message is None:
            message = "assertion failed"
        elif type(message) is not str:
            from .display import to_string
            message = to_string(message)
        raise LumenError("AssertionFailed", message)


def constraint_error(record_name: str, field: str, constraint_text: str, value) -> None:  # never returns
    """A record field's `where` constraint failed at construction (kind ConstraintViolation)."""
    from .display import short_display
    raise LumenError("ConstraintViolation",
                     f"{record_name}.{field} violates `where {constraint_text}` "
                     f"(got {short_display(value)})")


def no_match(value) -> None:  # never returns
    from .display import short_display
    raise LumenError("RuntimeError", f"no match arm matches value {short_display(value)}")


def no_body(cell: str) -> None:  # never returns
    raise LumenError("RuntimeError", f"cell `{cell}` has no body")


def failure_of(error: LumenError):
    """The `Failure` record `try` wraps in `err(...)`."""
    from .values import Failure
    return Failure(error.kind, error.message, error.line or 0)


# ------------------------------------------------------------------------- rendering


def render_runtime_error(error: LumenError, stream=None) -> str:
    """The report `lumen run` writes to stderr: kind, message, excerpt, Lumen traceback.

    Python frames are never shown. Colour only when `stream` is a terminal and
    NO_COLOR is unset (same rule as check diagnostics).
    """
    from ..diagnostics import _Style, _use_color

    style = _Style(_use_color(stream if stream is not None else sys.stderr))
    out = [f"{style('error[' + error.kind + ']', '31;1')}: {style(error.message, '1')}"]
    frames = error.frames
    out += _location_lines(error, frames, style)
    if frames:
        out.append("Lumen traceback (most recent call last):")
        out += _traceback_lines(frames)
    hint = error.hint or default_hint(error)
    if hint:
        out.append(f"  {style('hint', '32;1')}: {hint}")
    out += _detail_lines(error.details)
    return "\n".join(out)


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


def _location_lines(error: LumenError, frames: list[Frame], style) -> list[str]:
    file, line = error.file, error.line
    if not file or not line:
        return []
    innermost = frames[-1] if frames else None
    col = end_col = None
    if innermost is not None and (innermost.file, innermost.line) == (file, line):
        col, end_col = innermost.col, innermost.end_col
    gutter = " " * (len(str(line)) + 1)
    location = f"{file}:{line}" + (f":{col}" if col else "")
    lines = [f"{gutter}{style('-->', '34')} {location}"]
    text_lines = source_lines(file)
    if text_lines is not None and 1 <= line <= len(text_lines):
        from ..diagnostics import excerpt
        from ..source import SourceFile

        source = SourceFile(file, "\n".join(text_lines))
        lines += [" " + row for row in excerpt(source, _span_of(text_lines[line - 1], line,
                                                                  col, end_col), style)]
    return lines


def _span_of(text: str, line: int, col: int | None, end_col: int | None):
    from ..source import Span

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
