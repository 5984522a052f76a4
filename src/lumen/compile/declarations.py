"""Compiling declarations: records, enums, agents, cells (with their checking wrappers),
constants, tool handles, the top-level script, and the runtime type descriptors that
cell boundaries check against (a mixin of the compiler)."""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E

_PRIM_DESCRIPTORS = {"Int": "_L_T_INT", "Float": "_L_T_FLOAT", "String": "_L_T_STRING",
                     "Bool": "_L_T_BOOL", "Null": "_L_T_NULL", "Bytes": "_L_T_BYTES",
                     "Any": "_L_T_ANY", "Json": "_L_T_JSON"}
_GENERIC_DESCRIPTORS = {"list": "_L_list_of", "map": "_L_map_of", "set": "_L_set_of",
                        "tuple": "_L_tuple_of", "result": "_L_result_of",
                        "Future": "_L_future_of", "Channel": "_L_channel_of"}


def json_schema(ty: T.Ty, seen: frozenset = frozenset()) -> dict:
    """The JSON schema of values of `ty` (for structured output of `llm.chat`)."""
    simple = {"Int": "integer", "Float": "number", "String": "string", "Bool": "boolean",
              "Null": "null"}
    if isinstance(ty, T.Prim):
        return {"type": simple[ty.name]} if ty.name in simple else {}
    if isinstance(ty, T.Union):
        return {"anyOf": [json_schema(m, seen) for m in ty.members]}
    if isinstance(ty, T.Generic):
        if ty.name in ("list", "set"):
            return {"type": "array", "items": json_schema(ty.arg(0), seen)}
        if ty.name == "map":
            return {"type": "object", "additionalProperties": json_schema(ty.arg(1), seen)}
        if ty.name == "tuple" and ty.args:
            return {"type": "array", "prefixItems": [json_schema(a, seen) for a in ty.args],
                    "minItems": len(ty.args), "maxItems": len(ty.args)}
        return {}
    if isinstance(ty, T.Named) and ty.kind == "record" and ty.name not in seen:
        return record_schema(ty.info, seen)
    if isinstance(ty, T.Named) and ty.kind == "enum":
        variants = list(ty.info.variants.values())
        if all(v.arity == 0 for v in variants):
            return {"type": "string", "enum": [v.name for v in variants]}
    return {}


def record_schema(info, seen: frozenset = frozenset()) -> dict:
    seen = seen | {info.name}
    return {"type": "object",
            "properties": {name: json_schema(ftype, seen)
                           for name, (ftype, _) in info.fields.items()},
            "required": list(info.fields), "additionalProperties": False}


class DeclarationCompiler:
    # ---------------------------------------------------------------- helpers

    def module_state(self):
        from .codegen import FunctionState
        return FunctionState(None, None)

    def global_name(self, name: str) -> str:
        binding = self.a.module_scope.names.get(name)
        return binding.py_name if binding is not None else name

    def source_text(self, span) -> str:
        lines = self.loc.lines
        if span.line == span.end_line:
            return lines[span.line - 1][span.col - 1:span.end_col - 1]
        parts = [lines[span.line - 1][span.col - 1:]]
        parts += lines[span.line:span.end_line - 1]
        parts.append(lines[span.end_line - 1][:span.end_col - 1])
        return " ".join(p.strip() for p in parts)

    def record_ref(self, info) -> py.expr:
        if info.builtin:
            return E.name(f"_L_{info.name}")
        return E.name(self.global_name(info.name))

    def variant_ref(self, variant) -> py.expr:
        if variant.enum.builtin:
            return E.name({"Pending": "_L_Pending", "Completed": "_L_Completed",
                           "Error": "_L_ErrorState"}[variant.name])
        return E.name(self.global_name(variant.name))

    def variant_slot(self, variant, i: int) -> str:
        names = variant.field_names
        return names[i] if i < len(names) and names[i] else f"_{i}"

    def type_ref(self, ty: T.Named) -> py.expr:
        if ty.kind == "record":
            return self.record_ref(ty.info)
        if ty.kind == "enum" and ty.info.builtin:
            return E.name("_L_FutureState")
        return E.name(self.global_name(ty.name))

    # ------------------------------------------------------------ descriptors

    def descriptor(self, ty: T.Ty) -> py.expr:
        """A module-level runtime type descriptor for `ty`, built once at load time."""
        if isinstance(ty, T.Prim) and ty.name in _PRIM_DESCRIPTORS:
            return E.name(_PRIM_DESCRIPTORS[ty.name])
        key = str(ty)
        entry = self.descriptors.get(key)
        if entry is None:
            gname = f"_L_T{len(self.descriptors)}"
            entry = (gname, self.descriptor_builder(ty))
            self.descriptors[key] = entry
        return E.name(entry[0])

    def descriptor_builder(self, ty: T.Ty) -> py.expr:
        if isinstance(ty, T.Union):
            return E.call("_L_union_of", [self.descriptor(m) for m in ty.members])
        if isinstance(ty, T.Generic):
            args = [self.descriptor(a) for a in ty.args] if ty.name == "tuple" else []
            return E.call(_GENERIC_DESCRIPTORS[ty.name], args)
        if isinstance(ty, T.Named):
            return E.call("_L_named", [self.type_ref(ty), E.const(ty.name)])
        if isinstance(ty, T.FnTy):
            return E.call("_L_fn_type", [])
        return E.name("_L_T_ANY")

    def descriptor_definitions(self) -> list:
        return [E.assign(name, builder) for name, builder in self.descriptors.values()]

    def check_test(self, value, ty: T.Ty) -> py.expr:
        """True when `value` passes the runtime check for `ty` (Floats accept Ints)."""
        if ty == T.FLOAT:
            cls = E.attr(value, "__class__")
            return py.BoolOp(op=py.Or(), values=[E.is_(cls, E.name("_L_float")),
                                                 E.is_(E.attr(value, "__class__"),
                                                       E.name("_L_int"))])
        if isinstance(ty, T.Prim) and ty.name in ("Int", "String", "Bool", "Bytes", "Null"):
            return self.type_test(value, ty)
        if isinstance(ty, T.Named) and ty.kind in ("record", "agent"):
            return self.type_test(value, ty)
        return E.call(E.attr(self.descriptor(ty), "matches"), [value])

    def param_check(self, value: str, ty: T.Ty, cell_name: str, param: str,
                    optional: bool) -> py.stmt:
        test = self.check_test(E.name(value), ty)
        if optional:
            test = py.BoolOp(op=py.Or(), values=[E.is_(E.name(value), E.name("_L_MISSING")),
                                                 test])
        fail = E.call("_L_check_arg", [E.name(value), self.descriptor(ty), E.const(cell_name),
                                       E.const(param)])
        return py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=[py.Expr(value=fail)],
                     orelse=[])

    # ------------------------------------------------------------------ cells

    def cell_info(self, node: A.CellDecl):
        return next(c for c in self.a.cells if c.node is node)

    def cell(self, node: A.CellDecl, in_agent: bool = False) -> list:
        info = self.cell_info(node)
        function = self.a.functions[node]
        params = [(self.a.bindings[p].py_name, p.default, self.a.bindings[p])
                  for p in node.params]
        prologue = []
        if in_agent:
            prologue = [self.param_check(py_name, ptype, f"{info.agent.name}.{info.name}",
                                         lumen, has_default)
                        for (py_name, _, _), (lumen, ptype, has_default)
                        in zip(params, info.params) if ptype != T.ANY]
        saved = self.state
        self.state = self.module_state()
        try:
            self.pending_return = (info.ret, info.name if not in_agent
                                   else f"{info.agent.name}.{info.name}")
            body = node.body
            if not node.has_body:
                body = ()
                prologue.append(py.Expr(value=E.call("_L_no_body", [E.const(node.name)])))
            fname = node.name if in_agent else info.py_name
            fn = self.function(function, fname, params, body, node.span, prologue=prologue,
                               self_param=in_agent)
        finally:
            self.state = saved
            self.pending_return = None
        if in_agent or not self.has_param_checks(info):
            return [fn]
        return [fn, self.checked_wrapper(info)]

    def checked_wrapper(self, info) -> py.stmt:
        """`_L_c_<cell>`: checks argument types, then calls the cell. Calls whose argument
        types the checker proved go to the cell directly."""
        names = [lumen for lumen, _, _ in info.params]
        checks = [self.param_check(lumen, ptype, info.name, lumen, has_default)
                  for lumen, ptype, has_default in info.params if ptype != T.ANY]
        forward = py.Return(value=E.call(info.py_name, [E.name(n) for n in names]))
        trailing = 0
        while trailing < len(info.params) and info.params[len(info.params) - 1 - trailing][2]:
            trailing += 1
        fn = E.function(f"_L_c_{info.py_name}",
                        E.args(names, [E.name("_L_MISSING")] * trailing),
                        checks + [forward], False)
        return self.loc.place(fn, info.node.name_span or info.node.span)

    # ---------------------------------------------------------------- records

    def declaration(self, item) -> list:
        if isinstance(item, A.RecordDecl):
            return [self.record_class(item)]
        return self.enum_definitions(item)

    def record_class(self, node: A.RecordDecl) -> py.stmt:
        info = self.a.records[node]
        name = self.global_name(node.name)
        fields = [f.name for f in node.fields]
        saved = self.state
        self.state = self.module_state()
        body: list = []
        try:
            with self.into(body):
                for f in node.fields:
                    self.field_setup(node, info, f)
                aliases = {}
                for f in node.fields:
                    binding = self.field_binding(f)
                    if binding is not None and binding.py_name != f.name:
                        aliases[f.name] = binding.py_name
                        self.emit(E.assign(binding.py_name, E.name(f.name)), f.span)
                for f in node.fields:
                    if f.constraint is not None:
                        self.constraint_check(node, f)
                for f in fields:
                    target = py.Attribute(value=E.name("self"), attr=f, ctx=E.STORE)
                    self.emit(py.Assign(targets=[target], value=E.name(f)))
        finally:
            self.state = saved
        init = E.function("__init__", E.args(["self"] + fields,
                                             [E.name("_L_MISSING")] * len(fields)),
                          body, False)
        class_body = [
            E.assign("__slots__", py.Tuple(elts=[E.const(f) for f in fields], ctx=E.LOAD)),
            E.assign("_lumen_name", E.const(node.name)),
            E.assign("_lumen_fields", py.Tuple(elts=[E.const(f) for f in fields], ctx=E.LOAD)),
            E.assign("_lumen_field_types", E.literal(
                tuple(str(info.fields[f][0]) for f in fields))),
            E.assign("_lumen_json_schema", E.literal(record_schema(info))),
            E.assign("_lumen_json_spec", E.call("_L_staticmethod", [py.Lambda(
                args=E.args([]), body=py.Tuple(elts=[
                    py.Tuple(elts=[E.const(f), self.json_spec(info.fields[f][0])], ctx=E.LOAD)
                    for f in fields], ctx=E.LOAD))])),
            init,
        ]
        cls = py.ClassDef(name=name, bases=[E.name("_L_Record")], keywords=[],
                          body=class_body, decorator_list=[])
        return self.loc.place(cls, node.span)

    def json_spec(self, ty: T.Ty) -> py.expr:
        """How JSON data becomes a value of `ty` (see `values.from_json`): evaluated when
        first needed, so records may refer to records declared after them."""
        if ty == T.FLOAT:
            return E.const("float")
        if isinstance(ty, T.Union):
            return py.Tuple(elts=[E.const("union"), py.Tuple(
                elts=[self.json_spec(m) for m in ty.members], ctx=E.LOAD)], ctx=E.LOAD)
        if isinstance(ty, T.Generic) and ty.name in ("list", "set", "map"):
            inner = self.json_spec(ty.arg(1) if ty.name == "map" else ty.arg(0))
            return py.Tuple(elts=[E.const(ty.name), inner], ctx=E.LOAD)
        if isinstance(ty, T.Generic) and ty.name == "tuple" and ty.args:
            items = py.Tuple(elts=[self.json_spec(a) for a in ty.args], ctx=E.LOAD)
            return py.Tuple(elts=[E.const("tuple"), items], ctx=E.LOAD)
        if isinstance(ty, T.Named) and ty.kind in ("record", "enum"):
            return py.Tuple(elts=[E.const(ty.kind), self.type_ref(ty)], ctx=E.LOAD)
        return E.const("any")

    def field_binding(self, field: A.RecordField):
        for binding in self.a.bindings.values():
            if binding.node is field:
                return binding
        return None

    def field_setup(self, node, info, f: A.RecordField) -> None:
        missing = E.is_(E.name(f.name), E.name("_L_MISSING"))
        if f.default is not None:
            fill: list = []
            with self.into(fill):
                self.emit(E.assign(f.name, self.expr(f.default)), f.default.span)
        else:
            fill = [py.Expr(value=E.call("_L_missing_field", [E.const(node.name),
                                                              E.const(f.name)]))]
        self.emit(py.If(test=missing, body=fill, orelse=[]), f.span)
        ftype = info.fields[f.name][0]
        if ftype != T.ANY:
            test = self.check_test(E.name(f.name), ftype)
            fail = E.call("_L_check_field", [E.name(f.name), self.descriptor(ftype),
                                             E.const(node.name), E.const(f.name)])
            self.emit(py.If(test=py.UnaryOp(op=py.Not(), operand=test),
                            body=[py.Expr(value=fail)], orelse=[]), f.span)

    def constraint_check(self, node: A.RecordDecl, f: A.RecordField) -> None:
        test = self.expr(f.constraint)
        text = self.source_text(f.constraint.span)
        fail = E.call("_L_constraint_error", [E.const(node.name), E.const(f.name),
                                              E.const(text), E.name(f.name)])
        self.emit(py.If(test=py.UnaryOp(op=py.Not(), operand=test),
                        body=[py.Expr(value=fail)], orelse=[]), f.constraint.span)

    # ------------------------------------------------------------------ enums

    def enum_definitions(self, node: A.EnumDecl) -> list:
        info = self.a.enums[node]
        enum_name = self.global_name(node.name)
        module = E.name("__name__")   # keeps same-named enums of two programs apart
        out = [E.assign(enum_name, E.call("_L_make_enum", [E.const(node.name), module]))]
        for variant in info.variants.values():
            vname = self.global_name(variant.name)
            if variant.arity == 0:
                value = E.call("_L_make_unit_variant", [E.name(enum_name), E.const(variant.name)])
            else:
                slots = [self.variant_slot(variant, i) for i in range(variant.arity)]
                names = [E.const(n) for n in variant.field_names]
                value = E.call("_L_make_variant_class", [
                    E.name(enum_name), E.const(variant.name),
                    py.Tuple(elts=[E.const(s) for s in slots], ctx=E.LOAD),
                    py.Tuple(elts=names, ctx=E.LOAD)])
            out.append(self.loc.place(E.assign(vname, value), variant.node.span))
        return [self.loc.place(s, node.span) for s in out]

    # ----------------------------------------------------------------- agents

    def agent_class(self, node: A.AgentDecl) -> list:
        body: list = [E.assign("_lumen_name", E.const(node.name)),
                      E.assign("_lumen_kind", E.const(node.kind))]
        for member in node.members:
            if isinstance(member, A.CellDecl) and member in self.a.functions:
                body.extend(self.cell(member, in_agent=True))
        cls = py.ClassDef(name=node.name, bases=[E.name("_L_Agent")], keywords=[],
                          body=body, decorator_list=[])
        return [self.loc.place(cls, node.span)]

    # --------------------------------------------------- constants and tools

    def const(self, node: A.ConstDecl) -> list:
        saved = self.state
        self.state = self.module_state()
        out: list = []
        try:
            with self.into(out):
                self.emit(E.assign(self.global_name(node.name), self.expr(node.value)),
                          node.span)
        finally:
            self.state = saved
        return out

    def tool_handles(self) -> list:
        """One handle per tool and scope: an agent's grants apply only inside it, on top of
        the top-level grants of the same tool (LANGUAGE.md 8.4)."""
        out = []
        self.handles: dict = {}
        for tool in self.a.tools:
            scopes = [tool.agent] if tool.agent is not None else [None] + [
                agent for agent in self.a.agents.values()
                if tool.alias not in agent.tools and self.agent_grants(agent, tool.alias)]
            for agent in scopes:
                handle = f"_L_tool{len(self.handles)}"
                self.handles[(tool, agent.name if agent else None)] = handle
                value = E.call("_L_make_tool", [
                    E.const(tool.tool), E.const(tool.alias), self.grants_for(tool, agent),
                    E.const(agent.name if agent else None)])
                out.append(self.loc.place(E.assign(handle, value), tool.node.span))
        return out

    def agent_grants(self, agent, alias: str) -> list:
        return [item for item in agent.node.members
                if isinstance(item, A.Grant) and item.alias == alias]

    def grants_for(self, tool, agent) -> py.expr:
        """Grant entries in order: top-level ones, then the agent's (later keys win)."""
        entries: list = []
        for item in self.a.module.items:
            if isinstance(item, A.Grant) and item.alias == tool.alias:
                entries.extend(item.entries)
        if agent is not None:
            for item in self.agent_grants(agent, tool.alias):
                entries.extend(item.entries)
        saved = self.state
        self.state = self.module_state()
        try:
            pairs = [py.Tuple(elts=[E.const(e.key), self.expr(e.value)], ctx=E.LOAD)
                     for e in entries]
        finally:
            self.state = saved
        return py.List(elts=pairs, ctx=E.LOAD)

    def tool_ref(self, tool) -> py.expr:
        info = self.state.info if self.state is not None else None
        agent = info.agent.name if info is not None and info.agent is not None else None
        handle = self.handles.get((tool, agent)) or self.handles[(tool, None)]
        return E.name(handle)

    # ----------------------------------------------------------------- script

    def script_function(self) -> list:
        info = self.a.script
        saved = self.state
        self.state = None
        try:
            fn = self.function(info, "_L_script", [], tuple(self.a.script_items),
                               self.a.module.span, mode="discard")
        finally:
            self.state = saved
        return [fn]
