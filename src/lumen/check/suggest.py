"""Spelling suggestions for hints ("did you mean `event1`?")."""

from __future__ import annotations

import difflib


def did_you_mean(name: str, candidates, what: str = "") -> str | None:
    pool = [c for c in dict.fromkeys(candidates) if c != name and not c.startswith("_L_")]
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return f"did you mean `{lowered[name.lower()]}`?"
    matches = difflib.get_close_matches(name, pool, n=2, cutoff=0.6)
    if not matches:
        prefixed = [c for c in pool if len(name) >= 3 and c.startswith(name)]
        matches = sorted(prefixed, key=len)[:1]
    if not matches:
        return None
    if len(matches) == 1:
        return f"did you mean {what}`{matches[0]}`?"
    return f"did you mean {what}`{matches[0]}` or `{matches[1]}`?"
