"""Display of every kind of value (LANGUAGE.md section 3 "Display")."""

import pytest

from lumen.runtime.display import (
    display, print_values, quote, short_display, show_nested, to_string)
from lumen.runtime.values import (
    Completed, ErrorState, Failure, LumenSet, Pending, Record, err, make_enum,
    make_unit_variant, make_variant_class, ok)


class Point(Record):
    __slots__ = ("x", "y")
    _lumen_name = "Point"
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Unit(Record):
    __slots__ = ()
    _lumen_fields = ()


Shape = make_enum("DisplayShape")
Circle = make_variant_class(Shape, "Circle", ("_0",))
NamedCircle = make_variant_class(Shape, "NamedCircle", ("radius",), ("radius",))
Rect = make_variant_class(Shape, "Rect", ("_0", "_1"))
Empty = make_unit_variant(Shape, "Empty")


@pytest.mark.parametrize("value, text", [
    (42, "42"), (-7, "-7"), (0, "0"),
    (3.5, "3.5"), (2.0, "2.0"), (7350000.0, "7350000.0"), (0.1, "0.1"), (1e-07, "1e-07"),
    (1e22, "1e+22"), (-0.0, "-0.0"), (float("inf"), "inf"), (float("-inf"), "-inf"),
    (float("nan"), "nan"),
    (True, "true"), (False, "false"), (None, "null"),
    ("abc", '"abc"'), ("", '""'),
])
def test_scalars(value, text):
    assert display(value) == text


@pytest.mark.parametrize("text, shown", [
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("a\nb\tc\rd", r'"a\nb\tc\rd"'),
    ("{x}", r'"\{x}"'),
    ("bell\x07", r'"bell\u{7}"'),
    ("esc\x1b[0m", r'"esc\u{1B}[0m"'),
    ("del\x7f", r'"del\u{7F}"'),
    ("héllo ✓ 😀", '"héllo ✓ 😀"'),
])
def test_strings_are_quoted_and_escaped_as_lumen_literals(text, shown):
    assert display(text) == shown
    assert quote(text) == shown


def test_collections():
    assert display([1, 2]) == "[1, 2]"
    assert display(["a", "b"]) == '["a", "b"]'
    assert display([]) == "[]"
    assert display({"k": 1}) == '{"k": 1}'
    assert display({}) == "{}"
    assert display({1: [True, None]}) == "{1: [true, null]}"
    assert display((1, "two", True)) == '(1, "two", true)'
    assert display((1,)) == "(1,)"
    assert display(()) == "()"
    assert display(LumenSet([1, 2])) == "set([1, 2])"
    assert display(LumenSet()) == "set([])"
    assert display(b"\x01\x02") == "bytes([1, 2])"
    assert display(b"") == "bytes([])"


def test_records_and_variants():
    assert display(Point(1, 2)) == "Point(x: 1, y: 2)"
    assert display(Point("a", [1.0])) == 'Point(x: "a", y: [1.0])'
    assert display(Unit()) == "Unit()"
    assert display(Circle(2.0)) == "Circle(2.0)"
    assert display(NamedCircle(2.0)) == "NamedCircle(radius: 2.0)"
    assert display(Rect(1.0, 2.5)) == "Rect(1.0, 2.5)"
    assert display(Empty) == "Empty"
    assert display(Failure("Halt", "boom", 3)) == \
        'Failure(kind: "Halt", message: "boom", line: 3)'


def test_results_and_future_states():
    assert display(ok(4)) == "ok(4)"
    assert display(err("no")) == 'err("no")'
    assert display(ok(ok([1]))) == "ok(ok([1]))"
    assert display(Pending) == "Pending"
    assert display(Completed("v")) == 'Completed("v")'
    assert display(ErrorState("boom")) == 'Error("boom")'


def test_nested_values():
    value = {"points": [Point(1, (2, "x")), None], "set": LumenSet(["a"]), "r": err(Empty)}
    assert display(value) == \
        '{"points": [Point(x: 1, y: (2, "x")), null], "set": set(["a"]), "r": err(Empty)}'


def test_functions():
    def fib(n):
        return n

    assert display(fib) == "<fn fib>"
    assert display(lambda x: x) == "<fn>"

    def _L_fn3():
        return 1

    assert display(_L_fn3) == "<fn>"  # the compiler's name for an anonymous lambda

    def _L_c_double():
        return 2

    assert display(_L_c_double) == "<fn double>"  # a cell's checked wrapper
    assert display(len) == "<fn len>"
    assert display(Point) == "<fn Point>"


def test_objects_with_lumen_display():
    class Future:
        def _lumen_display(self):
            return "<future completed>"

    assert display(Future()) == "<future completed>"
    assert display([Future()]) == "[<future completed>]"


def test_objects_with_lumen_show_show_their_contents_through_display():
    class Box:
        def __init__(self, inner):
            self.inner = inner

        def _lumen_show(self, seen):
            return "Box(" + show_nested(self.inner, seen) + ")"

    assert display(Box([1, "a"])) == 'Box([1, "a"])'
    assert display([Box(2.5), Box(None)]) == "[Box(2.5), Box(null)]"
    items = [1]
    items.append(Box(items))
    assert display(items) == "[1, Box([...])]"  # a cycle through it is still caught
    points = [Point(1, 2)]
    points.append(Point(0, points))
    assert display(points) == "[Point(x: 1, y: 2), Point(x: 0, y: [...])]"


def test_subclasses_of_builtin_types_display_like_them():
    class MyInt(int):
        pass

    class MyStr(str):
        pass

    assert display(MyInt(3)) == "3"
    assert display(MyStr("a")) == '"a"'


def test_foreign_python_objects_use_repr():
    class Thing:
        def __repr__(self):
            return "Thing!"

    assert display(Thing()) == "Thing!"


def test_cycles_are_guarded():
    items = [1]
    items.append(items)
    assert display(items) == "[1, [...]]"
    mapping = {}
    mapping["self"] = mapping
    assert display(mapping) == '{"self": {...}}'
    shared = [1]
    assert display([shared, shared]) == "[[1], [1]]"  # shared is not a cycle


def test_deep_nesting_does_not_overflow():
    value = current = []
    for _ in range(600):
        inner = []
        current.append(inner)
        current = inner
    assert display(value) == "[" * 601 + "]" * 601


def test_huge_ints_display_in_full():
    big = 10 ** 5000 + 7
    text = display(big)
    assert len(text) == 5001 and text.startswith("1000") and text.endswith("0007")
    assert display(-big) == "-" + text


def test_to_string_leaves_top_level_strings_alone():
    assert to_string("a\nb") == "a\nb"
    assert to_string(["a"]) == '["a"]'
    assert to_string(2.0) == "2.0"
    assert to_string(None) == "null"


def test_print_values_joins_with_one_space():
    assert print_values("x", 1, ["y"], None) == 'x 1 ["y"] null'
    assert print_values("only") == "only"
    assert print_values() == ""


def test_short_display_truncates():
    assert short_display("abc") == '"abc"'
    text = short_display("x" * 200)
    assert len(text) == 60 and text.endswith("...")
    assert short_display(list(range(10 ** 5))).startswith("[0, 1, 2")
    assert short_display(LumenSet(range(10 ** 5))) == (
        "set([" + ", ".join(map(str, range(60)))[:52] + "...")
