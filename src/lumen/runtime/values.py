"""Runtime values: records, enum variants, results, sets, and runtime type descriptors.

This module owns the Python classes behind Lumen's non-primitive values (primitives and
`list`/`map`/`tuple` are plain Python objects, see docs/architecture.md):

* `Record` — base of the record classes the compiler generates; `with_fields`;
* `Variant` — base of enum variants; `make_enum`, `make_variant_class`,
  `make_unit_variant`; unit variants are singletons, also across pickling;
* pickling: compiled records and variants pickle by their module's content key and
  their names (`restore_compiled`, shipping.py), the runtime's own by reference;
* `Ok` / `Err` (`ok`, `err`), the built-in `Failure` record and `FutureState` enum;
* `LumenSet`, Lumen's insertion-ordered `set[T]`;
* `type_name`, and the type descriptors (`T_INT`, `list_of`, `named`, ...) with
  `check_arg` / `check_return` / `check_field` for the checks at cell boundaries.

Each class shows itself through `display`'s protocol (`_lumen_show`), so that display
needs nothing from this module; `Ok`, `Err` and `LumenSet` also register with display's
dispatch table.

Type descriptors are SHALLOW: `list_of(T_INT)` matches any list. Element types are the
checker's business; checking them at runtime would make every call O(n).
"""

from __future__ import annotations

import operator
import types

from . import shipping
from .display import display, register_shown_type, short_display, show_nested
from .errors import LumenError

# --------------------------------------------------------------------------- helpers


def _values_getter(fields: tuple[str, ...]):
    """A fast function object -> tuple of the named attributes (always a tuple)."""
    if not fields:
        return lambda obj: ()
    if len(fields) == 1:
        get = operator.attrgetter(fields[0])
        return lambda obj: (get(obj),)
    return operator.attrgetter(*fields)


def _restore_slots(cls, values):
    """Unpickle a record or payload variant without re-running `__init__`.

    The value was valid when it was pickled, and going around `__init__` keeps
    unpickling independent of the generated constructor's signature.
    """
    obj = object.__new__(cls)
    for field, value in zip(cls._lumen_fields, values):
        object.__setattr__(obj, field, value)
    return obj


# --------------------------------------------------------------------------- records


class _Structured:
    """Structural equality, hashing and display of records and enum variants: the
    values of their fields (`_lumen_get_values`, a fast getter each class sets up)."""

    __slots__ = ()
    _lumen_get_values = staticmethod(lambda obj: ())

    def _lumen_values(self) -> tuple:
        return self._lumen_get_values(self)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self is other or self._lumen_get_values(self) == other._lumen_get_values(other)

    def __hash__(self):
        return hash((type(self), self._lumen_get_values(self)))

    def __repr__(self):
        return display(self)


class Record(_Structured):
    """Base of record classes. Subclasses set `__slots__`, `_lumen_name`, `_lumen_fields`
    in their class body (the compiler also generates `__init__`)."""

    __slots__ = ()
    _lumen_name = "Record"
    _lumen_fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_lumen_name" not in cls.__dict__:
            cls._lumen_name = cls.__name__
        cls._lumen_get_values = staticmethod(_values_getter(tuple(cls._lumen_fields)))
        if "__match_args__" not in cls.__dict__:
            cls.__match_args__ = tuple(cls._lumen_fields)

    @classmethod
    def _lumen_from_json(cls, data: dict):
        return record_from_json(cls, data)

    def _lumen_show(self, seen: set) -> str:
        cls = type(self)
        fields = [f"{name}: {show_nested(value, seen)}"
                  for name, value in zip(cls._lumen_fields, self._lumen_values())]
        return f"{cls._lumen_name}(" + ", ".join(fields) + ")"

    def __reduce__(self):
        cls = type(self)
        rebuild = getattr(cls, "_lumen_rebuild", None)
        if rebuild is not None:
            return (rebuild, self._lumen_values())
        key = shipping.key_of(cls)
        if key is not None:   # compiled: found again by program content and name
            return (restore_compiled, (key, None, cls._lumen_name, self._lumen_values()))
        return (_restore_slots, (cls, self._lumen_values()))


def with_fields(record: Record, **changes) -> Record:
    """A copy of `record` with some fields replaced, built through the class constructor
    (so `where` constraints are checked again)."""
    cls = type(record)
    fields = cls._lumen_fields
    for name in changes:
        if name not in fields:
            raise LumenError("RuntimeError",
                             f"record {cls._lumen_name} has no field `{name}`")
    arguments = dict(zip(fields, record._lumen_values()))
    arguments.update(changes)
    return cls(**arguments)


class Failure(Record):
    """The error value `try` produces: `err(Failure(kind, message, line))`."""

    __slots__ = ("kind", "message", "line")
    _lumen_name = "Failure"
    _lumen_fields = ("kind", "message", "line")

    def __init__(self, kind: str, message: str, line: int):
        self.kind = kind
        self.message = message
        self.line = line


class HttpResponse(Record):
    """What `http.request` returns."""

    __slots__ = ("status", "headers", "body")
    _lumen_name = "HttpResponse"
    _lumen_fields = ("status", "headers", "body")
    _lumen_field_types = ("Int", "map[String, String]", "String")
    _lumen_json_schema = {
        "type": "object", "additionalProperties": False,
        "required": ["status", "headers", "body"],
        "properties": {"status": {"type": "integer"},
                       "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                       "body": {"type": "string"}}}

    def __init__(self, status: int, headers: dict, body: str):
        self.status = status
        self.headers = headers
        self.body = body


# ------------------------------------------------------------------- from JSON data

def record_from_json(cls, data: dict):
    """Build record `cls` from JSON data (structured output of a model, a replayed
    recording): nested records, enums, Floats and sets are rebuilt from the field types
    the compiler recorded (`_lumen_json_spec`); the constructor then checks everything."""
    spec = getattr(cls, "_lumen_json_spec", None)
    if spec is None:
        return cls(**data)
    kinds = dict(spec())
    return cls(**{name: from_json(kinds.get(name, "any"), value)
                  for name, value in data.items()})


def from_json(spec, value):
    """`value` (JSON data) as a value of the type that `spec` describes, where it fits;
    anything that does not fit is returned as it is, for the type checks to report."""
    if spec == "float":
        return float(value) if type(value) is int else value
    if type(spec) is not tuple:
        return value
    kind, inner = spec
    if kind == "record" and type(value) is dict:
        return record_from_json(inner, value)
    if kind == "list" and type(value) is list:
        return [from_json(inner, v) for v in value]
    if kind == "set" and type(value) is list:
        return LumenSet(from_json(inner, v) for v in value)
    if kind == "map" and type(value) is dict:
        return {k: from_json(inner, v) for k, v in value.items()}
    if kind == "tuple" and type(value) is list and len(value) == len(inner):
        return tuple(from_json(s, v) for s, v in zip(inner, value))
    if kind == "enum":
        return _variant_from_json(inner, value)
    if kind == "union":
        for option in inner:
            converted = from_json(option, value)
            if converted is not value or option == "any":
                return converted
    return value


def _variant_from_json(enum_base, value):
    """`"Empty"` or `{"Circle": [2.0]}` (the form `json_stringify` writes)."""
    variants = {cls._lumen_name: cls for cls in enum_base.__subclasses__()}
    if type(value) is str and value in variants and not variants[value]._lumen_fields:
        return variants[value]()
    if type(value) is dict and len(value) == 1:
        name, payload = next(iter(value.items()))
        cls = variants.get(name)
        if cls is not None and cls._lumen_fields:
            if type(payload) is dict:
                return cls(**payload)
            if type(payload) is list and len(payload) == len(cls._lumen_fields):
                return cls(*payload)
    return value


# -------------------------------------------------------------------------- variants

# (module, enum, variant) -> the unit variant's one instance, for the runtime's own enums
# (filled when this module is imported; compiled enums are found through shipping.py).
VARIANT_REGISTRY: dict[tuple[str, str, str], "Variant"] = {}


class Variant(_Structured):
    """Base of enum variants. An enum is a subclass with `_lumen_enum`; each variant a
    subclass of that with `_lumen_name`, `_lumen_fields` (slot names) and
    `_lumen_field_names` (a payload's declared names, None for positional ones).
    A variant without fields is a unit variant: its class has exactly one instance."""

    __slots__ = ()
    _lumen_enum = "Variant"
    _lumen_fields: tuple[str, ...] = ()
    _lumen_field_names: tuple[str | None, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_lumen_name" not in cls.__dict__:
            return  # an enum base class, not a variant
        fields = tuple(cls._lumen_fields)
        if "_lumen_field_names" not in cls.__dict__:
            cls._lumen_field_names = (None,) * len(fields)
        cls._lumen_get_values = staticmethod(_values_getter(fields))
        if "__match_args__" not in cls.__dict__:
            cls.__match_args__ = fields
        if not fields:
            cls.__new__ = staticmethod(_unit_variant_new)

    def _lumen_show(self, seen: set) -> str:
        cls = type(self)
        if not cls._lumen_fields:
            return cls._lumen_name
        parts = []
        for label, value in zip(cls._lumen_field_names, self._lumen_values()):
            shown = show_nested(value, seen)
            parts.append(shown if label is None else f"{label}: {shown}")
        return f"{cls._lumen_name}(" + ", ".join(parts) + ")"

    def __reduce__(self):
        cls = type(self)
        key = shipping.key_of(cls)
        if key is not None:   # compiled: found again by program content and names
            return (restore_compiled, (key, cls._lumen_enum, cls._lumen_name,
                                       self._lumen_values()))
        if not cls._lumen_fields:
            return (unit_variant, (cls._lumen_enum, cls._lumen_name, cls.__module__))
        return (_restore_slots, (cls, self._lumen_values()))


def _unit_variant_new(cls, *args, **kwargs):
    # Installed as `__new__` of unit variant classes: every construction returns the
    # one instance, so `is` and `==` agree and unpickling finds the same object.
    instance = cls.__dict__.get("_lumen_instance")
    if instance is None:
        instance = object.__new__(cls)
        cls._lumen_instance = instance
        if shipping.key_of(cls) is None:   # the runtime's own enums (FutureState)
            VARIANT_REGISTRY[(cls.__module__, cls._lumen_enum, cls._lumen_name)] = instance
    return instance


def restore_compiled(key: str, enum: str | None, name: str, values: tuple):
    """Unpickle a compiled record or variant: its class is found again by the content
    key of its module (see shipping.py); a unit variant is its one instance."""
    cls = shipping.find_type(key, enum, name)
    if enum is not None and not cls._lumen_fields:
        return cls()
    return _restore_slots(cls, values)


def unit_variant(enum_name: str, variant_name: str, module: str = __name__) -> Variant:
    """The singleton of a unit variant (used by unpickling)."""
    try:
        return VARIANT_REGISTRY[(module, enum_name, variant_name)]
    except KeyError:
        raise LumenError("RuntimeError", f"unknown variant {enum_name}.{variant_name} "
                                         "(is the module that defines it loaded?)") from None


def make_enum(name: str, module: str | None = None) -> type:
    """The base class of enum `name`; its variants subclass it."""
    namespace = {"__slots__": (), "_lumen_enum": name,
                 "__module__": module or __name__, "__qualname__": name}
    return type(name, (Variant,), namespace)


def make_variant_class(enum_base: type, name: str, slot_names=(), field_names=None,
                       qualname: str | None = None) -> type:
    """A variant class of `enum_base` with the given payload slots.

    `field_names` gives the declared payload names (None for positional payloads,
    the default); slots of positional payloads are conventionally `_0`, `_1`, ...
    """
    slot_names = tuple(slot_names)
    if field_names is None:
        field_names = (None,) * len(slot_names)
    namespace = {
        "__slots__": slot_names,
        "_lumen_name": name,
        "_lumen_fields": slot_names,
        "_lumen_field_names": tuple(field_names),
        "__module__": enum_base.__module__,
        "__qualname__": qualname or name,
    }
    if slot_names:
        namespace["__init__"] = _make_init(slot_names)
    return type(name, (enum_base,), namespace)


def _make_init(slot_names: tuple[str, ...]):
    # Generated source (like dataclasses) so construction costs what a hand-written
    # `__init__` costs.
    params = ", ".join(slot_names)
    body = "\n".join(f"    self.{slot} = {slot}" for slot in slot_names)
    namespace: dict = {}
    exec(f"def __init__(self, {params}):\n{body}\n", namespace)
    return namespace["__init__"]


def make_unit_variant(enum_base: type, name: str) -> Variant:
    """The singleton instance of a new unit variant `name` of `enum_base`."""
    return make_variant_class(enum_base, name)()


# --------------------------------------------------------------------------- results


class Result:
    """Common base of `Ok` and `Err` (Lumen's `result[T, E]`)."""

    __slots__ = ()


class Ok(Result):
    __slots__ = ("value",)
    __match_args__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return self.value == other.value if type(other) is Ok else NotImplemented

    def __hash__(self):
        return hash((Ok, self.value))

    def __repr__(self):
        return display(self)

    def _lumen_show(self, seen: set) -> str:
        return "ok(" + show_nested(self.value, seen) + ")"

    def __reduce__(self):
        return (Ok, (self.value,))


class Err(Result):
    __slots__ = ("error",)
    __match_args__ = ("error",)

    def __init__(self, error):
        self.error = error

    def __eq__(self, other):
        return self.error == other.error if type(other) is Err else NotImplemented

    def __hash__(self):
        return hash((Err, self.error))

    def __repr__(self):
        return display(self)

    def _lumen_show(self, seen: set) -> str:
        return "err(" + show_nested(self.error, seen) + ")"

    def __reduce__(self):
        return (Err, (self.error,))


# Shown as often as lists and maps: give them the dispatch table's exact-type speed.
register_shown_type(Ok)
register_shown_type(Err)


def ok(value) -> Ok:
    return Ok(value)


def err(error) -> Err:
    return Err(error)


# ---------------------------------------------------------------------- FutureState

FutureState = make_enum("FutureState")
Pending = make_unit_variant(FutureState, "Pending")
Completed = make_variant_class(FutureState, "Completed", ("_0",))
ErrorState = make_variant_class(FutureState, "Error", ("_0",), qualname="ErrorState")
# Readable names for Python code (the orchestration runtime, embedders).
Completed.value = property(operator.attrgetter("_0"))
ErrorState.message = property(operator.attrgetter("_0"))


# ------------------------------------------------------------------------------- sets


class LumenSet:
    """Lumen's `set[T]`: a set that remembers insertion order (runs are reproducible).

    Equality ignores order. Not hashable (it is mutable, like lists and maps).
    """

    __slots__ = ("_items",)

    def __init__(self, items=()):
        self._items = dict.fromkeys(items)

    def __contains__(self, item):
        return item in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __eq__(self, other):
        if type(other) is not LumenSet:
            return NotImplemented
        return self._items.keys() == other._items.keys()

    __hash__ = None

    def __repr__(self):
        return display(self)

    def _lumen_show(self, seen: set) -> str:
        return "set([" + ", ".join([show_nested(item, seen) for item in self._items]) + "])"

    def _lumen_head(self, count: int) -> "LumenSet":
        return LumenSet(list(self._items)[:count])

    def __reduce__(self):
        return (LumenSet, (list(self._items),))

    def add(self, item) -> None:
        self._items[item] = None

    def remove(self, item) -> None:
        try:
            del self._items[item]
        except KeyError:
            raise LumenError("RuntimeError",
                             f"set has no element {display(item)}") from None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> "LumenSet":
        new = LumenSet()
        new._items = self._items.copy()
        return new

    def union(self, other) -> "LumenSet":
        new = self.copy()
        new._items.update(dict.fromkeys(other))
        return new

    def intersection(self, other) -> "LumenSet":
        keep = other._items if type(other) is LumenSet else set(other)
        return LumenSet(item for item in self._items if item in keep)

    def difference(self, other) -> "LumenSet":
        drop = other._items if type(other) is LumenSet else set(other)
        return LumenSet(item for item in self._items if item not in drop)

    def is_subset(self, other) -> bool:
        keep = other._items if type(other) is LumenSet else set(other)
        return all(item in keep for item in self._items)

    __or__ = union
    __and__ = intersection
    __sub__ = difference


register_shown_type(LumenSet)


# -------------------------------------------------------------------------- type names

_TYPE_NAMES = {
    int: "Int", float: "Float", str: "String", bool: "Bool", type(None): "Null",
    bytes: "Bytes", list: "list", dict: "map", LumenSet: "set", tuple: "tuple",
    Ok: "result", Err: "result",
}

_FALLBACK_TYPE_NAMES = ((bool, "Bool"), (int, "Int"), (float, "Float"), (str, "String"),
                        (bytes, "Bytes"), (list, "list"), (dict, "map"), (tuple, "tuple"))


def type_name(value) -> str:
    """The Lumen name of `value`'s type, as `type_of` returns it."""
    cls = type(value)
    name = _TYPE_NAMES.get(cls)
    if name is not None:
        return name
    name = getattr(cls, "_lumen_type_name", None)
    if name is not None:
        return name
    if isinstance(value, Variant):
        return cls._lumen_enum
    if isinstance(value, Record):
        return cls._lumen_name
    for python_type, lumen_name in _FALLBACK_TYPE_NAMES:
        if isinstance(value, python_type):
            return lumen_name
    if callable(value):
        return "fn"
    return cls.__name__


# -------------------------------------------------------------------- type descriptors


class TypeDesc:
    """A runtime type: `matches(value)` (shallow, O(1)) and `describe()` (Lumen syntax).

    `exact` holds the Python types that match outright; `slow` (optional) decides for
    values of other types (subclasses, protocols, unions)."""

    __slots__ = ("exact", "text", "slow")

    def __init__(self, exact, text: str, slow=None):
        self.exact = frozenset(exact)
        self.text = text
        self.slow = slow

    def matches(self, value) -> bool:
        if type(value) in self.exact:
            return True
        slow = self.slow
        return slow is not None and slow(value)

    def describe(self) -> str:
        return self.text

    def __repr__(self):
        return f"<type {self.text}>"


_NONE_TYPE = type(None)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    # Int is accepted where Float is expected (Python's numeric tower); Bool is not.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _always(value) -> bool:
    return True


T_INT = TypeDesc({int}, "Int", _is_int)
T_FLOAT = TypeDesc({float, int}, "Float", _is_number)
T_STRING = TypeDesc({str}, "String", lambda v: isinstance(v, str))
T_BOOL = TypeDesc({bool}, "Bool")
T_NULL = TypeDesc({_NONE_TYPE}, "Null")
T_BYTES = TypeDesc({bytes}, "Bytes")
T_ANY = TypeDesc((), "Any", _always)
T_JSON = TypeDesc({_NONE_TYPE, bool, int, float, str, list, dict}, "Json")


def list_of(element: TypeDesc | None = None) -> TypeDesc:
    return TypeDesc({list}, f"list[{element.text}]" if element else "list")


def map_of(key: TypeDesc | None = None, value: TypeDesc | None = None) -> TypeDesc:
    text = f"map[{key.text}, {value.text}]" if key and value else "map"
    return TypeDesc({dict}, text)


def set_of(element: TypeDesc | None = None) -> TypeDesc:
    return TypeDesc({LumenSet}, f"set[{element.text}]" if element else "set")


def tuple_of(*elements: TypeDesc) -> TypeDesc:
    """`tuple[A, B]` checks the arity too (still O(1)); `tuple_of()` is any tuple."""
    if not elements:
        return TypeDesc({tuple}, "tuple")
    arity = len(elements)
    text = "tuple[" + ", ".join(e.text for e in elements) + "]"
    return TypeDesc((), text, lambda v: type(v) is tuple and len(v) == arity)


def result_of(ok_type: TypeDesc | None = None, err_type: TypeDesc | None = None) -> TypeDesc:
    text = f"result[{ok_type.text}, {err_type.text}]" if ok_type and err_type else "result"
    return TypeDesc({Ok, Err}, text)


def union_of(*members: TypeDesc) -> TypeDesc:
    flat: list[TypeDesc] = []
    for member in members:
        flat.extend(member.members if isinstance(member, _UnionDesc) else [member])
    return _UnionDesc(flat, " | ".join(m.text for m in flat))


def optional(inner: TypeDesc) -> TypeDesc:
    """`T?`: T or Null."""
    members = inner.members if isinstance(inner, _UnionDesc) else [inner]
    text = f"{inner.text}?" if len(members) == 1 else f"{inner.text} | Null"
    return _UnionDesc(members + [T_NULL], text)


class _UnionDesc(TypeDesc):
    __slots__ = ("members",)

    def __init__(self, members: list[TypeDesc], text: str):
        exact = set().union(*(m.exact for m in members)) if members else set()
        slow_members = [m for m in members if m.slow is not None]
        super().__init__(exact, text,
                         (lambda v: any(m.slow(v) for m in slow_members))
                         if slow_members else None)
        self.members = list(members)


_FUNCTION_TYPES = {types.FunctionType, types.BuiltinFunctionType, types.MethodType}


def fn_type(text: str = "fn") -> TypeDesc:
    """Any callable (`text` is how it is described, e.g. `fn(Int) -> Int`)."""
    return TypeDesc(_FUNCTION_TYPES, text, callable)


def named(cls: type, display_name: str | None = None) -> TypeDesc:
    """A record, enum (pass the enum base: its variants match) or agent class."""
    text = display_name or getattr(cls, "_lumen_name", None) \
        or getattr(cls, "_lumen_enum", None) or cls.__name__
    return TypeDesc({cls}, text, lambda v: isinstance(v, cls))


def _lumen_typed(type_tag: str, text: str) -> TypeDesc:
    return TypeDesc((), text, lambda v: getattr(type(v), "_lumen_type_name", None) == type_tag)


def future_of(element: TypeDesc | None = None) -> TypeDesc:
    return _lumen_typed("Future", f"Future[{element.text}]" if element else "Future")


def channel_of(element: TypeDesc | None = None) -> TypeDesc:
    return _lumen_typed("Channel", f"Channel[{element.text}]" if element else "Channel")


def check_arg(value, descriptor: TypeDesc, cell_name: str, param_name: str):
    """`value` if it matches the parameter's declared type, else a Lumen TypeError."""
    if type(value) in descriptor.exact or descriptor.matches(value):
        return value
    raise LumenError("TypeError", f"cell `{cell_name}` parameter `{param_name}` expects "
                                  f"{descriptor.text}, got {_shown(value)}")


def check_return(value, descriptor: TypeDesc, cell_name: str):
    """`value` if it matches the cell's declared return type, else a Lumen TypeError."""
    if type(value) in descriptor.exact or descriptor.matches(value):
        return value
    raise LumenError("TypeError", f"cell `{cell_name}` returns {descriptor.text}, "
                                  f"got {_shown(value)}")


def check_field(value, descriptor: TypeDesc, record_name: str, field_name: str):
    """`value` if it matches a record field's declared type, else a Lumen TypeError."""
    if type(value) in descriptor.exact or descriptor.matches(value):
        return value
    raise LumenError("TypeError", f"field `{record_name}.{field_name}` expects "
                                  f"{descriptor.text}, got {_shown(value)}")


def _shown(value) -> str:
    return f"{type_name(value)} ({short_display(value)})"
