"""The first checker pass: collect every top-level declaration into the module scope, and
resolve written types (`TypeExpr`) into checker types (a mixin of the checker)."""

from __future__ import annotations

from ..syntax import ast as A
from . import types as T
from .scopes import (AgentInfo, Binding, CellInfo, EnumInfo, FunctionInfo, NameAllocator,
                     RecordInfo, ToolInfo, VariantInfo)
from .suggest import did_you_mean

BUILTIN_TYPE_NAMES = ["Int", "Float", "String", "Bool", "Null", "Bytes", "Json", "Any", "list",
                      "map", "set", "tuple", "result", "Future", "Channel"]


class DeclarationCollector:
    def collect(self, items) -> None:
        for item in items:
            collect = _COLLECTORS.get(type(item))
            if collect is not None:
                collect(self, item)
            elif not isinstance(item, (A.Grant, A.Import)):
                self.script_items.append(item)

    def declare_global(self, name: str, kind: str, node, span, info=None,
                       type_=T.ANY) -> Binding | None:
        existing = self.module_scope.names.get(name)
        if existing is not None and existing.kind != "builtin":
            where = getattr(existing.node, "span", None)
            at = f" at line {where.line}" if where else ""
            self.error("E201", f"`{name}` is already declared{at}", span,
                       "give one of them another name")
            return None
        py_name = self.module_names.fresh(name)
        binding = Binding(name, kind, py_name, node, info=info, type=type_)
        self.module_scope.names[name] = binding
        return binding

    def declare_type(self, name: str, value, span) -> None:
        if name in self.type_names:
            self.error("E201", f"type `{name}` is already declared", span)
            return
        self.type_names[name] = value

    # -------------------------------------------------------------- declarations

    def collect_cell(self, node: A.CellDecl, agent: AgentInfo | None = None) -> CellInfo:
        names = NameAllocator(self.module_names.used)
        function = FunctionInfo(node, "cell", node.name, None, names, agent=agent,
                                declared_effects=node.effects)
        info = CellInfo(node, node.name, (), T.ANY, function, agent)
        self.functions[node] = function
        self.cells.append(info)
        if agent is None:
            binding = self.declare_global(node.name, "cell", node, node.name_span or node.span,
                                          info)
            info.py_name = binding.py_name if binding else node.name
        return info

    def collect_record(self, node: A.RecordDecl) -> None:
        info = RecordInfo(node, node.name, {})
        self.records[node] = info
        self.declare_global(node.name, "record", node, node.span, info, T.Named("record", node.name, info))
        self.declare_type(node.name, T.Named("record", node.name, info), node.span)
        seen = set()
        for f in node.fields:
            if f.name in seen:
                self.error("E201", f"field `{f.name}` is declared twice in `{node.name}`", f.span)
            seen.add(f.name)

    def collect_enum(self, node: A.EnumDecl) -> None:
        info = EnumInfo(node, node.name, {})
        self.enums[node] = info
        enum_type = T.Named("enum", node.name, info)
        self.declare_global(node.name, "enum", node, node.span, info, enum_type)
        self.declare_type(node.name, enum_type, node.span)
        for v in node.variants:
            variant = VariantInfo(v.name, info, (), v.field_names, v)
            if v.name in info.variants:
                self.error("E201", f"variant `{v.name}` is declared twice in `{node.name}`",
                           v.span)
                continue
            info.variants[v.name] = variant
            self.declare_global(v.name, "variant", v, v.span, variant, enum_type)

    def collect_alias(self, node: A.TypeAlias) -> None:
        self.declare_type(node.name, node, node.span)

    def collect_const(self, node: A.ConstDecl) -> None:
        self.declare_global(node.name, "const", node, node.span)

    def collect_use(self, node: A.UseTool, agent: AgentInfo | None = None) -> ToolInfo:
        info = ToolInfo(node, node.alias, node.tool, agent)
        self.tools.append(info)
        if agent is None:
            self.declare_global(node.alias, "tool", node, node.span, info)
        return info

    def collect_agent(self, node: A.AgentDecl) -> None:
        info = AgentInfo(node, node.name, node.kind)
        self.agents[node] = info
        agent_type = T.Named("agent", node.name, info)
        self.declare_global(node.name, "agent", node, node.span, info, agent_type)
        self.declare_type(node.name, agent_type, node.span)
        for member in node.members:
            if isinstance(member, A.CellDecl):
                if member.name in info.cells:
                    self.error("E201", f"cell `{member.name}` is declared twice in "
                                       f"`{node.name}`", member.span)
                    continue
                info.cells[member.name] = self.collect_cell(member, info)
            elif isinstance(member, A.UseTool):
                if member.alias in info.tools:
                    self.error("E201", f"tool alias `{member.alias}` is declared twice in "
                                       f"`{node.name}`", member.span)
                info.tools[member.alias] = self.collect_use(member, info)

    # ---------------------------------------------------------------------- types

    def resolve_type(self, texpr) -> T.Ty:
        if texpr is None:
            return T.ANY
        if isinstance(texpr, A.OptionalType):
            return T.union(self.resolve_type(texpr.inner), T.NULL)
        if isinstance(texpr, A.UnionType):
            return T.union(*(self.resolve_type(m) for m in texpr.members))
        if isinstance(texpr, A.FnType):
            return T.FnTy(tuple(self.resolve_type(p) for p in texpr.params),
                          self.resolve_type(texpr.ret) if texpr.ret else T.ANY, texpr.effects)
        return self.resolve_type_name(texpr)

    def resolve_type_name(self, texpr: A.TypeName) -> T.Ty:
        name = texpr.name
        prim = T.PRIMS.get(name) or T.LOWERCASE_PRIMS.get(name)
        if prim is not None:
            if texpr.args:
                self.error("E301", f"type `{name}` takes no type arguments", texpr.span)
            return prim
        if name in T.GENERIC_ALIASES and name in self.type_names:
            generic = name   # a declared `record Result` wins over the `result` alias
        else:
            generic = T.GENERIC_ALIASES.get(name, name)
        if generic in T.GENERICS:
            args = tuple(self.resolve_type(a) for a in texpr.args)
            arity = T.GENERICS[generic]
            if args and arity > 0 and len(args) != arity:
                self.error("E301", f"`{generic}` takes {arity} type argument"
                                   f"{'s' if arity > 1 else ''}, got {len(args)}", texpr.span,
                           f"write `{generic}[{', '.join(['T', 'U'][:arity])}]`")
                return T.Generic(generic, ())
            return T.Generic(generic, args)
        value = self.type_names.get(name)
        if value is None:
            hint = did_you_mean(name, list(self.type_names) + BUILTIN_TYPE_NAMES)
            self.error("E302", f"unknown type `{name}`", texpr.span,
                       hint or "declare it with `record`, `enum` or `type`")
            return T.ANY
        if isinstance(value, A.TypeAlias):
            return self.resolve_alias(value)
        return value

    def resolve_alias(self, node: A.TypeAlias) -> T.Ty:
        if node in self.alias_types:
            resolved = self.alias_types[node]
            if resolved is None:
                self.error("E303", f"type alias `{node.name}` refers to itself", node.span)
                return T.ANY
            return resolved
        self.alias_types[node] = None
        resolved = self.resolve_type(node.type)
        self.alias_types[node] = resolved
        return resolved

    def resolve_signatures(self) -> None:
        for info in self.records.values():
            for f in info.node.fields:
                info.fields[f.name] = (self.resolve_type(f.type), f.default is not None)
        for info in self.enums.values():
            for variant in info.variants.values():
                variant.field_types = tuple(self.resolve_type(t) for t in variant.node.fields)
        for alias in [v for v in self.type_names.values() if isinstance(v, A.TypeAlias)]:
            self.resolve_alias(alias)
        for cell in self.cells:
            node = cell.node
            cell.params = tuple((p.name, self.resolve_type(p.type), p.default is not None)
                                for p in node.params)
            cell.ret = self.resolve_type(node.ret)


_COLLECTORS = {
    A.CellDecl: DeclarationCollector.collect_cell,
    A.RecordDecl: DeclarationCollector.collect_record,
    A.EnumDecl: DeclarationCollector.collect_enum,
    A.TypeAlias: DeclarationCollector.collect_alias,
    A.ConstDecl: DeclarationCollector.collect_const,
    A.UseTool: DeclarationCollector.collect_use,
    A.AgentDecl: DeclarationCollector.collect_agent,
}
