"""The Lumen abstract syntax tree.

Nodes are small frozen dataclasses, each with a `span`. They compare and hash by
identity (`eq=False`), so later phases can keep side tables keyed by node (the
resolver's bindings, the checker's types) without copying the tree.
Orchestration forms are real nodes, not desugared calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..source import Span

node = dataclass(frozen=True, slots=True, eq=False)


# ------------------------------------------------------------------------------- types

@node
class TypeName:
    """`Int`, `list[T]`, `map[K, V]`, `Future`, `result[T, E]`, a record or enum name..."""
    name: str
    args: tuple["TypeExpr", ...]
    span: Span


@node
class UnionType:
    members: tuple["TypeExpr", ...]
    span: Span


@node
class OptionalType:
    inner: "TypeExpr"
    span: Span


@node
class FnType:
    params: tuple["TypeExpr", ...]
    ret: "TypeExpr | None"
    effects: tuple[str, ...] | None
    span: Span


TypeExpr = Union[TypeName, UnionType, OptionalType, FnType]


# ---------------------------------------------------------------------------- patterns

@node
class WildcardPat:
    span: Span


@node
class LiteralPat:
    value: Any          # int, float, str, bool or None
    span: Span


@node
class BindPat:
    """A bare name: a binding, or a unit variant when such a variant is in scope."""
    name: str
    span: Span


@node
class TypedPat:
    """`name: Type` (or `_: Type`): matches values of that type."""
    name: str | None
    type: TypeExpr
    span: Span


@node
class VariantPat:
    """`Circle(r)`, `ok(v)`, `err(e)`, `Completed(v)`."""
    name: str
    args: tuple["Pattern", ...]
    span: Span


@node
class TuplePat:
    items: tuple["Pattern", ...]
    span: Span


@node
class ListPat:
    """`[a, b]` or `[first, ...rest]` (`rest` is None without a rest part, '_' to ignore it)."""
    items: tuple["Pattern", ...]
    rest: str | None
    span: Span


@node
class OrPat:
    alternatives: tuple["Pattern", ...]
    span: Span


Pattern = Union[WildcardPat, LiteralPat, BindPat, TypedPat, VariantPat, TuplePat, ListPat, OrPat]


# ------------------------------------------------------------------------- expressions

@node
class Literal:
    value: Any          # int, float, str, bool or None
    span: Span


@node
class StringInterp:
    """A string with `{expr}` parts; `parts` holds str and expression nodes in order."""
    parts: tuple[Any, ...]
    span: Span


@node
class Name:
    name: str
    span: Span


@node
class ListLit:
    items: tuple["Expr", ...]
    span: Span


@node
class MapLit:
    entries: tuple[tuple["Expr", "Expr"], ...]
    span: Span


@node
class TupleLit:
    items: tuple["Expr", ...]
    span: Span


@node
class ListComp:
    """`[element for target in iterable if condition]`."""
    element: "Expr"
    target: Pattern
    iterable: "Expr"
    condition: "Expr | None"
    span: Span


@node
class Unary:
    op: str             # '-' or 'not'
    operand: "Expr"
    span: Span


@node
class Binary:
    """Arithmetic, comparison, `and`/`or`, `??`, `++`, `in`."""
    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@node
class IsType:
    value: "Expr"
    type: TypeExpr
    span: Span


@node
class Range:
    start: "Expr"
    end: "Expr"
    inclusive: bool
    span: Span


@node
class Arg:
    name: str | None
    value: "Expr"
    span: Span


@node
class Call:
    """`callee(args)`; `piped` when it came from `a |> f(b)` (then `a` is args[0])."""
    callee: "Expr"
    args: tuple[Arg, ...]
    span: Span
    piped: bool = False


@node
class Member:
    """`obj.name`, or `obj?.name` when `optional`."""
    obj: "Expr"
    name: str
    span: Span
    optional: bool = False


@node
class Index:
    obj: "Expr"
    index: "Expr"
    span: Span


@node
class Try:
    """`try expr`: `ok(value)` or `err(Failure)`."""
    expr: "Expr"
    span: Span


@node
class Propagate:
    """`expr?`: unwrap `ok(v)` or return the `err` from the current cell."""
    expr: "Expr"
    span: Span


@node
class Param:
    name: str
    type: TypeExpr | None
    default: "Expr | None"
    span: Span


@node
class Lambda:
    """`fn(x) => e` (body is one ExprStmt, `is_block` false) or `fn(x) ... end`."""
    params: tuple[Param, ...]
    ret: TypeExpr | None
    body: tuple["Stmt", ...]
    is_block: bool
    span: Span


@node
class If:
    """`if c ... else if d ... else ... end` or `if c then a else b`; also an expression."""
    branches: tuple[tuple["Expr", tuple["Stmt", ...]], ...]
    else_body: tuple["Stmt", ...] | None
    span: Span
    inline: bool = False


@node
class MatchArm:
    pattern: Pattern
    guard: "Expr | None"
    body: tuple["Stmt", ...]
    span: Span


@node
class Match:
    subject: "Expr"
    arms: tuple[MatchArm, ...]
    span: Span


@node
class Await:
    """`await expr` on a future or a structure of futures."""
    expr: "Expr"
    span: Span


@node
class Spawn:
    """`spawn(expr)`, `spawn([e1, e2])`, `spawn(fn() ... end)`, `spawn(f, a, b)`."""
    args: tuple["Expr", ...]
    span: Span


@node
class Branch:
    """One line of an orchestration block: `expr` or `name = expr`."""
    name: str | None
    expr: "Expr"
    span: Span


@node
class ParallelFor:
    """`await parallel(limit: n) for target in iterable [if condition] ... end`."""
    target: Pattern
    iterable: "Expr"
    condition: "Expr | None"
    body: tuple["Stmt", ...]
    limit: "Expr | None"
    span: Span


@node
class OrchestrationBlock:
    """`await parallel|race|vote|select ... end` with one branch per line."""
    kind: str
    branches: tuple[Branch, ...]
    limit: "Expr | None"
    span: Span


@node
class Timeout:
    """`await timeout(ms, expr)`; `expr` runs lazily under the deadline."""
    ms: "Expr"
    expr: "Expr"
    span: Span


Expr = Union[Literal, StringInterp, Name, ListLit, MapLit, TupleLit, ListComp, Unary, Binary,
             IsType, Range, Call, Member, Index, Try, Propagate, Lambda, If, Match, Await,
             Spawn, ParallelFor, OrchestrationBlock, Timeout]


# -------------------------------------------------------------------------- statements

@node
class Let:
    """`let [mut] target[: type] = value`; `target` is a BindPat, TuplePat or ListPat."""
    target: Pattern
    type: TypeExpr | None
    value: Expr
    mutable: bool
    span: Span


@node
class Assign:
    """`target op value` where op is '=' or a compound operator like '+='."""
    target: Expr        # Name, Index or Member
    op: str
    value: Expr
    span: Span


@node
class ExprStmt:
    expr: Expr
    span: Span


@node
class For:
    target: Pattern
    iterable: Expr
    condition: Expr | None
    body: tuple["Stmt", ...]
    span: Span


@node
class While:
    condition: Expr
    body: tuple["Stmt", ...]
    span: Span


@node
class Loop:
    body: tuple["Stmt", ...]
    span: Span


@node
class Break:
    span: Span


@node
class Continue:
    span: Span


@node
class Return:
    value: Expr | None
    span: Span


@node
class Halt:
    message: Expr
    span: Span


@node
class Emit:
    value: Expr
    span: Span


@node
class Role:
    """`role system: text {expr}` — appends a message to the cell's pending prompt."""
    role: str
    text: StringInterp
    span: Span


Stmt = Union[Let, Assign, ExprStmt, For, While, Loop, Break, Continue, Return, Halt, Emit, Role]


# ------------------------------------------------------------------------ declarations

@node
class Directive:
    name: str
    value: Any
    span: Span


@node
class CellDecl:
    name: str
    params: tuple[Param, ...]
    ret: TypeExpr | None
    effects: tuple[str, ...] | None     # None: no declared row (inferred)
    body: tuple[Stmt, ...]
    span: Span
    is_async: bool = False
    has_body: bool = True               # False when the body holds only comments
    name_span: Span | None = None


@node
class RecordField:
    name: str
    type: TypeExpr
    default: Expr | None
    constraint: Expr | None             # the `where` expression
    span: Span


@node
class RecordDecl:
    name: str
    fields: tuple[RecordField, ...]
    span: Span


@node
class Variant:
    name: str
    fields: tuple[TypeExpr, ...]
    field_names: tuple[str | None, ...]
    span: Span


@node
class EnumDecl:
    name: str
    variants: tuple[Variant, ...]
    span: Span


@node
class TypeAlias:
    name: str
    type: TypeExpr
    span: Span


@node
class ConstDecl:
    name: str
    type: TypeExpr | None
    value: Expr
    span: Span


@node
class UseTool:
    tool: str                           # dotted name, e.g. "llm.chat"
    alias: str
    span: Span


@node
class GrantEntry:
    key: str
    value: Expr
    span: Span


@node
class Grant:
    alias: str
    entries: tuple[GrantEntry, ...]
    span: Span


@node
class AgentDecl:
    """`agent Name ... end` or `orchestration Name ... end` (kind says which)."""
    kind: str
    name: str
    members: tuple[Any, ...]            # UseTool, Grant, CellDecl
    span: Span

    @property
    def cells(self) -> tuple[CellDecl, ...]:
        return tuple(m for m in self.members if isinstance(m, CellDecl))


@node
class ImportName:
    name: str
    alias: str | None
    span: Span


@node
class Import:
    path: tuple[str, ...]
    names: tuple[ImportName, ...] | None   # None: `: *`
    span: Span


Decl = Union[CellDecl, RecordDecl, EnumDecl, TypeAlias, ConstDecl, UseTool, Grant, AgentDecl,
             Import]


@node
class Module:
    directives: tuple[Directive, ...]
    items: tuple[Any, ...]              # declarations and top-level statements, in order
    span: Span

    def directive(self, name: str, default: Any = None) -> Any:
        for d in self.directives:
            if d.name == name:
                return d.value
        return default


def dump(value: Any) -> str:
    """A compact s-expression of a tree, without spans (for tests and debugging)."""
    if isinstance(value, tuple):
        return "[" + " ".join(dump(v) for v in value) + "]"
    if not hasattr(value, "__dataclass_fields__"):
        return repr(value)
    fields = [f for f in value.__dataclass_fields__ if f not in ("span", "name_span")]
    inner = " ".join(dump(getattr(value, f)) for f in fields)
    return f"({type(value).__name__} {inner})"
