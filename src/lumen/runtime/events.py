"""Trace events of the orchestration runtime: one hook, free when unused.

`listener` is None (no trace) or a callable `listener(kind: str, fields: dict)`. The
runtime reports through `emit`; hot paths test `events.listener is not None` first, so
that building the fields costs nothing when nobody listens.

Kinds emitted today:
* `form_start`  form, line, branches
* `form_end`    form, line, branches, outcome ("ok" | "error" | "cancelled"),
                winner (index or None), cancelled (branch indices), elapsed_ms
* `spawn`       line
* `future_cancelled`  line (of the spawn), reason ("owner returned" | "run ended")

Times come from the running loop's clock, so in deterministic mode they are virtual and
a trace is identical from run to run.
"""

from __future__ import annotations

listener = None


def emit(kind: str, **fields) -> None:
    callback = listener
    if callback is not None:
        callback(kind, fields)
