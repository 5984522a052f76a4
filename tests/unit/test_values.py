"""Runtime values: records, variants, results, sets, type names and type descriptors."""

import pickle

import pytest

from lumen.runtime.errors import LumenError
from lumen.runtime.values import (
    T_ANY, T_BOOL, T_BYTES, T_FLOAT, T_INT, T_JSON, T_NULL, T_STRING, VARIANT_REGISTRY,
    Completed, Err, ErrorState, Failure, FutureState, LumenSet, Ok, Pending, Record,
    Variant, channel_of, check_arg, check_field, check_return, err, fn_type, future_of,
    list_of, make_enum, make_unit_variant, make_variant_class, map_of, named, ok,
    optional, result_of, set_of, tuple_of, type_name, union_of, with_fields)


# Compiler-style classes, at module level so pickle can find them.
class Point(Record):
    __slots__ = ("x", "y")
    _lumen_name = "Point"
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Other(Record):
    __slots__ = ("x", "y")
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Positive(Record):
    __slots__ = ("n",)
    _lumen_name = "Positive"
    _lumen_fields = ("n",)

    def __init__(self, n):
        if n <= 0:
            raise LumenError("ConstraintViolation", "Positive.n violates `where n > 0`")
        self.n = n


class Shape(Variant):
    __slots__ = ()
    _lumen_enum = "Shape"


class Circle(Shape):
    __slots__ = ("_0",)
    _lumen_name = "Circle"
    _lumen_fields = ("_0",)
    _lumen_field_names = (None,)

    def __init__(self, _0):
        self._0 = _0


class EmptyClass(Shape):
    __slots__ = ()
    _lumen_name = "Empty"


Empty = EmptyClass()

Color = make_enum("Color", __name__)
Red = make_unit_variant(Color, "Red")
Rgb = make_variant_class(Color, "Rgb", ("r", "g", "b"), ("r", "g", "b"))


# ----------------------------------------------------------------------------- records

def test_record_structural_equality_and_hash():
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert {Point(1, 2): "a"}[Point(1, 2)] == "a"


def test_records_of_different_classes_are_never_equal():
    assert Point(1, 2) != Other(1, 2)
    assert Point(1, 2) != (1, 2)
    assert Point(1, 2) != 3


def test_record_values_name_and_match_args():
    assert Point(1, 2)._lumen_values() == (1, 2)
    assert Positive(3)._lumen_values() == (3,)
    assert Other._lumen_name == "Other"  # defaults to the class name
    assert Point.__match_args__ == ("x", "y")


def test_record_repr_is_lumen_display():
    assert repr(Point(1, "a")) == 'Point(x: 1, y: "a")'


def test_record_with_unhashable_field_is_unhashable():
    with pytest.raises(TypeError):
        hash(Point([1], 2))


def test_record_pickles():
    point = Point(1, [2, 3])
    copy = pickle.loads(pickle.dumps(point))
    assert copy == point and type(copy) is Point


def test_record_pickle_does_not_need_init():
    # unpickling restores fields without re-running constraint checks in __init__
    assert pickle.loads(pickle.dumps(Positive(5))) == Positive(5)


def test_with_fields_goes_through_the_constructor():
    assert with_fields(Point(1, 2), y=5) == Point(1, 5)
    with pytest.raises(LumenError) as info:
        with_fields(Positive(1), n=-1)
    assert info.value.kind == "ConstraintViolation"


def test_with_fields_rejects_unknown_fields():
    with pytest.raises(LumenError, match="record Point has no field `z`"):
        with_fields(Point(1, 2), z=3)


def test_failure_record():
    failure = Failure("Halt", "boom", 3)
    assert isinstance(failure, Record)
    assert failure == Failure("Halt", "boom", 3)
    assert repr(failure) == 'Failure(kind: "Halt", message: "boom", line: 3)'
    assert pickle.loads(pickle.dumps(failure)) == failure


# ---------------------------------------------------------------------------- variants

def test_variant_equality_and_hash():
    assert Circle(2.0) == Circle(2.0)
    assert Circle(2.0) != Circle(3.0)
    assert hash(Circle(2.0)) == hash(Circle(2.0))
    assert Circle(1) != Empty


def test_unit_variant_is_a_singleton():
    assert EmptyClass() is Empty
    assert type(Red)() is Red
    assert VARIANT_REGISTRY[(type(Empty).__module__, "Shape", "Empty")] is Empty
    assert VARIANT_REGISTRY[(type(Red).__module__, "Color", "Red")] is Red


def test_unit_variants_unpickle_to_the_same_singleton():
    assert pickle.loads(pickle.dumps(Empty)) is Empty
    assert pickle.loads(pickle.dumps(Red)) is Red
    assert pickle.loads(pickle.dumps(Pending)) is Pending
    assert pickle.loads(pickle.dumps([Empty, Red]))[0] is Empty


def test_payload_variants_pickle():
    assert pickle.loads(pickle.dumps(Circle(2.0))) == Circle(2.0)
    assert pickle.loads(pickle.dumps(Rgb(1, 2, 3))) == Rgb(1, 2, 3)


def test_variant_helpers_build_working_classes():
    colour = Rgb(1, 2, 3)
    assert (colour.r, colour.g, colour.b) == (1, 2, 3)
    assert Rgb(r=1, g=2, b=3) == colour
    assert isinstance(colour, Color) and isinstance(Red, Color)
    assert Rgb._lumen_field_names == ("r", "g", "b")
    assert Rgb.__match_args__ == ("r", "g", "b")
    assert colour._lumen_values() == (1, 2, 3)
    assert Circle._lumen_field_names == (None,)


def test_variant_display():
    assert repr(Circle(2.0)) == "Circle(2.0)"
    assert repr(Rgb(1, 2, 3)) == "Rgb(r: 1, g: 2, b: 3)"
    assert repr(Empty) == "Empty"


def test_future_state():
    assert Pending._lumen_enum == "FutureState"
    assert Completed(4) == Completed(4) and Completed(4).value == 4
    assert ErrorState("boom").message == "boom"
    assert ErrorState._lumen_name == "Error"
    assert isinstance(Completed(1), FutureState)
    assert repr(ErrorState("boom")) == 'Error("boom")'
    assert pickle.loads(pickle.dumps(ErrorState("x"))) == ErrorState("x")
    assert pickle.loads(pickle.dumps(Completed([1]))) == Completed([1])


# ----------------------------------------------------------------------------- results

def test_ok_err_equality_hash_display():
    assert ok(4) == Ok(4) and err("no") == Err("no")
    assert ok(1) != err(1)
    assert ok(1) != 1
    assert hash(ok(1)) == hash(ok(1))
    assert hash(ok(1)) != hash(err(1))
    assert repr(ok(4)) == "ok(4)" and repr(err("no")) == 'err("no")'
    assert ok(4).value == 4 and err("no").error == "no"


def test_ok_err_pickle():
    assert pickle.loads(pickle.dumps(ok([1, 2]))) == ok([1, 2])
    assert pickle.loads(pickle.dumps(err(Failure("Halt", "x", 1)))) == err(
        Failure("Halt", "x", 1))


# -------------------------------------------------------------------------------- sets

def test_set_keeps_insertion_order():
    items = LumenSet([3, 1, 2, 1])
    assert list(items) == [3, 1, 2]
    items.add(0)
    items.add(3)
    assert list(items) == [3, 1, 2, 0]
    assert len(items) == 4 and 2 in items and 9 not in items


def test_set_equality_ignores_order():
    assert LumenSet([1, 2]) == LumenSet([2, 1])
    assert LumenSet([1, 2]) != LumenSet([1])
    assert LumenSet([1]) != [1]


def test_set_is_not_hashable():
    with pytest.raises(TypeError):
        hash(LumenSet())


def test_set_remove_discard():
    items = LumenSet([1, 2])
    items.remove(1)
    items.discard(7)
    assert list(items) == [2]
    with pytest.raises(LumenError, match="set has no element 5"):
        items.remove(5)


def test_set_algebra_keeps_left_order():
    left, right = LumenSet([3, 1, 2]), LumenSet([2, 4, 3])
    assert list(left.union(right)) == [3, 1, 2, 4]
    assert list(left.intersection(right)) == [3, 2]
    assert list(left.difference(right)) == [1]
    assert list(left | [5]) == [3, 1, 2, 5]
    assert left.is_subset(LumenSet([1, 2, 3, 4]))
    assert list(left) == [3, 1, 2]  # unchanged


def test_set_pickles_and_displays():
    items = LumenSet(["a", "b"])
    assert pickle.loads(pickle.dumps(items)) == items
    assert repr(items) == 'set(["a", "b"])'
    assert repr(LumenSet()) == "set([])"


# --------------------------------------------------------------------------- type_name

class FakeFuture:
    _lumen_type_name = "Future"


class FakeChannel:
    _lumen_type_name = "Channel"


@pytest.mark.parametrize("value, expected", [
    (1, "Int"), (1.5, "Float"), ("s", "String"), (True, "Bool"), (None, "Null"),
    (b"x", "Bytes"), ([], "list"), ({}, "map"), (LumenSet(), "set"), ((1,), "tuple"),
    (ok(1), "result"), (err(1), "result"), (Point(1, 2), "Point"), (Circle(1), "Shape"),
    (Empty, "Shape"), (Pending, "FutureState"), (Completed(1), "FutureState"),
    (len, "fn"), (lambda: 1, "fn"), (FakeFuture(), "Future"), (FakeChannel(), "Channel"),
    (Failure("a", "b", 1), "Failure"),
])
def test_type_name(value, expected):
    assert type_name(value) == expected


# -------------------------------------------------------------------- type descriptors

def test_primitive_descriptors():
    assert T_INT.matches(3) and not T_INT.matches(True) and not T_INT.matches(3.0)
    assert T_FLOAT.matches(3.0) and T_FLOAT.matches(3) and not T_FLOAT.matches(False)
    assert T_STRING.matches("") and not T_STRING.matches(b"")
    assert T_BOOL.matches(False) and not T_BOOL.matches(0)
    assert T_NULL.matches(None) and not T_NULL.matches(0)
    assert T_BYTES.matches(b"") and not T_BYTES.matches("")
    assert all(T_ANY.matches(v) for v in (None, 1, Point(1, 2), len))


def test_json_descriptor_is_shallow():
    for value in (None, True, 1, 1.5, "s", [object()], {"k": object()}):
        assert T_JSON.matches(value)
    assert not T_JSON.matches(Point(1, 2)) and not T_JSON.matches((1,))


def test_container_descriptors_are_shallow():
    assert list_of(T_INT).matches(["not", "ints"])
    assert not list_of(T_INT).matches((1,))
    assert map_of(T_STRING, T_INT).matches({1: "x"})
    assert set_of(T_INT).matches(LumenSet()) and not set_of(T_INT).matches(set())
    assert result_of(T_INT, T_STRING).matches(ok("x")) and result_of().matches(err(1))
    assert not result_of().matches(1)


def test_tuple_descriptor_checks_arity():
    pair = tuple_of(T_INT, T_STRING)
    assert pair.matches((1, "a")) and not pair.matches((1,)) and not pair.matches([1, "a"])
    assert tuple_of().matches(())


def test_union_and_optional():
    maybe_int = optional(T_INT)
    assert maybe_int.matches(None) and maybe_int.matches(1) and not maybe_int.matches("1")
    assert not maybe_int.matches(True)
    either = union_of(T_INT, T_STRING)
    assert either.matches("a") and either.matches(2) and not either.matches(2.0)
    assert union_of(either, T_NULL).describe() == "Int | String | Null"
    assert maybe_int.describe() == "Int?"
    assert optional(either).describe() == "Int | String | Null"
    assert union_of(T_INT, T_NULL).describe() == "Int | Null"


def test_named_descriptors():
    assert named(Point).matches(Point(1, 2)) and not named(Point).matches(Other(1, 2))
    shape = named(Shape, "Shape")
    assert shape.matches(Circle(1)) and shape.matches(Empty) and not shape.matches(Red)
    assert named(Point).describe() == "Point"
    assert named(Shape).describe() == "Shape"


def test_fn_future_channel_descriptors():
    assert fn_type().matches(len) and fn_type().matches(lambda: 1)
    assert fn_type().matches(Point) and not fn_type().matches(3)
    assert fn_type("fn(Int) -> Int").describe() == "fn(Int) -> Int"
    assert future_of(T_INT).matches(FakeFuture()) and not future_of().matches(FakeChannel())
    assert channel_of(T_INT).matches(FakeChannel())
    assert future_of(T_INT).describe() == "Future[Int]" and future_of().describe() == "Future"
    assert channel_of(T_STRING).describe() == "Channel[String]"


def test_descriptions_use_lumen_syntax():
    assert list_of(T_INT).describe() == "list[Int]"
    assert map_of(T_STRING, list_of(T_FLOAT)).describe() == "map[String, list[Float]]"
    assert set_of(T_STRING).describe() == "set[String]"
    assert tuple_of(T_INT, T_BOOL).describe() == "tuple[Int, Bool]"
    assert result_of(T_INT, T_STRING).describe() == "result[Int, String]"
    assert list_of().describe() == "list"


def test_check_arg_returns_the_value():
    assert check_arg(3, T_INT, "f", "x") == 3
    assert check_arg(3, T_FLOAT, "f", "x") == 3
    items = [1]
    assert check_arg(items, list_of(T_INT), "f", "xs") is items


def test_check_arg_error_names_cell_parameter_and_types():
    with pytest.raises(LumenError) as info:
        check_arg("abc", T_INT, "f", "x")
    assert info.value.kind == "TypeError"
    assert info.value.message == 'cell `f` parameter `x` expects Int, got String ("abc")'


def test_check_arg_rejects_bool_for_int():
    with pytest.raises(LumenError, match=r"expects Int, got Bool \(true\)"):
        check_arg(True, T_INT, "f", "x")


def test_check_return_and_field():
    assert check_return(None, optional(T_STRING), "g") is None
    with pytest.raises(LumenError) as info:
        check_return(1.5, T_INT, "g")
    assert info.value.message == "cell `g` returns Int, got Float (1.5)"
    with pytest.raises(LumenError) as info:
        check_field("x", T_INT, "Point", "y")
    assert info.value.message == 'field `Point.y` expects Int, got String ("x")'


def test_check_arg_truncates_long_values():
    with pytest.raises(LumenError) as info:
        check_arg(list(range(100)), T_STRING, "f", "s")
    shown = info.value.message.split("got list (")[1][:-1]
    assert len(shown) <= 60 and shown.endswith("...")
