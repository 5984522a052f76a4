"""Compiling expressions: names, literals, operators, access, `if` and lambdas, `try` and `?`
(a mixin of the compiler). Each method returns a Python expression and may first emit
statements (a prelude) into the current block."""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E

_BINOPS = {"+": py.Add, "-": py.Sub, "*": py.Mult, "//": py.FloorDiv, "%": py.Mod,
           "**": py.Pow}
_COMPARE = {"==": py.Eq, "!=": py.NotEq, "<": py.Lt, "<=": py.LtE, ">": py.Gt, ">=": py.GtE,
            "in": py.In}
# Builtin values that the runtime provides under another name.
_BUILTIN_VALUES = {"Failure": "_L_Failure", "HttpResponse": "_L_HttpResponse",
                   "FutureState": "_L_FutureState", "Pending": "_L_Pending",
                   "Completed": "_L_Completed", "Error": "_L_ErrorState",
                   "ok": "_L_ok", "err": "_L_err"}
# Levels of `needs`: what compiling an expression emits before it.
PURE, DEFS, STATEMENTS = 0, 1, 2
_DIRECT_FORMAT = (T.STRING, T.INT, T.FLOAT)


class ExpressionCompiler:
    def expr(self, node) -> py.expr:
        override = self.overrides.get(node)
        if override is not None:   # already evaluated (the receiver of `x?.m()`)
            return override
        value = _EXPRESSIONS[type(node)](self, node)
        return self.loc.place(value, node.span)

    # ------------------------------------------------------ evaluation order

    def needs(self, node) -> int:
        """PURE: a plain Python expression; DEFS: needs function definitions first;
        STATEMENTS: needs statements that run code first."""
        memo = self.needs_memo.get(node)
        if memo is not None:
            return memo
        level = self._needs(node)
        self.needs_memo[node] = level
        return level

    def _needs(self, node) -> int:
        if isinstance(node, (A.Match, A.Try, A.Propagate)):
            return STATEMENTS
        if isinstance(node, A.If):
            return PURE if self.inline_if_is_expression(node) else STATEMENTS
        if isinstance(node, A.Lambda):
            return DEFS
        if isinstance(node, A.OrchestrationBlock):
            return STATEMENTS
        if isinstance(node, (A.ParallelFor, A.Timeout)):
            own = [node.iterable, node.limit] if isinstance(node, A.ParallelFor) else [node.ms]
            return max([DEFS] + [self.needs(c) for c in own if c is not None])
        if isinstance(node, A.Spawn):
            return max([DEFS] + [self.needs(a) for a in node.args])
        if isinstance(node, A.Binary) and node.op in ("and", "or", "??"):
            if self.needs(node.right) != PURE:
                return STATEMENTS
        if isinstance(node, A.ListComp):
            if self.needs(node.element) or (node.condition and self.needs(node.condition)):
                return STATEMENTS   # compiled as a loop
        return max((self.needs(c) for c in _children(node)), default=PURE)

    def exprs_in_order(self, nodes) -> list:
        """Compile sibling expressions, keeping Lumen's left-to-right order even when a
        later one needs statements: earlier values are then kept in temporaries."""
        last = -1
        for i, node in enumerate(nodes):
            if node is not None and self.needs(node) == STATEMENTS:
                last = i
        values = []
        for i, node in enumerate(nodes):
            if node is None:
                values.append(None)
                continue
            value = self.expr(node)
            if i < last and not self.is_stable(value):
                t = self.temp()
                self.emit(E.assign(t, value), node.span)
                value = E.name(t)
            values.append(value)
        return values

    def is_stable(self, value) -> bool:
        if isinstance(value, py.Constant):
            return True
        if isinstance(value, py.Name):
            return value.id.startswith("_L_") or not self.name_is_mutable(value.id)
        return False

    def name_is_mutable(self, py_name: str) -> bool:
        return py_name in self.mutable_names()

    def mutable_names(self) -> set:
        cached = getattr(self, "_mutable_names", None)
        if cached is None:
            cached = {b.py_name for b in self.a.bindings.values() if b.mutable}
            self._mutable_names = cached
        return cached

    # ------------------------------------------------------------------ atoms

    def ex_literal(self, node: A.Literal) -> py.expr:
        return E.const(node.value)

    def ex_interp(self, node: A.StringInterp) -> py.expr:
        exprs = [p for p in node.parts if not isinstance(p, str)]
        compiled = iter(self.exprs_in_order(exprs))
        values = []
        for part in node.parts:
            if isinstance(part, str):
                values.append(E.const(part))
                continue
            value = next(compiled)
            if self.a.type_of(part) not in _DIRECT_FORMAT:
                value = E.call("_L_to_string", [value])
            values.append(py.FormattedValue(value=value, conversion=-1, format_spec=None))
        return py.JoinedStr(values=values)

    def ex_name(self, node: A.Name) -> py.expr:
        binding = self.a.bindings.get(node)
        if binding is None:   # only with `@strict false`: fails when reached
            return E.call("_L_unknown_name", [E.const(node.name)])
        return self.name_ref(binding, node)

    def name_ref(self, binding, node=None) -> py.expr:
        kind = binding.kind
        if binding.node is None and binding.name in _BUILTIN_VALUES:
            return E.name(_BUILTIN_VALUES[binding.name])
        if kind == "builtin":
            return E.name(f"_L_b_{binding.name}")
        if kind == "cell":
            return E.name(self.checked_name(binding.info))
        if kind == "method":
            return E.attr("self", binding.name)
        if kind == "self":
            self.note_use_self()
            return E.name("self")
        if kind == "tool":
            return self.tool_ref(binding.info)
        self.note_use(binding)
        return E.name(binding.py_name)

    def note_use_self(self) -> None:
        """`self` is a parameter of agent cells; nested functions read it as a closure."""

    def ex_list(self, node: A.ListLit) -> py.expr:
        return py.List(elts=self.exprs_in_order(node.items), ctx=E.LOAD)

    def ex_tuple(self, node: A.TupleLit) -> py.expr:
        return py.Tuple(elts=self.exprs_in_order(node.items), ctx=E.LOAD)

    def ex_map(self, node: A.MapLit) -> py.expr:
        flat = [x for pair in node.entries for x in pair]
        values = self.exprs_in_order(flat)
        return py.Dict(keys=values[0::2], values=values[1::2])

    def ex_range(self, node: A.Range) -> py.expr:
        return E.call("_L_list", [self.range_call(node)])

    def range_call(self, node: A.Range) -> py.expr:
        start, end = self.exprs_in_order([node.start, node.end])
        if node.inclusive:
            end = py.BinOp(left=end, op=py.Add(), right=E.const(1))
        return E.call("_L_range", [start, end])

    def iteration(self, node) -> py.expr:
        """What a `for` iterates: ranges (`a..b`, `range(a, b, step)`) stay lazy."""
        if isinstance(node, A.Range):
            return self.loc.place(self.range_call(node), node.span)
        target = self.a.calls.get(node) if isinstance(node, A.Call) else None
        if target is not None and target.kind == "builtin" and target.method == "range" \
                and 1 <= len(node.args) <= 3 and all(a.name is None for a in node.args) \
                and all(self.a.type_of(a.value) == T.INT for a in node.args):
            bounds = self.exprs_in_order([a.value for a in node.args])
            return self.loc.place(E.call("_L_range", bounds), node.span)
        return self.expr(node)

    def ex_listcomp(self, node: A.ListComp) -> py.expr:
        simple_target = self.comprehension_target(node.target)
        element_needs = max(self.needs(node.element),
                            self.needs(node.condition) if node.condition else PURE)
        if simple_target is None or element_needs != PURE:
            return self.listcomp_loop(node)   # preludes must run once per element
        iterable = self.iteration(node.iterable)
        conditions = [self.expr(node.condition)] if node.condition is not None else []
        element = self.expr(node.element)
        generator = py.comprehension(target=simple_target, iter=iterable, ifs=conditions,
                                     is_async=0)
        return py.ListComp(elt=element, generators=[generator])

    def comprehension_target(self, pattern):
        if isinstance(pattern, A.BindPat) and pattern in self.a.bindings:
            return E.store(self.a.bindings[pattern].py_name)
        if isinstance(pattern, A.WildcardPat):
            return E.store(self.temp("_"))
        if isinstance(pattern, A.TuplePat):
            items = [self.comprehension_target(p) for p in pattern.items]
            if all(i is not None for i in items):
                return py.Tuple(elts=items, ctx=E.STORE)
        return None

    def listcomp_loop(self, node: A.ListComp) -> py.expr:
        result = self.temp("list")
        self.emit(E.assign(result, py.List(elts=[], ctx=E.LOAD)), node.span)
        iterable = self.iteration(node.iterable)
        body: list = []
        self.state.loop_depth += 1
        try:
            with self.into(body):
                target = self.loop_target(node.target)
                if node.condition is not None:
                    cond = self.expr(node.condition)
                    self.emit(py.If(test=py.UnaryOp(op=py.Not(), operand=cond),
                                    body=[py.Continue()], orelse=[]), node.condition.span)
                element = self.expr(node.element)
                self.emit(py.Expr(value=E.call(E.attr(result, "append"), [element])),
                          node.element.span)
        finally:
            self.state.loop_depth -= 1
        self.emit(py.For(target=target, iter=iterable, body=body, orelse=[],
                         type_comment=None), node.span)
        return E.name(result)

    # -------------------------------------------------------------- operators

    def ex_unary(self, node: A.Unary) -> py.expr:
        operand = self.expr(node.operand)
        op = py.Not() if node.op == "not" else py.USub()
        return py.UnaryOp(op=op, operand=operand)

    def ex_binary(self, node: A.Binary) -> py.expr:
        op = node.op
        if op in ("and", "or", "??"):
            return self.short_circuit(node)
        left, right = self.exprs_in_order([node.left, node.right])
        if op in ("==", "!=") and (_is_null(node.right) or _is_null(node.left)):
            # Only null equals null: an identity test, as a Python programmer writes it.
            test = py.Is() if op == "==" else py.IsNot()
            return py.Compare(left=left, ops=[test], comparators=[right])
        if op in _COMPARE:
            return py.Compare(left=left, ops=[_COMPARE[op]()], comparators=[right])
        return self.binary_value(op, left, right, self.a.type_of(node.left),
                                 self.a.type_of(node.right), node)

    def binary_value(self, op: str, left, right, ltype, rtype, node) -> py.expr:
        if op == "/":
            if ltype == T.INT and rtype == T.INT:
                if isinstance(left, py.Constant) and isinstance(right, py.Constant) \
                        and right.value != 0:   # folded, as CPython folds the others
                    quotient = abs(left.value) // abs(right.value)
                    negative = (left.value < 0) != (right.value < 0)
                    return E.const(-quotient if negative else quotient)
                return E.call("_L_idiv", [left, right])
            if T.FLOAT in (ltype, rtype):
                return py.BinOp(left=left, op=py.Div(), right=right)
            return E.call("_L_div", [left, right])
        if op == "++":
            same = ltype == rtype and (ltype == T.STRING or (
                isinstance(ltype, T.Generic) and ltype.name == "list"))
            if same:
                return py.BinOp(left=left, op=py.Add(), right=right)
            return E.call("_L_concat", [left, right])
        return py.BinOp(left=left, op=_BINOPS[op](), right=right)

    def short_circuit(self, node: A.Binary) -> py.expr:
        op = node.op
        if self.needs(node.right) == PURE:
            left = self.expr(node.left)
            right = self.expr(node.right)
            if op == "and":
                return py.BoolOp(op=py.And(), values=[left, right])
            if op == "or":
                return py.BoolOp(op=py.Or(), values=[left, right])
            t = self.temp()
            held = py.NamedExpr(target=E.store(t), value=left)
            return py.IfExp(test=E.is_not(held, E.const(None)), body=E.name(t), orelse=right)
        t = self.temp()
        self.emit(E.assign(t, self.expr(node.left)), node.left.span)
        test = {"and": E.name(t), "or": py.UnaryOp(op=py.Not(), operand=E.name(t)),
                "??": E.is_(E.name(t), E.const(None))}[op]
        branch: list = []
        with self.into(branch):
            self.emit(E.assign(t, self.expr(node.right)), node.right.span)
        self.emit(py.If(test=test, body=branch, orelse=[]), node.span)
        return E.name(t)

    def ex_is(self, node: A.IsType) -> py.expr:
        value = self.expr(node.value)
        return self.type_test(value, self.resolved_type(node.type))

    # ----------------------------------------------------------------- access

    def ex_member(self, node: A.Member) -> py.expr:
        target = self.a.members.get(node)
        if target is not None and target[0] == "variant":
            return self.variant_ref(target[1])
        obj = self.expr(node.obj)
        if node.optional:
            t = self.temp()
            held = py.NamedExpr(target=E.store(t), value=obj)
            return py.IfExp(test=E.is_(held, E.const(None)), body=E.const(None),
                            orelse=self.member_access(E.name(t), node))
        return self.member_access(obj, node)

    def member_access(self, obj, node: A.Member) -> py.expr:
        otype = T.without_null(self.a.type_of(node.obj))
        name = node.name
        if isinstance(otype, T.Generic) and otype.name == "tuple" and name.isdigit():
            return py.Subscript(value=obj, slice=E.const(int(name)), ctx=E.LOAD)
        if isinstance(otype, T.Named) or (isinstance(otype, T.Generic)
                                          and otype.name in ("Future", "Channel")):
            return E.attr(obj, name)
        return E.call("_L_member", [obj, E.const(name)])

    def ex_index(self, node: A.Index) -> py.expr:
        if isinstance(node.index, A.Range):
            obj, start, end = self.exprs_in_order([node.obj, node.index.start, node.index.end])
            if node.index.inclusive:
                end = py.BinOp(left=end, op=py.Add(), right=E.const(1))
            return py.Subscript(value=obj, slice=py.Slice(lower=start, upper=end, step=None),
                                ctx=E.LOAD)
        obj, index = self.exprs_in_order([node.obj, node.index])
        return py.Subscript(value=obj, slice=index, ctx=E.LOAD)

    # ------------------------------------------------------------------- if

    def inline_if_is_expression(self, node: A.If) -> bool:
        if not node.inline:
            return False
        parts = [node.branches[0][1]] + ([node.else_body] if node.else_body else [])
        for body in parts:
            if len(body) != 1 or not isinstance(body[0], A.ExprStmt) \
                    or self.needs(body[0].expr) != PURE:
                return False
        return self.needs(node.branches[0][0]) == PURE

    def ex_if(self, node: A.If) -> py.expr:
        if self.inline_if_is_expression(node):
            cond, body = node.branches[0]
            orelse = self.expr(node.else_body[0].expr) if node.else_body else E.const(None)
            return py.IfExp(test=self.expr(cond), body=self.expr(body[0].expr), orelse=orelse)
        t = self.temp()
        self.if_statement(node, t)
        return E.name(t)

    def if_statement(self, node: A.If, mode) -> None:
        self.emit(self.if_chain(node.branches, node.else_body, mode), node.span)

    def if_chain(self, branches, else_body, mode) -> py.stmt:
        (cond, body), rest = branches[0], branches[1:]
        test = self.expr(cond)
        then = self.block_into(body, mode)
        if rest:
            orelse: list = []
            with self.into(orelse):
                self.emit(self.if_chain(rest, else_body, mode), rest[0][0].span)
        elif else_body is not None:
            orelse = self.block_into(else_body, mode)
        elif mode == "discard":
            orelse = []
        else:
            orelse = []
            with self.into(orelse):
                self.deliver(E.const(None), mode, None)
        return py.If(test=test, body=then, orelse=orelse)

    # ---------------------------------------------------------------- lambdas

    def ex_lambda(self, node: A.Lambda) -> py.expr:
        fname = self.temp("fn")
        self.emit(self.lambda_def(node, fname), node.span)
        return E.name(fname)

    def lambda_def(self, node: A.Lambda, fname: str) -> py.stmt:
        """A lambda's def; anonymous ones are named `_L_fn<n>`, shown as `<lambda>`."""
        info = self.a.functions[node]
        params = [(self.a.bindings[p].py_name, p.default, self.a.bindings[p])
                  for p in node.params]
        return self.function(info, fname, params, node.body, node.span)

    # ------------------------------------------------------------ try and ?

    def ex_try(self, node: A.Try) -> py.expr:
        t = self.temp()
        body: list = []
        with self.into(body):
            value = self.expr(node.expr)
            self.emit(E.assign(t, E.call("_L_Ok", [value])), node.span)
        error = self.temp("e")
        failed = E.call("_L_Err", [E.call("_L_failure", [E.name(error)])])
        handler = py.ExceptHandler(type=E.name("_L_Exception"), name=error,
                                   body=[E.assign(t, failed)])
        self.emit(py.Try(body=body, handlers=[handler], orelse=[], finalbody=[]), node.span)
        return E.name(t)

    def ex_propagate(self, node: A.Propagate) -> py.expr:
        value = self.stable(self.expr(node.expr))
        returned = self.make_return(value, None)
        self.emit(py.If(test=E.class_is(value, E.name("_L_Err")), body=[returned], orelse=[]),
                  node.span)
        return E.call("_L_unwrap", [value])


def _is_null(node) -> bool:
    return isinstance(node, A.Literal) and node.value is None


def _children(node):
    """The direct sub-expressions of an expression node (not the bodies of functions)."""
    for name in node.__dataclass_fields__:
        if name in ("span", "body", "params", "ret", "type", "target"):
            continue
        value = getattr(node, name)
        if isinstance(value, tuple):
            for v in value:
                if isinstance(v, tuple):
                    yield from (x for x in v if hasattr(x, "span") and not isinstance(x, str))
                elif hasattr(v, "span") and hasattr(v, "__dataclass_fields__") \
                        and not isinstance(v, A.Arg):
                    yield v
                elif isinstance(v, A.Arg):
                    yield v.value
        elif hasattr(value, "span") and hasattr(value, "__dataclass_fields__"):
            yield value


_EXPRESSIONS = {
    A.Literal: ExpressionCompiler.ex_literal,
    A.StringInterp: ExpressionCompiler.ex_interp,
    A.Name: ExpressionCompiler.ex_name,
    A.ListLit: ExpressionCompiler.ex_list,
    A.TupleLit: ExpressionCompiler.ex_tuple,
    A.MapLit: ExpressionCompiler.ex_map,
    A.Range: ExpressionCompiler.ex_range,
    A.ListComp: ExpressionCompiler.ex_listcomp,
    A.Unary: ExpressionCompiler.ex_unary,
    A.Binary: ExpressionCompiler.ex_binary,
    A.IsType: ExpressionCompiler.ex_is,
    A.Member: ExpressionCompiler.ex_member,
    A.Index: ExpressionCompiler.ex_index,
    A.If: ExpressionCompiler.ex_if,
    A.Lambda: ExpressionCompiler.ex_lambda,
    A.Try: ExpressionCompiler.ex_try,
    A.Propagate: ExpressionCompiler.ex_propagate,
    A.Call: lambda self, node: self.ex_call(node),
    A.Match: lambda self, node: self.ex_match(node),
    A.Await: lambda self, node: self.ex_await(node),
    A.Spawn: lambda self, node: self.ex_spawn(node),
    A.ParallelFor: lambda self, node: self.ex_parallel_for(node),
    A.OrchestrationBlock: lambda self, node: self.ex_orchestration(node),
    A.Timeout: lambda self, node: self.ex_timeout(node),
}
