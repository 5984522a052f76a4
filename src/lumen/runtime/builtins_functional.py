"""Higher-order builtins, in two colours.

Each builtin that takes a function comes twice: a plain version (`map`) for functions
that do not suspend, and an `async` version (`amap`) that compiled suspending code uses
when the function may suspend. The async version calls the function on each element in
order, awaiting each result that is awaitable before the next call (sequential, so
side effects happen in the same order as with the plain version).

The plain versions are straight loops/comprehensions: a Python TypeError is inspected
only after the fact, to tell a bad argument (reported as a Lumen TypeError naming the
builtin) from an error raised inside the user's function (re-raised unchanged).
"""

from __future__ import annotations

import types

from .builtins_support import (check_collection_and_function, comparison_error, expects,
                               is_awaitable, runtime_error)
from .values import LumenSet

_COROUTINE = types.CoroutineType
_NO_INITIAL = object()
_SPLICEABLE = (list, tuple, LumenSet)


def _bad_arguments(builtin: str, xs, function, param: str = "f") -> None:
    check_collection_and_function(builtin, xs, function, function_param=param)


# ------------------------------------------------------------------------------- plain


def map_(xs, f) -> list:
    try:
        return [f(x) for x in xs]
    except TypeError:
        _bad_arguments("map", xs, f)
        raise


def filter_(xs, p) -> list:
    try:
        return [x for x in xs if p(x)]
    except TypeError:
        _bad_arguments("filter", xs, p, "p")
        raise


def reduce_(xs, f, initial=_NO_INITIAL):
    """`f(accumulator, item)` over `xs`; without `initial`, the first item starts."""
    items = _iterator("reduce", xs)
    accumulator = _start_value(items, initial)
    try:
        for item in items:
            accumulator = f(accumulator, item)
    except TypeError:
        _bad_arguments("reduce", xs, f)
        raise
    return accumulator


def _iterator(builtin: str, xs):
    try:
        return iter(xs)
    except TypeError:
        raise expects(builtin, "a list", xs, "xs") from None


def _start_value(items, initial):
    if initial is not _NO_INITIAL:
        return initial
    try:
        return next(items)
    except StopIteration:
        raise runtime_error("`reduce` of an empty list needs an initial value") from None


def sort_by(xs, key) -> list:
    """A new list, stably sorted by `key(item)`."""
    try:
        return sorted(xs, key=key)
    except TypeError as error:
        _bad_arguments("sort_by", xs, key, "key")
        raise comparison_error("sort_by", error) or error


def any_(xs, p=None) -> bool:
    if p is None:
        try:
            return any(xs)
        except TypeError:
            check_collection_and_function("any", xs)
            raise
    try:
        for x in xs:
            if p(x):
                return True
        return False
    except TypeError:
        _bad_arguments("any", xs, p, "p")
        raise


def all_(xs, p=None) -> bool:
    if p is None:
        try:
            return all(xs)
        except TypeError:
            check_collection_and_function("all", xs)
            raise
    try:
        for x in xs:
            if not p(x):
                return False
        return True
    except TypeError:
        _bad_arguments("all", xs, p, "p")
        raise


def find(xs, p):
    """The first item for which `p` is true, or null."""
    try:
        for x in xs:
            if p(x):
                return x
        return None
    except TypeError:
        _bad_arguments("find", xs, p, "p")
        raise


def count(xs, p) -> int:
    """Items satisfying predicate `p`; if `p` is not a function, occurrences of it
    (substrings, for a String)."""
    if not callable(p):
        return _count_occurrences(xs, p)
    try:
        total = 0
        for x in xs:
            if p(x):
                total += 1
        return total
    except TypeError:
        _bad_arguments("count", xs, p, "p")
        raise


def _count_occurrences(xs, value) -> int:
    if type(xs) is str:
        if type(value) is not str:
            raise expects("count", "String", value, "p")
        return xs.count(value)
    if type(xs) in (list, tuple):
        return xs.count(value)
    check_collection_and_function("count", xs)
    return sum(1 for x in xs if x == value)


def flat_map(xs, f) -> list:
    """`f` returns a list for each item; the lists are concatenated."""
    flat: list = []
    try:
        for x in xs:
            _splice(flat, f(x))
    except TypeError:
        _bad_arguments("flat_map", xs, f)
        raise
    return flat


def _splice(flat: list, part) -> None:
    if type(part) in _SPLICEABLE:
        flat.extend(part)
    else:
        raise expects("flat_map", "a function that returns a list", part, "f")


def min_by(xs, key):
    return _extreme_by("min_by", min, xs, key)


def max_by(xs, key):
    return _extreme_by("max_by", max, xs, key)


def _extreme_by(builtin: str, pick, xs, key):
    try:
        return pick(xs, key=key)
    except ValueError:
        raise runtime_error(f"`{builtin}` of an empty collection") from None
    except TypeError as error:
        _bad_arguments(builtin, xs, key, "key")
        raise comparison_error(builtin, error) or error


def group_by(xs, key) -> dict:
    """A map from each `key(item)` to the items with that key, in first-seen order."""
    groups: dict = {}
    try:
        for x in xs:
            _add_to_group(groups, key(x), x)
    except TypeError:
        _bad_arguments("group_by", xs, key, "key")
        raise
    return groups


def _add_to_group(groups: dict, group_key, item) -> None:
    try:
        bucket = groups.get(group_key)
    except TypeError:
        raise expects("group_by", "a key function returning a String, number, Bool, "
                                  "tuple or record", group_key, "key") from None
    if bucket is None:
        groups[group_key] = [item]
    else:
        bucket.append(item)


def each(xs, f) -> None:
    """Call `f` on every item, for its effects."""
    try:
        for x in xs:
            f(x)
    except TypeError:
        _bad_arguments("each", xs, f)
        raise


# ------------------------------------------------------------------------------ async
# Same semantics; `r = f(x)` is followed by an await when `r` is awaitable.


async def amap(xs, f) -> list:
    out = []
    try:
        for x in xs:
            r = f(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            out.append(r)
    except TypeError:
        _bad_arguments("map", xs, f)
        raise
    return out


async def afilter(xs, p) -> list:
    out = []
    try:
        for x in xs:
            r = p(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            if r:
                out.append(x)
    except TypeError:
        _bad_arguments("filter", xs, p, "p")
        raise
    return out


async def areduce(xs, f, initial=_NO_INITIAL):
    items = _iterator("reduce", xs)
    accumulator = _start_value(items, initial)
    try:
        for item in items:
            accumulator = f(accumulator, item)
            if type(accumulator) is _COROUTINE or is_awaitable(accumulator):
                accumulator = await accumulator
    except TypeError:
        _bad_arguments("reduce", xs, f)
        raise
    return accumulator


async def _keys_of(builtin: str, xs, key, param: str = "key") -> tuple[list, list]:
    items, keys = [], []
    try:
        for x in xs:
            k = key(x)
            if type(k) is _COROUTINE or is_awaitable(k):
                k = await k
            items.append(x)
            keys.append(k)
    except TypeError:
        _bad_arguments(builtin, xs, key, param)
        raise
    return items, keys


async def asort_by(xs, key) -> list:
    items, keys = await _keys_of("sort_by", xs, key)
    try:
        order = sorted(range(len(items)), key=keys.__getitem__)
    except TypeError as error:
        raise comparison_error("sort_by", error) or error
    return [items[i] for i in order]


async def _aextreme_by(builtin: str, pick, xs, key):
    items, keys = await _keys_of(builtin, xs, key)
    if not items:
        raise runtime_error(f"`{builtin}` of an empty collection")
    try:
        return items[pick(range(len(items)), key=keys.__getitem__)]
    except TypeError as error:
        raise comparison_error(builtin, error) or error


async def amin_by(xs, key):
    return await _aextreme_by("min_by", min, xs, key)


async def amax_by(xs, key):
    return await _aextreme_by("max_by", max, xs, key)


async def aany(xs, p=None) -> bool:
    if p is None:
        return any_(xs)
    try:
        for x in xs:
            r = p(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            if r:
                return True
        return False
    except TypeError:
        _bad_arguments("any", xs, p, "p")
        raise


async def aall(xs, p=None) -> bool:
    if p is None:
        return all_(xs)
    try:
        for x in xs:
            r = p(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            if not r:
                return False
        return True
    except TypeError:
        _bad_arguments("all", xs, p, "p")
        raise


async def afind(xs, p):
    try:
        for x in xs:
            r = p(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            if r:
                return x
        return None
    except TypeError:
        _bad_arguments("find", xs, p, "p")
        raise


async def acount(xs, p) -> int:
    if not callable(p):
        return _count_occurrences(xs, p)
    total = 0
    try:
        for x in xs:
            r = p(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            if r:
                total += 1
    except TypeError:
        _bad_arguments("count", xs, p, "p")
        raise
    return total


async def aflat_map(xs, f) -> list:
    flat: list = []
    try:
        for x in xs:
            r = f(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                r = await r
            _splice(flat, r)
    except TypeError:
        _bad_arguments("flat_map", xs, f)
        raise
    return flat


async def agroup_by(xs, key) -> dict:
    items, keys = await _keys_of("group_by", xs, key)
    groups: dict = {}
    for item, group_key in zip(items, keys):
        _add_to_group(groups, group_key, item)
    return groups


async def aeach(xs, f) -> None:
    try:
        for x in xs:
            r = f(x)
            if type(r) is _COROUTINE or is_awaitable(r):
                await r
    except TypeError:
        _bad_arguments("each", xs, f)
        raise
