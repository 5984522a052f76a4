"""What the checker knows about names: bindings, scopes, functions and declarations.

These records are the checker's output as much as its working state: the compiler reads
the binding of every name (its unique Python name, mutability, whether a nested function
captures it), the colour of every function, and the declaration behind every call.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any

from .types import ANY, Ty


@dataclass(eq=False, slots=True)
class FunctionInfo:
    """A cell, lambda, orchestration branch, `parallel for` body or the top-level script."""
    node: Any
    kind: str                       # "cell", "lambda", "branch", "script"
    name: str
    parent: "FunctionInfo | None"
    names: "NameAllocator"
    agent: Any = None               # AgentInfo for cells declared in an agent
    suspends: bool = False          # contains a suspension point itself
    callees: list = field(default_factory=list)   # (FunctionInfo, call span, label) it calls
    spawns: bool = False
    has_role: bool = False          # holds `role` lines: a pending prompt for its llm calls
    is_async: bool = False          # the result of colour inference
    effects: set = field(default_factory=set)     # effects of the tools it calls directly
    effect_sources: list = field(default_factory=list)  # (effect, span, description)
    declared_effects: tuple | None = None
    inferred_effects: set = field(default_factory=set)  # result of effect inference

    def owner(self) -> "FunctionInfo":
        """The function whose invocation owns futures spawned here: branches belong to the
        cell (or lambda) whose form runs them."""
        f = self
        while f.kind == "branch" and f.parent is not None:
            f = f.parent
        return f

    def top(self) -> "FunctionInfo":
        f = self
        while f.parent is not None and f.kind != "cell":
            f = f.parent
        return f


@dataclass(eq=False, slots=True)
class Binding:
    name: str
    kind: str           # local, param, cell, record, enum, variant, const, builtin, tool,
    #                     agent, type, script, self, import
    py_name: str
    node: Any = None
    mutable: bool = False
    type: Ty = ANY
    function: FunctionInfo | None = None   # declaring function (None: module level)
    loop_depth: int = 0                      # loops around the declaration in its function
    captured: bool = False                   # read by a nested function
    global_use: bool = False                 # a script binding read from another cell
    assigned_in_nested: bool = False
    info: Any = None
    used: bool = False


@dataclass(eq=False, slots=True)
class CellInfo:
    node: Any
    name: str
    params: tuple               # tuple of (name, Ty, has_default)
    ret: Ty
    function: FunctionInfo
    agent: Any = None
    py_name: str = ""


@dataclass(eq=False, slots=True)
class RecordInfo:
    node: Any
    name: str
    fields: dict                # name -> (Ty, has_default)
    builtin: bool = False


@dataclass(eq=False, slots=True)
class VariantInfo:
    name: str
    enum: "EnumInfo"
    field_types: tuple
    field_names: tuple
    node: Any = None

    @property
    def arity(self) -> int:
        return len(self.field_types)


@dataclass(eq=False, slots=True)
class EnumInfo:
    node: Any
    name: str
    variants: dict              # name -> VariantInfo
    builtin: bool = False


@dataclass(eq=False, slots=True)
class ToolInfo:
    node: Any
    alias: str
    tool: str
    agent: Any = None


@dataclass(eq=False, slots=True)
class AgentInfo:
    node: Any
    name: str
    kind: str
    cells: dict = field(default_factory=dict)     # name -> CellInfo
    tools: dict = field(default_factory=dict)     # alias -> ToolInfo


class NameAllocator:
    """Unique Python names within one compiled cell (nested functions share it), so that
    `let` shadowing and closures are exact."""

    def __init__(self, reserved: set[str] | None = None):
        self.used: set[str] = set(reserved or ())

    def fresh(self, name: str) -> str:
        base = name if name.isidentifier() and not keyword.iskeyword(name) \
            and not name.startswith("_L_") else f"{name}_"
        if not base.isidentifier():
            base = "v_"
        candidate = base
        n = 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        return candidate


class Scope:
    def __init__(self, parent: "Scope | None", function: FunctionInfo | None,
                 loop_depth: int = 0, kind: str = "block"):
        self.parent = parent
        self.function = function
        self.loop_depth = loop_depth
        self.kind = kind
        self.names: dict[str, Binding] = {}

    def lookup(self, name: str) -> Binding | None:
        scope = self
        while scope is not None:
            binding = scope.names.get(name)
            if binding is not None:
                return binding
            scope = scope.parent
        return None

    def visible_names(self) -> list[str]:
        seen: list[str] = []
        scope = self
        while scope is not None:
            seen.extend(n for n in scope.names if n not in seen)
            scope = scope.parent
        return seen
