"""Expression parsing by precedence climbing (a mixin of the parser).

Levels, lowest first: `??`, `or`, `and`, comparisons (`== != < <= > >= in is`), `|>`,
`++`, ranges, `+ -`, `* / // %`, `**`, prefix `- not`, postfix. Block-shaped expressions
(`if`, `match`, lambdas, `await` forms) are primaries.
"""

from __future__ import annotations

from . import ast as A
from . import tokens as T

_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "is"})
_ADD = frozenset({"+", "-"})
_MUL = frozenset({"*", "/", "//", "%"})
_AWAIT_BLOCKS = frozenset({"parallel", "race", "vote", "select"})


class ExpressionParser:
    def parse_expr(self) -> A.Expr:
        return self.parse_coalesce()

    def _infix_continues(self, ops) -> bool:
        """Is the next token one of `ops`, possibly at the start of the next line?"""
        tok = self.peek()
        if tok.kind in ops:
            return True
        if tok.kind == T.NEWLINE and "|>" in ops:
            nxt = self.tokens[self.i + 1]
            if nxt.kind == "|>":   # a pipeline continued on the next line
                self.i += 1
                return True
        return False

    def _binary_level(self, ops, operand) -> A.Expr:
        start = self.peek().span
        left = operand()
        while self._infix_continues(ops):
            op = self.advance().kind
            self.skip_newlines_if_insignificant_after_operator()
            right = operand()
            left = A.Binary(op, left, right, self.span_from(start))
        return left

    def skip_newlines_if_insignificant_after_operator(self) -> None:
        # A line that ends with an operator continues on the next line.
        while self.tokens[self.i].kind == T.NEWLINE:
            self.i += 1

    def parse_coalesce(self) -> A.Expr:
        return self._binary_level(("??",), self.parse_or)

    def parse_or(self) -> A.Expr:
        return self._binary_level(("or",), self.parse_and)

    def parse_and(self) -> A.Expr:
        return self._binary_level(("and",), self.parse_compare)

    def parse_compare(self) -> A.Expr:
        start = self.peek().span
        left = self.parse_pipe()
        tok = self.peek()
        if tok.kind == "not" and self.peek_at(1).kind == "in":
            self.advance()
            self.advance()
            self.skip_newlines_if_insignificant_after_operator()
            right = self.parse_pipe()
            inner = A.Binary("in", left, right, self.span_from(start))
            return A.Unary("not", inner, self.span_from(start))
        if tok.kind not in _COMPARE:
            return left
        op = self.advance().kind
        if op == "is":
            return A.IsType(left, self.parse_type(), self.span_from(start))
        self.skip_newlines_if_insignificant_after_operator()
        right = self.parse_pipe()
        node = A.Binary(op, left, right, self.span_from(start))
        if self.peek().kind in _COMPARE:
            self.fail(f"comparisons cannot be chained: `{op}` then `{self.peek().kind}`",
                      self.peek().span, "combine them with `and`: `a < b and b < c`")
        return node

    def parse_pipe(self) -> A.Expr:
        start = self.peek().span
        left = self.parse_concat()
        while self._infix_continues(("|>",)):
            self.advance()
            self.skip_newlines_if_insignificant_after_operator()
            right = self.parse_concat()
            span = self.span_from(start)
            if isinstance(right, A.Call) and not right.piped:
                args = (A.Arg(None, left, left.span),) + right.args
                left = A.Call(right.callee, args, span, piped=True)
            else:
                left = A.Call(right, (A.Arg(None, left, left.span),), span, piped=True)
        return left

    def parse_concat(self) -> A.Expr:
        return self._binary_level(("++",), self.parse_range)

    def parse_range(self) -> A.Expr:
        start = self.peek().span
        left = self.parse_additive()
        if self.at("..", "..="):
            inclusive = self.advance().kind == "..="
            right = self.parse_additive()
            return A.Range(left, right, inclusive, self.span_from(start))
        return left

    def parse_additive(self) -> A.Expr:
        return self._binary_level(_ADD, self.parse_multiplicative)

    def parse_multiplicative(self) -> A.Expr:
        return self._binary_level(_MUL, self.parse_prefix)

    def parse_prefix(self) -> A.Expr:
        """Prefix `-` and `not` bind tighter than `**` (LANGUAGE.md section 2): -2 ** 2 == 4."""
        start = self.peek().span
        base = self.parse_unary()
        if self.accept("**"):
            self.skip_newlines_if_insignificant_after_operator()
            exponent = self.parse_prefix()   # right-associative: a ** b ** c
            return A.Binary("**", base, exponent, self.span_from(start))
        return base

    def parse_unary(self) -> A.Expr:
        tok = self.peek()
        if tok.kind in ("-", "not"):
            self.advance()
            operand = self.parse_unary()
            if tok.kind == "-" and isinstance(operand, A.Literal) \
                    and type(operand.value) in (int, float):
                return A.Literal(-operand.value, self.span_from(tok.span))
            return A.Unary(tok.kind, operand, self.span_from(tok.span))
        return self.parse_postfix()

    # ---------------------------------------------------------------------- postfix

    def parse_postfix(self) -> A.Expr:
        start = self.peek().span
        expr = self.parse_primary()
        while True:
            tok = self.peek()
            kind = tok.kind
            if kind == T.NEWLINE and self.tokens[self.i + 1].kind in (".", "?."):
                self.i += 1          # a method chain continued on the next line
                continue
            if kind == "(" and tok.span.line == self.prev.span.end_line:
                args = self.parse_call_args()
                expr = A.Call(expr, args, self.span_from(start))
            elif kind == "[" and tok.span.line == self.prev.span.end_line:
                self.advance()
                self.push_newlines(False)
                index = self.parse_expr()
                self.expect("]")
                self.pop_newlines()
                expr = A.Index(expr, index, self.span_from(start))
            elif kind in (".", "?."):
                self.advance()
                name_tok = self.peek()
                if name_tok.kind == T.INT:
                    self.advance()
                    name = str(name_tok.value)
                elif name_tok.kind == T.IDENT or name_tok.kind in T.KEYWORDS:
                    self.advance()
                    name = name_tok.value
                else:
                    self.fail(f"expected a field or method name after `{kind}`, "
                              f"found {name_tok.describe()}", name_tok.span)
                expr = A.Member(expr, name, self.span_from(start), optional=kind == "?.")
            elif kind == "?" and tok.span.col == self.prev.span.end_col \
                    and tok.span.line == self.prev.span.end_line:
                self.advance()
                expr = A.Propagate(expr, self.span_from(start))
            else:
                return expr

    def parse_call_args(self) -> tuple[A.Arg, ...]:
        open_tok = self.advance()
        self.push_newlines(False)
        args: list[A.Arg] = []
        seen_named = False
        while not self.at(")"):
            tok = self.peek()
            if tok.kind == T.EOF:
                break
            if tok.kind == T.IDENT and self.peek_at(1).kind == ":":
                self.advance()
                self.advance()
                value = self.parse_expr()
                args.append(A.Arg(tok.value, value, self.span_from(tok.span)))
                seen_named = True
            else:
                value = self.parse_expr()
                if seen_named:
                    self.report("a positional argument cannot follow a named one", value.span,
                                "put positional arguments first")
                args.append(A.Arg(None, value, value.span))
            if not self.accept(","):
                break
        self.expect(")", hint=f"the call's `(` is at line {open_tok.span.line}")
        self.pop_newlines()
        return tuple(args)

    # ---------------------------------------------------------------------- primary

    def parse_primary(self) -> A.Expr:
        tok = self.peek()
        kind = tok.kind
        if kind in (T.INT, T.FLOAT):
            self.advance()
            return A.Literal(tok.value, tok.span)
        if kind == T.STRING:
            self.advance()
            return self.string_node(tok)
        if kind == T.RAW_STRING:
            self.advance()
            return A.Literal(tok.value, tok.span)
        if kind in ("true", "false"):
            self.advance()
            return A.Literal(kind == "true", tok.span)
        if kind == "null":
            self.advance()
            return A.Literal(None, tok.span)
        if kind == T.IDENT:
            self.advance()
            return A.Name(tok.value, tok.span)
        parse = _PRIMARY_PARSERS.get(kind)
        if parse is not None:
            return parse(self)
        hint = None
        if kind in ("end", "else", "elif"):
            hint = f"`{kind}` has no open block to close here"
        elif kind in T.KEYWORDS:
            hint = f"`{kind}` starts a statement or declaration, not an expression"
        self.fail(f"expected an expression, found {tok.describe()}", tok.span, hint)

    def string_node(self, tok) -> A.Expr:
        parts = []
        for part in tok.value:
            if isinstance(part, str):
                parts.append(part)
            else:
                parts.append(self.parse_sub_expression(part))
        if all(isinstance(p, str) for p in parts):
            return A.Literal("".join(parts), tok.span)
        return A.StringInterp(tuple(parts), tok.span)

    def parse_paren(self) -> A.Expr:
        start = self.advance().span
        self.push_newlines(False)
        if self.accept(")"):
            self.pop_newlines()
            return A.TupleLit((), self.span_from(start))
        first = self.parse_expr()
        if not self.at(","):
            self.expect(")", hint=f"the `(` is at line {start.line}")
            self.pop_newlines()
            return first
        items = [first]
        while self.accept(","):
            if self.at(")"):
                break
            items.append(self.parse_expr())
        self.expect(")", hint=f"the `(` is at line {start.line}")
        self.pop_newlines()
        return A.TupleLit(tuple(items), self.span_from(start))

    def parse_list(self) -> A.Expr:
        start = self.advance().span
        self.push_newlines(False)
        items: list[A.Expr] = []
        if not self.at("]"):
            first = self.parse_expr()
            if self.accept("for"):
                target = self.parse_pattern()
                self.expect("in", hint="list comprehensions look like `[x * 2 for x in xs]`")
                iterable = self.parse_expr()
                condition = self.parse_expr() if self.accept("if") else None
                self.expect("]", hint=f"the `[` is at line {start.line}")
                self.pop_newlines()
                return A.ListComp(first, target, iterable, condition, self.span_from(start))
            items.append(first)
            while self.accept(","):
                if self.at("]"):
                    break
                items.append(self.parse_expr())
        self.expect("]", hint=f"the `[` is at line {start.line}")
        self.pop_newlines()
        return A.ListLit(tuple(items), self.span_from(start))

    def parse_map(self) -> A.Expr:
        start = self.advance().span
        self.push_newlines(False)
        entries: list[tuple[A.Expr, A.Expr]] = []
        while not self.at("}"):
            key = self.parse_expr()
            self.expect(":", hint='map entries look like `"key": value`')
            entries.append((key, self.parse_expr()))
            if not self.accept(","):
                break
        self.expect("}", hint=f"the `{{` is at line {start.line}")
        self.pop_newlines()
        return A.MapLit(tuple(entries), self.span_from(start))

    def parse_lambda(self) -> A.Lambda:
        start_tok = self.advance()
        params = self.parse_params()
        ret = self.parse_type() if self.accept("->") else None
        if self.accept("=>"):
            self.skip_newlines_if_insignificant_after_operator()
            body = self.parse_expr()
            stmt = A.ExprStmt(body, body.span)
            return A.Lambda(params, ret, (stmt,), False, self.span_from(start_tok.span))
        self.push_newlines(True)
        block = self.open_block("fn", start_tok)
        try:
            body = self.parse_block_body(block, ("end",))
            self.close_with_end(block, "fn")
        finally:
            self.close_block()
            self.pop_newlines()
        return A.Lambda(params, ret, body, True, self.span_from(start_tok.span))

    def parse_try(self) -> A.Try:
        start = self.advance().span
        return A.Try(self.parse_expr(), self.span_from(start))

    def parse_spawn(self) -> A.Spawn:
        start = self.advance().span
        if not self.at("("):
            self.fail("expected `(` after `spawn`", self.peek().span,
                      "spawn takes its work in parentheses: `spawn(task())`")
        args = self.parse_call_args()
        for arg in args:
            if arg.name is not None:
                self.report("`spawn` takes no named arguments", arg.span,
                            "write `spawn(f(x: 1))` to spawn a call with named arguments")
        if not args:
            self.fail("`spawn` needs something to run", self.span_from(start),
                      "write `spawn(task())`")
        return A.Spawn(tuple(a.value for a in args), self.span_from(start))

    # ----------------------------------------------------------------- await forms

    def parse_await(self) -> A.Expr:
        await_tok = self.advance()
        tok = self.peek()
        if tok.kind == T.IDENT and tok.value in ("parallel", "race", "vote", "select", "timeout"):
            after = self.tokens[self.i + 1]   # raw: a line break counts even inside brackets
            if tok.value == "timeout" and after.kind == "(":
                return self.parse_timeout(await_tok)
            if tok.value == "parallel" and after.kind in ("for", "("):
                return self.parse_parallel_with_options(await_tok)
            if tok.value in _AWAIT_BLOCKS and after.kind in (T.NEWLINE, T.EOF):
                self.advance()
                return self.parse_orchestration_block(await_tok, tok.value, None)
        operand = self.parse_unary()
        return A.Await(operand, self.span_from(await_tok.span))

    def parse_timeout(self, await_tok) -> A.Timeout:
        self.advance()  # timeout
        self.advance()  # (
        self.push_newlines(False)
        ms = self.parse_expr()
        self.expect(",", hint="`await timeout(ms, expression)`")
        expr = self.parse_expr()
        self.expect(")")
        self.pop_newlines()
        return A.Timeout(ms, expr, self.span_from(await_tok.span))

    def parse_parallel_with_options(self, await_tok) -> A.Expr:
        self.advance()  # parallel
        limit = None
        if self.at("("):
            args = self.parse_call_args()
            for arg in args:
                if arg.name != "limit":
                    self.report("`parallel` takes only `limit:`", arg.span,
                                "write `await parallel(limit: 8) for x in xs ... end`")
                else:
                    limit = arg.value
        if not self.at("for"):
            if self.at(T.NEWLINE):
                return self.parse_orchestration_block(await_tok, "parallel", limit)
            self.fail(f"expected `for` or a new line after `parallel`, found "
                      f"{self.peek().describe()}", self.peek().span)
        self.advance()  # for
        target = self.parse_pattern()
        self.expect("in", hint="`await parallel for x in xs ... end`")
        iterable = self.parse_expr()
        # A filter as in `for`, on the line where the iterable ends: inside brackets
        # (`print(await parallel for ...)`) line breaks are skipped, and an `if` on the
        # next line is the body's first statement.
        condition = None
        if self.at("if") and self.peek().span.line == self.prev.span.end_line:
            self.advance()
            condition = self.parse_expr()
        self.push_newlines(True)
        block = self.open_block("parallel for", await_tok, dedent_closable=True)
        try:
            body = self.parse_block_body(block, ("end",))
            self.close_with_end(block, "parallel for")
        finally:
            self.close_block()
            self.pop_newlines()
        return A.ParallelFor(target, iterable, condition, body, limit,
                             self.span_from(await_tok.span))

    def parse_orchestration_block(self, await_tok, kind: str, limit) -> A.OrchestrationBlock:
        self.push_newlines(True)
        block = self.open_block(kind, await_tok, dedent_closable=True)
        branches: list[A.Branch] = []
        try:
            while True:
                self.skip_newlines()
                if self.block_ends_here(block, ("end",)):
                    break
                tok = self.peek()
                if tok.kind in _STATEMENT_KEYWORDS:
                    # A statement inside a branch list: the block was never closed.
                    self.report_unclosed(block, kind, tok)
                    break
                depth = len(self.newline_significant)
                try:
                    branches.append(self.parse_branch())
                    if not self.at_line_end() and not self.at("end"):
                        self.fail(f"expected the end of the branch, found "
                                  f"{self.peek().describe()}", self.peek().span,
                                  "each branch is one expression on its own line")
                except self.ParseError:
                    self.synchronize(depth)
            if self.peek().kind == "end":
                self.close_with_end(block, kind)
            elif self.peek().kind == T.EOF:
                self.close_with_end(block, kind)
        finally:
            self.close_block()
            self.pop_newlines()
        return A.OrchestrationBlock(kind, tuple(branches), limit, self.span_from(await_tok.span))

    def parse_branch(self) -> A.Branch:
        tok = self.peek()
        if tok.kind == T.IDENT and self.peek_at(1).kind == "=":
            self.advance()
            self.advance()
            expr = self.parse_expr()
            return A.Branch(tok.value, expr, self.span_from(tok.span))
        expr = self.parse_expr()
        return A.Branch(None, expr, expr.span)


_STATEMENT_KEYWORDS = frozenset({"let", "return", "for", "while", "loop", "break", "continue",
                                 "halt", "emit", "cell", "record", "enum", "agent",
                                 "orchestration", "use", "grant", "const", "type", "import"})

_PRIMARY_PARSERS = {
    "(": ExpressionParser.parse_paren,
    "[": ExpressionParser.parse_list,
    "{": ExpressionParser.parse_map,
    "fn": ExpressionParser.parse_lambda,
    "try": ExpressionParser.parse_try,
    "spawn": ExpressionParser.parse_spawn,
    "await": ExpressionParser.parse_await,
    "if": lambda self: self.parse_if(),
    "match": lambda self: self.parse_match(),
}
