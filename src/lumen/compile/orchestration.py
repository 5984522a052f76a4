"""Compiling the orchestration forms, `spawn` and `await` (a mixin of the compiler).

Each branch becomes an `async def` closure (a thunk) and the form becomes one awaited
call into `lumen.runtime.orchestration`, which owns the concurrency: the compiler only
decides what is a branch and where names are bound afterwards.
"""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E

_FORMS = {"parallel": "_L_parallel", "race": "_L_race", "vote": "_L_vote",
          "select": "_L_select"}


class OrchestrationCompiler:
    def thunk(self, node, hint: str = "branch", snapshot: bool = False) -> str:
        """Emit an async def that evaluates the expression `node` (a checked branch).
        With `snapshot`, it reads the variables of the enclosing function as they are
        when it is defined (a spawned task computes with the values `spawn` saw)."""
        info = self.a.functions[node]
        fname = self.temp(hint)
        value = node.expr if isinstance(node, (A.Branch, A.Timeout)) else node
        fn = self.function(info, fname, [], (), value.span, value_node=value,
                           snapshot=snapshot)
        self.emit(fn, node.span)
        return fname

    def lines(self, branches) -> py.expr:
        return py.Tuple(elts=[E.const(b.span.line) for b in branches], ctx=E.LOAD)

    # ------------------------------------------------------------------ forms

    def ex_parallel_for(self, node: A.ParallelFor) -> py.expr:
        info = self.a.functions[node]
        iterable = self.iteration(node.iterable)
        limit = self.expr(node.limit) if node.limit is not None else E.const(None)
        keywords = [E.kw("limit", limit), E.kw("line", E.const(node.span.line)),
                    E.kw("reporting", E.const(True))]
        if node.condition is not None:
            keywords.append(E.kw("keep", E.name(self.filter_function(node, info))))
        fname = self.temp("branch")
        param, prologue = self.branch_target(node.target)
        params = [("_L_report", None, None), ("_L_index", None, None), (param, None, None)]
        fn = self.function(info, fname, params, node.body, node.span, prologue=prologue,
                           mode="_L_value", wrap=self.reporting_body)
        self.emit(fn, node.span)
        call = E.call("_L_parallel_for", [iterable, E.name(fname)], keywords)
        return py.Await(value=call)

    def branch_target(self, target) -> tuple[str, list]:
        """The parameter that receives an element, and the statements destructuring it."""
        if isinstance(target, A.BindPat) and target in self.a.bindings:
            return self.a.bindings[target].py_name, []
        param = self.temp("item")
        prologue: list = []
        with self.into(prologue):
            self.destructure(target, E.name(param), target.span)
        return param, prologue

    def filter_function(self, node: A.ParallelFor, info) -> str:
        """`parallel for x in xs if cond`: a function of one element giving `cond`. The
        form calls it on each element before it starts any branch, so an element the
        filter rejects is never a branch (the checker bound the target in the branch's
        function: this function is compiled from the same one, with the same names)."""
        fname = self.temp("keep")
        param, prologue = self.branch_target(node.target)
        fn = self.function(info, fname, [(param, None, None)], (), node.condition.span,
                           prologue=prologue, value_node=node.condition)
        self.emit(fn, node.condition.span)
        return fname

    def reporting_body(self, body: list) -> list:
        """A `parallel for` body that reports its own outcome through the `report`
        callable the form passes in (the branch task's coroutine is the body itself: no
        wrapper per branch)."""
        def finish(value, error):
            return py.Expr(value=E.call("_L_report", [E.name("_L_index"), value, error]))

        failed = py.ExceptHandler(type=E.name("_L_BranchErrors"), name="_L_error",
                                  body=[finish(E.const(None), E.name("_L_error"))])
        interrupted = py.ExceptHandler(type=E.name("_L_BaseException"), name="_L_error",
                                       body=[finish(E.const(None), E.name("_L_error")),
                                             py.Raise(exc=None, cause=None)])
        # A body whose every path halts never assigns `_L_value` (its `else` is then
        # unreachable): naming it anyway would make it a global the runtime cannot resolve.
        value = E.name("_L_value") if E.assigns(body, "_L_value") else E.const(None)
        return [py.Try(body=body, handlers=[failed, interrupted],
                       orelse=[finish(value, E.const(None))], finalbody=[])]

    def ex_orchestration(self, node: A.OrchestrationBlock) -> py.expr:
        names = [self.thunk(branch) for branch in node.branches]
        thunks = py.List(elts=[E.name(n) for n in names], ctx=E.LOAD)
        # The form's own line (`let w = await race`), which the trace reports; without
        # it the runtime falls back to the first branch's line.
        keywords = [E.kw("lines", self.lines(node.branches)),
                    E.kw("line", E.const(node.span.line))]
        if node.kind == "parallel" and node.limit is not None:
            keywords.append(E.kw("limit", self.expr(node.limit)))
        # Only a form with named branches pays for the extra result it needs to bind them.
        named = any(branch in self.a.bindings for branch in node.branches)
        if named and node.kind == "race":
            keywords.append(E.kw("with_index", E.const(True)))
        if named and node.kind == "vote":
            keywords.append(E.kw("with_branch_values", E.const(True)))
        call = py.Await(value=E.call(_FORMS[node.kind], [thunks], keywords))
        result = self.temp()
        self.emit(E.assign(result, call), node.span)
        if node.kind == "select" or (named and node.kind == "race"):
            return self.bind_select(node, result)
        if named and node.kind == "vote":
            return self.bind_vote(node, result)
        if node.kind == "parallel":
            for i, branch in enumerate(node.branches):
                binding = self.a.bindings.get(branch)
                if binding is not None:
                    item = py.Subscript(value=E.name(result), slice=E.const(i), ctx=E.LOAD)
                    self.emit(E.assign(binding.py_name, item), branch.span)
        return E.name(result)

    def bind_select(self, node: A.OrchestrationBlock, result: str) -> py.expr:
        """`select` (and `race` asked `with_index`) returns (winner index, value): the
        winner's name gets the value, every other name `null`."""
        index = py.Subscript(value=E.name(result), slice=E.const(0), ctx=E.LOAD)
        value = py.Subscript(value=E.name(result), slice=E.const(1), ctx=E.LOAD)
        for i, branch in enumerate(node.branches):
            binding = self.a.bindings.get(branch)
            if binding is not None:
                won = py.Compare(left=index, ops=[py.Eq()], comparators=[E.const(i)])
                bound = py.IfExp(test=won, body=value, orelse=E.const(None))
                self.emit(E.assign(binding.py_name, bound), branch.span)
        return value

    def bind_vote(self, node: A.OrchestrationBlock, result: str) -> py.expr:
        """`vote` asked `with_branch_values` returns (winning value, branch values): each
        name gets its own branch's value (`null` if that branch failed or was cancelled)."""
        values = py.Subscript(value=E.name(result), slice=E.const(1), ctx=E.LOAD)
        for i, branch in enumerate(node.branches):
            binding = self.a.bindings.get(branch)
            if binding is not None:
                own = py.Subscript(value=values, slice=E.const(i), ctx=E.LOAD)
                self.emit(E.assign(binding.py_name, own), branch.span)
        return py.Subscript(value=E.name(result), slice=E.const(0), ctx=E.LOAD)

    def ex_timeout(self, node: A.Timeout) -> py.expr:
        ms = self.expr(node.ms)
        fname = self.thunk(node)
        call = E.call("_L_timeout", [ms, E.name(fname)], [E.kw("line", E.const(node.span.line))])
        return py.Await(value=call)

    # -------------------------------------------------------- spawn and await

    def owner(self) -> py.expr:
        state = self.state
        while state is not None:
            if state.has_owner:
                return E.name("_L_owner")
            state = state.parent
        return E.call("_L_root_owner", [])

    def ex_spawn(self, node: A.Spawn) -> py.expr:
        first = node.args[0]
        line = E.kw("line", E.const(node.span.line))
        if len(node.args) > 1:
            values = self.exprs_in_order(list(node.args))
            work = E.call("_L_partial", values)
            return E.call("_L_spawn", [work, self.owner()], [line])
        if isinstance(first, A.ListLit):
            futures = []
            for item in first.items:
                fname = self.thunk(item, "spawn", snapshot=True)
                futures.append(E.call("_L_spawn", [E.name(fname), self.owner()],
                                      [E.kw("line", E.const(item.span.line))]))
            return py.List(elts=futures, ctx=E.LOAD)
        if isinstance(first, A.Lambda) or node in self.a.spawned_callables:
            return E.call("_L_spawn", [self.expr(first), self.owner()], [line])
        work = self.direct_coroutine(first)
        if work is None:
            work = E.name(self.thunk(first, "spawn", snapshot=True))
        return E.call("_L_spawn", [work, self.owner()], [line])

    def direct_coroutine(self, node):
        """`spawn(cell(x, 1))` of an async cell with plain arguments: the coroutine itself
        (no closure per future — it holds the argument values as `spawn` saw them)."""
        target = self.a.calls.get(node) if isinstance(node, A.Call) else None
        if target is None or target.kind not in ("cell", "lambda") \
                or target.function is None or not target.function.is_async:
            return None
        if target.kind == "lambda" and not isinstance(node.callee, A.Name):
            return None
        if not all(isinstance(a.value, (A.Literal, A.Name)) for a in node.args):
            return None
        call = self.expr(node)
        return call.value if isinstance(call, py.Await) else None

    def ex_await(self, node: A.Await) -> py.expr:
        value = self.expr(node.expr)
        vtype = self.a.type_of(node.expr)
        if isinstance(vtype, T.Generic) and vtype.name == "Future":
            return py.Await(value=value)
        return py.Await(value=E.call("_L_await", [value]))

    def owner_wrapper(self, body: list, span) -> list:
        """A cell that spawns owns its futures: when it returns, the never-awaited ones are
        cancelled (those in its return value are handed on)."""
        start = [E.assign("_L_owner", E.call("_L_Owner", [])), E.assign("_L_ret", E.const(None))]
        close = py.Expr(value=py.Await(value=E.call(E.attr("_L_owner", "close"),
                                                    [E.name("_L_ret")])))
        guarded = py.Try(body=body, handlers=[], orelse=[], finalbody=[close])
        return [self.loc.place(s, span) for s in start + [guarded]]
