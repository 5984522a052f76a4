"""Compiling `match` and destructuring (a mixin of the compiler).

A pattern compiles to a list of tests on the subject and a list of bindings. Arms
become an `if`/`else` chain; a guard sees the arm's bindings through `:=`.
"""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E

_EXACT_CLASSES = {"Int": "_L_int", "Float": "_L_float", "String": "_L_str",
                  "Bool": "_L_bool", "Bytes": "_L_bytes"}
_GENERIC_CLASSES = {"list": "_L_list", "map": "_L_dict", "set": "_L_LumenSet",
                    "tuple": "_L_tuple"}
_BUILTIN_VARIANTS = {"Pending": "_L_Pending", "Completed": "_L_Completed",
                     "Error": "_L_ErrorState"}


class PatternCompiler:
    # ------------------------------------------------------------------ match

    def ex_match(self, node: A.Match) -> py.expr:
        t = self.temp()
        self.match_statement(node, t)
        return E.name(t)

    def match_statement(self, node: A.Match, mode) -> None:
        subject = self.expr(node.subject)
        if not isinstance(subject, py.Name) or not subject.id.startswith("_L_"):
            s = self.temp("s")
            self.emit(E.assign(s, subject), node.subject.span)
            subject = E.name(s)
        self.out.extend(self.arms(node.arms, subject, mode, node))

    def arms(self, arms, subject, mode, node) -> list:
        if not arms:
            fail = py.Expr(value=E.call("_L_no_match", [subject]))
            return [self.loc.place(fail, node.span)]
        arm, rest = arms[0], arms[1:]
        tests, binds = self.pattern(arm.pattern, subject)
        body: list = []
        with self.into(body):
            guard_value = None
            if arm.guard is not None and self.needs(arm.guard) == 0:
                tests = tests + [self.walrus(name, value) for name, value in binds]
                guard_value = self.expr(arm.guard)
                binds = []
            for name, value in binds:
                self.emit(E.assign(name, value), arm.pattern.span)
            if arm.guard is not None and guard_value is None:
                return self.arm_with_statement_guard(arm, tests, body, rest, subject, mode,
                                                     node)
            self.body(arm.body, mode)
        if guard_value is not None:
            tests = tests + [guard_value]
        orelse = self.arms(rest, subject, mode, node)
        if not tests:
            return body
        # An arm whose value is dropped (`1 -> null` in a statement match) compiles to
        # no statement at all; Python needs one in the `if`.
        return [self.loc.place(py.If(test=E.and_(tests), body=body or [py.Pass()],
                                     orelse=orelse), arm.span)]

    def arm_with_statement_guard(self, arm, tests, body, rest, subject, mode, node) -> list:
        """A guard that needs statements: a flag says whether the arm was taken."""
        flag = self.temp("taken")
        with self.into(body):
            guard = self.expr(arm.guard)
            taken: list = [E.assign(flag, E.const(True))]
            with self.into(taken):
                self.body(arm.body, mode)
            self.emit(py.If(test=guard, body=taken, orelse=[]), arm.guard.span)
        start = E.assign(flag, E.const(False))
        first = py.If(test=E.and_(tests), body=body, orelse=[]) if tests else None
        remaining = self.arms(rest, subject, mode, node)
        after = py.If(test=py.UnaryOp(op=py.Not(), operand=E.name(flag)), body=remaining,
                      orelse=[])
        out = [start] + ([first] if first else body) + [after]
        return [self.loc.place(s, arm.span) for s in out]

    def walrus(self, name: str, value) -> py.expr:
        """A test that binds `name` and is always true (for guards)."""
        held = py.NamedExpr(target=E.store(name), value=value)
        return E.is_not(held, E.name("_L_NEVER"))

    # -------------------------------------------------------------- patterns

    def pattern(self, pattern, subject) -> tuple[list, list]:
        """(tests, bindings) for matching `subject` against `pattern`."""
        return _PATTERNS[type(pattern)](self, pattern, subject)

    def pat_wildcard(self, pattern, subject):
        return [], []

    def pat_literal(self, pattern: A.LiteralPat, subject):
        value = pattern.value
        if value is None or isinstance(value, bool):
            return [E.is_(subject, E.const(value))], []
        equal = py.Compare(left=subject, ops=[py.Eq()], comparators=[E.const(value)])
        if isinstance(value, int):
            return [E.is_not(E.attr(subject, "__class__"), E.name("_L_bool")), equal], []
        return [equal], []

    def pat_bind(self, pattern: A.BindPat, subject):
        variant = self.a.variant_patterns.get(pattern)
        if variant is not None:
            return [E.is_(subject, self.variant_ref(variant))], []
        binding = self.a.bindings.get(pattern)
        if binding is None:
            return [], []
        return [], [(binding.py_name, subject)]

    def pat_typed(self, pattern: A.TypedPat, subject):
        tests = [self.type_test(subject, self.a.types.get(pattern, T.ANY))]
        binding = self.a.bindings.get(pattern)
        binds = [(binding.py_name, subject)] if binding is not None else []
        return [t for t in tests if not (isinstance(t, py.Constant) and t.value is True)], binds

    def pat_variant(self, pattern: A.VariantPat, subject):
        target = self.a.variant_patterns.get(pattern)
        if target is None:
            return [E.const(False)], []
        if isinstance(target, str):   # ok / err
            cls, slot = ("_L_Ok", "value") if target == "ok" else ("_L_Err", "error")
            tests, binds = [E.class_is(subject, E.name(cls))], []
            if pattern.args:
                sub_tests, sub_binds = self.pattern(pattern.args[0], E.attr(subject, slot))
                tests += sub_tests
                binds += sub_binds
            return tests, binds
        tests, binds = [E.class_is(subject, self.variant_ref(target))], []
        for i, arg in enumerate(pattern.args):
            slot = self.variant_slot(target, i)
            sub_tests, sub_binds = self.pattern(arg, E.attr(subject, slot))
            tests += sub_tests
            binds += sub_binds
        return tests, binds

    def pat_tuple(self, pattern: A.TuplePat, subject):
        n = len(pattern.items)
        tests = [E.class_is(subject, E.name("_L_tuple")), self.length_is(subject, n, py.Eq)]
        return self.items(pattern.items, subject, tests)

    def pat_list(self, pattern: A.ListPat, subject):
        n = len(pattern.items)
        op = py.GtE if pattern.rest is not None else py.Eq
        tests = [E.class_is(subject, E.name("_L_list"))]
        if n or pattern.rest is None:
            tests.append(self.length_is(subject, n, op))
        tests, binds = self.items(pattern.items, subject, tests)
        binding = self.a.bindings.get(pattern)
        if binding is not None:
            rest = py.Subscript(value=subject, slice=py.Slice(lower=E.const(n), upper=None,
                                                              step=None), ctx=E.LOAD)
            binds.append((binding.py_name, rest))
        return tests, binds

    def pat_or(self, pattern: A.OrPat, subject):
        alternatives = []
        for alternative in pattern.alternatives:
            tests, _ = self.pattern(alternative, subject)
            if not tests:
                return [], []
            alternatives.append(E.and_(tests))
        return [py.BoolOp(op=py.Or(), values=alternatives)], []

    def items(self, patterns, subject, tests):
        binds = []
        for i, item in enumerate(patterns):
            element = py.Subscript(value=subject, slice=E.const(i), ctx=E.LOAD)
            sub_tests, sub_binds = self.pattern(item, element)
            tests += sub_tests
            binds += sub_binds
        return tests, binds

    def length_is(self, subject, n: int, op) -> py.expr:
        return py.Compare(left=E.call("_L_len", [subject]), ops=[op()],
                          comparators=[E.const(n)])

    # ---------------------------------------------------------- destructuring

    def destructure(self, pattern, value, span, value_type=None) -> None:
        """`let (a, b) = v`, `for (k, v) in ...`: bind, or fail with the value shown."""
        names = self.unpack_targets(pattern)
        if names is not None:
            # A tuple of names: Python's own unpacking (a wrong length raises, and the
            # error is reported in Lumen's words), after a class test when not proven.
            if not isinstance(value, py.Name):
                t = self.temp()
                self.emit(E.assign(t, value), span)
                value = E.name(t)
            proven = isinstance(value_type, T.Generic) and value_type.name == "tuple" \
                and len(value_type.args) == len(names)
            if not proven:
                fail = py.Expr(value=E.call("_L_no_match", [value, E.const("destructuring")]))
                self.emit(py.If(test=E.is_not(E.attr(value, "__class__"), E.name("_L_tuple")),
                                body=[fail], orelse=[]), span)
            target = py.Tuple(elts=[E.store(n) for n in names], ctx=E.STORE)
            self.emit(py.Assign(targets=[target], value=value), span)
            return
        if not isinstance(value, py.Name):
            t = self.temp()
            self.emit(E.assign(t, value), span)
            value = E.name(t)
        tests, binds = self.pattern(pattern, value)
        if tests:
            fail = py.Expr(value=E.call("_L_no_match", [value, E.const("destructuring")]))
            check = py.If(test=py.UnaryOp(op=py.Not(), operand=E.and_(tests)),
                          body=[fail], orelse=[])
            self.emit(check, span)
        for name, bound in binds:
            self.emit(E.assign(name, bound), span)

    def unpack_targets(self, pattern) -> list | None:
        """Python names for a tuple pattern of plain names and `_`, else None."""
        if not isinstance(pattern, A.TuplePat) or not pattern.items:
            return None
        names = []
        for item in pattern.items:
            if isinstance(item, A.WildcardPat):
                names.append(self.temp("_"))
            elif isinstance(item, A.BindPat) and item in self.a.bindings \
                    and item not in self.a.variant_patterns:
                names.append(self.a.bindings[item].py_name)
            else:
                return None
        return names

    # ------------------------------------------------------------------ types

    def resolved_type(self, texpr) -> T.Ty:
        return self.a.types.get(texpr, T.ANY)

    def type_test(self, value, ty: T.Ty) -> py.expr:
        if ty == T.ANY:
            return E.const(True)
        if ty == T.NULL:
            return E.is_(value, E.const(None))
        if isinstance(ty, T.Prim):
            if ty.name in _EXACT_CLASSES:
                return E.class_is(value, E.name(_EXACT_CLASSES[ty.name]))
            return E.call(E.attr(self.descriptor(ty), "matches"), [value])
        if isinstance(ty, T.Union):
            return py.BoolOp(op=py.Or(), values=[self.type_test(value, m) for m in ty.members])
        if isinstance(ty, T.Generic):
            if ty.name in _GENERIC_CLASSES:
                return E.class_is(value, E.name(_GENERIC_CLASSES[ty.name]))
            cls = {"result": "_L_Result", "Future": "_L_Future", "Channel": "_L_Channel"}
            return E.call("_L_isinstance", [value, E.name(cls[ty.name])])
        if isinstance(ty, T.Named):
            ref = self.type_ref(ty)
            if ty.kind == "enum":
                return E.call("_L_isinstance", [value, ref])
            return E.class_is(value, ref)
        if isinstance(ty, T.FnTy):
            return E.call("_L_callable", [value])
        return E.const(True)


_PATTERNS = {
    A.WildcardPat: PatternCompiler.pat_wildcard,
    A.LiteralPat: PatternCompiler.pat_literal,
    A.BindPat: PatternCompiler.pat_bind,
    A.TypedPat: PatternCompiler.pat_typed,
    A.VariantPat: PatternCompiler.pat_variant,
    A.TuplePat: PatternCompiler.pat_tuple,
    A.ListPat: PatternCompiler.pat_list,
    A.OrPat: PatternCompiler.pat_or,
}
