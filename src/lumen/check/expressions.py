"""Checking expressions: names, operators, literals, blocks used as values, lambdas and the
orchestration forms (a mixin of the checker). Every method returns the expression's type
and records it in `Analysis.types`."""

from __future__ import annotations

from contextlib import contextmanager

from ..syntax import ast as A
from . import types as T
from .builtins_scope import FUTURE_STATE_TYPE
from .scopes import FunctionInfo, Scope

_ARITH = frozenset({"+", "-", "*", "/", "//", "%", "**"})
_ORDER = frozenset({"<", "<=", ">", ">="})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})


class ExpressionChecker:
    def expr(self, node) -> T.Ty:
        t = _EXPRESSIONS[type(node)](self, node)
        self.types[node] = t
        return t

    # ------------------------------------------------------------------ atoms

    def ex_literal(self, node: A.Literal) -> T.Ty:
        v = node.value
        if v is None:
            return T.NULL
        return {bool: T.BOOL, int: T.INT, float: T.FLOAT, str: T.STRING}[type(v)]

    def ex_interp(self, node: A.StringInterp) -> T.Ty:
        for part in node.parts:
            if not isinstance(part, str):
                self.expr(part)
        return T.STRING

    def ex_name(self, node: A.Name) -> T.Ty:
        binding = self.lookup(node.name, node.span)
        if binding is None:
            self.unknown_name(node.name, node.span)
            return T.ANY
        self.bindings[node] = binding
        if binding.kind == "builtin":
            # `let f = random` would escape the call check of deterministic mode.
            self.check_determinism(node.name, node)
        if binding.kind == "cell" or binding.kind == "method":
            info = binding.info
            return T.FnTy(tuple(p[1] for p in info.params), info.ret)
        if binding.kind == "variant" and binding.info.arity:
            return T.FnTy(binding.info.field_types, binding.type)
        if binding.kind in ("record", "agent", "enum", "tool"):
            return T.FnTy(None, binding.type if binding.kind != "tool" else T.ANY)
        return binding.type

    def ex_list(self, node: A.ListLit) -> T.Ty:
        items = [self.expr(i) for i in node.items]
        return T.list_of(self.common(items))

    def common(self, types) -> T.Ty:
        if not types:
            return T.ANY
        first = types[0]
        if all(t == first for t in types):
            return first
        if all(t in (T.INT, T.FLOAT) for t in types):
            return T.FLOAT
        return T.ANY

    def ex_map(self, node: A.MapLit) -> T.Ty:
        keys = [self.expr(k) for k, _ in node.entries]
        values = [self.expr(v) for _, v in node.entries]
        return T.map_of(self.common(keys), self.common(values))

    def ex_tuple(self, node: A.TupleLit) -> T.Ty:
        return T.tuple_of(self.expr(i) for i in node.items)

    def ex_listcomp(self, node: A.ListComp) -> T.Ty:
        iterable = self.expr(node.iterable)
        self.check_iterable(iterable, node.iterable)
        self.push_scope(loop=True)   # closures made in it see their own element
        self.bind_target(node.target, self.element_of(iterable, node.iterable))
        if node.condition is not None:
            self.expect_bool(self.expr(node.condition), node.condition, "a comprehension filter")
        element = self.expr(node.element)
        self.pop_scope()
        return T.list_of(element)

    def ex_range(self, node: A.Range) -> T.Ty:
        for bound in (node.start, node.end):
            t = self.expr(bound)
            if t != T.ANY and not T.compatible(t, T.INT) or t == T.FLOAT:
                self.error("E310", f"range bounds must be Int, got {t}", bound.span)
        return T.list_of(T.INT)

    # -------------------------------------------------------------- operators

    def ex_unary(self, node: A.Unary) -> T.Ty:
        t = self.expr(node.operand)
        if node.op == "not":
            self.expect_bool(t, node.operand, "the operand of `not`")
            return T.BOOL
        if t != T.ANY and not T.is_numeric(t) and t not in (T.JSON,):
            self.error("E314", f"cannot negate {t}", node.span)
            return T.ANY
        return t

    def ex_binary(self, node: A.Binary) -> T.Ty:
        op = node.op
        if op in ("and", "or"):
            for side in (node.left, node.right):
                self.expect_bool(self.expr(side), side, f"an operand of `{op}`")
            return T.BOOL
        if isinstance(node.left, A.Unary) and node.left.op == "not" and op in _COMPARISONS:
            return self.not_binds_tighter(node)
        left = self.expr(node.left)
        right = self.expr(node.right)
        if op == "??":
            return T.union(T.without_null(left), right) if left != T.ANY else T.ANY
        if op in _ARITH:
            return self.arith(op, left, right, node)
        if op == "++":
            return self.concat(left, right, node)
        if op in ("==", "!="):
            if self.disjoint(left, right):
                self.error("E315", f"comparing {left} with {right} is always "
                                   f"{'false' if op == '==' else 'true'}", node.span,
                           "convert one side first, e.g. with `to_string` or `to_int`")
            return T.BOOL
        if op in _ORDER:
            if left != T.ANY and right != T.ANY and not (
                    T.is_numeric(left) and T.is_numeric(right) or left == right):
                self.error("E315", f"cannot compare {left} and {right} with `{op}`", node.span)
            return T.BOOL
        if op == "in":
            if right in (T.INT, T.FLOAT, T.BOOL, T.NULL):
                self.error("E315", f"`in` needs a collection or string on the right, got {right}",
                           node.right.span)
            return T.BOOL
        return T.ANY

    def not_binds_tighter(self, node: A.Binary) -> T.Ty:
        """`not a == b` is `(not a) == b` (prefix operators bind tightest): when `a` is not
        a Bool that is certainly a mistake, so say what to write instead."""
        operand = self.expr(node.left.operand)
        self.types[node.left] = T.BOOL
        self.expr(node.right)
        if operand not in (T.BOOL, T.ANY):
            inverse = {"==": "!=", "!=": "=="}.get(node.op)
            better = f"`a {inverse} b`" if inverse else f"`not (a {node.op} b)`"
            self.error("E316", f"`not` applies only to the left operand here, which is "
                               f"{operand}", node.left.span,
                       f"prefix `not` binds tighter than `{node.op}`: write {better}")
        return T.BOOL

    def disjoint(self, a: T.Ty, b: T.Ty) -> bool:
        """Two types no value shares (so `==` between them is always false)."""
        simple = (T.INT, T.FLOAT, T.STRING, T.BOOL, T.BYTES)
        if a in simple and b in simple:
            return not (T.is_numeric(a) and T.is_numeric(b)) and a != b
        return False

    def arith(self, op: str, left: T.Ty, right: T.Ty, node) -> T.Ty:
        if left == T.ANY or right == T.ANY:
            if op == "+" and T.STRING in (left, right):
                return T.ANY
            if op == "/" and T.FLOAT in (left, right):
                return T.FLOAT
            return T.ANY
        if T.is_numeric(left) and T.is_numeric(right):
            if op == "**" and left == right == T.INT:
                # Int ** Int is an Int only for a non-negative exponent.
                exponent = getattr(node, "right", None)
                known = isinstance(exponent, A.Literal) and exponent.value >= 0
                return T.INT if known else T.ANY
            return T.INT if left == right == T.INT else T.FLOAT
        if op == "+" and left == right == T.STRING:
            return T.STRING
        if op == "+" and isinstance(left, T.Generic) and isinstance(right, T.Generic) \
                and left.name == right.name == "list":
            return left
        if left == T.JSON or right == T.JSON:
            return T.ANY
        hint = None
        if op == "+" and T.STRING in (left, right):
            hint = 'use interpolation, e.g. "{a}{b}", or convert with `to_string`'
        self.error("E314", f"cannot apply `{op}` to {left} and {right}", node.span, hint)
        return T.ANY

    def concat(self, left: T.Ty, right: T.Ty, node) -> T.Ty:
        for side in (left, right):
            if side != T.ANY and side != T.STRING and not (
                    isinstance(side, T.Generic) and side.name == "list") and side != T.JSON:
                self.error("E314", f"`++` joins two Strings or two lists, got {left} and "
                                   f"{right}", node.span)
                return T.ANY
        if left == T.ANY or right == T.ANY:
            return left if right == T.ANY else right
        if (left == T.STRING) != (right == T.STRING):
            self.error("E314", f"`++` joins two Strings or two lists, got {left} and {right}",
                       node.span)
            return T.ANY
        return left if left == right else (T.STRING if left == T.STRING else T.list_of(T.ANY))

    def ex_is(self, node: A.IsType) -> T.Ty:
        self.expr(node.value)
        self.types[node.type] = self.resolve_type(node.type)
        return T.BOOL

    # ----------------------------------------------------------------- access

    def ex_member(self, node: A.Member) -> T.Ty:
        if isinstance(node.obj, A.Name):
            binding = self.scope.lookup(node.obj.name)
            if binding is not None and binding.kind == "enum":
                return self.qualified_variant(node, binding)
        obj = self.expr(node.obj)
        if node.optional:
            obj = T.without_null(obj)
        result = self.member_type(obj, node)
        return T.union(result, T.NULL) if node.optional and result != T.ANY else result

    def qualified_variant(self, node: A.Member, binding) -> T.Ty:
        self.bindings[node.obj] = binding
        binding.used = True
        variant = binding.info.variants.get(node.name)
        if variant is None:
            from .suggest import did_you_mean
            self.error("E203", f"enum `{binding.name}` has no variant `{node.name}`", node.span,
                       did_you_mean(node.name, binding.info.variants))
            return T.ANY
        self.analysis.members[node] = ("variant", variant)
        if variant.arity:
            return T.FnTy(variant.field_types, binding.type)
        return binding.type

    def member_type(self, obj: T.Ty, node: A.Member) -> T.Ty:
        name = node.name
        if isinstance(obj, T.Named) and obj.kind == "record":
            fields = obj.info.fields
            if name in fields:
                self.analysis.members[node] = ("field", obj.info)
                return fields[name][0]
            from .suggest import did_you_mean
            self.error("E204", f"record `{obj.name}` has no field `{name}`", node.span,
                       did_you_mean(name, fields) or
                       f"its fields are {', '.join(fields) or 'none'}")
            return T.ANY
        if isinstance(obj, T.Generic):
            if obj.name == "Future" and name == "state":
                return FUTURE_STATE_TYPE
            if obj.name == "tuple" and name.isdigit():
                i = int(name)
                if obj.args and i >= len(obj.args):
                    self.error("E204", f"tuple of {len(obj.args)} has no item {i}", node.span)
                    return T.ANY
                return obj.arg(i)
        if isinstance(obj, T.Named) and obj.kind == "agent" and name in obj.info.cells:
            return T.FnTy(None, obj.info.cells[name].ret)
        if obj in (T.INT, T.FLOAT, T.STRING, T.BOOL, T.NULL):
            self.error("E204", f"{obj} has no field `{name}`", node.span,
                       f"did you mean the method call `.{name}()`?"
                       if self.has_method(obj, name) else None)
        return T.ANY

    def ex_index(self, node: A.Index) -> T.Ty:
        obj = self.expr(node.obj)
        index = self.expr(node.index)
        if isinstance(node.index, A.Range):
            return obj
        if isinstance(obj, T.Generic):
            if obj.name == "list":
                if index not in (T.INT, T.ANY, T.JSON):
                    self.error("E310", f"a list index must be an Int, got {index}",
                               node.index.span)
                return obj.arg(0)
            if obj.name == "map":
                key = obj.arg(0)
                if key != T.ANY and index != T.ANY and not T.compatible(index, key):
                    self.error("E310", f"this map's keys are {key}, not {index}",
                               node.index.span)
                return obj.arg(1)
            if obj.name == "tuple":
                if isinstance(node.index, A.Literal) and type(node.index.value) is int \
                        and obj.args:
                    i = node.index.value
                    if 0 <= i < len(obj.args):
                        return obj.args[i]
                return T.ANY
        if obj == T.STRING:
            return T.STRING
        if obj in (T.INT, T.FLOAT, T.BOOL, T.NULL):
            self.error("E310", f"cannot index into {obj}", node.span)
        return T.ANY

    # ------------------------------------------------------------- result ops

    def ex_try(self, node: A.Try) -> T.Ty:
        inner = self.expr(node.expr)
        return T.result_of(inner, self.failure_type())

    def failure_type(self) -> T.Ty:
        from .builtins_scope import FAILURE
        return T.Named("record", "Failure", FAILURE)

    def ex_propagate(self, node: A.Propagate) -> T.Ty:
        inner = self.expr(node.expr)
        kind = self.fn.kind if self.fn is not None else "script"
        if kind in ("branch", "script"):
            where = "an orchestration branch" if kind == "branch" else "top-level code"
            self.error("E221", f"`?` cannot return from {where}", node.span,
                       "use `match` on the result, or `try`")
        if isinstance(inner, T.Generic) and inner.name == "result":
            return inner.arg(0)
        if inner not in (T.ANY,) and not (isinstance(inner, T.Generic) and
                                          inner.name == "result"):
            self.error("E310", f"`?` needs a result (ok/err), got {inner}", node.span)
        return T.ANY

    # --------------------------------------------------------- blocks as values

    def ex_if(self, node: A.If) -> T.Ty:
        types = []
        for condition, body in node.branches:
            self.expect_bool(self.expr(condition), condition, "an `if` condition")
            types.append(self.block(body))
        if node.else_body is not None:
            types.append(self.block(node.else_body))
        else:
            types.append(T.NULL)
        return self.join_values(types)

    def join_values(self, types) -> T.Ty:
        from .checker import NEVER
        live = [t for t in types if t != NEVER]
        if not live:
            return NEVER
        return T.join(live)

    def ex_match(self, node: A.Match) -> T.Ty:
        subject = self.expr(node.subject)
        types = []
        for arm in node.arms:
            self.push_scope()
            self.check_pattern(arm.pattern, subject)
            if arm.guard is not None:
                self.expect_bool(self.expr(arm.guard), arm.guard, "a match guard")
            types.append(self.block(arm.body))
            self.pop_scope()
        self.check_exhaustive(node, subject)
        return self.join_values(types)

    def ex_lambda(self, node: A.Lambda) -> T.Ty:
        hints = self.lambda_hints.get(node, ())
        params = tuple(self.resolve_type(p.type) if p.type is not None
                       else hints[i] if i < len(hints) else T.ANY
                       for i, p in enumerate(node.params))
        ret = self.resolve_type(node.ret) if node.ret is not None else T.ANY
        with self.nested_function(node, "lambda", "<lambda>"):
            self.return_type = ret
            self.bind_params(node.params, tuple((p.name, t, p.default is not None)
                                                for p, t in zip(node.params, params)))
            value = self.block(node.body)
            if node.ret is None and not node.is_block:
                ret = value
            elif node.ret is not None and not node.is_block and not T.compatible(value, ret):
                self.error("E311", f"the lambda returns {ret}, but its body is {value}",
                           node.body[0].span)
        return T.FnTy(params, ret)

    @contextmanager
    def nested_function(self, node, kind: str, name: str):
        """Check `node` as a function of its own: a lambda, a branch, a spawned expression."""
        saved = (self.fn, self.scope, self.loops, self.return_type)
        parent = self.fn
        names = parent.names if parent is not None else self.module_names
        function = FunctionInfo(node, kind, name, parent, names,
                                agent=parent.agent if parent is not None else None)
        self.functions[node] = function
        if kind == "branch" and parent is not None:
            # A form (or spawn) runs its branches: they bring their effects to the caller.
            parent.callees.append((function, getattr(node, "span", None), "a branch"))
        self.fn = function
        self.scope = Scope(self.scope, function, 0, "function")
        self.loops = 0
        try:
            yield function
        finally:
            self.fn, self.scope, self.loops, self.return_type = saved

    # ------------------------------------------------------ orchestration forms

    def ex_await(self, node: A.Await) -> T.Ty:
        self.mark_suspends()
        inner = self.expr(node.expr)
        return self.awaited(inner)

    def awaited(self, t: T.Ty) -> T.Ty:
        if isinstance(t, T.Generic):
            if t.name == "Future":
                return t.arg(0)
            if t.name == "list":
                return T.list_of(self.awaited(t.arg(0)))
            if t.name == "tuple":
                return T.tuple_of(self.awaited(a) for a in t.args) if t.args else t
            if t.name == "map":
                return T.map_of(t.arg(0), self.awaited(t.arg(1)))
        return t

    def mark_suspends(self) -> None:
        if self.fn is not None:
            self.fn.suspends = True

    def ex_spawn(self, node: A.Spawn) -> T.Ty:
        self.mark_suspends()
        if self.fn is not None:
            self.fn.owner().spawns = True
        first = node.args[0]
        if len(node.args) > 1:
            callee = self.expr(first)
            for arg in node.args[1:]:
                self.expr(arg)
            self.callable_dependency(first, spawned=True)
            ret = callee.ret if isinstance(callee, T.FnTy) else T.ANY
            return T.future_of(ret)
        if isinstance(first, A.ListLit):
            types = []
            for item in first.items:
                with self.nested_function(item, "branch", "<spawn>"):
                    types.append(self.expr(item))
            self.types[first] = T.list_of(T.ANY)
            return T.list_of(T.future_of(self.common(types)))
        if isinstance(first, A.Lambda):
            fn_type = self.expr(first)
            # The task invokes the lambda: its body's effects are the spawning cell's.
            self.depend(self.functions.get(first), first.span, "the spawned lambda")
            return T.future_of(fn_type.ret if isinstance(fn_type, T.FnTy) else T.ANY)
        if isinstance(first, A.Name):
            binding = self.scope.lookup(first.name)
            if binding is not None and (binding.kind in ("cell", "method") or
                                        isinstance(binding.type, T.FnTy)):
                # `spawn(f)`: a callable runs with no arguments, like `spawn(f, a, b)`.
                fn_type = self.expr(first)
                self.analysis.spawned_callables.add(node)
                self.callable_dependency(first, spawned=True)
                return T.future_of(fn_type.ret if isinstance(fn_type, T.FnTy) else T.ANY)
        with self.nested_function(first, "branch", "<spawn>"):
            value = self.expr(first)
        return T.future_of(value)

    def ex_parallel_for(self, node: A.ParallelFor) -> T.Ty:
        self.mark_suspends()
        if node.limit is not None:
            self.expect_int(node.limit)
        iterable = self.expr(node.iterable)
        self.check_iterable(iterable, node.iterable)
        with self.nested_function(node, "branch", "<branch>"):
            self.bind_target(node.target, self.element_of(iterable, node.iterable))
            if node.condition is not None:
                # Checked with the target bound as the branch binds it; the compiler
                # evaluates it with the same bindings (see compile/orchestration.py).
                self.expect_bool(self.expr(node.condition), node.condition,
                                 "a `parallel for` filter")
            value = self.block(node.body)
        return T.list_of(value)

    def expect_int(self, node) -> None:
        t = self.expr(node)
        if t not in (T.INT, T.ANY):
            self.error("E310", f"expected an Int, got {t}", node.span)

    def ex_orchestration(self, node: A.OrchestrationBlock) -> T.Ty:
        self.mark_suspends()
        if node.limit is not None:
            self.expect_int(node.limit)
        if not node.branches:
            self.error("E230", f"`{node.kind}` has no branches", node.span,
                       "put one expression per line between the keyword and `end`")
        types = []
        names: dict[str, A.Branch] = {}
        for branch in node.branches:
            with self.nested_function(branch, "branch", "<branch>"):
                types.append(self.expr(branch.expr))
            if branch.name is not None:
                if branch.name in names:
                    self.error("E201", f"branch name `{branch.name}` is used twice",
                               branch.span)
                names[branch.name] = branch
        for branch, t in zip(node.branches, types):
            if branch.name is not None:
                bound = t if node.kind == "parallel" else T.union(t, T.NULL)
                binding = self.define(branch.name, "local", branch, branch.span, type_=bound)
                self.bindings[branch] = binding
        if node.kind == "parallel":
            return T.tuple_of(types)
        if node.kind == "vote":
            return self.common(types)
        return self.join_values(types)

    def ex_timeout(self, node: A.Timeout) -> T.Ty:
        self.mark_suspends()
        ms = self.expr(node.ms)
        if ms != T.ANY and not T.is_numeric(ms):
            self.error("E310", f"a timeout is a number of milliseconds, got {ms}", node.ms.span)
        with self.nested_function(node, "branch", "<branch>"):
            value = self.expr(node.expr)
        return T.union(value, T.NULL)


_EXPRESSIONS = {
    A.Literal: ExpressionChecker.ex_literal,
    A.StringInterp: ExpressionChecker.ex_interp,
    A.Name: ExpressionChecker.ex_name,
    A.ListLit: ExpressionChecker.ex_list,
    A.MapLit: ExpressionChecker.ex_map,
    A.TupleLit: ExpressionChecker.ex_tuple,
    A.ListComp: ExpressionChecker.ex_listcomp,
    A.Range: ExpressionChecker.ex_range,
    A.Unary: ExpressionChecker.ex_unary,
    A.Binary: ExpressionChecker.ex_binary,
    A.IsType: ExpressionChecker.ex_is,
    A.Member: ExpressionChecker.ex_member,
    A.Index: ExpressionChecker.ex_index,
    A.Try: ExpressionChecker.ex_try,
    A.Propagate: ExpressionChecker.ex_propagate,
    A.If: ExpressionChecker.ex_if,
    A.Match: ExpressionChecker.ex_match,
    A.Lambda: ExpressionChecker.ex_lambda,
    A.Await: ExpressionChecker.ex_await,
    A.Spawn: ExpressionChecker.ex_spawn,
    A.ParallelFor: ExpressionChecker.ex_parallel_for,
    A.OrchestrationBlock: ExpressionChecker.ex_orchestration,
    A.Timeout: ExpressionChecker.ex_timeout,
    A.Call: lambda self, node: self.ex_call(node),
}
