"""Finding compiled types and functions again on the other side of a process boundary.

A record or enum variant of a compiled program pickles as (module key, enum, name,
field values): the module key is the SHA-256 of the module's source text (a compiled
module's `__name__` is `lumen:<key>`), so it means the same in any process that has
loaded the same source, wherever its file lives. Unpickling asks, in this order:

1. the current run's program (`Run.program`), when it has a module with that key;
2. any program loaded in this process that has it (`lumen.load`, a cache hit,
   `Program.from_blob`) — a weak table: a program nobody uses any more is not kept alive
   by it, and because the key is the content, two programs with the same module share
   the very same types by construction.

A value whose program is not loaded cannot be rebuilt: a LumenError says which module
and type are missing.

Work items (executor.py) are functions of compiled code plus their captured values.
`dumps` pickles them too: a compiled function travels as (module key, qualified name,
first line, captured values, defaults) and is rebuilt from the code object of the same
name in the same module (`loads`), with fresh cells holding the captured values — a
copy: `shippable(function)` says whether a copy behaves as the original (no captured
variable assigned, no captured value that can change under it); work that is not
shippable must run where its variables live.
"""

from __future__ import annotations

import types
import weakref

try:  # the built-in SHA-256: `hashlib` would load OpenSSL, a fair share of start-up
    from _sha2 import sha256 as _sha256          # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256 as _sha256    # Python 3.11
    except ImportError:  # pragma: no cover - a build without the built-in module
        from hashlib import sha256 as _sha256

from . import run as runs
from .errors import LumenError

MODULE_PREFIX = "lumen:"

_programs: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()


def module_key(text: str) -> str:
    return _sha256(text.encode("utf-8")).hexdigest()[:32]


def loaded(program) -> None:
    """`program` can answer for its modules' types (called when a Program is made)."""
    for unit in program.units:
        _programs.setdefault(unit.key, program)


def key_of(cls) -> str | None:
    """The module key of a compiled type, None for the runtime's own types."""
    module = cls.__module__
    return module[len(MODULE_PREFIX):] if module.startswith(MODULE_PREFIX) else None


def find_type(key: str, enum: str | None, name: str) -> type:
    program = runs.current().program
    if program is None or not program.has_module(key):
        program = _programs.get(key)
    found = program.lumen_type(key, enum, name) if program is not None else None
    if found is None:
        what = f"{enum}.{name}" if enum else name
        raise LumenError("RuntimeError",
                         f"cannot rebuild a `{what}` value: the program that defines it "
                         f"(module {key}) is not loaded in this process",
                         hint="load the same program first (lumen.load, or "
                              "Program.from_blob with its blob)")
    return found


# ------------------------------------------------------------------ functions


def function_reference(function) -> tuple | None:
    """What identifies a compiled function and its captured values, or None for any
    other function and for one that assigns a variable it captured (a copy of the
    variable would take the assignment elsewhere)."""
    key = key_of_function(function)
    if key is None or assigns_captured(function.__code__):
        return None
    code = function.__code__
    cells = tuple(cell.cell_contents for cell in function.__closure__ or ())
    return (key, code.co_qualname, code.co_firstlineno, cells, function.__defaults__,
            function.__kwdefaults__)


def shippable(function) -> bool:
    """Whether running a copy of `function` elsewhere behaves as running it here: it is
    compiled code, assigns no captured variable, and captures no value that can change
    under it (a list, map or set another branch may push to, a channel, a future) —
    a captured function counts by the same rule."""
    if key_of_function(function) is None or assigns_captured(function.__code__):
        return False
    values = [cell.cell_contents for cell in function.__closure__ or ()]
    values += list(function.__defaults__ or ()) + list((function.__kwdefaults__ or {}).values())
    return all(_immutable(value) for value in values)


def _immutable(value, depth: int = 0) -> bool:
    if value is None or type(value) in (bool, int, float, str, bytes):
        return True
    if depth > 50:
        return False
    if type(value) is tuple:
        return all(_immutable(v, depth + 1) for v in value)
    if hasattr(type(value), "_lumen_values"):   # a record or a variant (values.py)
        return all(_immutable(v, depth + 1) for v in value._lumen_values())
    if type(value) is types.FunctionType:
        return shippable(value)
    return False


def assigns_captured(code) -> bool:
    """Whether `code` (or code nested in it) stores into a variable of an enclosing
    function."""
    import dis

    free = set(code.co_freevars)
    if free and any(i.opname == "STORE_DEREF" and i.argval in free
                    for i in dis.get_instructions(code)):
        return True
    return any(assigns_captured(c) for c in code.co_consts
               if isinstance(c, types.CodeType) and set(c.co_freevars) & free)


def key_of_function(function) -> str | None:
    if type(function) is not types.FunctionType:
        return None
    module = function.__globals__.get("__name__", "")
    return module[len(MODULE_PREFIX):] if module.startswith(MODULE_PREFIX) else None


def rebuild_function(key: str, qualname: str, line: int, cells: tuple, defaults,
                     kwdefaults=None):
    program = runs.current().program
    if program is None or not program.has_module(key):
        program = _programs.get(key)
    found = program.lumen_function(key, qualname, line) if program is not None else None
    if found is None:
        raise LumenError("RuntimeError",
                         f"cannot rebuild function `{qualname}` (line {line}): the program "
                         f"that defines it (module {key}) is not loaded in this process",
                         hint="load the same program first (Program.from_blob)")
    code, namespace = found
    closure = tuple(types.CellType(value) for value in cells)
    function = types.FunctionType(code, namespace, code.co_name, defaults, closure or None)
    function.__kwdefaults__ = kwdefaults
    return function


def _reduce_function(obj):
    if type(obj) is types.FunctionType:
        reference = function_reference(obj)
        if reference is not None:
            return rebuild_function, reference
    return NotImplemented


def dumps(value) -> bytes:
    """Pickle `value`, compiled functions (work items, lambdas) included. (`pickle` is
    imported here: every run imports this module, few runs pickle.)"""
    import io
    import pickle

    class Pickler(pickle.Pickler):
        reducer_override = staticmethod(_reduce_function)

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def loads(data: bytes):
    import pickle
    return pickle.loads(data)
