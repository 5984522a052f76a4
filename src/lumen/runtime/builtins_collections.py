"""Collection builtins: lists, maps, sets and tuples (LANGUAGE.md section 11).

All take the collection first (`append(xs, v)`, `slice(xs, start, end)`) and return new
values; only the list/map/set *methods* at the end of this file (`push`, `pop`,
`insert`, `remove_at`, `clear`, `set`, `remove`, `add`, `discard`) change their receiver.
Higher-order builtins (`map`, `filter`, ...) live in `builtins_functional`.
"""

from __future__ import annotations

from .builtins_support import (check_collection_and_function, comparison_error, expects,
                               is_iterable, runtime_error)
from .display import short_display
from .errors import LumenError
from .values import LumenSet

_SEQUENCE_TYPES = (list, str, tuple, bytes)


def length(value) -> int:
    try:
        return len(value)
    except TypeError:
        raise expects("length", "a String, list, map, set or tuple", value) from None


def append(xs, value) -> list:
    if type(xs) is list:
        return xs + [value]
    raise expects("append", "a list", xs, "xs")


def slice_(xs, start, end=None):
    """Python slice semantics: negative indices count from the end, bounds clamp."""
    if type(xs) not in _SEQUENCE_TYPES:
        raise expects("slice", "a list or String", xs, "xs")
    if type(start) is not int:
        raise expects("slice", "Int", start, "start")
    if end is not None and type(end) is not int:
        raise expects("slice", "Int", end, "end")
    return xs[start:end]


def range_(start, stop=None, step=1) -> list:
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if type(value) is not int and not (value is None and name == "stop"):
            raise expects("range", "Int", value, name)
    if step == 0:
        raise runtime_error("`range` step cannot be 0")
    return list(range(start) if stop is None else range(start, stop, step))


def sum_(xs):
    try:
        return sum(xs)
    except TypeError:
        check_collection_and_function("sum", xs)
        bad = next(x for x in xs if type(x) not in (int, float))
        raise expects("sum", "a list of numbers", bad, "xs") from None


def _extreme(builtin: str, pick, values):
    if not values:
        raise LumenError("TypeError", f"`{builtin}` expects a list or two or more values")
    items = values[0] if len(values) == 1 else values
    if len(values) == 1 and not is_iterable(items):
        raise expects(builtin, "a list (or two or more values)", items)
    try:
        return pick(items)
    except ValueError:  # `min(())`: the collection was empty
        raise runtime_error(f"`{builtin}` of an empty collection") from None
    except TypeError as error:
        raise comparison_error(builtin, error) or error


def min_(*values):
    return _extreme("min", min, values)


def max_(*values):
    return _extreme("max", max, values)


def sort(xs) -> list:
    """A new, stably sorted list."""
    try:
        return sorted(xs)
    except TypeError as error:
        check_collection_and_function("sort", xs)
        raise comparison_error("sort", error) or error


def reverse(xs):
    if type(xs) in _SEQUENCE_TYPES:
        return xs[::-1]
    raise expects("reverse", "a list or String", xs)


def keys(mapping) -> list:
    if type(mapping) is dict:
        return list(mapping)
    raise expects("keys", "a map", mapping)


def values(mapping) -> list:
    if type(mapping) is dict:
        return list(mapping.values())
    raise expects("values", "a map", mapping)


def entries(mapping) -> list:
    if type(mapping) is dict:
        return list(mapping.items())
    raise expects("entries", "a map", mapping)


def has_key(mapping, key) -> bool:
    if type(mapping) is not dict:
        raise expects("has_key", "a map", mapping, "mapping")
    try:
        return key in mapping
    except TypeError:  # an unhashable key cannot be in any map
        return False


def contains(haystack, needle) -> bool:
    """Substring for Strings; element for lists, tuples and sets; key for maps."""
    try:
        return needle in haystack
    except TypeError:
        if type(haystack) is str:
            raise expects("contains", "String", needle, "needle") from None
        if type(haystack) in (dict, LumenSet):
            return False  # an unhashable needle cannot be present
        raise expects("contains", "a String, list, map or set", haystack,
                      "haystack") from None


def make_set(xs=()) -> LumenSet:
    try:
        return LumenSet(xs)
    except TypeError:
        check_collection_and_function("set", xs)
        bad = next(x for x in xs if type(x) in (list, dict, LumenSet))
        raise expects("set", "hashable elements (not lists, maps or sets)", bad,
                      "xs") from None


def enumerate_(xs, start=0) -> list:
    try:
        return list(enumerate(xs, start))
    except TypeError:
        check_collection_and_function("enumerate", xs)
        raise expects("enumerate", "Int", start, "start") from None


def zip_(*lists) -> list:
    try:
        return list(zip(*lists))
    except TypeError:
        bad = next(xs for xs in lists if not is_iterable(xs))
        raise expects("zip", "lists", bad) from None


def index_of(xs, needle) -> int:
    """The first index of `needle` (a substring, for Strings), or -1."""
    if type(xs) is str:
        if type(needle) is not str:
            raise expects("index_of", "String", needle, "needle")
        return xs.find(needle)
    if type(xs) in (list, tuple):
        try:
            return xs.index(needle)
        except ValueError:
            return -1
    raise expects("index_of", "a list or String", xs, "xs")


def first(xs):
    """The first element, or null when empty."""
    if type(xs) in _SEQUENCE_TYPES:
        return xs[0] if xs else None
    if type(xs) in (LumenSet, dict):
        return next(iter(xs), None)
    raise expects("first", "a list", xs)


def last(xs):
    """The last element, or null when empty."""
    if type(xs) in _SEQUENCE_TYPES:
        return xs[-1] if xs else None
    if type(xs) is dict:
        return next(reversed(xs), None)
    if type(xs) is LumenSet:
        return next(reversed(xs._items), None)
    raise expects("last", "a list", xs)


def is_empty(value) -> bool:
    try:
        return len(value) == 0
    except TypeError:
        raise expects("is_empty", "a String, list, map, set or tuple", value) from None


def unique(xs) -> list:
    """Elements in first-seen order, duplicates (by `==`) removed."""
    try:
        return list(dict.fromkeys(xs))
    except TypeError:
        check_collection_and_function("unique", xs)
        kept: list = []  # unhashable elements (lists, maps): compare one by one
        for item in xs:
            if item not in kept:
                kept.append(item)
        return kept


def flatten(xs) -> list:
    """One level: list elements are spliced in, other elements kept as they are."""
    if type(xs) is not list:
        raise expects("flatten", "a list", xs)
    flat: list = []
    for item in xs:
        if type(item) is list:
            flat.extend(item)
        else:
            flat.append(item)
    return flat


def take(xs, n):
    if type(xs) not in _SEQUENCE_TYPES:
        raise expects("take", "a list or String", xs, "xs")
    if type(n) is not int:
        raise expects("take", "Int", n, "n")
    return xs[:max(n, 0)]


def drop(xs, n):
    if type(xs) not in _SEQUENCE_TYPES:
        raise expects("drop", "a list or String", xs, "xs")
    if type(n) is not int:
        raise expects("drop", "Int", n, "n")
    return xs[max(n, 0):]


# ------------------------------------------------------------------ mutating methods


def push(xs: list, value) -> None:
    xs.append(value)


def pop(xs: list, index=None):
    if not xs:
        raise runtime_error("pop from an empty list")
    if index is None:
        return xs.pop()
    return xs.pop(_checked_index("pop", xs, index))


def insert(xs: list, index, value) -> None:
    if type(index) is not int:
        raise expects("insert", "Int", index, "index")
    xs.insert(index, value)


def remove_at(xs: list, index):
    return xs.pop(_checked_index("remove_at", xs, index))


def _checked_index(method: str, xs: list, index) -> int:
    if type(index) is not int:
        raise expects(method, "Int", index, "index")
    if not -len(xs) <= index < len(xs):
        raise LumenError("IndexError",
                         f"index {index} out of range for a list of length {len(xs)}")
    return index


def clear(collection) -> None:
    collection.clear()


def map_get(mapping: dict, key, default=None):
    try:
        return mapping.get(key, default)
    except TypeError:
        return default


def map_set(mapping: dict, key, value) -> None:
    try:
        mapping[key] = value
    except TypeError:
        raise expects("set", "a String, number, Bool, tuple or record key", key,
                      "key") from None


def map_remove(mapping: dict, key):
    """Remove `key`; the removed value, or null when it was absent."""
    try:
        return mapping.pop(key, None)
    except TypeError:
        return None


def set_add(items: LumenSet, value) -> None:
    try:
        items.add(value)
    except TypeError:
        raise expects("add", "a hashable value (not a list, map or set)", value,
                      "value") from None


def set_remove(items: LumenSet, value) -> None:
    try:
        items.remove(value)
    except TypeError:
        raise runtime_error(f"set has no element {short_display(value)}") from None


def set_discard(items: LumenSet, value) -> None:
    try:
        items.discard(value)
    except TypeError:
        pass


def _set_operation(method: str):
    def operation(items: LumenSet, other):
        if not is_iterable(other):
            raise expects(method, "a set or list", other, "other")
        return getattr(items, method)(other)
    operation.__name__ = operation.__qualname__ = method
    return operation


set_union = _set_operation("union")
set_intersection = _set_operation("intersection")
set_difference = _set_operation("difference")
