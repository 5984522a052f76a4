"""The recursive-descent parser: tokens → `ast.Module`.

Declarations are parsed here; statements, expressions, types and patterns in the
mixins. Every syntax error is recorded in the sink and parsing resumes at the next
statement, so one error never hides the next.
"""

from __future__ import annotations

from ..diagnostics import DiagnosticSink
from ..source import SourceFile, Span
from . import ast as A
from . import tokens as T
from .expressions import ExpressionParser
from .lexer import lex
from .statements import StatementParser
from .stream import ParseError, TokenStream
from .types_patterns import TypePatternParser

_DIRECTIVES = {"deterministic": bool, "strict": bool}


class Parser(ExpressionParser, StatementParser, TypePatternParser, TokenStream):
    def __init__(self, tokens, sink: DiagnosticSink):
        super().__init__(tokens, sink)
        # A line the lexer already reported gets no second error from the parser.
        self.error_lines.update(d.span.line for d in sink.items if d.is_error)

    def parse_module(self) -> A.Module:
        directives: list[A.Directive] = []
        items: list = []
        top = self.open_block("file", self.tokens[0])
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok.kind == T.EOF:
                break
            depth = len(self.newline_significant)
            try:
                if tok.kind == T.DIRECTIVE:
                    directives.append(self.parse_directive())
                elif tok.kind == "end":
                    self.advance()
                    self.fail("`end` without an open block", tok.span,
                              "remove it, or check the block above for an extra `end`")
                else:
                    items.append(self.parse_item())
                self.end_of_statement(())
            except ParseError:
                self.synchronize(depth)
        self.close_block()
        del top
        span = Span(1, 1, self.peek().span.line, self.peek().span.col)
        return A.Module(tuple(directives), tuple(items), span)

    def parse_sub_expression(self, tokens) -> A.Expr:
        """Parse the tokens of a string interpolation as one expression."""
        sub = Parser(list(tokens), self.sink)
        sub.error_lines = self.error_lines
        sub.push_newlines(False)
        try:
            expr = sub.parse_expr()
            if sub.peek().kind != T.EOF:
                sub.fail(f"unexpected {sub.peek().describe()} in interpolation",
                         sub.peek().span, r"write `\{` for a literal brace")
            return expr
        except ParseError:
            return A.Literal(None, tokens[0].span)

    # ------------------------------------------------------------------ top level

    def parse_item(self):
        tok = self.peek()
        parse = _DECLARATION_PARSERS.get(tok.kind)
        if parse is not None:
            return parse(self)
        return self.parse_statement()

    def parse_directive(self) -> A.Directive:
        tok = self.advance()
        name = tok.value
        value_tok = self.peek()
        if value_tok.kind in ("true", "false"):
            self.advance()
            value = value_tok.kind == "true"
        elif value_tok.kind in (T.INT, T.FLOAT, T.IDENT):
            self.advance()
            value = value_tok.value
        elif value_tok.kind == T.STRING and all(isinstance(p, str) for p in value_tok.value):
            self.advance()
            value = "".join(value_tok.value)
        else:
            self.fail(f"expected a value after `@{name}`", value_tok.span,
                      f"write `@{name} true` or `@{name} false`")
        span = self.span_from(tok.span)
        expected = _DIRECTIVES.get(name)
        if expected is None:
            self.sink.warning("W001", f"unknown directive `@{name}` is ignored", span,
                              "known directives: @deterministic, @strict")
        elif not isinstance(value, expected):
            self.report(f"`@{name}` takes `true` or `false`", value_tok.span)
        return A.Directive(name, value, span)

    # ---------------------------------------------------------------------- cells

    def parse_cell(self) -> A.CellDecl:
        start = self.peek()
        is_async = bool(self.accept("async"))
        if is_async and not self.at("cell"):
            self.fail("expected `cell` after `async`", self.peek().span)
        cell_tok = self.advance()
        name = self.expect_name("a cell name")
        params = self.parse_params()
        ret = None
        effects = None
        if self.accept("->"):
            ret = self.parse_type()
        if self.at("/"):
            effects = self.parse_effect_row()
        if self.accept("="):
            self.skip_newlines_if_insignificant_after_operator()
            expr = self.parse_expr()
            body = (A.ExprStmt(expr, expr.span),)
            return A.CellDecl(name.value, params, ret, effects, body, self.span_from(start.span),
                              is_async, True, name.span)
        if not self.at(T.NEWLINE, T.EOF):
            self.fail(f"expected a new line or `=` after the cell header, found "
                      f"{self.peek().describe()}", self.peek().span,
                      "a cell is `cell name(params) -> Type` followed by its body and `end`")
        block = self.open_block("cell", cell_tok, dedent_closable=True)
        try:
            body = self.parse_block_body(block, ("end",))
            has_body = bool(body)
            self.close_with_end(block, "cell")
        finally:
            self.close_block()
        return A.CellDecl(name.value, params, ret, effects, body, self.span_from(start.span),
                          is_async, has_body, name.span)

    def parse_params(self) -> tuple[A.Param, ...]:
        self.expect("(", hint="parameters are written in parentheses: `(x: Int, y: Int)`")
        self.push_newlines(False)
        params: list[A.Param] = []
        seen: set[str] = set()
        while not self.at(")"):
            name = self.expect_name("a parameter name")
            typ = self.parse_type() if self.accept(":") else None
            default = self.parse_expr() if self.accept("=") else None
            if name.value in seen:
                self.report(f"parameter `{name.value}` is declared twice", name.span)
            seen.add(name.value)
            params.append(A.Param(name.value, typ, default, self.span_from(name.span)))
            if not self.accept(","):
                break
        self.expect(")")
        self.pop_newlines()
        return tuple(params)

    # ------------------------------------------------------------- type declarations

    def declaration_block(self, opener, parse_line) -> list:
        """The lines of a declaration block up to its `end` (or dedent): `parse_line()`
        returns the items of one line; after an error, parsing goes on at the next."""
        block = self.open_block(opener.kind, opener, dedent_closable=True)
        items: list = []
        try:
            while True:
                self.skip_newlines()
                if self.block_ends_here(block, ("end",)):
                    break
                depth = len(self.newline_significant)
                try:
                    items.extend(parse_line())
                    self.end_of_statement(("end",))
                except ParseError:
                    self.synchronize(depth)
            self.close_with_end(block, opener.kind)
        finally:
            self.close_block()
        return items

    def parse_record(self) -> A.RecordDecl:
        opener = self.advance()
        name = self.expect_name("a record name")

        def field_line():
            field = self.parse_record_field()
            self.accept(",")
            return [field]

        fields = self.declaration_block(opener, field_line)
        return A.RecordDecl(name.value, tuple(fields), self.span_from(opener.span))

    def parse_record_field(self) -> A.RecordField:
        name = self.expect_name("a field name")
        self.expect(":", hint="record fields look like `name: Type`")
        typ = self.parse_type()
        default = self.parse_expr() if self.accept("=") else None
        constraint = self.parse_expr() if self.accept("where") else None
        return A.RecordField(name.value, typ, default, constraint, self.span_from(name.span))

    def parse_enum(self) -> A.EnumDecl:
        opener = self.advance()
        name = self.expect_name("an enum name")

        def variant_line():
            variants = [self.parse_variant()]
            while self.accept(",") or self.accept("|"):   # `Red | Green`, `Red, Green`
                if self.at_line_end():
                    break
                variants.append(self.parse_variant())
            return variants

        variants = self.declaration_block(opener, variant_line)
        return A.EnumDecl(name.value, tuple(variants), self.span_from(opener.span))

    def parse_variant(self) -> A.Variant:
        name = self.expect_name("a variant name")
        fields: list[A.TypeExpr] = []
        names: list[str | None] = []
        if self.accept("("):
            self.push_newlines(False)
            while not self.at(")"):
                field_name = None
                if self.peek().kind == T.IDENT and self.peek_at(1).kind == ":":
                    field_name = self.advance().value
                    self.advance()
                names.append(field_name)
                fields.append(self.parse_type())
                if not self.accept(","):
                    break
            self.expect(")")
            self.pop_newlines()
        return A.Variant(name.value, tuple(fields), tuple(names), self.span_from(name.span))

    def parse_type_alias(self) -> A.TypeAlias:
        start = self.advance().span
        name = self.expect_name("a type name")
        self.expect("=", hint="`type Name = OtherType`")
        return A.TypeAlias(name.value, self.parse_type(), self.span_from(start))

    def parse_const(self) -> A.ConstDecl:
        start = self.advance().span
        name = self.expect_name("a constant name")
        typ = self.parse_type() if self.accept(":") else None
        self.expect("=", hint="`const NAME = value`")
        return A.ConstDecl(name.value, typ, self.parse_expr(), self.span_from(start))

    # ------------------------------------------------------------- tools and grants

    def parse_use(self) -> A.UseTool:
        start = self.advance().span
        self.expect("tool", hint="`use tool llm.chat as Chat`")
        parts = [self.expect_name("a tool name").value]
        while self.accept("."):
            parts.append(self.expect_name("a tool name").value)
        self.expect("as", hint=f"name the tool: `use tool {'.'.join(parts)} as Alias`")
        alias = self.expect_name("an alias")
        return A.UseTool(".".join(parts), alias.value, self.span_from(start))

    def parse_grant(self) -> A.Grant:
        grant_tok = self.advance()
        alias = self.expect_name("the alias of a tool")
        entries: list[A.GrantEntry] = []
        while not self.at_line_end():
            entries.append(self.parse_grant_entry())
        if not entries and self.at(T.NEWLINE):
            # The indented block form: key/value lines deeper than the `grant` line.
            while True:
                nxt = self.tokens[self.i + 1]
                if nxt.kind == T.EOF or nxt.span.col <= grant_tok.line_indent:
                    break
                self.advance()  # the newline
                while not self.at_line_end():
                    entries.append(self.parse_grant_entry())
        if not entries:
            self.fail(f"`grant {alias.value}` has no keys", self.span_from(grant_tok.span),
                      f"write `grant {alias.value} model \"gpt-4o\"` or indent key/value lines "
                      "under it")
        return A.Grant(alias.value, tuple(entries), self.span_from(grant_tok.span))

    def parse_grant_entry(self) -> A.GrantEntry:
        key = self.expect_name("a grant key")
        if self.at_line_end():
            self.fail(f"grant key `{key.value}` has no value", key.span,
                      f"write `{key.value} <value>`")
        self.accept(":")
        value = self.parse_prefix()
        return A.GrantEntry(key.value, value, self.span_from(key.span))

    # -------------------------------------------------------- agents and imports

    def parse_agent(self) -> A.AgentDecl:
        opener = self.advance()
        name = self.expect_name(f"a name for the {opener.kind}")

        def member_line():
            tok = self.peek()
            parse = _MEMBER_PARSERS.get(tok.kind)
            if parse is None:
                self.fail(f"expected `cell`, `use tool` or `grant` in {opener.kind} "
                          f"`{name.value}`, found {tok.describe()}", tok.span,
                          f"statements belong inside a cell; is an `end` closing "
                          f"`{name.value}` too early?")
            return [parse(self)]

        members = self.declaration_block(opener, member_line)
        return A.AgentDecl(opener.kind, name.value, tuple(members), self.span_from(opener.span))

    def parse_import(self) -> A.Import:
        start = self.advance().span
        path = [self.expect_name("a module path").value]
        while self.accept("."):
            path.append(self.expect_name("a module path").value)
        self.expect(":", hint=f"`import {'.'.join(path)}: name1, name2` or `: *`")
        if self.accept("*"):
            return A.Import(tuple(path), None, self.span_from(start))
        names: list[A.ImportName] = []
        while True:
            name = self.expect_name("a name to import")
            alias = self.expect_name("an alias").value if self.accept("as") else None
            names.append(A.ImportName(name.value, alias, self.span_from(name.span)))
            if not self.accept(","):
                break
        return A.Import(tuple(path), tuple(names), self.span_from(start))


_DECLARATION_PARSERS = {
    "cell": Parser.parse_cell,
    "async": Parser.parse_cell,
    "record": Parser.parse_record,
    "enum": Parser.parse_enum,
    "type": Parser.parse_type_alias,
    "const": Parser.parse_const,
    "use": Parser.parse_use,
    "grant": Parser.parse_grant,
    "agent": Parser.parse_agent,
    "orchestration": Parser.parse_agent,
    "import": Parser.parse_import,
}

_MEMBER_PARSERS = {
    "cell": Parser.parse_cell,
    "async": Parser.parse_cell,
    "use": Parser.parse_use,
    "grant": Parser.parse_grant,
}


def parse(source: SourceFile, sink: DiagnosticSink) -> A.Module:
    """Lex and parse a whole file; syntax errors go to `sink`."""
    tokens = lex(source.code, sink)
    return Parser(tokens, sink).parse_module()
