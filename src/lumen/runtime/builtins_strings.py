"""String builtins: `upper`, `split`, `join`, `replace`, `pad_left`, ...

Each checks `type(s) is str` (one comparison) before calling the `str` method, so a
non-String argument is reported as a Lumen TypeError naming the builtin.
"""

from __future__ import annotations

from .builtins_support import expects, is_iterable, runtime_error
from .display import display


def _require_string(builtin: str, value, param: str | None = None) -> None:
    if type(value) is not str:
        raise expects(builtin, "String", value, param)


def upper(s: str) -> str:
    if type(s) is str:
        return s.upper()
    raise expects("upper", "String", s)


def lower(s: str) -> str:
    if type(s) is str:
        return s.lower()
    raise expects("lower", "String", s)


def trim(s: str, chars: str | None = None) -> str:
    """Without leading and trailing whitespace (or, given `chars`, those characters)."""
    if type(s) is str and (chars is None or type(chars) is str):
        return s.strip(chars)
    if type(s) is not str:
        raise expects("trim", "String", s)
    raise expects("trim", "String", chars, "chars")


def starts_with(s: str, prefix: str) -> bool:
    _require_string("starts_with", s, "s")
    _require_string("starts_with", prefix, "prefix")
    return s.startswith(prefix)


def ends_with(s: str, suffix: str) -> bool:
    _require_string("ends_with", s, "s")
    _require_string("ends_with", suffix, "suffix")
    return s.endswith(suffix)


def replace(s: str, old: str, new: str) -> str:
    """Every occurrence of `old` replaced by `new`."""
    _require_string("replace", s, "s")
    _require_string("replace", old, "old")
    _require_string("replace", new, "new")
    return s.replace(old, new)


def split(s: str, sep: str | None = None) -> list:
    """Pieces of `s` between occurrences of `sep`. Without `sep` (or with null): split
    on runs of whitespace, dropping empty pieces. With `""`: the characters."""
    _require_string("split", s, "s")
    if sep is None:
        return s.split()
    _require_string("split", sep, "sep")
    return s.split(sep) if sep else list(s)


def join(xs, sep: str = "") -> str:
    """The items joined by `sep`; items that are not Strings are shown with
    `to_string`."""
    try:
        return sep.join(xs)
    except (TypeError, AttributeError):
        _require_string("join", sep, "sep")
        if not is_iterable(xs) or type(xs) is str:
            raise expects("join", "a list", xs, "xs") from None
        return sep.join([x if type(x) is str else display(x) for x in xs])


def chars(s: str) -> list:
    if type(s) is str:
        return list(s)
    raise expects("chars", "String", s)


def repeat(s, n: int):
    """`s` repeated `n` times (`n` <= 0 gives the empty String); lists too."""
    if type(s) not in (str, list):
        raise expects("repeat", "a String or list", s, "s")
    if type(n) is not int:
        raise expects("repeat", "Int", n, "n")
    return s * n


def _pad(builtin: str, s: str, width: int, fill: str, method) -> str:
    _require_string(builtin, s, "s")
    if type(width) is not int:
        raise expects(builtin, "Int", width, "width")
    _require_string(builtin, fill, "fill")
    if len(fill) != 1:
        raise runtime_error(f"`{builtin}` needs a single-character `fill`, got {display(fill)}")
    return method(s, width, fill)


def pad_left(s: str, width: int, fill: str = " ") -> str:
    """`s` preceded by `fill` up to `width` characters (longer strings unchanged)."""
    return _pad("pad_left", s, width, fill, str.rjust)


def pad_right(s: str, width: int, fill: str = " ") -> str:
    """`s` followed by `fill` up to `width` characters (longer strings unchanged)."""
    return _pad("pad_right", s, width, fill, str.ljust)
