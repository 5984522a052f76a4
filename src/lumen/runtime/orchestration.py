"""The orchestration forms (LANGUAGE.md section 7), each a policy over one `Scope`.

| form           | a success                    | a failure              | value            |
|----------------|------------------------------|------------------------|------------------|
| `parallel_for` | store it in input order      | stop; raise it         | list             |
| `parallel`     | store it in source order     | stop; raise it         | tuple            |
| `race`         | first one wins; stop         | abstain                | winner's value   |
| `select`       | first one wins; stop         | abstain                | (index, value)   |
| `vote`         | tally; stop at a quorum      | abstain                | plurality value  |
| `timeout`      | its value                    | raise it               | value or None    |

* With named branches, the compiler asks `race` for (index, value) as `select` gives it,
  and `vote` for (value, each branch's own value), to bind the names after the form.

A branch is a zero-argument callable (the compiler passes `async def` closures); it may
also return a plain value, which finishes the branch at once without a task. Branches
start in source order (`Form.fill`), eagerly (see scope.py). When a form returns or
raises, every branch task it started has finished: `Scope.join` guarantees it, also
when the task running the form is cancelled (the branches are cancelled and awaited,
then CancelledError propagates).

A branch's LumenError is re-raised as the very same object (its traceback keeps the
frames inside the branch) with `branch_line` set; other exceptions propagate unchanged,
for the caller to translate. A branch that ends with a CancelledError nobody asked for
fails with kind "Cancelled".
"""

from __future__ import annotations

import math
from asyncio import CancelledError
from asyncio import sleep as _asyncio_sleep
from . import run as runs
from .asyncio_compat import get_running_loop_or_none as _get_running_loop
from .errors import LumenError
from .executor import LOCAL
from .scope import Scope
from .translation import translate


def _loop():
    loop = _get_running_loop()
    if loop is None:
        raise RuntimeError("orchestration forms need a running event loop")
    return loop


def _tag(exc: BaseException, line) -> BaseException:
    if line and isinstance(exc, LumenError) and getattr(exc, "branch_line", None) is None:
        exc.branch_line = line
    return exc


def _cancelled_failure(exc: CancelledError) -> LumenError:
    # A branch that cancelled itself (not the form): an ordinary failure.
    return translate(exc)


# What a compiled `parallel for` body reports as its failure (other BaseExceptions are
# reported, then propagate): the same rule as `scope._branch`.
BRANCH_ERRORS = (Exception, CancelledError)


class Form(Scope):
    """A scope that feeds itself: branch i is `body(items[i])`, or `items[i]()` when
    `body` is None, started in index order while fewer than `limit` run, by the run's
    executor. A `reporting` body is called as `body(report, i, items[i])` and reports its
    own outcome through `report(i, value, error)` (`Scope.report`)."""

    __slots__ = ("items", "body", "size", "next", "limit", "lines", "line", "_filling",
                 "reporting", "executor")

    def __init__(self, loop, items, body, lines, line, limit=None, reporting=False):
        self.reporting = reporting
        self.executor = runs.current().executor or LOCAL
        size = len(items)
        super().__init__(loop, size)
        self.items = items
        self.body = body
        self.size = size
        self.next = 0  # index of the next branch to start
        self.limit = size if limit is None else limit
        self.lines = lines
        self.line = line
        self._filling = False

    def branch_line(self, index: int):
        lines = self.lines
        return lines[index] if lines is not None and index < len(lines) else self.line

    def fill(self) -> None:
        """Start branches in order while there is room and the form goes on: the run's
        executor starts the work items (see executor.py)."""
        if self._filling:  # re-entered from a branch that finished eagerly: the outer
            return  # loop of the executor goes on with the next index
        self._filling = True
        try:
            self.executor.fill(self)
        finally:
            self._filling = False

    def has_room(self) -> bool:
        return self.next < self.size and not self.stopped and self.running < self.limit

    def work(self, index: int) -> tuple:
        """Work item `index` as (function, arguments) (see executor.py)."""
        if self.body is None:
            return self.items[index], ()
        if self.reporting:
            return self.body, (self.report, index, self.items[index])
        return self.body, (self.items[index],)

    def never_started(self) -> range:
        return range(self.next, self.size)

    async def run(self) -> None:
        """Start the branches and wait until every one of them has finished."""
        try:
            self.fill()
        except BaseException:  # KeyboardInterrupt from an eager step, or a bug
            self.stop()
            await self.join()
            raise
        if self.running:
            await self.join()

    def all_failed_message(self, noun: str, errors: list) -> tuple[str, list]:
        """`all 3 branches failed: line 4: ...` (`the only branch failed: ...` for one
        branch) and the errors, for RaceFailed and VoteFailed."""
        text, failures = self.failure_summary(errors)
        head = (f"the only {noun} failed" if self.size == 1
                else f"all {self.size} {noun}es failed")
        return head + (f": {text}" if text else ""), failures

    def failure_summary(self, errors: list) -> tuple[str, list]:
        """The text `line 4: Halt: boom; line 5: ...` and the errors as LumenErrors, in
        source order, for the forms that fail when every branch has failed."""
        failures = [(i, translate(e)) for i, e in enumerate(errors) if e is not None]
        text = "; ".join(f"line {self.branch_line(i)}: {e.kind}: {e.message}"
                         for i, e in failures)
        return text, [e for _, e in failures]


async def _run(form: Form, kind: str) -> None:
    """`form.run()`, traced when the run has listeners."""
    run = runs.current()
    if not run.listeners:
        await form.run()
        return
    start = form.loop.time()
    run.emit("form_start", {"form": kind, "line": form.line, "branches": form.size})
    outcome = "error"
    try:
        await form.run()
        outcome = "ok" if form.outcome_ok() else "error"
    except CancelledError:
        outcome = "cancelled"
        raise
    finally:
        run.emit("form_end", {
            "form": kind, "line": form.line, "branches": form.size, "outcome": outcome,
            "winner": form.winner_index(),
            "cancelled": sorted({*form.cancelled, *form.never_started()}),
            "elapsed_ms": (form.loop.time() - start) * 1000.0})


# ------------------------------------------------------------------------- parallel


class _Gather(Form):
    __slots__ = ("results", "error")

    def __init__(self, loop, items, body, lines, line, limit=None, reporting=False):
        super().__init__(loop, items, body, lines, line, limit, reporting)
        self.results = [None] * self.size
        self.error = None

    def succeeded(self, index, value):
        self.results[index] = value
        if self.next < self.size:
            self.fill()

    def failed(self, index, exc):
        if isinstance(exc, CancelledError):
            if self.stopped:
                return  # we cancelled it
            exc = _cancelled_failure(exc)
        if self.error is None:  # the first failure in completion order wins
            self.error = _tag(exc, self.branch_line(index))
            self.stop()

    def outcome_ok(self):
        return self.error is None

    def winner_index(self):
        return None


def _shown(value) -> str:
    from .display import short_display  # error path only
    return short_display(value)


def _check_limit(limit):
    if type(limit) is not int or limit < 1:
        raise LumenError("TypeError", f"parallel limit must be an Int of at least 1, "
                                      f"got {_shown(limit)}")
    return limit


async def parallel_for(items, body, *, limit=None, line=0, reporting=False,
                       keep=None) -> list:
    """`await parallel(limit: n) for x in items [if cond] BODY end`: the body values in
    input order. The compiler's bodies are `reporting` (see `Scope.start`). `keep` is
    the filter: an async function of an element, called on each in input order before
    any branch starts; only the elements it keeps become branches."""
    if limit is not None:
        _check_limit(limit)
    if keep is not None:
        items = [item for item in items if await keep(item)]
    elif type(items) is not list and type(items) is not tuple:
        items = list(items)  # a range, a map's keys, a String's characters, a set...
    form = _Gather(_loop(), items, body, None, line, limit, reporting)
    await _run(form, "parallel_for")
    if form.error is not None:
        raise form.error
    return form.results


async def parallel(branches, *, lines=None, line=None, limit=None) -> tuple:
    """Block `parallel(limit: n)`: a tuple of all branch values in source order."""
    if limit is not None:
        _check_limit(limit)
    form = _Gather(_loop(), branches, None, lines, _form_line(line, lines), limit)
    await _run(form, "parallel")
    if form.error is not None:
        raise form.error
    return tuple(form.results)


def _form_line(line, lines):
    if line is not None:
        return line
    return lines[0] if lines else 0


# ----------------------------------------------------------------------- race/select


class _First(Form):
    """The first success wins and stops the rest; failures abstain."""

    __slots__ = ("winner", "value", "errors")

    def __init__(self, loop, branches, lines, line):
        super().__init__(loop, branches, None, lines, line)
        self.winner = None
        self.value = None
        self.errors = [None] * self.size

    def succeeded(self, index, value):
        if self.winner is None and not self.stopped:
            self.winner = index
            self.value = value
            self.stop()

    def failed(self, index, exc):
        if isinstance(exc, CancelledError):
            if self.stopped:
                return
            exc = _cancelled_failure(exc)
        self.errors[index] = _tag(exc, self.branch_line(index))

    def outcome_ok(self):
        return self.winner is not None

    def winner_index(self):
        return self.winner

    def all_failed(self, noun: str) -> LumenError:
        message, errors = self.all_failed_message(noun, self.errors)
        return LumenError("RaceFailed", message, details=errors)


async def race(branches, *, lines=None, line=None, with_index=False):
    """The value of the first branch to succeed; RaceFailed if every branch fails.
    `with_index` returns (winner index, value), as `select` does."""
    form = _First(_loop(), branches, lines, _form_line(line, lines))
    await _run(form, "race")
    if form.winner is None:
        raise form.all_failed("branch")
    return (form.winner, form.value) if with_index else form.value


async def select(branches, *, lines=None, line=None) -> tuple:
    """Like race; returns (winner index, winner value)."""
    form = _First(_loop(), branches, lines, _form_line(line, lines))
    await _run(form, "select")
    if form.winner is None:
        raise form.all_failed("select branch")
    return (form.winner, form.value)


# ------------------------------------------------------------------------------ vote


class _Vote(Form):
    """Plurality by `==`; ties go to the value whose first branch comes first.

    `tallies` holds [value, votes, first branch index] per distinct value, in order of
    first arrival (values may be unhashable: no dict). A value is decided as soon as no
    other value — seen or not yet seen — could still beat or tie-break it with the votes
    still to come (see `_decided`)."""

    __slots__ = ("tallies", "errors", "open", "decided", "values")

    def __init__(self, loop, branches, lines, line):
        super().__init__(loop, branches, None, lines, line)
        self.values = [None] * self.size  # each branch's own value; None if it had none
        self.tallies = []
        self.errors = [None] * self.size
        self.open = [True] * self.size  # True while branch i's vote may still come
        self.decided = None  # the winning tally

    def succeeded(self, index, value):
        if self.stopped:
            return
        self.open[index] = False
        self.values[index] = value
        for tally in self.tallies:
            if tally[0] == value:
                tally[1] += 1
                if index < tally[2]:
                    tally[2] = index
                break
        else:
            self.tallies.append([value, 1, index])
        self._check()

    def failed(self, index, exc):
        if isinstance(exc, CancelledError):
            if self.stopped:
                return
            exc = _cancelled_failure(exc)
        self.open[index] = False
        self.errors[index] = _tag(exc, self.branch_line(index))
        self._check()

    def _check(self):
        winner = self._decided()
        if winner is not None:
            self.decided = winner
            self.stop()

    def _decided(self):
        tallies = self.tallies
        if not tallies:
            return None
        # The current leader: most votes, then earliest first branch.
        leader = min(tallies, key=lambda t: (-t[1], t[2]))
        remaining = self.open.count(True)
        if remaining == 0:
            return leader
        first_open = self.open.index(True)
        votes, first = leader[1], leader[2]
        # Worst case for the leader against each rival (and against a value nobody has
        # voted for yet: 0 votes, first branch = the earliest open one): every remaining
        # vote goes to that rival, whose first branch then becomes min(its own, the
        # earliest open one). The leader is safe if each rival ends below it, or level
        # with it but later in source order. (Remaining votes split any other way only
        # widen the leader's margin.)
        for rival in tallies:
            if rival is leader:
                continue
            if not _beaten(votes, first, rival[1] + remaining, min(rival[2], first_open)):
                return None
        if not _beaten(votes, first, remaining, first_open):
            return None
        return leader

    def outcome_ok(self):
        return self.decided is not None

    def winner_index(self):
        return self.decided[2] if self.decided is not None else None


def _beaten(votes, first, rival_votes, rival_first) -> bool:
    return rival_votes < votes or (rival_votes == votes and first < rival_first)


async def vote(branches, *, lines=None, line=None, with_branch_values=False):
    """The value most branches produced (see `_Vote`); VoteFailed if all fail.
    `with_branch_values` returns (that value, the list of each branch's own value, None
    for a branch that failed or was cancelled)."""
    form = _Vote(_loop(), branches, lines, _form_line(line, lines))
    await _run(form, "vote")
    if form.decided is None:
        message, errors = form.all_failed_message("branch", form.errors)
        raise LumenError("VoteFailed", message, details=errors)
    return (form.decided[0], form.values) if with_branch_values else form.decided[0]


# --------------------------------------------------------------------- timeout, sleep


class _Deadline(Form):
    """One branch, cancelled by a timer if it has not finished by the deadline."""

    __slots__ = ("value", "error", "expired")

    def __init__(self, loop, thunk, line):
        super().__init__(loop, (thunk,), None, None, line)
        self.value = None
        self.error = None
        self.expired = False

    def expire(self):
        if self.running:
            self.expired = True
            self.stop()

    def succeeded(self, index, value):
        self.value = value

    def failed(self, index, exc):
        if isinstance(exc, CancelledError):
            if self.stopped:
                return  # the deadline passed (or the form itself was cancelled)
            exc = _cancelled_failure(exc)
        self.error = _tag(exc, self.line)

    def outcome_ok(self):
        return self.error is None

    def winner_index(self):
        return None if self.expired else 0


def _seconds(ms, what: str) -> float:
    """`ms` (an Int or Float >= 0, finite) in seconds, else a Lumen TypeError."""
    if (type(ms) is int or type(ms) is float) and ms >= 0:
        try:
            seconds = ms / 1000
        except OverflowError:
            seconds = math.inf
        if math.isfinite(seconds):
            return seconds
        raise LumenError("TypeError", f"{what} expects a finite number of milliseconds, "
                                      f"got {_shown(ms)}")
    raise LumenError("TypeError", f"{what} expects a non-negative number of "
                                  f"milliseconds, got {_shown(ms)}")


async def timeout(ms, thunk, *, line=0):
    """`timeout(ms, expr)`: expr's value, or None if `ms` pass first (expr is then
    cancelled, and its cancellation awaited). Errors inside propagate."""
    delay = _seconds(ms, "timeout")
    loop = _loop()
    form = _Deadline(loop, thunk, line)
    handle = loop.call_later(delay, form.expire)
    try:
        await _run(form, "timeout")
    finally:
        handle.cancel()
    if form.error is not None:
        raise form.error
    return None if form.expired else form.value


def sleep(ms):
    """Lumen's `sleep(ms)`: an awaitable that waits, then gives null. A plain function
    that checks `ms` and returns asyncio's own sleep coroutine, so a pending sleep costs
    no coroutine frame of its own (100,000 pending futures that sleep: 22 MB less)."""
    return _asyncio_sleep(_seconds(ms, "sleep"))
