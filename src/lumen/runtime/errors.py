"""Runtime errors: `LumenError`, the one exception type Lumen programs see.

A `LumenError` has a `kind`, a `message`, an optional `hint` and `details` (the other
errors of a failed group, or plain notes), and knows where it happened: `frames`, `line`
and `file` come from the Lumen frames of its traceback (see `frames`) unless they were
set explicitly, e.g. by the orchestration runtime for a branch's line. It pickles with a
snapshot of those frames, since a traceback does not.

The rest of the error machinery lives beside it, each part in its own module:
`translation` (Python exception -> `LumenError`), `frames` (Lumen frames of a traceback),
`report` (the text `lumen run` writes), and `support` (the helpers compiled code calls
to raise). This module imports only `frames`, so everything else may import it.
"""

from __future__ import annotations

from .frames import Frame, is_program_frame, lumen_frames


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
        # Cheaper than `frames` (no positions, no cell names): `try` asks for the line
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
