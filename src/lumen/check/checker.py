"""The checker: resolves every name, infers types and colours, and reports every error of a
module at once. Its result, `Analysis`, is what the compiler reads.

This module holds the entry point, scope and function bookkeeping, and statements;
expressions, calls, patterns and colour inference are in sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import DiagnosticSink
from ..source import SourceFile
from ..syntax import ast as A
from . import types as T
from .builtins_scope import builtin_scope
from .calls import CallChecker
from .colours import infer_colours
from .effects import check_deterministic_tools, check_effect_rows, infer_effects
from .grants import check_grants
from .declarations import DeclarationCollector
from .expressions import ExpressionChecker
from .patterns import PatternChecker
from .scopes import Binding, FunctionInfo, NameAllocator, Scope
from .suggest import did_you_mean

NEVER = T.Prim("Never")   # the "value" of a block that always returns or halts


@dataclass(eq=False)
class Analysis:
    """Everything the compiler needs to know about a checked module."""
    module: A.Module
    source: SourceFile
    bindings: dict = field(default_factory=dict)      # Name / BindPat / Param / Branch → Binding
    types: dict = field(default_factory=dict)         # expression → Ty
    calls: dict = field(default_factory=dict)         # Call → CallTarget
    members: dict = field(default_factory=dict)       # Member → MemberTarget
    functions: dict = field(default_factory=dict)     # CellDecl / Lambda / Branch ... → FunctionInfo
    variant_patterns: dict = field(default_factory=dict)  # BindPat / VariantPat → VariantInfo
    spawned_callables: set = field(default_factory=set)   # `spawn(f)` of a function value
    records: dict = field(default_factory=dict)       # RecordDecl → RecordInfo
    enums: dict = field(default_factory=dict)
    agents: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)
    tools: list = field(default_factory=list)
    module_scope: Any = None
    script: Any = None                                # FunctionInfo of top-level statements
    script_items: list = field(default_factory=list)
    type_names: dict = field(default_factory=dict)    # declared and imported type names
    deterministic: bool = False
    strict: bool = True

    def type_of(self, node) -> T.Ty:
        return self.types.get(node, T.ANY)


class Checker(DeclarationCollector, ExpressionChecker, CallChecker, PatternChecker):
    def __init__(self, module: A.Module, sink: DiagnosticSink, imported: dict | None = None,
                 imported_types: dict | None = None, tool_effects: dict | None = None,
                 tool_kinds: dict | None = None, deterministic_importer: str | None = None):
        self.sink = sink
        self.module = module
        self.analysis = Analysis(module, sink.source)
        a = self.analysis
        # A deterministic program's directive covers every module it imports, whatever
        # the module says itself: otherwise one imported `random()` makes runs differ.
        self.deterministic_importer = deterministic_importer
        a.deterministic = bool(module.directive("deterministic", False)) \
            or deterministic_importer is not None
        a.strict = bool(module.directive("strict", True))
        self.bindings, self.types, self.calls = a.bindings, a.types, a.calls
        self.functions, self.records, self.enums = a.functions, a.records, a.enums
        self.agents, self.cells, self.tools = a.agents, a.cells, a.tools
        self.script_items = a.script_items
        self.type_names: dict = dict(imported_types or {})
        self.lambda_hints: dict = {}   # Lambda → parameter types known from the call
        self.tool_effects = tool_effects or {}   # tool → the effect its provider declares
        self.tool_kinds = tool_kinds or {}       # tool → chat | embed | http | call
        self.alias_types: dict = {}
        self.module_names = NameAllocator()
        builtins = builtin_scope(self)
        self.module_scope = Scope(builtins, None, kind="module")
        a.module_scope = self.module_scope
        for name, binding in (imported or {}).items():
            self.module_scope.names[name] = binding
            self.module_names.used.add(binding.py_name)
        self.scope = self.module_scope
        self.fn: FunctionInfo | None = None
        self.dropped_form = None
        self.loops = 0
        self.return_type: T.Ty = T.ANY

    # ------------------------------------------------------------------ reporting

    def error(self, code: str, message: str, span, hint: str | None = None, notes=()) -> None:
        self.sink.error(code, message, span, hint, notes)

    def deterministic_hint(self, advice: str) -> str:
        """`advice` for a deterministic-mode error, after the reason when the mode comes
        from the program that imports this module."""
        if self.deterministic_importer is None or self.module.directive("deterministic"):
            return advice
        return (f"`{self.deterministic_importer}` is `@deterministic true`, which covers "
                f"every module it imports, this one included; {advice}")

    def soft_error(self, code: str, message: str, span, hint: str | None = None) -> None:
        """An error that `@strict false` turns into a warning."""
        if self.analysis.strict:
            self.sink.error(code, message, span, hint)
        else:
            self.sink.warning(code, message, span, hint)

    # ---------------------------------------------------------------------- main

    def run(self) -> Analysis:
        items = self.module.items
        self.collect(items)
        self.resolve_signatures()
        check_grants(self)
        self.check_script()
        for item in items:
            self.check_declaration(item)
        infer_colours(self.analysis)
        infer_effects(self.analysis)
        check_effect_rows(self)
        if self.analysis.deterministic:
            check_deterministic_tools(self)
        self.analysis.type_names = {
            name: (self.resolve_alias(t) if isinstance(t, A.TypeAlias) else t)
            for name, t in self.type_names.items()
            if not (isinstance(t, T.Named) and getattr(t.info, "builtin", False))}
        return self.analysis

    def check_script(self) -> None:
        names = self.module_names
        script = FunctionInfo(self.module, "script", "<script>", None, names)
        self.analysis.script = script
        self.functions[self.module] = script
        self.fn = script
        self.scope = Scope(self.module_scope, script, kind="script")
        self.script_scope = self.scope
        for item in self.script_items:
            self.statement(item)
        self.scope = self.module_scope
        self.fn = None

    def check_declaration(self, item) -> None:
        if isinstance(item, A.CellDecl):
            self.check_cell(self.functions[item])
        elif isinstance(item, A.AgentDecl):
            for member in item.members:
                if isinstance(member, A.CellDecl) and member in self.functions:
                    self.check_cell(self.functions[member])
        elif isinstance(item, A.RecordDecl):
            self.check_record(item)
        elif isinstance(item, A.ConstDecl):
            self.check_const(item)

    def check_const(self, node: A.ConstDecl) -> None:
        self.fn = self.analysis.script
        self.scope = Scope(self.module_scope, self.fn)
        value = self.expr(node.value)
        declared = self.resolve_type(node.type) if node.type else None
        if declared is not None and not T.compatible(value, declared):
            self.error("E310", f"constant `{node.name}` is declared {declared} but its value "
                               f"is {value}", node.value.span)
        binding = self.module_scope.names.get(node.name)
        if binding is not None and binding.node is node:
            binding.type = declared or value
        self.fn, self.scope = None, self.module_scope

    def check_record(self, node: A.RecordDecl) -> None:
        info = self.records[node]
        self.fn = self.analysis.script
        self.scope = Scope(self.module_scope, self.fn)
        for f in node.fields:
            ftype = info.fields[f.name][0]
            if f.default is not None:
                dtype = self.expr(f.default)
                if not T.compatible(dtype, ftype):
                    self.error("E310", f"default of `{node.name}.{f.name}` is {dtype}, but the "
                                       f"field is {ftype}", f.default.span)
        # Constraints see every field by name.
        for f in node.fields:
            self.define(f.name, "local", f, f.span, type_=info.fields[f.name][0])
        for f in node.fields:
            if f.constraint is not None:
                ctype = self.expr(f.constraint)
                self.expect_bool(ctype, f.constraint, "a `where` constraint")
        self.fn, self.scope = None, self.module_scope

    def check_cell(self, function: FunctionInfo) -> None:
        node: A.CellDecl = function.node
        info = next(c for c in self.cells if c.function is function)
        function.names = NameAllocator(self.module_names.used)
        self.fn = function
        outer = self.script_scope   # cells see declarations and top-level variables
        if function.agent is not None:
            outer = self.agent_scope(function.agent)
        self.scope = Scope(outer, function, kind="function")
        self.loops = 0
        self.dropped_form = None
        self.return_type = info.ret
        self.bind_params(node.params, info.params)
        self.check_body_value(node.body, info.ret, f"cell `{node.name}`")
        self.fn, self.scope = None, self.module_scope

    def agent_scope(self, agent) -> Scope:
        scope = Scope(self.script_scope, None, kind="agent")
        for name, cell in agent.cells.items():
            scope.names[name] = Binding(name, "method", name, cell.node, info=cell,
                                        type=T.FnTy(None, cell.ret))
        for alias, tool in agent.tools.items():
            scope.names[alias] = Binding(alias, "tool", alias, tool.node, info=tool)
        scope.names["self"] = Binding("self", "self", "self", agent.node, info=agent,
                                      type=T.Named("agent", agent.name, agent))
        return scope

    def bind_params(self, params, resolved) -> None:
        for param, (name, ptype, _) in zip(params, resolved):
            if param.default is not None:
                dtype = self.expr(param.default)
                if not T.compatible(dtype, ptype):
                    self.error("E310", f"default of parameter `{name}` is {dtype}, but the "
                                       f"parameter is {ptype}", param.default.span)
            binding = self.define(name, "param", param, param.span, type_=ptype)
            self.bindings[param] = binding

    def check_body_value(self, body, ret: T.Ty, what: str) -> None:
        value = self.block(body)
        if body and ret != T.ANY and value not in (NEVER, T.ANY) \
                and isinstance(body[-1], A.ExprStmt) and not T.compatible(value, ret):
            self.error("E311", f"{what} returns {ret}, but its last expression is {value}",
                       body[-1].span, "the value of the last expression is the cell's result")

    # ------------------------------------------------------------------- scopes

    def push_scope(self, kind: str = "block", loop: bool = False) -> Scope:
        depth = self.scope.loop_depth + (1 if loop else 0)
        self.scope = Scope(self.scope, self.fn, depth, kind)
        return self.scope

    def pop_scope(self) -> None:
        self.scope = self.scope.parent

    def define(self, name: str, kind: str, node, span, mutable: bool = False,
               type_: T.Ty = T.ANY) -> Binding:
        target_scope = self.scope
        if self.fn is not None and self.fn.kind == "script" and target_scope is self.script_scope:
            existing = self.module_scope.names.get(name)
            if existing is not None and existing.kind not in ("script", "builtin"):
                self.error("E201", f"`{name}` is already declared as a {existing.kind} at "
                                   f"line {existing.node.span.line}", span,
                           "give the variable another name")
        names = self.fn.names if self.fn is not None else self.module_names
        binding = Binding(name, kind, names.fresh(name), node, mutable, type_, self.fn,
                          self.scope.loop_depth)
        if self.fn is not None and self.fn.kind == "script":
            binding.kind = "script" if target_scope is self.script_scope else kind
        target_scope.names[name] = binding
        return binding

    def lookup(self, name: str, span, used: bool = True) -> Binding | None:
        binding = self.scope.lookup(name)
        if binding is None:
            return None
        if used:
            binding.used = True
            self.note_capture(binding)
        return binding

    def note_capture(self, binding: Binding) -> None:
        owner = binding.function
        if owner is None or self.fn is None or owner is self.fn:
            return
        binding.captured = True
        if owner.kind == "script":
            f = self.fn
            while f is not None and f is not owner:
                f = f.parent
            if f is None:
                binding.global_use = True

    def unknown_name(self, name: str, span) -> None:
        if name in self.sink.recovered_names:
            return
        hint = did_you_mean(name, self.scope.visible_names())
        form = getattr(self, "dropped_form", None)
        if form is not None and form.span.line < span.line:
            kind = getattr(form, "kind", "parallel" if isinstance(form, A.ParallelFor)
                           else "timeout")
            bind = f"the value of the `{kind}` at line {form.span.line} is not bound: write " \
                   f"`let {name} = await {kind} ...`"
            hint = f"{bind}; or {hint}" if hint else bind
        self.soft_error("E202", f"unknown name `{name}`", span,
                        hint or "declare it with `let`, or check the spelling")

    # --------------------------------------------------------------- statements

    def block(self, stmts) -> T.Ty:
        """Check statements in a new scope; returns the block's value type."""
        self.push_scope()
        try:
            return self.statements(stmts)
        finally:
            self.pop_scope()

    def statements(self, stmts) -> T.Ty:
        value: T.Ty = T.NULL
        for stmt in stmts:
            value = self.statement(stmt)
            # An `await` form whose value is dropped: a later unknown name may be the
            # variable its author meant to bind (the seed tutorial's `select`).
            form = stmt.expr if isinstance(stmt, A.ExprStmt) else None
            if isinstance(form, (A.OrchestrationBlock, A.ParallelFor, A.Timeout)):
                self.dropped_form = form
        return value if stmts else T.NULL

    def statement(self, stmt) -> T.Ty:
        check = _STATEMENTS.get(type(stmt))
        if check is None:
            self.error("E900", f"{type(stmt).__name__} is not allowed here", stmt.span)
            return T.ANY
        return check(self, stmt)

    def stmt_expr(self, node: A.ExprStmt) -> T.Ty:
        return self.expr(node.expr)

    def stmt_let(self, node: A.Let) -> T.Ty:
        value = self.expr(node.value)
        declared = self.resolve_type(node.type) if node.type is not None else None
        if declared is not None and not T.compatible(value, declared):
            self.error("E310", f"`let` declares {declared} but the value is {value}",
                       node.value.span)
        bound = declared or value
        if node.mutable and declared is None and bound in (T.NULL, NEVER):
            bound = T.ANY
        self.bind_target(node.target, bound, node.mutable)
        if isinstance(node.value, A.Lambda) and not node.mutable \
                and isinstance(node.target, A.BindPat):
            # Calls through this name reach that very lambda: its colour and effects.
            self.bindings[node.target].info = self.functions.get(node.value)
        return T.NULL

    def stmt_assign(self, node: A.Assign) -> T.Ty:
        target = node.target
        value = self.expr(node.value)
        if isinstance(target, A.Name):
            binding = self.lookup(target.name, target.span)
            if binding is None:
                self.unknown_name(target.name, target.span)
                return T.NULL
            self.bindings[target] = binding
            self.check_assignable(binding, target)
            if node.op == "=":
                if binding.type != T.ANY and not T.compatible(value, binding.type):
                    self.error("E310", f"`{target.name}` holds {binding.type}, cannot assign "
                                       f"{value}", node.value.span)
            else:
                self.arith(node.op[:-1], binding.type, value, node)
            if binding.function is not None and binding.function is not self.fn:
                binding.assigned_in_nested = True
        elif isinstance(target, A.Member):
            self.expr(target.obj)
            self.error("E211", f"cannot assign to field `{target.name}`: records are "
                               "immutable values", target.span,
                       "build a new record with the changed field instead")
        else:
            self.expr(target)
        return T.NULL

    def check_assignable(self, binding: Binding, target) -> None:
        if binding.kind in ("local", "param", "script") and binding.mutable:
            return
        if binding.kind in ("local", "param", "script"):
            where = binding.node.span.line if binding.node is not None else "?"
            self.error("E210", f"cannot assign to `{binding.name}`: it is not mutable",
                       target.span,
                       f"declare it with `let mut {binding.name}` (line {where}), or "
                       f"shadow it with a new `let`")
        else:
            self.error("E210", f"cannot assign to {binding.kind} `{binding.name}`",
                       target.span, "only `let mut` variables can be assigned")

    def stmt_for(self, node: A.For) -> T.Ty:
        iterable = self.expr(node.iterable)
        self.check_iterable(iterable, node.iterable)
        self.push_scope(loop=True)
        self.bind_target(node.target, self.element_of(iterable, node.iterable))
        if node.condition is not None:
            self.expect_bool(self.expr(node.condition), node.condition, "a `for` filter")
        self.loop_body(node.body)
        self.pop_scope()
        return T.NULL

    def stmt_while(self, node: A.While) -> T.Ty:
        self.expect_bool(self.expr(node.condition), node.condition, "a `while` condition")
        self.push_scope(loop=True)
        self.loop_body(node.body)
        self.pop_scope()
        return T.NULL

    def stmt_loop(self, node: A.Loop) -> T.Ty:
        self.push_scope(loop=True)
        self.loop_body(node.body)
        self.pop_scope()
        return T.NULL

    def loop_body(self, body) -> None:
        self.loops += 1
        try:
            self.block(body)
        finally:
            self.loops -= 1

    def stmt_break(self, node) -> T.Ty:
        if self.loops == 0:
            word = "break" if isinstance(node, A.Break) else "continue"
            self.error("E220", f"`{word}` outside a loop", node.span,
                       f"`{word}` works inside `for`, `while` and `loop` of the same cell or "
                       "lambda")
        return NEVER

    def stmt_return(self, node: A.Return) -> T.Ty:
        value = self.expr(node.value) if node.value is not None else T.NULL
        kind = self.fn.kind if self.fn is not None else "script"
        if kind == "branch":
            self.error("E221", "`return` inside an orchestration branch", node.span,
                       "a branch's value is its last expression; return from the cell after "
                       "the `await` form")
        elif kind == "script":
            self.error("E222", "`return` outside a cell", node.span,
                       "top-level statements run as a script; `halt` stops the program")
        elif self.return_type != T.ANY and not T.compatible(value, self.return_type):
            self.error("E311", f"returns {value}, but {self.fn_description()} is declared to "
                               f"return {self.return_type}",
                       node.value.span if node.value is not None else node.span)
        return NEVER

    def fn_description(self) -> str:
        if self.fn.kind == "cell":
            return f"cell `{self.fn.name}`"
        return "the lambda"

    def stmt_halt(self, node: A.Halt) -> T.Ty:
        self.expr(node.message)
        return NEVER

    def stmt_emit(self, node: A.Emit) -> T.Ty:
        self.expr(node.value)
        return T.NULL

    def stmt_role(self, node: A.Role) -> T.Ty:
        self.expr(node.text)
        if self.fn is not None:
            self.fn.has_role = True
        if self.fn is None or self.fn.kind == "script":
            self.error("E223", "`role` lines belong inside a cell", node.span,
                       "they add a message to the cell's next `llm` call")
        return T.NULL

    # ------------------------------------------------------------------ helpers

    def expect_bool(self, t: T.Ty, node, what: str) -> None:
        if t in (T.ANY, T.BOOL, NEVER) or T.compatible(t, T.BOOL) and t != T.NULL:
            return
        self.error("E312", f"{what} must be a Bool, got {t}", node.span,
                   "compare explicitly, e.g. `length(xs) > 0` or `x != null`")

    def check_iterable(self, t: T.Ty, node) -> None:
        if t in (T.INT, T.FLOAT, T.BOOL, T.NULL):
            self.error("E313", f"cannot iterate over {t}", node.span,
                       "iterate a list, map, set, string or range like `0..n`")

    def element_of(self, t: T.Ty, node) -> T.Ty:
        return T.element_type(t)


_STATEMENTS = {
    A.ExprStmt: Checker.stmt_expr,
    A.Let: Checker.stmt_let,
    A.Assign: Checker.stmt_assign,
    A.For: Checker.stmt_for,
    A.While: Checker.stmt_while,
    A.Loop: Checker.stmt_loop,
    A.Break: Checker.stmt_break,
    A.Continue: Checker.stmt_break,
    A.Return: Checker.stmt_return,
    A.Halt: Checker.stmt_halt,
    A.Emit: Checker.stmt_emit,
    A.Role: Checker.stmt_role,
}


def check(module: A.Module, sink: DiagnosticSink, imported: dict | None = None,
          imported_types: dict | None = None, tool_effects: dict | None = None,
          tool_kinds: dict | None = None, deterministic_importer: str | None = None
          ) -> Analysis:
    """Check one module. `deterministic_importer` is the path of the `@deterministic true`
    program that imports it, if any: the module is then checked in deterministic mode."""
    return Checker(module, sink, imported, imported_types, tool_effects, tool_kinds,
                   deterministic_importer).run()
