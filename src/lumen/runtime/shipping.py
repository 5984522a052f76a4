"""Finding compiled types again on the other side of a process boundary.

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
"""

from __future__ import annotations

import weakref

try:  # the built-in SHA-256: `hashlib` would load OpenSSL, a fair share of start-up
    from _sha2 import sha256 as _sha256
except ImportError:  # pragma: no cover - older interpreters
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
