"""Checking calls: what each call reaches (cell, record, variant, builtin, tool, method,
unknown value), its arity and named arguments, argument types, and the colour
dependencies it creates (a mixin of the checker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..syntax import ast as A
from . import types as T
from .builtin_signatures import BUILTIN_EFFECTS, BUILTIN_NONDETERMINISTIC, METHOD_SIGNATURES
from .builtins_scope import signature_params, type_from_text
from .scopes import FunctionInfo
from .suggest import did_you_mean

CHANNEL_ASYNC_METHODS = frozenset({"send", "receive"})
CHANNEL_METHODS = frozenset({"send", "receive", "try_receive", "close", "len", "length"})
FUTURE_METHODS = frozenset({"cancel"})
ALL_BUILTIN_METHODS = frozenset(m for table in METHOD_SIGNATURES.values() for m in table)
# Builtins whose result has the type of their first argument.
_SAME_AS_FIRST = frozenset({"sort", "sort_by", "reverse", "filter", "slice", "unique", "take",
                            "drop", "append"})
_ELEMENT_OF_FIRST = frozenset({"first", "last", "min", "max", "min_by", "max_by", "find"})


@dataclass(eq=False, slots=True)
class CallTarget:
    kind: str               # cell, method, lambda, builtin, builtin_method, record, variant,
    #                         agent, tool, future_method, channel_method, dynamic_method, value
    info: Any = None
    function: FunctionInfo | None = None
    ordered: list | None = None        # argument expressions in parameter order (None: default)
    callable_args: list = field(default_factory=list)   # FunctionInfo | "sync" | None (unknown)
    method: str | None = None
    receiver_type: Any = None


def _params_text(params) -> str:
    return ", ".join(f"{n}: {t}" + (" = ..." if d else "") for n, t, d in params)


class CallChecker:
    def ex_call(self, node: A.Call) -> T.Ty:
        callee = node.callee
        if isinstance(callee, A.Name):
            return self.call_name(node, callee)
        if isinstance(callee, A.Member):
            result = self.call_member(node, callee)
            return T.union(result, T.NULL) if callee.optional and result != T.ANY else result
        callee_type = self.expr(callee)
        self.check_arg_values(node)
        if isinstance(callee, A.Lambda):
            function = self.functions.get(callee)
            self.calls[node] = CallTarget("lambda", function=function)
            self.depend(function, node.span, "the lambda")
            return callee_type.ret if isinstance(callee_type, T.FnTy) else T.ANY
        self.calls[node] = CallTarget("value")
        self.mark_suspends()
        self.typed_effects(callee_type, node.span, "a function value")
        return callee_type.ret if isinstance(callee_type, T.FnTy) else T.ANY

    # ---------------------------------------------------------------- by name

    def call_name(self, node: A.Call, callee: A.Name) -> T.Ty:
        binding = self.lookup(callee.name, callee.span)
        if binding is None:
            self.unknown_name(callee.name, callee.span)
            self.check_arg_values(node)
            return T.ANY
        self.bindings[callee] = binding
        handler = _BY_KIND.get(binding.kind)
        if handler is not None:
            return handler(self, node, binding)
        return self.call_value(node, binding)

    def call_cell(self, node: A.Call, binding) -> T.Ty:
        info = binding.info
        ordered = self.bind_args(node, info.params, f"cell `{info.name}`")
        self.calls[node] = CallTarget(binding.kind, info, info.function, ordered)
        self.depend(info.function, node.span, f"`{info.name}`")
        return info.ret

    def call_value(self, node: A.Call, binding) -> T.Ty:
        function = binding.info if isinstance(binding.info, FunctionInfo) else None
        self.check_arg_values(node)
        if function is not None:
            lam = function.node
            if isinstance(lam, A.Lambda):
                params = tuple((p.name, T.ANY, p.default is not None) for p in lam.params)
                ordered = self.bind_args(node, params, f"`{binding.name}`", check_values=False)
                self.calls[node] = CallTarget("lambda", function=function, ordered=ordered)
                self.depend(function, node.span, f"`{binding.name}`")
                return binding.type.ret if isinstance(binding.type, T.FnTy) else T.ANY
        if binding.type != T.ANY and not isinstance(binding.type, T.FnTy) \
                and binding.type != T.JSON:
            self.error("E244", f"`{binding.name}` is {binding.type}, not a function",
                       node.callee.span)
        self.calls[node] = CallTarget("value")
        self.mark_suspends()
        self.typed_effects(binding.type, node.span, f"`{binding.name}`")
        return binding.type.ret if isinstance(binding.type, T.FnTy) else T.ANY

    def call_builtin(self, node: A.Call, binding) -> T.Ty:
        name = binding.name
        sig = binding.info
        if sig is None:   # ok / err
            ordered = self.bind_args(node, (("value", T.ANY, False),), f"`{name}`")
            self.calls[node] = CallTarget("builtin", None, ordered=ordered, method=name)
            inner = self.types.get(ordered[0], T.ANY) if ordered and ordered[0] else T.ANY
            return T.result_of(inner, T.ANY) if name == "ok" else T.result_of(T.ANY, inner)
        self.check_determinism(name, node)
        effect = BUILTIN_EFFECTS.get(name)
        if effect and self.fn is not None:
            self.fn.effects.add(effect)
            self.fn.effect_sources.append((effect, node.span, f"`{name}()`"))
        if name == "sleep":
            self.mark_suspends()
        params = signature_params(sig)
        if sig.callable_params and node.args and node.args[0].name is None:
            self.hint_lambdas(node, name, self.expr(node.args[0].value), node.args[1:])
        if sig.variadic:
            self.check_arg_values(node)
            ordered = None
        else:
            ordered = self.bind_args(node, params, f"`{name}`")
        target = CallTarget("builtin", sig, ordered=ordered, method=name)
        for index in sig.callable_params:
            if index < len(node.args):
                target.callable_args.append(self.callable_dependency(node.args[index].value))
        self.calls[node] = target
        return self.builtin_result(name, sig, node)

    def builtin_result(self, name: str, sig, node: A.Call) -> T.Ty:
        first = self.types.get(node.args[0].value, T.ANY) if node.args else T.ANY
        if name in _SAME_AS_FIRST and first != T.ANY:
            return first
        if name in _ELEMENT_OF_FIRST and len(node.args) == 1 and isinstance(first, T.Generic) \
                and first.name == "list":
            return first.arg(0)
        if name == "map" and len(node.args) >= 2:
            ftype = self.types.get(node.args[1].value, T.ANY)
            if isinstance(ftype, T.FnTy):
                return T.list_of(ftype.ret)
        if name in ("abs",) and first in (T.INT, T.FLOAT):
            return first
        return type_from_text(sig.returns)

    def call_record(self, node: A.Call, binding) -> T.Ty:
        info = binding.info
        params = tuple((fname, ftype, has_default)
                       for fname, (ftype, has_default) in info.fields.items())
        ordered = self.bind_args(node, params, f"record `{info.name}`", noun="field")
        self.calls[node] = CallTarget("record", info, ordered=ordered)
        return T.Named("record", info.name, info)

    def call_variant(self, node: A.Call, binding) -> T.Ty:
        variant = binding.info
        return self.construct_variant(node, variant, binding.type)

    def construct_variant(self, node: A.Call, variant, enum_type) -> T.Ty:
        if not variant.arity:
            self.error("E240", f"variant `{variant.name}` has no payload", node.span,
                       f"write `{variant.name}` without parentheses")
            self.check_arg_values(node)
            return enum_type
        params = tuple((name or f"_{i}", t, False) for i, (name, t) in
                       enumerate(zip(variant.field_names, variant.field_types)))
        ordered = self.bind_args(node, params, f"variant `{variant.name}`")
        self.calls[node] = CallTarget("variant", variant, ordered=ordered)
        return enum_type

    def call_agent(self, node: A.Call, binding) -> T.Ty:
        if node.args:
            self.error("E240", f"`{binding.name}()` takes no arguments", node.span,
                       f"build the {binding.info.kind} with `{binding.name}()`")
        self.check_arg_values(node)
        self.calls[node] = CallTarget("agent", binding.info)
        return binding.type

    def call_enum(self, node: A.Call, binding) -> T.Ty:
        self.error("E244", f"`{binding.name}` is an enum, not a function", node.callee.span,
                   f"build one of its variants, e.g. `{next(iter(binding.info.variants), 'V')}"
                   f"(...)`")
        self.check_arg_values(node)
        return T.ANY

    def call_tool(self, node: A.Call, binding) -> T.Ty:
        tool = binding.info
        self.check_arg_values(node)
        for arg in node.args:
            if arg.name is None:
                self.error("E245", f"tool `{tool.alias}` takes named arguments", arg.span,
                           f"write `{tool.alias}(prompt: ...)`" if tool.tool.startswith("llm")
                           else f"write `{tool.alias}(url: ...)`")
                break
        self.mark_suspends()
        effect = self.tool_effects.get(tool.tool) or tool.tool.split(".")[0]
        if self.fn is not None:
            self.fn.effects.add(effect)
            self.fn.effect_sources.append((effect, node.span, f"tool `{tool.alias}`"))
        self.calls[node] = CallTarget("tool", tool)
        for arg in node.args:
            if arg.name == "schema":
                t = self.types.get(arg.value)
                if isinstance(t, T.FnTy) and isinstance(t.ret, T.Named):
                    return t.ret
        if tool.tool == "llm.chat":
            return T.STRING
        if tool.tool in ("http.get", "http.post"):
            return T.STRING
        return T.ANY

    # ----------------------------------------------------------------- methods

    def call_member(self, node: A.Call, callee: A.Member) -> T.Ty:
        obj_node = callee.obj
        if isinstance(obj_node, A.Name):
            binding = self.scope.lookup(obj_node.name)
            if binding is not None and binding.kind == "enum":
                self.qualified_variant(callee, binding)
                variant = binding.info.variants.get(callee.name)
                if variant is None:
                    self.check_arg_values(node)
                    return T.ANY
                return self.construct_variant(node, variant, binding.type)
        receiver = self.expr(obj_node)
        if callee.optional:
            receiver = T.without_null(receiver)
        self.types[callee] = T.ANY
        name = callee.name
        if isinstance(receiver, T.Named) and receiver.kind == "agent":
            return self.call_agent_cell(node, receiver.info, name)
        if isinstance(receiver, T.Named) and receiver.kind == "record":
            if name in receiver.info.fields:
                self.check_arg_values(node)
                self.calls[node] = CallTarget("value")
                self.mark_suspends()
                ftype = receiver.info.fields[name][0]
                self.typed_effects(ftype, node.span, f"field `{name}`")
                return ftype.ret if isinstance(ftype, T.FnTy) else T.ANY
        if isinstance(receiver, T.Generic) and receiver.name == "Future":
            return self.call_future_method(node, name)
        if isinstance(receiver, T.Generic) and receiver.name == "Channel":
            return self.call_channel_method(node, name)
        type_name = self.method_table_name(receiver)
        if type_name is not None:
            return self.call_builtin_method(node, type_name, name, receiver)
        if receiver != T.ANY and receiver != T.JSON:
            self.error("E246", f"{receiver} has no method `{name}`", callee.span)
            self.check_arg_values(node)
            return T.ANY
        return self.call_dynamic_method(node, name)

    def method_table_name(self, t: T.Ty) -> str | None:
        if isinstance(t, T.Prim) and t.name in ("String", "Int", "Float", "Bool", "Bytes"):
            return t.name
        if isinstance(t, T.Generic) and t.name in ("list", "map", "set", "tuple"):
            return t.name
        return None

    def has_method(self, t: T.Ty, name: str) -> bool:
        table = self.method_table_name(t)
        return table is not None and name in METHOD_SIGNATURES.get(table, {})

    def call_agent_cell(self, node: A.Call, agent, name: str) -> T.Ty:
        cell = agent.cells.get(name)
        if cell is None:
            self.error("E246", f"{agent.kind} `{agent.name}` has no cell `{name}`",
                       node.callee.span, did_you_mean(name, agent.cells))
            self.check_arg_values(node)
            return T.ANY
        ordered = self.bind_args(node, cell.params, f"cell `{agent.name}.{name}`")
        self.calls[node] = CallTarget("method", cell, cell.function, ordered, method=name)
        self.depend(cell.function, node.span, f"`{agent.name}.{name}`")
        return cell.ret

    def call_method_binding(self, node: A.Call, binding) -> T.Ty:
        """A sibling cell called by bare name inside an agent."""
        return self.call_agent_cell(node, binding.info.agent, binding.name)

    def hint_lambdas(self, node: A.Call, name: str, collection: T.Ty, rest) -> None:
        """`map(xs, fn(x) => ...)`: an untyped lambda parameter gets the element type of
        the collection (for `reduce`, the second one; the first is the accumulator)."""
        element = T.element_type(collection)
        if element == T.ANY:
            return
        for arg in rest:
            if isinstance(arg.value, A.Lambda):
                count = len(arg.value.params)
                types = (T.ANY, element) if name == "reduce" and count == 2 else (element,)
                self.lambda_hints[arg.value] = types

    def call_builtin_method(self, node, type_name: str, name: str, receiver) -> T.Ty:
        sig = METHOD_SIGNATURES.get(type_name, {}).get(name)
        if sig is not None and sig.callable_params:
            self.hint_lambdas(node, name, receiver, node.args)
        if sig is None:
            self.error("E246", f"{receiver} has no method `{name}`", node.callee.span,
                       did_you_mean(name, METHOD_SIGNATURES.get(type_name, {})))
            self.check_arg_values(node)
            return T.ANY
        params = signature_params(sig)
        ordered = None if sig.variadic else self.bind_args(
            node, params, f"method `{name}`")
        if sig.variadic:
            self.check_arg_values(node)
        target = CallTarget("builtin_method", sig, ordered=ordered, method=name,
                            receiver_type=type_name)
        for index in sig.callable_params:
            if index < len(node.args):
                target.callable_args.append(self.callable_dependency(node.args[index].value))
        self.calls[node] = target
        if name in _SAME_AS_FIRST:
            return receiver
        if name in _ELEMENT_OF_FIRST and not node.args and isinstance(receiver, T.Generic):
            return receiver.arg(0)
        return type_from_text(sig.returns)

    def call_future_method(self, node, name: str) -> T.Ty:
        self.check_arg_values(node)
        if name not in FUTURE_METHODS:
            self.error("E246", f"a Future has no method `{name}`", node.callee.span,
                       "futures have `.state` and `.cancel()`; use `await f` for the value")
        self.calls[node] = CallTarget("future_method", method=name)
        return T.NULL

    def call_channel_method(self, node, name: str) -> T.Ty:
        self.check_arg_values(node)
        if name not in CHANNEL_METHODS:
            self.error("E246", f"a Channel has no method `{name}`", node.callee.span,
                       did_you_mean(name, CHANNEL_METHODS))
        if name in CHANNEL_ASYNC_METHODS:
            self.mark_suspends()
        self.calls[node] = CallTarget("channel_method", method=name)
        return T.INT if name in ("len", "length") else T.ANY

    def call_dynamic_method(self, node, name: str) -> T.Ty:
        """A method on a value of unknown type: resolved at run time."""
        self.check_arg_values(node)
        target = CallTarget("dynamic_method", method=name)
        agent_cells = [a.cells[name].function for a in self.agents.values() if name in a.cells]
        if name in CHANNEL_ASYNC_METHODS or name not in ALL_BUILTIN_METHODS and not agent_cells:
            self.mark_suspends()
        for function in agent_cells:
            self.depend(function, node.span, f"`.{name}()`")
        for arg in node.args:
            target.callable_args.append(self.callable_dependency(arg.value))
        self.calls[node] = target
        return T.ANY

    # ------------------------------------------------------------- arguments

    def check_arg_values(self, node: A.Call) -> None:
        for arg in node.args:
            if arg.value not in self.types:
                self.expr(arg.value)

    def bind_args(self, node: A.Call, params, what: str, noun: str = "parameter",
                  check_values: bool = True) -> list:
        """Map the call's arguments onto `params` ((name, type, has_default) triples),
        reporting arity, unknown and duplicate names, missing and mistyped arguments."""
        self.check_arg_values(node)
        ordered: list = [None] * len(params)
        index = {name: i for i, (name, _, _) in enumerate(params)}
        positional = [a for a in node.args if a.name is None]
        if len(positional) > len(params):
            extra = positional[len(params)]
            self.error("E240", f"{what} takes {len(params)} argument"
                               f"{'s' if len(params) != 1 else ''}, got {len(positional)}",
                       extra.span, f"signature: ({_params_text(params)})")
        for i, arg in enumerate(positional[:len(params)]):
            ordered[i] = arg.value
        for arg in node.args:
            if arg.name is None:
                continue
            i = index.get(arg.name)
            if i is None:
                self.error("E241", f"{what} has no {noun} `{arg.name}`", arg.span,
                           did_you_mean(arg.name, index) or
                           f"signature: ({_params_text(params)})")
                continue
            if ordered[i] is not None:
                self.error("E242", f"{noun} `{arg.name}` is given twice", arg.span)
                continue
            ordered[i] = arg.value
        missing = [name for (name, _, has_default), value in zip(params, ordered)
                   if value is None and not has_default]
        if missing and len(positional) <= len(params):
            names = ", ".join(f"`{m}`" for m in missing)
            self.error("E243", f"missing {noun}{'s' if len(missing) > 1 else ''} {names} "
                               f"for {what}", node.span,
                       f"signature: ({_params_text(params)})")
        if check_values:
            for (name, ptype, _), value in zip(params, ordered):
                if value is None or ptype == T.ANY:
                    continue
                vtype = self.types.get(value, T.ANY)
                if not T.compatible(vtype, ptype):
                    self.error("E310", f"{noun} `{name}` of {what} expects {ptype}, got "
                                       f"{vtype}", value.span)
        return ordered

    # ----------------------------------------------------------------- colours

    def depend(self, function: FunctionInfo | None, span=None, label: str = "") -> None:
        """`self.fn` calls `function` here: it inherits its colour and its effects."""
        if self.fn is not None and function is not None:
            self.fn.callees.append((function, span, label))

    def callable_dependency(self, expr, spawned: bool = False):
        """The colour source of a function passed as an argument: a FunctionInfo, "sync"
        for builtins, or None when unknown (the caller then treats it as suspending)."""
        function = None
        if isinstance(expr, A.Lambda):
            function = self.functions.get(expr)
        elif isinstance(expr, A.Name):
            binding = self.bindings.get(expr)
            if binding is not None:
                if binding.kind in ("cell", "method"):
                    function = binding.info.function
                elif binding.kind in ("builtin", "record", "variant"):
                    return "sync"
                elif isinstance(binding.info, FunctionInfo):
                    function = binding.info
        if function is None:
            if not spawned:
                self.mark_suspends()
            self.typed_effects(self.types.get(expr, T.ANY), expr.span, "a function argument")
            return None
        self.depend(function, expr.span, "a function argument")
        return function

    def typed_effects(self, fn_type: T.Ty, span, label: str) -> None:
        """Calling a function value whose body the checker cannot see (a parameter, a
        field, a computed value) performs the effects its type's row declares:
        `f: fn(String) -> String / {http}` brings `http`. A type without a row brings
        none it can name."""
        if self.fn is None or not isinstance(fn_type, T.FnTy) or not fn_type.effects:
            return
        row = ", ".join(fn_type.effects)
        for effect in fn_type.effects:
            self.fn.effects.add(effect)
            self.fn.effect_sources.append((effect, span, f"{label} typed `/ {{{row}}}`"))

    def check_determinism(self, name: str, node) -> None:
        if self.analysis.deterministic and name in BUILTIN_NONDETERMINISTIC:
            self.error("E501", f"`{name}()` is not allowed with `@deterministic true`", node.span,
                       self.deterministic_hint("pass the value in as an argument, or turn "
                                               "deterministic mode off"))


_BY_KIND = {
    "cell": CallChecker.call_cell,
    "method": CallChecker.call_method_binding,
    "builtin": CallChecker.call_builtin,
    "record": CallChecker.call_record,
    "variant": CallChecker.call_variant,
    "agent": CallChecker.call_agent,
    "enum": CallChecker.call_enum,
    "tool": CallChecker.call_tool,
}
