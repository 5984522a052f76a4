"""Display: the text of a value, as `print`, interpolation and error messages show it.

This module owns `display(v)` (every value in the form that reads back as a Lumen
literal: strings quoted and escaped, `true`, `null`, `Point(x: 1, y: 2)`, `ok(4)`, ...),
`to_string(v)` (the same, except that a top-level String is itself), `print_values`
(what `print(a, b)` writes) and `short_display` (a display cut to a length fit for
error messages). LANGUAGE.md section 3 "Display" is the contract.

Dispatch is a dict keyed by `type(v)` for Python's own types, with fast paths for `str`
and `int`; containers are shown with a loop rather than a comprehension so that each
level of nesting costs one Python frame, and lists/maps/sets that contain themselves
show `[...]`.

Lumen's own value classes (records, enum variants, `ok`/`err`, sets: `values`) show
themselves through a protocol, so this module needs none of them:

* `_lumen_show(self, seen) -> str` for a value that contains other values; it shows
  each of them with `show_nested(v, seen)`, passing `seen` on (it is how a list that
  contains itself, even through a record, shows `[...]` instead of recursing forever);
* `_lumen_display(self) -> str` for a value shown without its contents
  (`<future pending>`, `<tool ...>`);
* `_lumen_head(self, count)`: the first `count` elements of a big collection, which is
  all `short_display` shows of it.

`register_shown_type` puts a fixed runtime class (`Ok`, `Err`, `LumenSet`) into the
dispatch table, so that a list of results costs what a list of lists costs; generated
classes (records, variants) are found through `_lumen_show` instead, so the table does
not grow with the programs that run.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------- strings


def _escape_table() -> dict[int, str]:
    table = {code: f"\\u{{{code:X}}}" for code in [*range(0x20), 0x7F]}
    table.update({
        ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\t"): "\\t",
        ord("\r"): "\\r",
        ord("{"): "\\{",  # `{` starts an interpolation in a Lumen string literal
    })
    return table


_ESCAPES = _escape_table()


def quote(text: str) -> str:
    """`text` as a Lumen string literal."""
    return '"' + text.translate(_ESCAPES) + '"'


# ---------------------------------------------------------------------------- numbers


def int_text(number: int) -> str:
    try:
        return int.__repr__(number)
    except ValueError:
        # Python refuses to print ints over ~4300 digits by default; Lumen Ints are
        # arbitrary precision, so print them in halves.
        return _big_int_text(number)


def _big_int_text(number: int) -> str:
    if number < 0:
        return "-" + _big_int_text(-number)
    try:
        return int.__repr__(number)
    except ValueError:
        half_digits = int(number.bit_length() * 0.30103) // 2
        high, low = divmod(number, 10 ** half_digits)
        return _big_int_text(high) + _big_int_text(low).rjust(half_digits, "0")


# ------------------------------------------------------------------------- dispatching


def display(value) -> str:
    """`value` in the form that would read back as a Lumen literal."""
    cls = type(value)
    if cls is str:
        return quote(value)
    if cls is int:
        return int_text(value)
    show = _SHOW.get(cls)
    if show is not None:
        return show(value, set())
    lumen_show = getattr(cls, "_lumen_show", None)
    if lumen_show is not None:
        return lumen_show(value, set())
    return _show_other(value, set())


def to_string(value) -> str:
    """Like `display`, except that a String is returned as is (`to_string`, `"{v}"`)."""
    cls = type(value)
    if cls is str:
        return value
    if cls is int:
        return int_text(value)
    if cls is float:
        return float.__repr__(value)
    return display(value)


def print_values(*values) -> str:
    """The text `print(a, b, ...)` writes, without the newline."""
    if len(values) == 1:
        value = values[0]
        return value if type(value) is str else display(value)
    return " ".join([value if type(value) is str else display(value) for value in values])


def short_display(value, limit: int = 60) -> str:
    """`display(value)`, cut to `limit` characters, for error messages."""
    cls = type(value)
    if (cls is list or cls is tuple) and len(value) > limit:
        value = cls(list(value)[:limit])  # avoid showing a huge list in full
    elif cls is dict and len(value) > limit:
        value = dict(list(value.items())[:limit])
    elif hasattr(cls, "_lumen_head") and len(value) > limit:
        value = value._lumen_head(limit)
    text = display(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def show_nested(value, seen: set) -> str:
    """The display of `value` inside another one being shown (`seen`: the containers on
    the way down, see `_lumen_show`)."""
    cls = type(value)
    show = _SHOW.get(cls)
    if show is not None:
        return show(value, seen)
    lumen_show = getattr(cls, "_lumen_show", None)
    if lumen_show is not None:
        return lumen_show(value, seen)
    return _show_other(value, seen)


def _show_list(items: list, seen: set) -> str:
    if not items:
        return "[]"
    key = id(items)
    if key in seen:
        return "[...]"
    seen.add(key)
    parts = []
    append = parts.append
    try:
        for item in items:
            cls = type(item)
            if cls is int or cls is float:
                append(repr(item))  # ValueError for an int too long to print directly
            elif cls is str:
                append(quote(item))
            else:
                show = _SHOW.get(cls)
                if show is not None:
                    append(show(item, seen))
                elif (lumen_show := getattr(cls, "_lumen_show", None)) is not None:
                    append(lumen_show(item, seen))
                else:
                    append(_show_other(item, seen))
    except ValueError:
        parts = [show_nested(item, seen) for item in items]
    seen.discard(key)
    return "[" + ", ".join(parts) + "]"


def _show_tuple(items: tuple, seen: set) -> str:
    if len(items) == 1:
        return "(" + show_nested(items[0], seen) + ",)"
    return "(" + ", ".join([show_nested(item, seen) for item in items]) + ")"


def _show_map(mapping: dict, seen: set) -> str:
    if not mapping:
        return "{}"
    key = id(mapping)
    if key in seen:
        return "{...}"
    seen.add(key)
    parts = [show_nested(k, seen) + ": " + show_nested(v, seen) for k, v in mapping.items()]
    seen.discard(key)
    return "{" + ", ".join(parts) + "}"


def _show_bytes(data: bytes, seen: set) -> str:
    return "bytes([" + ", ".join(map(str, data)) + "])"


def _show_function(function, seen: set) -> str:
    name = getattr(function, "_lumen_name", None) or getattr(function, "__name__", None)
    if name and name.startswith("_L_c_"):  # the compiler's checked wrapper of a cell
        name = name[5:]
    if not name or name.startswith(("<", "_L_")):  # lambdas: `<lambda>` or `_L_fn3`
        return "<fn>"
    return f"<fn {name}>"


_SUBCLASS_SHOWS = ((str, lambda v, seen: quote(str(v))),
                   (int, lambda v, seen: int_text(int(v))),
                   (float, lambda v, seen: float.__repr__(v)),
                   (list, _show_list), (dict, _show_map), (tuple, _show_tuple),
                   (bytes, _show_bytes))


def _show_other(value, seen: set) -> str:
    custom = getattr(type(value), "_lumen_display", None)
    if custom is not None and not isinstance(value, type):
        return value._lumen_display()
    for base, show in _SUBCLASS_SHOWS:
        if isinstance(value, base):
            return show(value, seen)
    if callable(value):
        return _show_function(value, seen)
    return repr(value)  # a foreign Python object (e.g. returned by a Python tool)


def register_shown_type(cls: type) -> None:
    """Show values of exactly `cls` through the dispatch table, with `cls._lumen_show`."""
    _SHOW[cls] = cls._lumen_show


_SHOW = {
    str: lambda v, seen: quote(v),
    int: lambda v, seen: int_text(v),
    float: lambda v, seen: float.__repr__(v),
    bool: lambda v, seen: "true" if v else "false",
    type(None): lambda v, seen: "null",
    list: _show_list,
    dict: _show_map,
    tuple: _show_tuple,
    bytes: _show_bytes,
    bytearray: _show_bytes,
}
