"""Statement parsing: blocks, `let`, assignment, control flow, `if` and `match`
(a mixin of the parser)."""

from __future__ import annotations

from . import ast as A
from . import tokens as T
from .stream import OpenBlock, ParseError

_ASSIGNABLE = (A.Name, A.Index, A.Member)


class StatementParser:
    ParseError = ParseError

    def parse_block_body(self, block: OpenBlock, terminators: tuple[str, ...]) -> tuple:
        """Statements up to one of `terminators` (not consumed), recovering from errors."""
        stmts: list = []
        while True:
            self.skip_newlines()
            if self.block_ends_here(block, terminators):
                break
            depth = len(self.newline_significant)
            try:
                stmts.append(self.parse_statement())
                self.end_of_statement(terminators)
            except ParseError:
                self.synchronize(depth)
        return tuple(stmts)

    def end_of_statement(self, terminators: tuple[str, ...]) -> None:
        tok = self.peek()
        if tok.kind in (T.NEWLINE, ";", T.EOF) or tok.kind in terminators:
            return
        if tok.first_on_line:   # an inner block ended at a line break (closed by dedent)
            return
        hint = None
        if tok.kind == T.IDENT and self.prev.kind == T.IDENT:
            hint = "two names in a row: is an operator or a `,` missing?"
        self.fail(f"expected the end of the statement, found {tok.describe()}", tok.span, hint)

    def parse_statement(self):
        tok = self.peek()
        parse = _STATEMENT_PARSERS.get(tok.kind)
        if parse is not None:
            return parse(self)
        if tok.kind in _DECLARATION_KEYWORDS:
            self.fail(f"`{tok.kind}` declarations belong at the top level, not inside a block",
                      tok.span, "move it out of the cell or block, or close the block above "
                      "with `end`")
        start = tok.span
        expr = self.parse_expr()
        if self.peek().kind in T.ASSIGN_OPS:
            op = self.advance().kind
            self.skip_newlines_if_insignificant_after_operator()
            value = self.parse_expr()
            if not isinstance(expr, _ASSIGNABLE):
                self.report("cannot assign to this expression", expr.span,
                            "assign to a name (`x = v`), an element (`xs[i] = v`) or a "
                            "map entry (`m[k] = v`)")
            return A.Assign(expr, op, value, self.span_from(start))
        return A.ExprStmt(expr, expr.span)

    # ---------------------------------------------------------------- simple ones

    def parse_let(self) -> A.Let:
        start = self.advance().span
        mutable = bool(self.accept("mut"))
        target = self.parse_binding_target()
        typ = self.parse_type() if self.accept(":") else None
        self.expect("=", hint="`let name = value`")
        self.skip_newlines_if_insignificant_after_operator()
        value = self.parse_expr()
        return A.Let(target, typ, value, mutable, self.span_from(start))

    def parse_binding_target(self) -> A.Pattern:
        tok = self.peek()
        if tok.kind == "(":
            return self.parse_tuple_pattern()
        if tok.kind == "[":
            return self.parse_list_pattern()
        name = self.expect_name("a name to bind")
        if name.value == "_":
            return A.WildcardPat(name.span)
        return A.BindPat(name.value, name.span)

    def parse_return(self) -> A.Return:
        start = self.advance().span
        if self.at_line_end() or self.at("end", "else", "elif"):
            return A.Return(None, start)
        return A.Return(self.parse_expr(), self.span_from(start))

    def parse_halt(self) -> A.Halt:
        start = self.advance().span
        return A.Halt(self.parse_expr(), self.span_from(start))

    def parse_emit(self) -> A.Emit:
        start = self.advance().span
        return A.Emit(self.parse_expr(), self.span_from(start))

    def parse_break(self) -> A.Break:
        return A.Break(self.advance().span)

    def parse_continue(self) -> A.Continue:
        return A.Continue(self.advance().span)

    def parse_role(self) -> A.Role:
        tok = self.advance()
        role, parts = tok.value
        text = [p if isinstance(p, str) else self.parse_sub_expression(p) for p in parts]
        return A.Role(role, A.StringInterp(tuple(text), tok.span), tok.span)

    # --------------------------------------------------------------------- loops

    def _loop_body(self, opener, kind: str) -> tuple:
        self.push_newlines(True)
        block = self.open_block(kind, opener)
        try:
            body = self.parse_block_body(block, ("end",))
            self.close_with_end(block, kind)
        finally:
            self.close_block()
            self.pop_newlines()
        return body

    def parse_for(self) -> A.For:
        opener = self.advance()
        target = self.parse_pattern()
        self.expect("in", hint="`for x in xs ... end`")
        iterable = self.parse_expr()
        condition = self.parse_expr() if self.accept("if") else None
        body = self._loop_body(opener, "for")
        return A.For(target, iterable, condition, body, self.span_from(opener.span))

    def parse_while(self) -> A.While:
        opener = self.advance()
        condition = self.parse_expr()
        body = self._loop_body(opener, "while")
        return A.While(condition, body, self.span_from(opener.span))

    def parse_loop(self) -> A.Loop:
        opener = self.advance()
        body = self._loop_body(opener, "loop")
        return A.Loop(body, self.span_from(opener.span))

    # ------------------------------------------------------------------------ if

    def parse_if(self) -> A.If:
        opener = self.advance()
        condition = self.parse_expr()
        if self.accept("then"):
            return self.parse_inline_if(opener, condition)
        self.push_newlines(True)
        block = self.open_block("if", opener)
        branches = []
        else_body = None
        try:
            body = self.parse_block_body(block, ("end", "else", "elif"))
            branches.append((condition, body))
            while True:
                tok = self.peek()
                if tok.kind == "elif" or (tok.kind == "else" and self.peek_at(1).kind == "if"):
                    self.advance()
                    if tok.kind == "else":
                        self.advance()
                    cond = self.parse_expr()
                    self.accept("then")
                    branches.append((cond, self.parse_block_body(block, ("end", "else", "elif"))))
                elif tok.kind == "else":
                    self.advance()
                    else_body = self.parse_block_body(block, ("end",))
                    break
                else:
                    break
            self.close_with_end(block, "if")
        finally:
            self.close_block()
            self.pop_newlines()
        return A.If(tuple(branches), else_body, self.span_from(opener.span))

    def parse_inline_if(self, opener, condition) -> A.If:
        then_stmt = self.parse_inline_branch()
        else_body = None
        if self.accept("else"):
            if self.at("if"):
                nested = self.parse_if()
                else_body = (A.ExprStmt(nested, nested.span),)
            else:
                else_body = (self.parse_inline_branch(),)
        return A.If(((condition, (then_stmt,)),), else_body, self.span_from(opener.span),
                    inline=True)

    def parse_inline_branch(self):
        kind = self.peek().kind
        if kind in ("return", "break", "continue", "halt", "emit"):
            return _STATEMENT_PARSERS[kind](self)
        expr = self.parse_expr()
        return A.ExprStmt(expr, expr.span)

    # --------------------------------------------------------------------- match

    def parse_match(self) -> A.Match:
        opener = self.advance()
        subject = self.parse_expr()
        self.push_newlines(True)
        block = self.open_block("match", opener)
        arms: list[A.MatchArm] = []
        try:
            while True:
                self.skip_newlines()
                if self.block_ends_here(block, ("end",)):
                    break
                depth = len(self.newline_significant)
                try:
                    arms.append(self.parse_arm())
                except ParseError:
                    self.synchronize(depth)
            self.close_with_end(block, "match")
        finally:
            self.close_block()
            self.pop_newlines()
        if not arms and not self.sink.has_errors:
            self.report("`match` has no arms", opener.span,
                        "add arms like `pattern -> value`, one per line")
        return A.Match(subject, tuple(arms), self.span_from(opener.span))

    def parse_arm(self) -> A.MatchArm:
        start = self.peek().span
        pattern = self.parse_pattern()
        guard = self.parse_expr() if self.accept("if") else None
        self.expect("->", "`->` after the pattern",
                    "match arms look like `pattern -> value`")
        if self.at(T.NEWLINE):
            arrow = self.prev
            block = self.open_block("match arm", arrow)
            try:
                body = self.parse_block_body(block, ("end",))
                self.close_with_end(block, "match arm")
            finally:
                self.close_block()
        else:
            body = (self.parse_statement(),)
            self.end_of_statement(("end",))
        return A.MatchArm(pattern, guard, body, self.span_from(start))


_DECLARATION_KEYWORDS = frozenset({"cell", "record", "enum", "agent", "orchestration", "use",
                                   "grant", "const", "type", "import", "async"})

_STATEMENT_PARSERS = {
    "let": StatementParser.parse_let,
    "return": StatementParser.parse_return,
    "halt": StatementParser.parse_halt,
    "emit": StatementParser.parse_emit,
    "break": StatementParser.parse_break,
    "continue": StatementParser.parse_continue,
    "for": StatementParser.parse_for,
    "while": StatementParser.parse_while,
    "loop": StatementParser.parse_loop,
    T.ROLE: StatementParser.parse_role,
}
