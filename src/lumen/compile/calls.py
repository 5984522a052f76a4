"""Compiling calls (a mixin of the compiler). The checker has already decided what every
call reaches (`CallTarget`); this module picks the fastest exact Python call for it:
a direct call when the argument types are proven, the checking wrapper otherwise, an
`await` when the callee can suspend, and a run-time colour test when it is unknown."""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E

ASYNC_BUILTINS = frozenset({"sleep"})
METHOD_TABLE_PREFIX = {"list": "list", "String": "str", "map": "map", "set": "set",
                       "tuple": "tuple"}


class CallCompiler:
    def ex_call(self, node: A.Call) -> py.expr:
        callee = node.callee
        if isinstance(callee, A.Member) and callee.optional and not (
                self.a.calls.get(node) is not None and self.a.calls[node].kind == "method"):
            return self.optional_call(node, callee)
        return self.dispatch_call(node)

    def dispatch_call(self, node: A.Call) -> py.expr:
        target = self.a.calls.get(node)
        if target is None:
            return self.call_unknown(node)
        return _CALLS[target.kind](self, node, target)

    def optional_call(self, node: A.Call, callee: A.Member) -> py.expr:
        """`x?.m(args)`: null when `x` is null (the arguments are then not evaluated)."""
        receiver = self.stable(self.expr(callee.obj))
        self.overrides[callee.obj] = receiver
        branch: list = []
        with self.into(branch):
            call = self.dispatch_call(node)
        del self.overrides[callee.obj]
        if branch:   # arguments that need statements: run them only for a receiver
            t = self.temp()
            branch.append(E.assign(t, call))
            self.emit(py.If(test=E.is_not(receiver, E.const(None)), body=branch,
                            orelse=[E.assign(t, E.const(None))]), node.span)
            return E.name(t)
        return py.IfExp(test=E.is_(receiver, E.const(None)), body=E.const(None), orelse=call)

    # ------------------------------------------------------------- arguments

    def ordered_args(self, node: A.Call, ordered, leading=()) -> list:
        """Arguments in parameter order; a missing one (it has a default) is `_L_MISSING`."""
        count = len(ordered)
        while count and ordered[count - 1] is None:
            count -= 1
        nodes = list(leading) + [v for v in ordered[:count] if v is not None]
        values = iter(self.exprs_in_order(nodes))
        front = [next(values) for _ in leading]
        args = [next(values) if v is not None else E.name("_L_MISSING")
                for v in ordered[:count]]
        return front + args

    def plain_args(self, node: A.Call, leading=()) -> tuple[list, list]:
        """Positional and keyword arguments as written (for callees without a signature)."""
        nodes = list(leading) + [a.value for a in node.args]
        values = self.exprs_in_order(nodes)
        front = values[:len(leading)]
        rest = values[len(leading):]
        positional = front + [v for a, v in zip(node.args, rest) if a.name is None]
        keywords = [E.kw(a.name, v) for a, v in zip(node.args, rest) if a.name is not None]
        return positional, keywords

    def signature_args(self, node: A.Call, target, leading=()) -> tuple[list, list]:
        """Arguments for a builtin: positional up to the first omitted one, then by name."""
        if target.ordered is None:
            return self.plain_args(node, leading)
        params = target.info.params
        present = [(p.name, v) for p, v in zip(params, target.ordered) if v is not None]
        nodes = list(leading) + [v for _, v in present]
        values = self.exprs_in_order(nodes)
        positional = values[:len(leading)]
        keywords = []
        gap = False
        by_name = dict(zip((n for n, _ in present), values[len(leading):]))
        for p, v in zip(params, target.ordered):
            if v is None:
                gap = True
                continue
            if gap:
                keywords.append(E.kw(p.name, by_name[p.name]))
            else:
                positional.append(by_name[p.name])
        return positional, keywords

    def awaited(self, call: py.expr, is_async: bool) -> py.expr:
        return py.Await(value=call) if is_async else call

    def maybe_awaited(self, call: py.expr) -> py.expr:
        """Await the result only if the callee turned out to be an `async def`."""
        if not self.is_async:
            return call
        t = self.temp()
        held = py.NamedExpr(target=E.store(t), value=call)
        return py.IfExp(test=E.class_is(held, E.name("_L_coroutine")),
                        body=py.Await(value=E.name(t)), orelse=E.name(t))

    # ------------------------------------------------------------------ cells

    def checked_name(self, cell) -> str:
        return f"_L_c_{cell.py_name}" if self.has_param_checks(cell) else cell.py_name

    def has_param_checks(self, cell) -> bool:
        return any(ptype != T.ANY for _, ptype, _ in cell.params)

    def proven(self, cell, ordered) -> bool:
        for (_, ptype, _), value in zip(cell.params, ordered):
            if value is not None and not T.proves(self.a.type_of(value), ptype):
                return False
        return True

    def call_cell(self, node: A.Call, target) -> py.expr:
        cell = target.info
        fname = cell.py_name if self.proven(cell, target.ordered) else self.checked_name(cell)
        call = E.call(fname, self.ordered_args(node, target.ordered))
        return self.awaited(call, cell.function.is_async)

    def call_method(self, node: A.Call, target) -> py.expr:
        cell = target.info
        callee = node.callee
        if isinstance(callee, A.Member):
            receiver = [callee.obj]
            values = self.ordered_args(node, target.ordered, leading=receiver)
            obj, args = values[0], values[1:]
            if callee.optional:
                t = self.temp()
                call = E.call(E.attr(E.name(t), target.method), args)
                self.emit(E.assign(t, obj), node.span)
                awaited = self.awaited(call, cell.function.is_async)
                return py.IfExp(test=E.is_(E.name(t), E.const(None)), body=E.const(None),
                                orelse=awaited)
        else:
            obj, args = E.name("self"), self.ordered_args(node, target.ordered)
        call = E.call(E.attr(obj, target.method), args)
        return self.awaited(call, cell.function.is_async)

    def call_lambda(self, node: A.Call, target) -> py.expr:
        function = target.function
        if target.ordered is None:
            positional, keywords = self.plain_args(node, leading=[node.callee])
            call = E.call(positional[0], positional[1:], keywords)
        else:
            values = self.ordered_args(node, target.ordered, leading=[node.callee])
            call = E.call(values[0], values[1:])
        return self.awaited(call, function is not None and function.is_async)

    # --------------------------------------------------------------- builtins

    def call_builtin(self, node: A.Call, target) -> py.expr:
        name = target.method
        if name in ("ok", "err"):
            values = self.ordered_args(node, target.ordered)
            return E.call("_L_Ok" if name == "ok" else "_L_Err", values[:1])
        if not self.needs_async_version(target):
            plain = self.intrinsic_call(node, target)
            if plain is not None:
                return plain
        positional, keywords = self.signature_args(node, target)
        if name in ASYNC_BUILTINS:
            return py.Await(value=E.call(f"_L_b_{name}", positional, keywords))
        if self.needs_async_version(target):
            return py.Await(value=E.call(f"_L_ab_{name}", positional, keywords))
        return E.call(f"_L_b_{name}", positional, keywords)

    def needs_async_version(self, target) -> bool:
        return any(c is None or (c != "sync" and c.is_async) for c in target.callable_args)

    def call_builtin_method(self, node: A.Call, target) -> py.expr:
        prefix = METHOD_TABLE_PREFIX[target.receiver_type]
        if not self.needs_async_version(target):
            plain = self.intrinsic_method(node, target)
            if plain is not None:
                return plain
        positional, keywords = self.signature_args(node, target, leading=[node.callee.obj])
        if self.needs_async_version(target):
            fn = f"_L_am_{prefix}_{target.method}"
            return py.Await(value=E.call(fn, positional, keywords))
        return E.call(f"_L_m_{prefix}_{target.method}", positional, keywords)

    # ---------------------------------------------------- constructors, tools

    def call_record(self, node: A.Call, target) -> py.expr:
        cls = self.record_ref(target.info)
        return E.call(cls, self.ordered_args(node, target.ordered))

    def call_variant(self, node: A.Call, target) -> py.expr:
        cls = self.variant_ref(target.info)
        return E.call(cls, self.ordered_args(node, target.ordered))

    def call_agent(self, node: A.Call, target) -> py.expr:
        return E.call(target.info.name, [])

    def call_tool(self, node: A.Call, target) -> py.expr:
        _, keywords = self.plain_args(node)
        arguments = py.Dict(keys=[E.const(k.arg) for k in keywords],
                            values=[k.value for k in keywords])
        info = self.state.info
        # Role lines wait for the next `llm` call (LANGUAGE.md section 5); others leave them.
        reads_prompt = target.info.tool.startswith("llm.")
        prompt = E.name("_L_prompt") if info is not None and info.has_role and reads_prompt \
            else E.const(None)
        call = E.call("_L_call_tool", [self.tool_ref(target.info), arguments,
                                       E.const(node.span.line), prompt])
        return py.Await(value=call)

    # ------------------------------------------------------ methods on values

    def call_future_method(self, node: A.Call, target) -> py.expr:
        positional, keywords = self.plain_args(node, leading=[node.callee.obj])
        return E.call(E.attr(positional[0], target.method), positional[1:], keywords)

    def call_channel_method(self, node: A.Call, target) -> py.expr:
        positional, keywords = self.plain_args(node, leading=[node.callee.obj])
        method = "len" if target.method == "length" else target.method
        call = E.call(E.attr(positional[0], method), positional[1:], keywords)
        return py.Await(value=call) if method in ("send", "receive") else call

    def call_dynamic_method(self, node: A.Call, target) -> py.expr:
        positional, keywords = self.plain_args(node, leading=[node.callee.obj])
        args = [positional[0], E.const(target.method)] + positional[1:]
        if self.is_async:
            return py.Await(value=E.call("_L_acall_method", args, keywords))
        return E.call("_L_call_method", args, keywords)

    def call_value(self, node: A.Call, target) -> py.expr:
        return self.call_unknown(node)

    def call_unknown(self, node: A.Call) -> py.expr:
        callee = node.callee
        if isinstance(callee, A.Member):
            positional, keywords = self.plain_args(node, leading=[callee.obj])
            fn = self.member_access(positional[0], callee)
            return self.maybe_awaited(E.call(fn, positional[1:], keywords))
        positional, keywords = self.plain_args(node, leading=[callee])
        return self.maybe_awaited(E.call(positional[0], positional[1:], keywords))


_CALLS = {
    "cell": CallCompiler.call_cell,
    "method": CallCompiler.call_method,
    "lambda": CallCompiler.call_lambda,
    "builtin": CallCompiler.call_builtin,
    "builtin_method": CallCompiler.call_builtin_method,
    "record": CallCompiler.call_record,
    "variant": CallCompiler.call_variant,
    "agent": CallCompiler.call_agent,
    "tool": CallCompiler.call_tool,
    "future_method": CallCompiler.call_future_method,
    "channel_method": CallCompiler.call_channel_method,
    "dynamic_method": CallCompiler.call_dynamic_method,
    "value": CallCompiler.call_value,
}
