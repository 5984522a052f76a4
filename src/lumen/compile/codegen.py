"""The compiler: a checked Lumen module → one Python `ast.Module` → a code object.

Each cell becomes a Python function (`def`, or `async def` when the checker found it can
suspend); records, enums and agents become classes. Expressions that need statements
(`match`, block `if`, `try`, the `await` forms) are compiled into statements that run
before the expression that uses their value — "preludes" — and earlier operands are
spilled into temporaries when that would change the order of evaluation.

This module holds the driver of compilation, functions and statements; the other
`compile/` modules hold expressions, calls, patterns, orchestration and declarations.
"""

from __future__ import annotations

import ast as py
import warnings
from contextlib import contextmanager

from ..check import types as T
from ..check.checker import Analysis
from ..syntax import ast as A
from . import emit as E
from .calls import CallCompiler
from .declarations import DeclarationCompiler
from .expressions import ExpressionCompiler
from .intrinsics import IntrinsicCompiler
from .orchestration import OrchestrationCompiler
from .patterns import PatternCompiler

# How a block's last statement delivers its value.
RETURN = "return"
DISCARD = "discard"


class FunctionState:
    """What the compiler tracks while it emits one Python function."""

    def __init__(self, info, parent: "FunctionState | None"):
        self.info = info
        self.parent = parent
        self.loop_depth = 0
        self.free: set = set()           # bindings of enclosing functions read here
        self.assigned_outer: set = set()  # bindings of enclosing functions assigned here
        self.has_owner = False           # holds `_L_owner` for spawned futures
        self.return_check = None         # (descriptor name, cell name) for declared returns
        self.return_type = T.ANY


class Compiler(ExpressionCompiler, CallCompiler, IntrinsicCompiler, PatternCompiler,
               OrchestrationCompiler, DeclarationCompiler):
    def __init__(self, analysis: Analysis):
        self.a = analysis
        self.loc = E.Locator(analysis.source.code)
        self.out: list = []
        self.state: FunctionState | None = None
        self.counter = 0
        self.descriptors: dict = {}      # type key -> (global name, builder expr)
        self.needs_memo: dict = {}
        self.overrides: dict = {}        # expression node -> already computed Python value

    # ------------------------------------------------------------------ module

    def compile_module(self) -> py.Module:
        body: list = []
        items = self.a.module.items
        for item in items:
            if isinstance(item, (A.RecordDecl, A.EnumDecl)):
                body.extend(self.declaration(item))
        handles = self.tool_handles()
        for item in items:
            if isinstance(item, A.AgentDecl):
                body.extend(self.agent_class(item))
        for item in items:
            if isinstance(item, A.CellDecl):
                body.extend(self.cell(item))
        body.extend(handles)
        body.extend(self.script_function())
        consts = []
        for item in items:
            if isinstance(item, A.ConstDecl):
                consts.extend(self.const(item))
        body.extend(self.descriptor_definitions())
        body.extend(consts)
        body.append(self.entry_table())
        module = py.Module(body=body, type_ignores=[])
        py.fix_missing_locations(module)
        return module

    def entry_table(self) -> py.stmt:
        keys, values = [], []
        for cell in self.a.cells:
            if cell.agent is None:
                keys.append(E.const(cell.name))
                values.append(E.name(self.checked_name(cell)))
        for agent in self.a.agents.values():
            keys.append(E.const(agent.name))
            values.append(E.name(agent.name))
        return E.assign("_L_entry", py.Dict(keys=keys, values=values))

    # -------------------------------------------------------------- utilities

    def temp(self, hint: str = "t") -> str:
        self.counter += 1
        return f"_L_{hint}{self.counter}"

    def emit(self, stmt, span=None) -> None:
        if span is not None:
            self.loc.place(stmt, span)
        self.out.append(stmt)

    @contextmanager
    def into(self, target: list):
        saved = self.out
        self.out = target
        try:
            yield target
        finally:
            self.out = saved

    def block_into(self, stmts, mode) -> list:
        target: list = []
        with self.into(target):
            self.body(stmts, mode)
        return target or [py.Pass()]

    @property
    def is_async(self) -> bool:
        return self.state is not None and self.state.info is not None and self.state.info.is_async

    # -------------------------------------------------------------- functions

    def function(self, info, fname: str, params: list, body_stmts, span, *,
                 prologue=(), mode=RETURN, value_node=None, self_param: bool = False,
                 snapshot: bool = False, wrap=None):
        """Emit a Python function for a cell, lambda, branch or spawned expression.

        `params` holds (python name, default expression or None, binding) triples;
        `value_node`, when given, is one expression that is the whole body.
        """
        parent = self.state
        state = FunctionState(info, parent)
        pending = getattr(self, "pending_return", None)
        if pending is not None and info is not None and info.kind == "cell":
            self.pending_return = None
            ret, cell_name = pending
            if ret != T.ANY:
                state.return_type = ret
                state.return_check = (self.descriptor(ret), cell_name)
        self.state = state
        body: list = []
        try:
            with self.into(body):
                for py_name, default, _ in params:
                    if default is not None:
                        fill = E.assign(py_name, self.expr(default))
                        self.emit(py.If(test=E.is_(E.name(py_name), E.name("_L_MISSING")),
                                        body=[fill], orelse=[]), default.span)
                self.out.extend(prologue)
                if info is not None and info.spawns and info.kind != "branch":
                    state.has_owner = True
                if value_node is not None:
                    self.emit(self.make_return(self.expr(value_node), value_node),
                              value_node.span)
                else:
                    self.body(body_stmts, mode)
            if wrap is not None:
                body = wrap(body)
            if state.has_owner:
                body = self.owner_wrapper(body, span)
            if info is not None and info.has_role:
                body.insert(0, self.loc.place(E.assign("_L_prompt", py.List(elts=[], ctx=E.LOAD)),
                                              span))
            declarations = self.scope_declarations(state)
        finally:
            self.state = parent
        names = (["self"] if self_param else []) + [p[0] for p in params]
        trailing = 0   # Python defaults only for the trailing run of defaulted parameters
        while trailing < len(params) and params[len(params) - 1 - trailing][1] is not None:
            trailing += 1
        arguments = E.args(names, [E.name("_L_MISSING")] * trailing)
        captured = self.loop_captures(state, parent, snapshot)
        for binding in captured:
            arguments.kwonlyargs.append(py.arg(arg=binding.py_name))
            arguments.kw_defaults.append(E.name(binding.py_name))
        is_async = info.is_async if info is not None else False
        fn = E.function(fname, arguments, declarations + body, is_async)
        if parent is not None:
            for binding in state.free:
                if binding.function is not parent.info:
                    parent.free.add(binding)
            for binding in state.assigned_outer:
                if binding.function is not parent.info:
                    parent.assigned_outer.add(binding)
        return self.loc.place(fn, span)

    def scope_declarations(self, state: FunctionState) -> list:
        globals_, nonlocals = [], []
        for binding in sorted(state.assigned_outer, key=lambda b: b.py_name):
            if self.is_global(binding):
                globals_.append(binding.py_name)
            else:
                nonlocals.append(binding.py_name)
        if state.info is not None and state.info.kind == "script":
            globals_ += sorted(b.py_name for b in self.script_globals())
        out = []
        if globals_:
            out.append(py.Global(names=sorted(set(globals_))))
        if nonlocals:
            out.append(py.Nonlocal(names=nonlocals))
        return out

    def loop_captures(self, state: FunctionState, parent: FunctionState | None,
                      snapshot: bool = False) -> list:
        """Variables a closure reads that are bound now, as keyword defaults: immutable
        loop variables of a closure made inside a loop (each iteration's closure sees its
        own value), and with `snapshot` every variable of the enclosing function."""
        if parent is None or (parent.loop_depth == 0 and not snapshot):
            return []
        return sorted((b for b in state.free
                       if b.function is parent.info and b not in state.assigned_outer
                       and (snapshot or (b.loop_depth > 0 and not b.mutable))),
                      key=lambda b: b.py_name)

    def is_global(self, binding) -> bool:
        return binding.function is None or (binding.kind == "script" and binding.global_use)

    def script_globals(self) -> list:
        return [b for b in self.a.bindings.values()
                if b.kind == "script" and b.global_use]

    def note_use(self, binding) -> None:
        state = self.state
        if state is None or binding.function is None:
            return
        if binding.function is not state.info:
            state.free.add(binding)

    def note_assign(self, binding) -> None:
        state = self.state
        if state is None or binding.function is None:
            return
        if binding.function is not state.info:
            state.assigned_outer.add(binding)

    # ---------------------------------------------------------------- returns

    def make_return(self, value: py.expr, node) -> py.stmt:
        state = self.state
        if state.return_check is not None:
            vtype = self.a.type_of(node) if node is not None else T.ANY
            if not T.proves(vtype, state.return_type):
                desc, cell_name = state.return_check
                value = E.call("_L_check_return", [value, desc, E.const(cell_name)])
        if state.has_owner:
            return py.Return(value=py.NamedExpr(target=E.store("_L_ret"), value=value))
        return py.Return(value=value)

    # -------------------------------------------------------------- statements

    def body(self, stmts, mode) -> None:
        """Compile statements; the last one delivers the block's value per `mode`:
        RETURN (return it), DISCARD, or a temp name to assign it to."""
        if not stmts:
            self.deliver(E.const(None), mode, None)
            return
        for stmt in stmts[:-1]:
            self.statement(stmt)
        last = stmts[-1]
        if isinstance(last, A.ExprStmt) and mode != DISCARD:
            self.value_statement(last.expr, mode)
        else:
            self.statement(last)
            if isinstance(last, (A.Return, A.Halt, A.Break, A.Continue)) or mode == DISCARD:
                return
            if mode != RETURN:
                self.emit(E.assign(mode, E.const(None)), last.span)
            elif self.state.return_check is not None:
                # Falling off the end returns null, which the declared type must accept.
                self.emit(self.make_return(E.const(None), None), last.span)

    def deliver(self, value: py.expr, mode, node) -> None:
        if mode == DISCARD:
            self.emit(py.Expr(value=value), node.span if node is not None else None)
        elif mode == RETURN:
            self.emit(self.make_return(value, node), node.span if node is not None else None)
        else:
            self.emit(E.assign(mode, value), node.span if node is not None else None)

    def value_statement(self, expr, mode) -> None:
        """An expression whose value is delivered: `if`/`match` deliver in each branch."""
        if isinstance(expr, A.If) and not self.inline_if_is_expression(expr):
            self.if_statement(expr, mode)
        elif isinstance(expr, A.Match):
            self.match_statement(expr, mode)
        else:
            self.deliver(self.expr(expr), mode, expr)

    def statement(self, stmt) -> None:
        _STATEMENTS[type(stmt)](self, stmt)

    def st_expr(self, stmt: A.ExprStmt) -> None:
        expr = stmt.expr
        if isinstance(expr, A.If) and not self.inline_if_is_expression(expr):
            self.if_statement(expr, DISCARD)
        elif isinstance(expr, A.Match):
            self.match_statement(expr, DISCARD)
        else:
            value = self.expr(expr)
            if not isinstance(value, (py.Constant, py.Name)):
                self.emit(py.Expr(value=value), stmt.span)

    def st_let(self, stmt: A.Let) -> None:
        target = stmt.target
        if isinstance(target, A.BindPat):
            binding = self.a.bindings[target]
            if isinstance(stmt.value, A.Lambda):
                fn = self.lambda_def(stmt.value, binding.py_name)
                self.emit(fn, stmt.span)
                return
            self.emit(E.assign(binding.py_name, self.expr(stmt.value)), stmt.span)
            return
        if isinstance(target, A.WildcardPat):
            self.emit(py.Expr(value=self.expr(stmt.value)), stmt.span)
            return
        value = self.expr(stmt.value)
        self.destructure(target, value, stmt.span, self.a.type_of(stmt.value))

    def st_assign(self, stmt: A.Assign) -> None:
        target = stmt.target
        augmented = self.augmented(stmt)
        if augmented is not None:
            self.emit(augmented, stmt.span)
            return
        if isinstance(target, A.Name):
            binding = self.a.bindings.get(target)
            if binding is None:
                return
            self.note_assign(binding)
            py_target = binding.py_name
            if stmt.op == "=":
                self.emit(E.assign(py_target, self.expr(stmt.value)), stmt.span)
            else:
                current = self.name_ref(binding, target)
                value = self.binary_value(stmt.op[:-1], current, self.expr(stmt.value),
                                          self.a.type_of(target), self.a.type_of(stmt.value),
                                          stmt)
                self.emit(E.assign(py_target, value), stmt.span)
            return
        if isinstance(target, A.Index):
            obj, index = self.exprs_in_order([target.obj, target.index])
            if stmt.op != "=":
                obj, index = self.stable(obj), self.stable(index)
            sub = py.Subscript(value=obj, slice=index, ctx=E.STORE)
            if stmt.op == "=":
                value = self.expr(stmt.value)
            else:
                current = py.Subscript(value=obj, slice=index, ctx=E.LOAD)
                value = self.binary_value(stmt.op[:-1], current, self.expr(stmt.value),
                                          T.ANY, self.a.type_of(stmt.value), stmt)
            self.emit(py.Assign(targets=[sub], value=value), stmt.span)

    def augmented(self, stmt: A.Assign):
        """`x += e`, `xs[i] -= e` as Python's augmented assignment when that is exact: on
        numbers and Strings (immutable: Python's `+=` would extend a list in place)."""
        op = _AUGMENTED.get(stmt.op)
        target = stmt.target
        if op is None or not isinstance(target, (A.Name, A.Index)) \
                or self.needs(stmt.value) != 0:
            return None
        ttype, vtype = self.a.type_of(target), self.a.type_of(stmt.value)
        numbers = ttype in (T.INT, T.FLOAT) and vtype in (T.INT, T.FLOAT)
        if not (numbers or (stmt.op == "+=" and ttype == vtype == T.STRING)):
            return None
        if stmt.op == "/=" and T.FLOAT not in (ttype, vtype):
            return None   # Int / Int truncates: not Python's `/`
        if isinstance(target, A.Name):
            binding = self.a.bindings.get(target)
            if binding is None:
                return None
            self.note_assign(binding)
            py_target = E.store(binding.py_name)
        else:
            if self.needs(target.obj) or self.needs(target.index):
                return None
            py_target = py.Subscript(value=self.expr(target.obj), slice=self.expr(target.index),
                                     ctx=E.STORE)
        return py.AugAssign(target=py_target, op=op(), value=self.expr(stmt.value))

    def stable(self, value: py.expr) -> py.expr:
        """`value`, or a temp holding it, so it can be used twice."""
        if isinstance(value, (py.Constant, py.Name)):
            return value
        t = self.temp()
        self.emit(E.assign(t, value))
        return E.name(t)

    def st_for(self, stmt: A.For) -> None:
        iterable = self.iteration(stmt.iterable)
        body: list = []
        self.state.loop_depth += 1
        try:
            with self.into(body):
                target = self.loop_target(stmt.target)
                if stmt.condition is not None:
                    cond = self.expr(stmt.condition)
                    self.emit(py.If(test=py.UnaryOp(op=py.Not(), operand=cond),
                                    body=[py.Continue()], orelse=[]), stmt.condition.span)
                self.body(stmt.body, DISCARD)
        finally:
            self.state.loop_depth -= 1
        self.emit(py.For(target=target, iter=iterable, body=body or [py.Pass()], orelse=[],
                         type_comment=None), stmt.span)

    def loop_target(self, pattern) -> py.expr:
        """A Python `for` target for `pattern`; destructuring beyond names goes in the body."""
        if isinstance(pattern, A.BindPat) and pattern in self.a.bindings:
            return E.store(self.a.bindings[pattern].py_name)
        if isinstance(pattern, A.WildcardPat):
            return E.store(self.temp("_"))
        if isinstance(pattern, A.TuplePat) and all(
                isinstance(p, (A.BindPat, A.WildcardPat)) and p not in self.a.variant_patterns
                for p in pattern.items):
            return py.Tuple(elts=[self.loop_target(p) for p in pattern.items], ctx=E.STORE)
        t = self.temp("item")
        self.destructure(pattern, E.name(t), pattern.span)
        return E.store(t)

    def st_while(self, stmt: A.While) -> None:
        body: list = []
        self.state.loop_depth += 1
        try:
            with self.into(body):
                if self.needs(stmt.condition):
                    cond = self.expr(stmt.condition)
                    self.emit(py.If(test=py.UnaryOp(op=py.Not(), operand=cond),
                                    body=[py.Break()], orelse=[]), stmt.condition.span)
                    test = E.const(True)
                self.body(stmt.body, DISCARD)
            if not self.needs(stmt.condition):
                test = self.expr(stmt.condition)
        finally:
            self.state.loop_depth -= 1
        self.emit(py.While(test=test, body=body or [py.Pass()], orelse=[]), stmt.span)

    def st_loop(self, stmt: A.Loop) -> None:
        body: list = []
        self.state.loop_depth += 1
        try:
            with self.into(body):
                self.body(stmt.body, DISCARD)
        finally:
            self.state.loop_depth -= 1
        self.emit(py.While(test=E.const(True), body=body or [py.Pass()], orelse=[]), stmt.span)

    def st_break(self, stmt) -> None:
        self.emit(py.Break() if isinstance(stmt, A.Break) else py.Continue(), stmt.span)

    def st_return(self, stmt: A.Return) -> None:
        if stmt.value is None:
            self.emit(self.make_return(E.const(None), None), stmt.span)
        else:
            self.value_statement(stmt.value, RETURN)

    def st_halt(self, stmt: A.Halt) -> None:
        self.emit(py.Expr(value=E.call("_L_halt", [self.expr(stmt.message)])), stmt.span)

    def st_emit(self, stmt: A.Emit) -> None:
        self.emit(py.Expr(value=E.call("_L_emit", [self.expr(stmt.value)])), stmt.span)

    def st_role(self, stmt: A.Role) -> None:
        text = self.expr(stmt.text)
        message = py.Tuple(elts=[E.const(stmt.role), text], ctx=E.LOAD)
        self.emit(py.Expr(value=E.call(E.attr("_L_prompt", "append"), [message])), stmt.span)


_AUGMENTED = {"+=": py.Add, "-=": py.Sub, "*=": py.Mult, "/=": py.Div, "//=": py.FloorDiv,
              "%=": py.Mod, "**=": py.Pow}

_STATEMENTS = {
    A.ExprStmt: Compiler.st_expr,
    A.Let: Compiler.st_let,
    A.Assign: Compiler.st_assign,
    A.For: Compiler.st_for,
    A.While: Compiler.st_while,
    A.Loop: Compiler.st_loop,
    A.Break: Compiler.st_break,
    A.Continue: Compiler.st_break,
    A.Return: Compiler.st_return,
    A.Halt: Compiler.st_halt,
    A.Emit: Compiler.st_emit,
    A.Role: Compiler.st_role,
}


def compile_analysis(analysis: Analysis):
    """The code object of a checked module."""
    module = Compiler(analysis).compile_module()
    with warnings.catch_warnings():
        # CPython's warnings are about Python source (`"s" is None`), not Lumen's.
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(module, analysis.source.path, "exec")
