"""Builtin functions and methods: behaviour, errors, async versions, registry coherence."""

import asyncio
import inspect
import json
import math
import re
import time
import uuid as uuid_module
from pathlib import Path

import pytest

from lumen.check.builtin_signatures import (
    BUILTIN_EFFECTS, BUILTIN_NONDETERMINISTIC, METHOD_SIGNATURES, SIGNATURES, Param, Sig)
from lumen.runtime.builtins import (
    ALIASES, ASYNC_BUILTINS, ASYNC_METHODS, BUILTINS, METHODS, acall_method, call_method)
from lumen.runtime.display import display
from lumen.runtime.errors import LumenError
from lumen.runtime.values import (
    Err, LumenSet, Ok, Record, make_enum, make_unit_variant, make_variant_class)

B = BUILTINS
DOCS = Path(__file__).resolve().parents[2] / "docs" / "builtins.md"


class Point(Record):
    __slots__ = ("x", "y")
    _lumen_name = "Point"
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


Shape = make_enum("BuiltinShape")
Circle = make_variant_class(Shape, "Circle", ("_0",))
Sized = make_variant_class(Shape, "Sized", ("w", "h"), ("w", "h"))
Empty = make_unit_variant(Shape, "Empty")


def fails(kind: str, message: str, call, *args, **kwargs) -> LumenError:
    """Assert that `call(*args)` raises LumenError(kind) whose message matches exactly."""
    with pytest.raises(LumenError) as info:
        call(*args, **kwargs)
    assert info.value.kind == kind
    assert info.value.message == message
    return info.value


def run(coroutine):
    return asyncio.run(coroutine)


async def slowly(value):
    await asyncio.sleep(0)
    return value


# ------------------------------------------------------------------------ print, string

def test_print_writes_to_the_current_stdout(capsys):
    assert B["print"]("x", 1, ["y"], None, 2.0) is None
    B["print"]()
    B["print"](ok_value := Ok("s"))
    assert capsys.readouterr().out == 'x 1 ["y"] null 2.0\n\nok("s")\n'
    assert ok_value.value == "s"


def test_to_string_and_alias():
    assert B["to_string"]("a") == "a"
    assert B["to_string"]([1, "a"]) == '[1, "a"]'
    assert B["string"] is B["to_string"]
    assert B["to_string"](Point(1, 2)) == "Point(x: 1, y: 2)"


def test_type_of():
    assert [B["type_of"](v) for v in (1, 1.0, "s", True, None, [], {}, Point(1, 2), Empty,
                                      Ok(1), LumenSet(), (1,), len)] == [
        "Int", "Float", "String", "Bool", "Null", "list", "map", "Point", "BuiltinShape",
        "result", "set", "tuple", "fn"]


def test_assert_ok_err():
    assert B["assert"](True) is None
    fails("AssertionFailed", "assertion failed", B["assert"], False)
    fails("AssertionFailed", "bad", B["assert"], 1 > 2, "bad")
    assert B["ok"](1) == Ok(1) and B["err"]("e") == Err("e")


# ---------------------------------------------------------------------------- length

def test_length():
    for value, size in (("héllo", 5), ([1, 2], 2), ({"a": 1}, 1), (LumenSet([1]), 1),
                        ((1, 2, 3), 3), (b"ab", 2), ("", 0)):
        assert B["length"](value) == size
    assert B["len"] is B["length"]
    fails("TypeError", "`length` expects a String, list, map, set or tuple, got Int (3)",
          B["length"], 3)
    fails("TypeError", "`length` expects a String, list, map, set or tuple, got Null (null)",
          B["length"], None)


# ----------------------------------------------------------------------- conversions

def test_to_int():
    assert B["to_int"]("42") == 42 and B["to_int"](" -7 ") == -7
    assert B["to_int"]("1_000") == 1000
    assert B["to_int"](3.9) == 3 and B["to_int"](-3.9) == -3
    assert B["to_int"](5) == 5 and B["to_int"](True) == 1
    fails("RuntimeError", 'cannot convert "x" to Int', B["to_int"], "x")
    fails("RuntimeError", 'cannot convert "3.5" to Int', B["to_int"], "3.5")
    fails("RuntimeError", "cannot convert inf to Int", B["to_int"], math.inf)
    fails("TypeError", "`to_int` expects Int, Float, String or Bool, got Null (null)",
          B["to_int"], None)


def test_to_float():
    assert B["to_float"]("3.5") == 3.5 and B["to_float"](2) == 2.0
    assert type(B["to_float"](2)) is float
    assert B["to_float"]("1e3") == 1000.0 and B["to_float"](False) == 0.0
    fails("RuntimeError", 'cannot convert "abc" to Float', B["to_float"], "abc")
    fails("RuntimeError", "Int too large to convert to Float", B["to_float"], 10 ** 400)
    fails("TypeError", "`to_float` expects Int, Float, String or Bool, got list ([])",
          B["to_float"], [])


# ------------------------------------------------------------------------ collections

def test_append_returns_a_new_list():
    xs = [1]
    assert B["append"](xs, 2) == [1, 2] and xs == [1]
    fails("TypeError", "`append` expects a list for `xs`, got String (\"a\")",
          B["append"], "a", 1)


def test_slice():
    assert B["slice"]([0, 1, 2, 3], 1, 3) == [1, 2]
    assert B["slice"]([0, 1, 2, 3], 2) == [2, 3]
    assert B["slice"]("hello", 1, 4) == "ell"
    assert B["slice"]([0, 1, 2], -2) == [1, 2]
    assert B["slice"]([0, 1, 2], 5, 9) == []
    fails("TypeError", "`slice` expects Int for `start`, got String (\"a\")",
          B["slice"], [1], "a")
    fails("TypeError", "`slice` expects a list or String for `xs`, got Int (1)",
          B["slice"], 1, 0)


def test_range():
    assert B["range"](3) == [0, 1, 2]
    assert B["range"](2, 5) == [2, 3, 4]
    assert B["range"](10, 0, -3) == [10, 7, 4, 1]
    assert B["range"](0) == []
    fails("RuntimeError", "`range` step cannot be 0", B["range"], 0, 3, 0)
    fails("TypeError", "`range` expects Int for `start`, got Float (1.5)", B["range"], 1.5)
    fails("TypeError", "`range` expects Int for `stop`, got String (\"x\")",
          B["range"], 1, "x")


def test_sum():
    assert B["sum"]([]) == 0 and B["sum"]([1, 2, 3]) == 6
    assert B["sum"]([1, 2.5]) == 3.5 and B["sum"](LumenSet([1, 2])) == 3
    fails("TypeError", "`sum` expects a list of numbers for `xs`, got String (\"a\")",
          B["sum"], [1, "a"])
    fails("TypeError", "`sum` expects a list for `xs`, got Int (5)", B["sum"], 5)


def test_min_max():
    assert B["min"]([3, 1, 2]) == 1 and B["max"]([3, 1, 2]) == 3
    assert B["min"](4, 2, 9) == 2 and B["max"](4, 2.5) == 4
    assert B["max"]("b", "a") == "b" and B["min"](LumenSet([5, 4])) == 4
    fails("RuntimeError", "`min` of an empty collection", B["min"], [])
    fails("RuntimeError", "`max` of an empty collection", B["max"], [])
    fails("TypeError", "`max` cannot compare String and Int", B["max"], [1, "a"])
    fails("TypeError", "`min` expects a list (or two or more values), got Int (3)",
          B["min"], 3)
    fails("TypeError", "`min` expects a list or two or more values", B["min"])


def test_sort():
    xs = [3, 1, 2]
    assert B["sort"](xs) == [1, 2, 3] and xs == [3, 1, 2]
    assert B["sort"](["b", "a"]) == ["a", "b"]
    assert B["sort"]([(2, "a"), (1, "b")]) == [(1, "b"), (2, "a")]
    fails("TypeError", "`sort` cannot compare String and Int", B["sort"], [1, "a"])
    fails("TypeError", "`sort` cannot compare Point and Point", B["sort"],
          [Point(1, 2), Point(0, 1)])
    fails("TypeError", "`sort` expects a list for `xs`, got Int (1)", B["sort"], 1)


def test_sort_by_is_stable():
    words = ["bb", "a", "cc", "d"]
    assert B["sort_by"](words, len) == ["a", "d", "bb", "cc"]
    fails("TypeError", "`sort_by` cannot compare Int and Null",
          B["sort_by"], [1, 2], lambda x: None if x == 1 else x)
    fails("TypeError", "`sort_by` expects a function for `key`, got Int (1)",
          B["sort_by"], [1, 2], 1)


def test_reverse():
    assert B["reverse"]([1, 2, 3]) == [3, 2, 1]
    assert B["reverse"]("abc") == "cba" and B["reverse"]((1, 2)) == (2, 1)
    fails("TypeError", "`reverse` expects a list or String, got Int (1)", B["reverse"], 1)


def test_contains():
    assert B["contains"]("hello", "ell") and not B["contains"]("hello", "x")
    assert B["contains"]([1, 2], 2) and not B["contains"]([1, 2], 3)
    assert B["contains"]({"k": 1}, "k") and not B["contains"]({"k": 1}, 1)
    assert B["contains"](LumenSet([1]), 1) and not B["contains"](LumenSet([1]), [1])
    assert not B["contains"]({"k": 1}, [1])
    fails("TypeError", "`contains` expects String for `needle`, got Int (1)",
          B["contains"], "abc", 1)
    fails("TypeError", "`contains` expects a String, list, map or set for `haystack`, "
                       "got Int (5)", B["contains"], 5, 1)


def test_map_accessors():
    m = {"a": 1, "b": 2}
    assert B["keys"](m) == ["a", "b"] and B["values"](m) == [1, 2]
    assert B["entries"](m) == [("a", 1), ("b", 2)]
    assert B["has_key"](m, "a") and not B["has_key"](m, "z") and not B["has_key"](m, [1])
    fails("TypeError", "`keys` expects a map, got list ([1])", B["keys"], [1])
    fails("TypeError", "`values` expects a map, got Null (null)", B["values"], None)
    fails("TypeError", "`entries` expects a map, got Int (1)", B["entries"], 1)
    fails("TypeError", "`has_key` expects a map for `mapping`, got list ([])",
          B["has_key"], [], 1)


def test_set_builtin():
    assert list(B["set"]([2, 1, 2])) == [2, 1] and len(B["set"]()) == 0
    assert list(B["set"]("aba")) == ["a", "b"]
    fails("TypeError", "`set` expects hashable elements (not lists, maps or sets) for `xs`, "
                       "got list ([1])", B["set"], [[1]])


def test_enumerate_zip():
    assert B["enumerate"](["a", "b"]) == [(0, "a"), (1, "b")]
    assert B["enumerate"](["a"], 1) == [(1, "a")]
    assert B["zip"]([1, 2, 3], "ab") == [(1, "a"), (2, "b")]
    assert B["zip"]([1], [2], [3]) == [(1, 2, 3)] and B["zip"]() == []
    fails("TypeError", "`zip` expects lists, got Int (1)", B["zip"], [1], 1)
    fails("TypeError", "`enumerate` expects a list for `xs`, got Int (1)",
          B["enumerate"], 1)


def test_index_of():
    assert B["index_of"]([1, 2, 3, 2], 2) == 1 and B["index_of"]([1], 5) == -1
    assert B["index_of"]("hello", "l") == 2 and B["index_of"]("hello", "z") == -1
    fails("TypeError", "`index_of` expects String for `needle`, got Int (1)",
          B["index_of"], "abc", 1)


def test_first_last_is_empty():
    assert B["first"]([1, 2]) == 1 and B["last"]([1, 2]) == 2
    assert B["first"]([]) is None and B["last"]([]) is None
    assert B["first"]("ab") == "a" and B["last"](LumenSet([1, 2])) == 2
    assert B["last"]({"a": 1, "b": 2}) == "b"
    assert B["is_empty"]([]) and B["is_empty"]("") and not B["is_empty"]({"a": 1})
    fails("TypeError", "`first` expects a list, got Int (1)", B["first"], 1)
    fails("TypeError", "`is_empty` expects a String, list, map, set or tuple, got Int (0)",
          B["is_empty"], 0)


def test_unique_flatten_take_drop():
    assert B["unique"]([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert B["unique"]([[1], [2], [1]]) == [[1], [2]]
    assert B["flatten"]([[1, 2], [], [3], 4]) == [1, 2, 3, 4]
    assert B["flatten"]([[[1]]]) == [[1]]
    assert B["take"]([1, 2, 3], 2) == [1, 2] and B["take"]("abc", 5) == "abc"
    assert B["take"]([1], -1) == []
    assert B["drop"]([1, 2, 3], 1) == [2, 3] and B["drop"]("abc", -2) == "abc"
    fails("TypeError", "`flatten` expects a list, got Int (1)", B["flatten"], 1)
    fails("TypeError", "`take` expects Int for `n`, got Float (1.0)", B["take"], [1], 1.0)


# ---------------------------------------------------------------------- higher-order

def test_map_filter_reduce():
    assert B["map"]([1, 2, 3], lambda x: x * 10) == [10, 20, 30]
    assert B["map"](LumenSet([1, 2]), str) == ["1", "2"]
    assert B["map"]({"a": 1}, lambda k: k) == ["a"]
    assert B["filter"]([1, 2, 3, 4], lambda x: x % 2 == 0) == [2, 4]
    assert B["reduce"]([1, 2, 3], lambda acc, x: acc + x, 10) == 16
    assert B["reduce"]([1, 2, 3], lambda acc, x: acc * x) == 6
    assert B["reduce"]([], lambda acc, x: acc + x, 0) == 0
    assert B["reduce"](["a", "b"], lambda acc, x: acc + [x], []) == ["a", "b"]
    fails("RuntimeError", "`reduce` of an empty list needs an initial value",
          B["reduce"], [], lambda acc, x: acc)


def test_higher_order_argument_errors():
    fails("TypeError", "`map` expects a list for `xs`, got Int (3)", B["map"], 3, str)
    fails("TypeError", "`map` expects a function for `f`, got Int (3)", B["map"], [1], 3)
    fails("TypeError", "`filter` expects a function for `p`, got Null (null)",
          B["filter"], [1], None)
    fails("TypeError", "`reduce` expects a list for `xs`, got Int (1)",
          B["reduce"], 1, len, 0)


def test_errors_inside_the_function_are_not_blamed_on_the_builtin():
    with pytest.raises(TypeError, match="unsupported operand"):
        B["map"]([1], lambda x: x + "a")
    with pytest.raises(ZeroDivisionError):
        B["filter"]([0], lambda x: 1 // x)


def test_any_all_find_count():
    assert B["any"]([1, 3, 4], lambda x: x % 2 == 0) and not B["any"]([], lambda x: True)
    assert B["all"]([2, 4], lambda x: x % 2 == 0) and B["all"]([], lambda x: False)
    assert B["any"]([False, True]) and not B["all"]([True, False])
    assert B["find"]([1, 2, 3], lambda x: x > 1) == 2
    assert B["find"]([1], lambda x: x > 5) is None
    assert B["count"]([1, 2, 3], lambda x: x > 1) == 2
    assert B["count"]([1, 2, 1], 1) == 2
    assert B["count"]("banana", "an") == 2
    fails("TypeError", "`count` expects String for `p`, got Int (1)", B["count"], "a", 1)


def test_flat_map_min_by_max_by_group_by_each():
    assert B["flat_map"]([1, 2], lambda x: [x, x]) == [1, 1, 2, 2]
    fails("TypeError", "`flat_map` expects a function that returns a list for `f`, "
                       "got Int (1)", B["flat_map"], [1], lambda x: x)
    assert B["min_by"](["ccc", "a", "bb"], len) == "a"
    assert B["max_by"](["ccc", "a", "bbb"], len) == "ccc"  # first of the largest
    fails("RuntimeError", "`min_by` of an empty collection", B["min_by"], [], len)
    groups = B["group_by"]([1, 2, 3, 4], lambda x: "even" if x % 2 == 0 else "odd")
    assert groups == {"odd": [1, 3], "even": [2, 4]} and list(groups) == ["odd", "even"]
    fails("TypeError", "`group_by` expects a key function returning a String, number, "
                       "Bool, tuple or record for `key`, got list ([1])",
          B["group_by"], [1], lambda x: [x])
    seen = []
    assert B["each"]([1, 2], seen.append) is None and seen == [1, 2]


# ----------------------------------------------------------------------------- async

def test_async_versions_await_coroutines_in_order():
    order = []

    async def record(x):
        order.append(x)
        await asyncio.sleep(0)
        return x * 2

    assert run(ASYNC_BUILTINS["map"]([1, 2, 3], record)) == [2, 4, 6]
    assert order == [1, 2, 3]


def test_async_versions_accept_plain_functions_too():
    assert run(ASYNC_BUILTINS["map"]([1, 2], lambda x: x + 1)) == [2, 3]
    assert run(ASYNC_BUILTINS["filter"]([1, 2, 3], lambda x: x > 1)) == [2, 3]


def test_every_async_builtin():
    A = ASYNC_BUILTINS
    assert run(A["filter"]([1, 2, 3, 4], lambda x: slowly(x % 2 == 0))) == [2, 4]
    assert run(A["reduce"]([1, 2, 3], lambda acc, x: slowly(acc + x), 0)) == 6
    assert run(A["reduce"]([1, 2, 3], lambda acc, x: slowly(acc * x))) == 6
    assert run(A["sort_by"](["bb", "a", "cc"], lambda s: slowly(len(s)))) == ["a", "bb", "cc"]
    assert run(A["any"]([1, 2], lambda x: slowly(x > 1)))
    assert not run(A["all"]([1, 2], lambda x: slowly(x > 1)))
    assert run(A["any"]([0, 1])) and not run(A["all"]([0, 1]))
    assert run(A["find"]([1, 2, 3], lambda x: slowly(x > 1))) == 2
    assert run(A["find"]([1], lambda x: slowly(False))) is None
    assert run(A["count"]([1, 2, 3], lambda x: slowly(x != 2))) == 2
    assert run(A["count"]([1, 1], 1)) == 2
    assert run(A["flat_map"]([1, 2], lambda x: slowly([x] * x))) == [1, 2, 2]
    assert run(A["min_by"](["ccc", "a"], lambda s: slowly(len(s)))) == "a"
    assert run(A["max_by"](["ccc", "a"], lambda s: slowly(len(s)))) == "ccc"
    assert run(A["group_by"]([1, 2, 3], lambda x: slowly(x % 2))) == {1: [1, 3], 0: [2]}
    seen = []

    async def remember(x):
        seen.append(x)

    assert run(A["each"]([1, 2], remember)) is None and seen == [1, 2]


def test_async_errors():
    with pytest.raises(LumenError, match="`map` expects a list for `xs`"):
        run(ASYNC_BUILTINS["map"](3, slowly))
    # which pair `sorted` compares first is an implementation detail
    with pytest.raises(LumenError, match="`sort_by` cannot compare (Int|String) and (Int|String)"):
        run(ASYNC_BUILTINS["sort_by"]([1, "a"], slowly))
    with pytest.raises(LumenError, match="`max_by` of an empty collection"):
        run(ASYNC_BUILTINS["max_by"]([], slowly))
    with pytest.raises(LumenError, match="`reduce` of an empty list needs an initial value"):
        run(ASYNC_BUILTINS["reduce"]([], slowly))


def test_async_versions_await_other_awaitables():
    class Ready:
        def __init__(self, value):
            self.value = value

        def __await__(self):
            yield from asyncio.sleep(0).__await__()
            return self.value

    assert run(ASYNC_BUILTINS["map"]([1, 2], Ready)) == [1, 2]


# --------------------------------------------------------------------------- strings

def test_string_case_and_trim():
    assert B["upper"]("abé") == "ABÉ" and B["lower"]("ABC") == "abc"
    assert B["trim"]("  a b \n") == "a b"
    fails("TypeError", "`upper` expects String, got Int (5)", B["upper"], 5)
    fails("TypeError", "`lower` expects String, got Null (null)", B["lower"], None)
    fails("TypeError", "`trim` expects String, got list ([])", B["trim"], [])


def test_starts_ends_replace():
    assert B["starts_with"]("hello", "he") and not B["starts_with"]("hello", "lo")
    assert B["ends_with"]("hello", "lo")
    assert B["replace"]("a-b-c", "-", "+") == "a+b+c"
    fails("TypeError", "`starts_with` expects String for `prefix`, got Int (1)",
          B["starts_with"], "a", 1)
    fails("TypeError", "`replace` expects String for `new`, got Int (1)",
          B["replace"], "a", "a", 1)


def test_split_join():
    assert B["split"]("a,b,,c", ",") == ["a", "b", "", "c"]
    assert B["split"]("  a  b ") == ["a", "b"]
    assert B["split"]("abc", "") == ["a", "b", "c"]
    assert B["join"](["a", "b"], ", ") == "a, b"
    assert B["join"](["a", "b"]) == "ab"
    assert B["join"]([1, "x", None, [2]], "-") == '1-x-null-[2]'
    assert B["join"](LumenSet(["a", "b"]), "+") == "a+b"
    fails("TypeError", "`join` expects String for `sep`, got Int (1)", B["join"], ["a"], 1)
    fails("TypeError", "`join` expects a list for `xs`, got Int (1)", B["join"], 1, ",")
    fails("TypeError", "`split` expects String for `sep`, got Int (1)", B["split"], "a", 1)


def test_chars_repeat_pad():
    assert B["chars"]("héy") == ["h", "é", "y"]
    assert B["repeat"]("ab", 3) == "ababab" and B["repeat"]("ab", -1) == ""
    assert B["repeat"]([0], 2) == [0, 0]
    assert B["pad_left"]("7", 3, "0") == "007" and B["pad_left"]("1234", 3) == "1234"
    assert B["pad_right"]("a", 3) == "a  "
    fails("RuntimeError", '`pad_left` needs a single-character `fill`, got "ab"',
          B["pad_left"], "a", 3, "ab")
    fails("TypeError", "`pad_right` expects Int for `width`, got String (\"3\")",
          B["pad_right"], "a", "3")


# --------------------------------------------------------------------------- numbers

def test_abs():
    assert B["abs"](-3) == 3 and type(B["abs"](-3)) is int
    assert B["abs"](-2.5) == 2.5
    fails("TypeError", "`abs` expects Int or Float, got Bool (true)", B["abs"], True)


@pytest.mark.parametrize("x, rounded", [
    (2.5, 3), (-2.5, -3), (0.5, 1), (-0.5, -1), (1.4, 1), (1.6, 2), (-1.6, -2),
    (0.49999999999999994, 0), (4503599627370497.0, 4503599627370497), (7, 7),
])
def test_round_half_away_from_zero_to_int(x, rounded):
    assert B["round"](x) == rounded and type(B["round"](x)) is int


def test_round_with_digits():
    assert B["round"](2.675, 2) == 2.68
    assert B["round"](-2.675, 2) == -2.68
    assert B["round"](1.005, 2) == 1.01
    assert B["round"](1234.5, -2) == 1200.0
    assert B["round"](3, 1) == 3.0 and type(B["round"](3, 1)) is float
    assert B["round"](0.1 + 0.2, 20) == 0.1 + 0.2
    fails("RuntimeError", "cannot round inf to an Int", B["round"], math.inf)
    fails("TypeError", "`round` expects Int for `digits`, got Float (1.0)",
          B["round"], 1.5, 1.0)


def test_floor_ceil_sqrt_pow():
    assert B["floor"](2.7) == 2 and B["floor"](-2.1) == -3 and type(B["floor"](2.7)) is int
    assert B["ceil"](2.1) == 3 and B["ceil"](5) == 5
    fails("RuntimeError", "`floor` cannot convert inf to an Int", B["floor"], math.inf)
    assert B["sqrt"](9) == 3.0 and type(B["sqrt"](9)) is float
    fails("RuntimeError", "`sqrt` of a negative number (-1)", B["sqrt"], -1)
    assert B["pow"](2, 10) == 1024 and type(B["pow"](2, 10)) is int
    assert B["pow"](2, -1) == 0.5 and B["pow"](4, 0.5) == 2.0
    fails("RuntimeError", "division by zero", B["pow"], 0, -1)
    fails("RuntimeError", "`pow(-8, 0.5)` is not a real number", B["pow"], -8, 0.5)
    fails("RuntimeError", "`pow`: result too large for a Float", B["pow"], 10.0, 400)
    fails("TypeError", "`sqrt` expects Int or Float, got String (\"4\")", B["sqrt"], "4")


# ------------------------------------------------------------------------------ JSON

def test_json_parse():
    assert B["json_parse"]('{"a": [1, 2.5, "x", true, null]}') == {
        "a": [1, 2.5, "x", True, None]}
    assert type(B["json_parse"]("1")) is int and type(B["json_parse"]("1.0")) is float
    error = fails("RuntimeError", "invalid JSON: Expecting value at line 1 column 7",
                  B["json_parse"], '{"a": }')
    assert error.line is None
    fails("TypeError", "`json_parse` expects String, got Int (1)", B["json_parse"], 1)


def test_json_stringify():
    assert B["json_stringify"]({"a": [1, 2.0, "é"], "b": None, "c": True}) == \
        '{"a":[1,2.0,"é"],"b":null,"c":true}'
    assert B["json_stringify"]({"a": 1}, 2) == '{\n  "a": 1\n}'
    assert B["json_stringify"](Point(1, (2, 3))) == '{"x":1,"y":[2,3]}'
    assert B["json_stringify"](LumenSet([1, 2])) == "[1,2]"
    assert B["json_stringify"]([Circle(2.0), Sized(1, 2), Empty]) == \
        '[{"Circle":[2.0]},{"Sized":{"w":1,"h":2}},"Empty"]'
    assert B["json_stringify"]([Ok(1), Err("no")]) == '[{"ok":1},{"err":"no"}]'
    assert B["json_stringify"]({1: "a", None: 2, (1, 2): 3}) == \
        '{"1":"a","null":2,"(1, 2)":3}'
    assert B["json_stringify"](b"\x01") == "[1]"
    assert B["json_stringify"]("plain") == '"plain"'
    fails("RuntimeError", "`json_stringify` cannot encode nan or inf (JSON has no such "
                          "numbers)", B["json_stringify"], [math.nan])
    with pytest.raises(LumenError, match="`json_stringify` expects a value made of"):
        B["json_stringify"]([len])
    loop = []
    loop.append(loop)
    fails("RuntimeError", "`json_stringify` cannot encode a value that contains itself",
          B["json_stringify"], loop)


def test_json_round_trip():
    value = {"name": "Lumen", "tags": ["a", "b"], "n": 3, "pi": 3.14}
    assert B["json_parse"](B["json_stringify"](value)) == value
    assert json.loads(B["json_stringify"](value)) == value


# -------------------------------------------------------------------- nondeterministic

def test_uuid_timestamp_random():
    text = B["uuid"]()
    assert uuid_module.UUID(text).version == 4 and B["uuid"]() != text
    assert abs(B["timestamp"]() - time.time()) < 5
    assert all(0.0 <= B["random"]() < 1.0 for _ in range(100))


# --------------------------------------------------------------------------- methods

def test_list_methods_mutate_in_place_where_documented():
    xs = [1, 2]
    assert call_method(xs, "push", 3) is None and xs == [1, 2, 3]
    assert call_method(xs, "pop") == 3 and xs == [1, 2]
    assert call_method(xs, "insert", 0, 9) is None and xs == [9, 1, 2]
    assert call_method(xs, "remove_at", 1) == 1 and xs == [9, 2]
    assert call_method(xs, "pop", 0) == 9 and xs == [2]
    assert call_method(xs, "clear") is None and xs == []
    fails("RuntimeError", "pop from an empty list", call_method, xs, "pop")
    fails("IndexError", "index 5 out of range for a list of length 2",
          call_method, [1, 2], "remove_at", 5)


def test_list_methods_mirror_builtins():
    xs = [3, 1, 2]
    assert call_method(xs, "sort") == [1, 2, 3] and xs == [3, 1, 2]
    assert call_method(xs, "map", lambda x: x + 1) == [4, 2, 3]
    assert call_method(xs, "length") == 3 and call_method(xs, "sum") == 6
    assert call_method(xs, "min") == 1 and call_method(xs, "max") == 3
    assert call_method(["a", "b"], "join", "-") == "a-b"
    assert call_method(xs, "reduce", lambda a, x: a + x, 0) == 6
    assert call_method(xs, "append", 4) == [3, 1, 2, 4] and xs == [3, 1, 2]
    assert call_method(xs, "to_string") == "[3, 1, 2]"


def test_string_map_set_tuple_number_methods():
    assert call_method("abc", "upper") == "ABC"
    assert call_method("a,b", "split", ",") == ["a", "b"]
    assert call_method("42", "to_int") == 42 and call_method("ab", "repeat", 2) == "abab"
    m = {"a": 1}
    assert call_method(m, "keys") == ["a"] and call_method(m, "get", "a") == 1
    assert call_method(m, "get", "z") is None and call_method(m, "get", "z", 0) == 0
    assert call_method(m, "set", "b", 2) is None and m == {"a": 1, "b": 2}
    assert call_method(m, "remove", "a") == 1 and m == {"b": 2}
    assert call_method(m, "remove", "zz") is None
    s = LumenSet([1])
    assert call_method(s, "add", 2) is None and list(s) == [1, 2]
    assert call_method(s, "contains", 2) and call_method(s, "length") == 2
    assert list(call_method(s, "union", [3])) == [1, 2, 3]
    assert list(call_method(s, "difference", LumenSet([1]))) == [2]
    assert call_method(s, "remove", 1) is None and list(s) == [2]
    fails("RuntimeError", "set has no element 7", call_method, s, "remove", 7)
    assert call_method((1, 2), "length") == 2
    assert call_method(-2, "abs") == 2 and call_method(2.5, "round") == 3
    assert call_method(2.0, "to_string") == "2.0"


def test_method_calls_with_named_arguments():
    assert call_method("7", "pad_left", 3, fill="0") == "007"
    assert call_method({"a": 1}, "get", "b", default=5) == 5


def test_unknown_method_suggests_a_name():
    error = fails("RuntimeError", "value of type list has no method `pussh`",
                  call_method, [], "pussh", 1)
    assert error.hint == "did you mean `push`?"
    error = fails("RuntimeError", "value of type String has no method `uper`",
                  call_method, "a", "uper")
    assert error.hint == "did you mean `upper`?"
    error = fails("RuntimeError", "value of type Bool has no method `zzz`",
                  call_method, True, "zzz")
    assert error.hint is None
    fails("RuntimeError", "value of type Bool has no method `conjugate`",
          call_method, True, "conjugate")
    assert call_method(True, "to_string") == "true" and call_method(False, "to_int") == 0
    fails("RuntimeError", "value of type Null has no method `length`",
          call_method, None, "length")


def test_methods_of_other_objects_are_their_attributes():
    class Agent:
        _lumen_type_name = "Agent"

        def analyze(self, text, suffix="!"):
            return text + suffix

    agent = Agent()
    assert call_method(agent, "analyze", "hi") == "hi!"
    assert call_method(agent, "analyze", "hi", suffix="?") == "hi?"
    assert call_method(agent, "to_string").startswith("<")
    error = fails("RuntimeError", "value of type Agent has no method `analyse`",
                  call_method, agent, "analyse", "x")
    assert error.hint == "did you mean `analyze`?"
    fails("RuntimeError", "value of type Agent has no method `__class__`",
          call_method, agent, "__class__")
    error = fails("RuntimeError", "value of type Point has no method `x`",
                  call_method, Point(1, 2), "x")
    assert "field" in error.hint


def test_acall_method():
    class Agent:
        async def cell(self, x):
            await asyncio.sleep(0)
            return x + 1

        def plain(self):
            return "p"

    assert run(acall_method(Agent(), "cell", 1)) == 2
    assert run(acall_method(Agent(), "plain")) == "p"
    assert run(acall_method([1, 2], "map", lambda x: slowly(x * 3))) == [3, 6]
    assert run(acall_method(LumenSet([1, 2]), "filter", lambda x: slowly(x > 1))) == [2]
    assert run(acall_method([1], "length")) == 1


# ----------------------------------------------------------------- registry coherence

RECEIVER_TYPE_NAMES = {list: "list", str: "String", dict: "map", LumenSet: "set",
                       tuple: "tuple", bytes: "Bytes", int: "Int", float: "Float",
                       bool: "Bool"}


def test_every_spec_builtin_is_present():
    spec = """print append slice length to_string to_int to_float type_of range map filter
        reduce sum min max sort sort_by reverse join split contains starts_with ends_with
        upper lower trim replace keys values entries has_key abs round floor ceil sqrt
        json_parse json_stringify uuid timestamp random assert ok err len string""".split()
    assert set(spec) <= set(BUILTINS)
    assert "sleep" not in BUILTINS and "channel" not in BUILTINS
    assert ALIASES == {"len": "length", "string": "to_string"}


def test_signatures_cover_every_builtin():
    assert set(SIGNATURES) == set(BUILTINS) | {"sleep", "channel"}
    assert SIGNATURES["sleep"] == Sig((Param("ms", "Int"),), "Null")
    assert SIGNATURES["channel"] == Sig((Param("capacity", "Int", True),), "Channel")
    assert BUILTIN_NONDETERMINISTIC == {"uuid", "timestamp", "random"}
    assert BUILTIN_EFFECTS == {"uuid": "random", "random": "random", "timestamp": "time"}


def _parameter_names(function, skip: int = 0) -> list[str]:
    params = list(inspect.signature(function).parameters.values())[skip:]
    return [p.name for p in params]


def test_signature_parameter_names_match_the_implementations():
    for name, function in BUILTINS.items():
        sig = SIGNATURES[name]
        names = _parameter_names(function)
        assert names == [p.name for p in sig.params], name
        optional = [p.default is not inspect.Parameter.empty or p.kind is p.VAR_POSITIONAL
                    for p in inspect.signature(function).parameters.values()]
        assert optional == [p.optional or sig.variadic for p in sig.params], name


def test_async_builtins_are_exactly_the_higher_order_ones():
    higher_order = {name for name, sig in SIGNATURES.items() if sig.callable_params}
    assert set(ASYNC_BUILTINS) == higher_order
    for name, function in ASYNC_BUILTINS.items():
        assert inspect.iscoroutinefunction(function)
        assert _parameter_names(function) == _parameter_names(BUILTINS[name])


def test_method_tables_mirror_method_signatures():
    assert set(METHOD_SIGNATURES) == set(RECEIVER_TYPE_NAMES.values())
    for cls, table in METHODS.items():
        signatures = METHOD_SIGNATURES[RECEIVER_TYPE_NAMES[cls]]
        assert set(table) == set(signatures), cls
        for name, function in table.items():
            sig = signatures[name]
            if not sig.variadic and not SIGNATURES.get(name, sig).variadic:
                assert _parameter_names(function, 1) == [p.name for p in sig.params], name


def test_async_methods_are_the_callable_taking_methods():
    for cls, table in ASYNC_METHODS.items():
        signatures = METHOD_SIGNATURES[RECEIVER_TYPE_NAMES[cls]]
        assert set(table) == {n for n, s in signatures.items() if s.callable_params}
        assert set(table) <= set(METHODS[cls])


def test_builtins_display_with_their_lumen_names():
    assert display(BUILTINS["map"]) == "<fn map>"
    assert display(BUILTINS["len"]) == "<fn length>"
    assert display(BUILTINS["print"]) == "<fn print>"


def test_builtin_arity_errors_use_lumen_names():
    from lumen.runtime.translation import translate
    with pytest.raises(TypeError) as info:
        BUILTINS["upper"]("a", "b")
    assert translate(info.value).message == "`upper` takes 1 argument but 2 were given"


def test_docs_describe_every_builtin_and_method():
    text = DOCS.read_text(encoding="utf-8")
    for name in SIGNATURES:
        assert re.search(rf"`{name}\(", text), name
    for type_name, table in METHOD_SIGNATURES.items():
        for name in table:
            assert re.search(rf"\.{name}\(", text) or re.search(rf"`{name}\(", text), \
                (type_name, name)


def test_length_is_cheap():
    # `length` is `len` plus one Python call; guard against accidental slow paths.
    import timeit
    xs = list(range(10))
    fast = min(timeit.repeat(lambda: len(xs), number=20000, repeat=5))
    ours = min(timeit.repeat(lambda: BUILTINS["length"](xs), number=20000, repeat=5))
    assert ours < fast * 4
