"""Display: the text of a value, as `print`, interpolation and error messages show it.

This module owns `display(v)` (every value in the form that reads back as a Lumen
literal: strings quoted and escaped, `true`, `null`, `Point(x: 1, y: 2)`, `ok(4)`, ...),
`to_string(v)` (the same, except that a top-level String is itself), `print_values`
(what `print(a, b)` writes) and `short_display` (a display cut to a length fit for
error messages). LANGUAGE.md section 3 "Display" is the contract.

Dispatch is a dict keyed by `type(v)` with fast paths for `str` and `int`; containers
are shown with a loop rather than a comprehension so that each level of nesting costs
one Python frame, and lists/maps/sets that contain themselves show `[...]`.
"""

from __future__ import annotations

from .values import Err, LumenSet, Ok, Record, Variant

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
    if type(value) in (list, tuple, LumenSet) and len(value) > limit:
        value = type(value)(list(value)[:limit])  # avoid showing a huge list in full
    elif type(value) is dict and len(value) > limit:
        value = dict(list(value.items())[:limit])
    text = display(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _show(value, seen: set) -> str:
    show = _SHOW.get(type(value))
    if show is not None:
        return show(value, seen)
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
                append(show(item, seen) if show is not None else _show_other(item, seen))
    except ValueError:
        parts = [_show(item, seen) for item in items]
    seen.discard(key)
    return "[" + ", ".join(parts) + "]"


def _show_tuple(items: tuple, seen: set) -> str:
    if len(items) == 1:
        return "(" + _show(items[0], seen) + ",)"
    return "(" + ", ".join([_show(item, seen) for item in items]) + ")"


def _show_map(mapping: dict, seen: set) -> str:
    if not mapping:
        return "{}"
    key = id(mapping)
    if key in seen:
        return "{...}"
    seen.add(key)
    parts = [_show(k, seen) + ": " + _show(v, seen) for k, v in mapping.items()]
    seen.discard(key)
    return "{" + ", ".join(parts) + "}"


def _show_set(items: LumenSet, seen: set) -> str:
    return "set([" + ", ".join([_show(item, seen) for item in items]) + "])"


def _show_bytes(data: bytes, seen: set) -> str:
    return "bytes([" + ", ".join(map(str, data)) + "])"


def _show_record(record: Record, seen: set) -> str:
    cls = type(record)
    fields = [f"{name}: {_show(value, seen)}"
              for name, value in zip(cls._lumen_fields, record._lumen_values())]
    return f"{cls._lumen_name}(" + ", ".join(fields) + ")"


def _show_variant(variant: Variant, seen: set) -> str:
    cls = type(variant)
    if not cls._lumen_fields:
        return cls._lumen_name
    parts = []
    for label, value in zip(cls._lumen_field_names, variant._lumen_values()):
        parts.append(_show(value, seen) if label is None else f"{label}: {_show(value, seen)}")
    return f"{cls._lumen_name}(" + ", ".join(parts) + ")"


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
    if isinstance(value, Record):
        return _show_record(value, seen)
    if isinstance(value, Variant):
        return _show_variant(value, seen)
    for base, show in _SUBCLASS_SHOWS:
        if isinstance(value, base):
            return show(value, seen)
    if callable(value):
        return _show_function(value, seen)
    return repr(value)  # a foreign Python object (e.g. returned by a Python tool)


_SHOW = {
    str: lambda v, seen: quote(v),
    int: lambda v, seen: int_text(v),
    float: lambda v, seen: float.__repr__(v),
    bool: lambda v, seen: "true" if v else "false",
    type(None): lambda v, seen: "null",
    list: _show_list,
    dict: _show_map,
    tuple: _show_tuple,
    LumenSet: _show_set,
    bytes: _show_bytes,
    bytearray: _show_bytes,
    Ok: lambda v, seen: "ok(" + _show(v.value, seen) + ")",
    Err: lambda v, seen: "err(" + _show(v.error, seen) + ")",
}
