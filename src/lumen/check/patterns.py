"""Checking patterns — in `match` arms, `let` and `for` targets — and the exhaustiveness of
matches over enums, results and Bools (a mixin of the checker)."""

from __future__ import annotations

from ..syntax import ast as A
from . import types as T
from .suggest import did_you_mean

_RESULT_VARIANTS = ("ok", "err")


class PatternChecker:
    def bind_target(self, pattern, subject: T.Ty, mutable: bool = False) -> None:
        """Bind a `let` / `for` target: a name, `_`, or a tuple/list destructuring."""
        if isinstance(pattern, A.BindPat):
            self.bindings[pattern] = self.define(pattern.name, "local", pattern, pattern.span,
                                                 mutable, subject)
        elif isinstance(pattern, A.WildcardPat):
            return
        else:
            self.check_pattern(pattern, subject, mutable)

    def check_pattern(self, pattern, subject: T.Ty, mutable: bool = False) -> None:
        check = _PATTERNS[type(pattern)]
        check(self, pattern, subject, mutable)

    def pat_wildcard(self, pattern, subject, mutable) -> None:
        return

    def pat_literal(self, pattern: A.LiteralPat, subject, mutable) -> None:
        ltype = self.ex_literal(A.Literal(pattern.value, pattern.span))
        if subject != T.ANY and not T.compatible(ltype, subject) and \
                not (ltype == T.NULL):
            self.error("E320", f"pattern `{pattern.value!r}` can never match a {subject}",
                       pattern.span)

    def pat_bind(self, pattern: A.BindPat, subject, mutable) -> None:
        binding = self.scope.lookup(pattern.name)
        if binding is not None and binding.kind == "variant":
            variant = binding.info
            binding.used = True
            if variant.arity:
                self.error("E321", f"variant `{variant.name}` has {variant.arity} field"
                                   f"{'s' if variant.arity > 1 else ''}", pattern.span,
                           f"write `{variant.name}({', '.join('_' * variant.arity)})`")
            self.analysis.variant_patterns[pattern] = variant
            return
        self.bindings[pattern] = self.define(pattern.name, "local", pattern, pattern.span,
                                             mutable, subject)

    def pat_typed(self, pattern: A.TypedPat, subject, mutable) -> None:
        typ = self.resolve_type(pattern.type)
        self.types[pattern] = typ
        if pattern.name is not None:
            self.bindings[pattern] = self.define(pattern.name, "local", pattern, pattern.span,
                                                 mutable, typ)

    def pat_variant(self, pattern: A.VariantPat, subject, mutable) -> None:
        name = pattern.name
        if name in _RESULT_VARIANTS:
            self.analysis.variant_patterns[pattern] = name
            if len(pattern.args) != 1:
                self.error("E321", f"`{name}(...)` takes one pattern", pattern.span)
            inner = T.ANY
            if isinstance(subject, T.Generic) and subject.name == "result":
                inner = subject.arg(0 if name == "ok" else 1)
            for arg in pattern.args:
                self.check_pattern(arg, inner, mutable)
            return
        binding = self.scope.lookup(name)
        if binding is None or binding.kind != "variant":
            variants = [n for n in self.scope.visible_names()
                        if (b := self.scope.lookup(n)) is not None and b.kind == "variant"]
            self.error("E203", f"unknown variant `{name}` in pattern", pattern.span,
                       did_you_mean(name, variants + list(_RESULT_VARIANTS)) or
                       "declare it in an `enum`")
            for arg in pattern.args:
                self.check_pattern(arg, T.ANY, mutable)
            return
        variant = binding.info
        binding.used = True
        self.analysis.variant_patterns[pattern] = variant
        if len(pattern.args) != variant.arity:
            self.error("E321", f"variant `{name}` has {variant.arity} field"
                               f"{'s' if variant.arity != 1 else ''}, the pattern has "
                               f"{len(pattern.args)}", pattern.span)
        if subject != T.ANY and isinstance(subject, T.Named) and subject.kind == "enum" \
                and subject.info is not variant.enum:
            self.error("E320", f"variant `{name}` of `{variant.enum.name}` can never match a "
                               f"{subject}", pattern.span)
        for i, arg in enumerate(pattern.args):
            ftype = variant.field_types[i] if i < len(variant.field_types) else T.ANY
            self.check_pattern(arg, ftype, mutable)

    def pat_tuple(self, pattern: A.TuplePat, subject, mutable) -> None:
        items = subject.args if isinstance(subject, T.Generic) and subject.name == "tuple" \
            else ()
        if items and len(items) != len(pattern.items):
            self.error("E320", f"a tuple of {len(items)} cannot match a pattern of "
                               f"{len(pattern.items)}", pattern.span)
            items = ()
        for i, item in enumerate(pattern.items):
            self.check_pattern(item, items[i] if items else T.ANY, mutable)

    def pat_list(self, pattern: A.ListPat, subject, mutable) -> None:
        element = subject.arg(0) if isinstance(subject, T.Generic) and subject.name == "list" \
            else T.ANY
        for item in pattern.items:
            self.check_pattern(item, element, mutable)
        if pattern.rest is not None and pattern.rest != "_":
            self.bindings[pattern] = self.define(pattern.rest, "local", pattern, pattern.span,
                                                 mutable, T.list_of(element))

    def pat_or(self, pattern: A.OrPat, subject, mutable) -> None:
        before = set(self.scope.names)
        for alternative in pattern.alternatives:
            self.check_pattern(alternative, subject, mutable)
        if set(self.scope.names) != before:
            self.error("E322", "alternatives `p | q` cannot bind names", pattern.span,
                       "use separate arms, or `_` in place of the names")

    # ---------------------------------------------------------------- coverage

    def check_exhaustive(self, node: A.Match, subject: T.Ty) -> None:
        catch_all = False
        covered: set[str] = set()
        for arm in node.arms:
            if arm.guard is not None:
                continue
            catch_all = catch_all or self.covers(arm.pattern, covered, subject)
        if catch_all:
            return
        enum = self.matched_enum(node, subject)
        if enum is not None:
            missing = [v for v in enum.variants.values() if v.name not in covered]
            if missing:
                shown = ", ".join(f"`{v.name}`" if not v.arity else
                                  f"`{v.name}({', '.join('_' * v.arity)})`" for v in missing)
                self.error("E401", f"match over `{enum.name}` is not exhaustive: missing "
                                   f"{shown}", node.span,
                           "add an arm for each missing variant, or a catch-all `_ -> ...`")
            return
        if covered & set(_RESULT_VARIANTS) and not {"ok", "err"} <= covered:
            missing = "err(_)" if "ok" in covered else "ok(_)"
            self.error("E401", f"match over a result is not exhaustive: missing `{missing}`",
                       node.span, "add that arm, or a catch-all `_ -> ...`")
        elif subject == T.BOOL and covered & {"true", "false"} and \
                not {"true", "false"} <= covered:
            missing = "false" if "true" in covered else "true"
            self.error("E401", f"match over a Bool is not exhaustive: missing `{missing}`",
                       node.span)

    def covers(self, pattern, covered: set, subject: T.Ty) -> bool:
        """Record what a top-level arm pattern covers; True when it matches everything."""
        if isinstance(pattern, A.WildcardPat):
            return True
        if isinstance(pattern, A.BindPat):
            variant = self.analysis.variant_patterns.get(pattern)
            if variant is None:
                return True
            covered.add(variant.name)
            return False
        if isinstance(pattern, A.TypedPat):
            t = self.types.get(pattern, T.ANY)
            if isinstance(t, T.Named) and t.kind == "enum":
                covered.update(t.info.variants)   # `s: Shape` takes every variant of Shape
            return t == T.ANY or (subject != T.ANY and T.compatible(subject, t)
                                  and not isinstance(subject, T.Union))
        if isinstance(pattern, A.VariantPat):
            target = self.analysis.variant_patterns.get(pattern)
            if target is not None and all(self.irrefutable(a) for a in pattern.args):
                covered.add(target if isinstance(target, str) else target.name)
            return False
        if isinstance(pattern, A.LiteralPat) and isinstance(pattern.value, bool):
            covered.add("true" if pattern.value else "false")
            return False
        if isinstance(pattern, A.OrPat):
            return any([self.covers(p, covered, subject) for p in pattern.alternatives])
        if isinstance(pattern, A.TuplePat):
            return all(self.irrefutable(p) for p in pattern.items)
        return False

    def irrefutable(self, pattern) -> bool:
        if isinstance(pattern, A.WildcardPat):
            return True
        if isinstance(pattern, A.BindPat):
            return pattern not in self.analysis.variant_patterns
        if isinstance(pattern, A.TuplePat):
            return all(self.irrefutable(p) for p in pattern.items)
        return False

    def matched_enum(self, node: A.Match, subject: T.Ty):
        if isinstance(subject, T.Named) and subject.kind == "enum":
            return subject.info
        for arm in node.arms:
            for p in (arm.pattern.alternatives if isinstance(arm.pattern, A.OrPat)
                      else (arm.pattern,)):
                variant = self.analysis.variant_patterns.get(p)
                if variant is not None and not isinstance(variant, str):
                    return variant.enum
        return None


_PATTERNS = {
    A.WildcardPat: PatternChecker.pat_wildcard,
    A.LiteralPat: PatternChecker.pat_literal,
    A.BindPat: PatternChecker.pat_bind,
    A.TypedPat: PatternChecker.pat_typed,
    A.VariantPat: PatternChecker.pat_variant,
    A.TuplePat: PatternChecker.pat_tuple,
    A.ListPat: PatternChecker.pat_list,
    A.OrPat: PatternChecker.pat_or,
}
