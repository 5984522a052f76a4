"""Parsing of type expressions and match patterns (a mixin of the parser)."""

from __future__ import annotations

from . import ast as A
from . import tokens as T


class TypePatternParser:
    # ------------------------------------------------------------------------ types

    def parse_type(self) -> A.TypeExpr:
        start = self.peek().span
        first = self.parse_optional_type()
        members = [first]
        while self.accept("|"):
            members.append(self.parse_optional_type())
        if len(members) == 1:
            return first
        return A.UnionType(tuple(members), self.span_from(start))

    def parse_optional_type(self) -> A.TypeExpr:
        start = self.peek().span
        typ = self.parse_primary_type()
        while self.peek().kind == "?" and self.peek().span.col == self.prev.span.end_col:
            self.advance()
            typ = A.OptionalType(typ, self.span_from(start))
        return typ

    def parse_primary_type(self) -> A.TypeExpr:
        tok = self.peek()
        if tok.kind == "fn":
            return self.parse_fn_type()
        if tok.kind == "null":
            self.advance()
            return A.TypeName("Null", (), tok.span)
        if tok.kind == "(":
            self.advance()
            self.push_newlines(False)
            items = [] if self.at(")") else [self.parse_type()]
            is_tuple = False
            while self.accept(","):
                is_tuple = True
                if self.at(")"):
                    break
                items.append(self.parse_type())
            self.expect(")")
            self.pop_newlines()
            if len(items) == 1 and not is_tuple:
                return items[0]
            return A.TypeName("tuple", tuple(items), self.span_from(tok.span))
        name = self.expect_name("a type")
        args: list[A.TypeExpr] = []
        if self.peek().kind == "[" and self.peek().span.col == name.span.end_col:
            self.advance()
            self.push_newlines(False)
            args.append(self.parse_type())
            while self.accept(","):
                args.append(self.parse_type())
            self.expect("]")
            self.pop_newlines()
        dotted = name.value
        while self.peek().kind == "." and self.peek_at(1).kind == T.IDENT:
            self.advance()
            dotted += "." + self.advance().value
        return A.TypeName(dotted, tuple(args), self.span_from(name.span))

    def parse_fn_type(self) -> A.FnType:
        start = self.advance().span
        self.expect("(")
        self.push_newlines(False)
        params: list[A.TypeExpr] = []
        while not self.at(")"):
            if self.peek().kind == T.IDENT and self.peek_at(1).kind == ":":
                self.advance()
                self.advance()   # a parameter name is allowed and ignored: fn(x: Int)
            params.append(self.parse_type())
            if not self.accept(","):
                break
        self.expect(")")
        self.pop_newlines()
        ret = self.parse_type() if self.accept("->") else None
        effects = self.parse_effect_row() if self.at("/") else None
        return A.FnType(tuple(params), ret, effects, self.span_from(start))

    def parse_effect_row(self) -> tuple[str, ...]:
        self.expect("/")
        self.expect("{", "`{` to start an effect row", "effect rows look like `/ {http, llm}`")
        self.push_newlines(False)
        effects: list[str] = []
        while not self.at("}"):
            effects.append(self.expect_name("an effect name").value)
            if not self.accept(","):
                break
        self.expect("}")
        self.pop_newlines()
        return tuple(effects)

    # --------------------------------------------------------------------- patterns

    def parse_pattern(self) -> A.Pattern:
        start = self.peek().span
        first = self.parse_single_pattern()
        alternatives = [first]
        while self.accept("|"):
            alternatives.append(self.parse_single_pattern())
        if len(alternatives) == 1:
            return first
        return A.OrPat(tuple(alternatives), self.span_from(start))

    def parse_single_pattern(self) -> A.Pattern:
        tok = self.peek()
        kind = tok.kind
        if kind == T.IDENT:
            self.advance()
            if tok.value == "_" and not self.at(":"):
                return A.WildcardPat(tok.span)
            if self.at("(") and self.peek().span.col == tok.span.end_col:
                return self.parse_variant_pattern(tok)
            if self.accept(":"):
                typ = self.parse_type()
                name = None if tok.value == "_" else tok.value
                return A.TypedPat(name, typ, self.span_from(tok.span))
            return A.BindPat(tok.value, tok.span)
        if kind in (T.INT, T.FLOAT):
            self.advance()
            return A.LiteralPat(tok.value, tok.span)
        if kind == "-" and self.peek_at(1).kind in (T.INT, T.FLOAT):
            self.advance()
            num = self.advance()
            return A.LiteralPat(-num.value, self.span_from(tok.span))
        if kind == T.STRING:
            self.advance()
            if any(not isinstance(p, str) for p in tok.value):
                self.fail("a string pattern cannot interpolate", tok.span,
                          r"match the value with a guard instead: `s if s == \"...\"`")
            return A.LiteralPat("".join(tok.value), tok.span)
        if kind == T.RAW_STRING:
            self.advance()
            return A.LiteralPat(tok.value, tok.span)
        if kind in ("true", "false"):
            self.advance()
            return A.LiteralPat(kind == "true", tok.span)
        if kind == "null":
            self.advance()
            return A.LiteralPat(None, tok.span)
        if kind == "(":
            return self.parse_tuple_pattern()
        if kind == "[":
            return self.parse_list_pattern()
        self.fail(f"expected a pattern, found {tok.describe()}", tok.span,
                  "patterns are literals, `_`, names, `name: Type`, `Variant(p)`, `(a, b)`, "
                  "`[first, ...rest]` and `p | q`")

    def parse_variant_pattern(self, name_tok) -> A.VariantPat:
        self.advance()  # (
        self.push_newlines(False)
        args: list[A.Pattern] = []
        while not self.at(")"):
            args.append(self.parse_pattern())
            if not self.accept(","):
                break
        self.expect(")", hint=f"close the `{name_tok.value}(` pattern")
        self.pop_newlines()
        return A.VariantPat(name_tok.value, tuple(args), self.span_from(name_tok.span))

    def parse_tuple_pattern(self) -> A.Pattern:
        start = self.advance().span
        self.push_newlines(False)
        items: list[A.Pattern] = []
        is_tuple = False
        while not self.at(")"):
            items.append(self.parse_pattern())
            if not self.accept(","):
                break
            is_tuple = True
        self.expect(")")
        self.pop_newlines()
        if len(items) == 1 and not is_tuple:
            return items[0]
        return A.TuplePat(tuple(items), self.span_from(start))

    def parse_list_pattern(self) -> A.ListPat:
        start = self.advance().span
        self.push_newlines(False)
        items: list[A.Pattern] = []
        rest = None
        while not self.at("]"):
            if self.accept("..."):
                rest = self.expect_name("a name for the rest of the list").value
                self.accept(",")
                break
            items.append(self.parse_pattern())
            if not self.accept(","):
                break
        self.expect("]", hint="a rest pattern `...rest` must come last")
        self.pop_newlines()
        return A.ListPat(tuple(items), rest, self.span_from(start))
