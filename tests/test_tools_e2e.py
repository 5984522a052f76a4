"""End-to-end tests of tools in real Lumen programs (LANGUAGE.md sections 8, 10, 11).

Every test writes a Lumen program and a `lumen.toml` into a temporary directory and
runs it the way a user does — `lumen run` / `lumen check` / `lumen trace show` through
`lumen.cli.main`, or `lumen.load(path).execute(...)` — against real servers on
127.0.0.1 that the test starts (tests/providers/servers.py): an OpenAI-compatible chat
server with scripted answers and faults, a plain HTTP server, and a real MCP server over
stdio. Nothing is mocked. The local model is used by one test only (structure only).

The chat provider is configured with `api_key_env` naming a fake secret; after every
test, every file the test wrote (traces, recordings, ...), everything printed and every
error is searched for it (`no_secret_anywhere`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = ROOT / "tests" / "providers"
if str(PROVIDERS) not in sys.path:
    sys.path.insert(0, str(PROVIDERS))

from servers import ChatServer, WebServer, closed_port  # noqa: E402

import lumen  # noqa: E402
from lumen import cli  # noqa: E402
from lumen.runtime.errors import LumenError  # noqa: E402

MCP_SERVER = PROVIDERS / "mcp_server.py"
EXAMPLES = ROOT / "examples" / "agents"
KEY_ENV = "LUMEN_E2E_API_KEY"
FAKE_KEY = "sk-e2e-FAKE-k3y-0f-th3-t3sts-7d1c9a"


# ------------------------------------------------------------------------ servers


class Chat(ChatServer):
    """The scripted OpenAI-compatible server, plus `answer`: a function of the request
    body that answers every chat request the queue does not script (a string, or an
    action tuple of `ChatServer`)."""

    answer = None

    def perform(self, handler, action, body):
        if action == ("echo",) and self.answer is not None \
                and not handler.path.endswith("/embeddings"):
            result = self.answer(body)
            action = ("reply", result) if isinstance(result, str) else result
        return super().perform(handler, action, body)

    def chats(self) -> list[dict]:
        """The JSON bodies of the chat requests received, in arrival order."""
        with self.lock:
            return [r["json"] for r in self.requests if r["path"].endswith("/completions")]

    def models(self) -> list[str]:
        return [b.get("model") for b in self.chats()]


class Web(WebServer):
    """The plain HTTP server, plus `pages`: path -> text served as text/plain."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        super().__init__()

    class handler_class(WebServer.handler_class):
        def route(self, path, query, record):
            pages = self.server_owner.pages
            if path in pages:
                return self.send(200, pages[path].encode(), "text/plain; charset=utf-8")
            return super().route(path, query, record)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = \
            WebServer.handler_class.handle_any


def user_text(body: dict) -> str:
    """The last message's content (the call's prompt)."""
    return str((body.get("messages") or [{}])[-1].get("content"))


def system_text(body: dict) -> str:
    return " ".join(m["content"] for m in body.get("messages", []) if m["role"] == "system")


@pytest.fixture
def chat():
    server = Chat()
    yield server
    server.stop()


@pytest.fixture
def web():
    server = Web()
    yield server
    server.stop()


# ---------------------------------------------------------------------- programs


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


class Workspace:
    """A temporary program directory; remembers everything a test printed or raised so
    the secret check can search it."""

    def __init__(self, path: Path):
        self.path = path
        self.seen: list[str] = []

    def toml(self, chat: Chat | None = None, extra: str = "", **options) -> Path:
        """lumen.toml: llm.* at `chat` (openai-compatible, key from KEY_ENV), http.* at
        builtin-http, then `extra` lines."""
        lines = ["[providers]"]
        if chat is not None:
            lines += ['"llm.chat" = "openai-compatible"', '"llm.embed" = "openai-compatible"']
        lines += ['"http.*" = "builtin-http"']
        tables = extra.split("\n[", 1)
        lines += [tables[0]]
        if chat is not None:
            settings = {"base_url": chat.base_url, "api_key_env": KEY_ENV,
                        "default_model": "test-model", "retry_base_ms": 5}
            settings.update(options)
            lines += ["", "[providers.config.openai-compatible]"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
        if len(tables) > 1:
            lines += ["", "[" + tables[1]]
        path = self.path / "lumen.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def program(self, source: str, name: str = "main.lm") -> Path:
        return self.write(name, source)

    def lumen(self, *argv) -> Result:
        """`lumen ARGV...` in-process, from the workspace directory."""
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        os.chdir(self.path)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main([str(a) for a in argv])
        finally:
            os.chdir(cwd)
        result = Result(code, out.getvalue(), err.getvalue())
        self.seen += [result.out, result.err]
        assert "Traceback (most recent call last)" not in result.err, result.err
        return result

    def run(self, *argv) -> Result:
        return self.lumen("run", *argv)

    def execute(self, path: Path, cell=None, args=None, **options):
        """`lumen.load(path).execute(...)`; a LumenError is returned, not raised."""
        try:
            return lumen.load(path).execute(cell, args or {}, **options)
        except LumenError as exc:
            self.seen += [exc.message, str(exc.hint)]
            return exc

    def lines(self, name: str) -> list[dict]:
        return [json.loads(line) for line in (self.path / name).read_text().splitlines()]


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    workspace = Workspace(tmp_path)
    yield workspace
    no_secret_anywhere(workspace)


def no_secret_anywhere(workspace: Workspace) -> None:
    """The fake key is in no file of the workspace, nothing printed, no error."""
    for path in workspace.path.rglob("*"):
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), f"the secret is in {path}"
    for text in workspace.seen:
        assert FAKE_KEY not in text, f"the secret was shown: {text[:300]}"


def tool_calls(events: list[dict]) -> list[dict]:
    return [e for e in events if e["event"] == "tool_call"]


# ============================================================== agents and models


AGENTS = """
use tool llm.chat as Chat
grant Chat max_tokens 64 temperature 0.5

agent Fast
  use tool llm.chat as Chat
  grant Chat model "fast-model"
  cell ask(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

agent Deep
  use tool llm.chat as Chat
  grant Chat
    model "deep-model"
    max_tokens 200
  cell ask(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

cell main() -> String / {llm}
  print(Fast().ask("one"))
  print(Deep().ask("two"))
  print(Chat(prompt: "three"))
  let answers = await parallel
    Fast().ask("same")
    Deep().ask("same")
  end
  print(answers)
  "done"
end
"""


def test_agents_on_different_models_and_grant_merging(ws, chat):
    chat.answer = lambda body: f"{body['model']} says {user_text(body)}"
    ws.toml(chat)
    ws.program(AGENTS)
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out == ("fast-model says one\ndeep-model says two\ntest-model says three\n"
                          '("fast-model says same", "deep-model says same")\ndone\n')
    bodies = chat.chats()
    assert [b["model"] for b in bodies[:3]] == ["fast-model", "deep-model", "test-model"]
    assert sorted(b["model"] for b in bodies[3:]) == ["deep-model", "fast-model"]
    by_prompt = {(user_text(b), b["model"]): b for b in bodies}
    # top-level grant (max_tokens 64, temperature 0.5) applies inside Fast, under its model
    assert by_prompt[("one", "fast-model")]["max_tokens"] == 64
    assert by_prompt[("one", "fast-model")]["temperature"] == 0.5
    # Deep's own max_tokens wins inside Deep, the top-level temperature still applies
    assert by_prompt[("two", "deep-model")]["max_tokens"] == 200
    assert by_prompt[("two", "deep-model")]["temperature"] == 0.5
    # outside the agents: only the top-level grant, the default model
    assert by_prompt[("three", "test-model")]["max_tokens"] == 64
    # the key was sent to the server, as a bearer token
    with chat.lock:
        assert all(r["headers"]["authorization"] == f"Bearer {FAKE_KEY}"
                   for r in chat.requests)


def test_an_agent_grant_on_a_top_level_tool_applies_only_inside_the_agent(ws, chat):
    chat.answer = lambda body: f"{body['model']}:{user_text(body)}"
    ws.toml(chat)
    ws.program("""
use tool llm.chat as Chat
grant Chat max_tokens 32

agent Critic
  grant Chat model "critic-model" max_tokens 16
  cell judge(text: String) -> String / {llm}
    Chat(prompt: text)
  end
end

cell main() -> String / {llm}
  let inside = Critic().judge("in")
  let outside = Chat(prompt: "out")
  "{inside} {outside}"
end
""")
    result = ws.run("main.lm")
    assert (result.code, result.out) == (0, "critic-model:in test-model:out\n"), result.err
    first, second = chat.chats()
    assert (first["model"], first["max_tokens"]) == ("critic-model", 16)
    assert (second["model"], second["max_tokens"]) == ("test-model", 32)


VOTE = """
use tool llm.chat as Chat

agent Judge
  use tool llm.chat as Chat
  grant Chat model "judge-a"
  cell verdict(text: String) -> String / {llm}
    role system: Answer with one word: positive or negative.
    lower(trim(Chat(prompt: text)))
  end
end

agent SecondJudge
  use tool llm.chat as Chat
  grant Chat model "judge-b"
  cell verdict(text: String) -> String / {llm}
    role system: Answer with one word: positive or negative.
    lower(trim(Chat(prompt: text)))
  end
end

agent ThirdJudge
  use tool llm.chat as Chat
  grant Chat model "judge-c"
  cell verdict(text: String) -> String / {llm}
    role system: Answer with one word: positive or negative.
    lower(trim(Chat(prompt: text)))
  end
end

cell main(text: String) -> String / {llm}
  let (a, b, c) = await parallel
    Judge().verdict(text)
    SecondJudge().verdict(text)
    ThirdJudge().verdict(text)
  end
  print("verdicts: {a} {b} {c}")
  let consensus = await vote
    Judge().verdict(text)
    SecondJudge().verdict(text)
    ThirdJudge().verdict(text)
  end
  "consensus: {consensus}"
end
"""


def test_parallel_and_vote_over_agents_on_different_models(ws, chat):
    answers = {"judge-a": " Positive\n", "judge-b": "negative", "judge-c": "POSITIVE"}
    chat.answer = lambda body: answers[body["model"]]
    ws.toml(chat)
    ws.program(VOTE)
    result = ws.run("main.lm", "--arg", "text=I love it", "--trace", "trace.jsonl")
    assert result.code == 0, result.err
    assert result.out == "verdicts: positive negative positive\nconsensus: positive\n"
    assert sorted(chat.models()[:3]) == ["judge-a", "judge-b", "judge-c"]
    assert all(system_text(b) == "Answer with one word: positive or negative."
               for b in chat.chats())
    forms = {e["form"]: e for e in ws.lines("trace.jsonl") if e["event"] == "form_end"}
    assert forms["parallel"]["outcome"] == "ok" and forms["parallel"]["branches"] == 3
    assert forms["vote"]["outcome"] == "ok" and forms["vote"]["branches"] == 3


# ============================================================= structured output


ANALYSIS = """
use tool llm.chat as Chat
grant Chat max_retries 2

record Analysis
  sentiment: String
  score: Float
  summary: String where length(summary) > 0
end

cell analyze(text: String) -> Analysis / {llm}
  role system: Classify the sentiment of the user's text.
  Chat(prompt: text, schema: Analysis)
end

cell main(text: String) -> String / {llm}
  let a = analyze(text)
  print(a)
  "{a.sentiment} {a.score * 2.0} {length(a.summary)}"
end
"""


def test_schema_structured_output_into_a_record(ws, chat):
    chat.queue(("json", {"sentiment": "positive", "score": 1, "summary": "likes it"}))
    ws.toml(chat)
    ws.program(ANALYSIS)
    result = ws.run("main.lm", "--arg", "text=great")
    assert result.code == 0, result.err
    assert result.out == ('Analysis(sentiment: "positive", score: 1.0, summary: "likes it")\n'
                          "positive 2.0 8\n")
    (body,) = chat.chats()
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Analysis"
    assert fmt["json_schema"]["schema"]["required"] == ["sentiment", "score", "summary"]


def test_invalid_structured_output_is_retried_then_a_tool_error(ws, chat):
    bad = {"sentiment": "positive", "score": 0.5, "summary": ""}
    chat.queue(("json", bad), ("reply", "not json at all"), ("json", {"sentiment": 3}))
    ws.toml(chat)
    ws.program(ANALYSIS)
    result = ws.run("main.lm", "--arg", "text=meh")
    assert result.code == 1 and result.out == ""
    assert "error[ToolError]: Chat (llm.chat): the model's answer does not fit record " \
           "Analysis after 3 attempts" in result.err
    assert "main.lm:13 in analyze" in result.err and "main.lm:17 in main" in result.err
    assert chat.count == 3
    retry = chat.chats()[1]["messages"]
    assert retry[-2]["role"] == "assistant" and json.loads(retry[-2]["content"]) == bad
    assert "invalid" in retry[-1]["content"] and "where length(summary) > 0" \
        in retry[-1]["content"]


def test_an_invalid_answer_then_a_valid_one_succeeds(ws, chat):
    chat.queue(("json", {"sentiment": "x", "score": "high", "summary": "s"}),
               ("json", {"sentiment": "negative", "score": -0.5, "summary": "dislikes"}))
    ws.toml(chat)
    ws.program(ANALYSIS)
    result = ws.run("main.lm", "--arg", "text=bad")
    assert result.code == 0, result.err
    assert result.out.endswith("negative -1.0 8\n")
    assert chat.count == 2


# ====================================================================== role lines


ROLES = """
use tool llm.chat as Chat

cell helper() -> String / {llm}
  Chat(prompt: "helper's own prompt")
end

cell main(topic: String) -> String / {llm}
  role system: You are terse.
  role user: Background: {topic} matter{if topic == "" then "" else "s"}.
  let h = helper()
  let first = Chat(prompt: "Q1", system: "Base system")
  let second = Chat(prompt: "Q2")
  role user: Only for the third.
  let third = Chat(prompt: "Q3")
  "{first} | {second} | {third}"
end
"""


def test_role_lines_reach_the_server_in_order_and_are_cleared_after_the_call(ws, chat):
    ws.toml(chat)
    ws.program(ROLES)
    result = ws.run("main.lm", "--arg", "topic=tides")
    assert result.code == 0, result.err
    assert result.out == "echo: Q1 | echo: Q2 | echo: Q3\n"
    messages = [b["messages"] for b in chat.chats()]
    assert messages == [
        [{"role": "user", "content": "helper's own prompt"}],   # another cell's call
        [{"role": "system", "content": "Base system"},
         {"role": "system", "content": "You are terse."},
         {"role": "user", "content": "Background: tides matters."},
         {"role": "user", "content": "Q1"}],
        [{"role": "user", "content": "Q2"}],                     # cleared by Q1
        [{"role": "user", "content": "Only for the third."},
         {"role": "user", "content": "Q3"}],
    ]


def test_role_lines_survive_a_non_llm_tool_call(ws, chat, web):
    ws.toml(chat)
    ws.program(f"""
use tool llm.chat as Chat
use tool http.get as Fetch

cell main() -> String / {{llm, http}}
  role system: Summarize the page.
  let page = Fetch(url: "{web.url('/text')}")
  Chat(prompt: page)
end
""")
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    (body,) = chat.chats()
    assert body["messages"] == [{"role": "system", "content": "Summarize the page."},
                                {"role": "user", "content": "hello, world"}]


# ========================================================================== grants


def violation_program(grants: str, body: str, tools: str = "use tool llm.chat as Chat",
                      effects: str = "llm") -> str:
    return f"""
{tools}
{grants}

cell main() -> String / {{{effects}}}
{body}
end
"""


@pytest.mark.parametrize("grant, call, message", [
    ('grant Chat model "small"', 'Chat(prompt: "hi", model: "large")',
     'Chat: grant `model` allows "small", the call asked for "large"'),
    ("grant Chat max_tokens 100", 'Chat(prompt: "hi", max_tokens: 500)',
     "Chat: grant `max_tokens` allows at most 100, the call asked for 500"),
    ("grant Chat temperature 0.2", 'Chat(prompt: "hi", temperature: 0.9)',
     "Chat: grant `temperature` allows 0.2, the call asked for 0.9"),
], ids=["model", "max_tokens", "temperature"])
def test_sampling_grant_violations_send_nothing(ws, chat, grant, call, message):
    ws.toml(chat)
    ws.program(violation_program(grant, f"  {call}"))
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert result.code == 1
    assert f"error[PolicyViolation]: {message}" in result.err
    assert "nothing was sent" in result.err
    assert chat.count == 0
    (call_event,) = tool_calls(ws.lines("trace.jsonl"))
    assert call_event["error"] == {"kind": "PolicyViolation", "message": message}


def test_a_violation_is_catchable_with_try(ws, chat):
    ws.toml(chat)
    ws.program(violation_program('grant Chat model "small"', """
  match try Chat(prompt: "hi", model: "large")
    ok(v) -> "sent: {v}"
    err(f) -> "{f.kind} at line {f.line}: {f.message}"
  end"""))
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out == ('PolicyViolation at line 7: Chat: grant `model` allows "small", '
                          'the call asked for "large"\n')
    assert chat.count == 0


def test_max_calls(ws, chat):
    ws.toml(chat)
    ws.program(violation_program("grant Chat max_calls 2", """
  let mut answers = []
  for i in 1..=3
    match try Chat(prompt: "call {i}")
      ok(v) -> answers.push(v)
      err(f) -> answers.push("{f.kind}: {f.message}")
    end
  end
  join(answers, "\\n")"""))
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out == ("echo: call 1\necho: call 2\nPolicyViolation: Chat: grant "
                          "`max_calls` allows 2 calls, this is call 3\n")
    assert chat.count == 2


def test_max_calls_counts_each_agent_declaration_separately(ws, chat):
    ws.toml(chat)
    ws.program("""
use tool llm.chat as Chat
grant Chat max_calls 1

agent A
  use tool llm.chat as Chat
  cell ask() -> String / {llm}
    Chat(prompt: "from A")
  end
end

cell main() -> String / {llm}
  let a = A().ask()
  let top = Chat(prompt: "from top")
  let again = try A().ask()
  "{a} / {top} / {again}"
end
""")
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out.startswith("echo: from A / echo: from top / err(Failure(kind: "
                                 '"PolicyViolation"')
    assert chat.count == 2


def test_max_concurrency_bounds_requests_in_flight(ws, chat):
    chat.answer = lambda body: ("delay", 0.15, ("reply", user_text(body).upper()))
    ws.toml(chat)
    ws.program(violation_program("grant Chat max_concurrency 2", """
  let started = timestamp()
  let answers = await parallel for i in 0..6
    Chat(prompt: "item {i}")
  end
  print(answers)
  "done" """, effects="llm, time"))
    started = time.perf_counter()
    result = ws.run("main.lm")
    elapsed = time.perf_counter() - started
    assert result.code == 0, result.err
    assert result.out == ('["ITEM 0", "ITEM 1", "ITEM 2", "ITEM 3", "ITEM 4", "ITEM 5"]\n'
                          "done\n")
    assert chat.count == 6
    assert chat.max_in_flight == 2          # bounded, and the calls did overlap
    assert elapsed >= 0.45                  # three waves of 150 ms


def test_timeout_ms_raises_a_catchable_timeout(ws, chat):
    chat.answer = lambda body: ("delay", 6, ("reply", "too late"))
    ws.toml(chat)
    ws.program(violation_program("grant Chat timeout_ms 200 max_retries 0", """
  let outcome = try Chat(prompt: "slow")
  match outcome
    ok(v) -> "answered: {v}"
    err(f) -> "{f.kind}: {f.message}"
  end"""))
    started = time.perf_counter()
    result = ws.run("main.lm")
    assert time.perf_counter() - started < 5
    assert result.code == 0, result.err
    assert result.out == ("Timeout: Chat (llm.chat): no answer within 200 ms "
                          "(grant `timeout_ms`)\n")
    assert chat.count <= 1          # (0 when the deadline passed while connecting)


def test_an_uncaught_timeout_is_a_runtime_error(ws, chat):
    chat.answer = lambda body: ("delay", 3, ("reply", "too late"))
    ws.toml(chat)
    ws.program(violation_program("grant Chat timeout_ms 150", '  Chat(prompt: "slow")'))
    result = ws.run("main.lm")
    assert result.code == 1
    assert "error[Timeout]: Chat (llm.chat): no answer within 150 ms" in result.err


def test_domain_grant_and_redirects(ws, web):
    ws.toml()
    allowed = web.url("/text")
    other_host = web.url("/text", host="localhost")
    via_redirect = web.url(f"/redirect?to={other_host}")
    ok_redirect = web.url(f"/redirect?to={allowed}")
    ws.program(violation_program('grant Fetch domain "127.0.0.1"', f"""
  print(Fetch(url: "{allowed}"))
  print(Fetch(url: "{ok_redirect}"))
  match try Fetch(url: "{other_host}")
    ok(v) -> print("fetched")
    err(f) -> print(f.kind, f.message)
  end
  match try Fetch(url: "{via_redirect}")
    ok(v) -> print("fetched")
    err(f) -> print(f.kind, f.message)
  end
  "done" """, tools="use tool http.get as Fetch", effects="http"))
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["hello, world", "hello, world"]
    assert lines[2] == (f'PolicyViolation Fetch: grant `domain` allows "127.0.0.1", the call '
                        f'asked for "localhost" ({other_host})')
    assert lines[3] == (f'PolicyViolation Fetch: grant `domain` allows "127.0.0.1", the '
                        f'redirect from {via_redirect} goes to "localhost" ({other_host})')
    with web.lock:
        paths = [r["path"] for r in web.requests]
    # /text twice (directly and after the allowed redirect), two redirects; the
    # disallowed host was never asked for anything
    assert sorted(paths) == sorted(["/text", "/redirect?to=" + allowed, "/text",
                                    "/redirect?to=" + other_host])
    assert all(r["host"].startswith("127.0.0.1") for r in web.requests)


# ========================================================================== faults


FAULT = """
use tool llm.chat as Chat
grant Chat max_retries {retries}

cell main() -> String / {{llm}}
  Chat(prompt: "hello")
end
"""


def test_500_is_retried_then_a_tool_error(ws, chat):
    chat.answer = lambda body: ("status", 500)
    ws.toml(chat)
    ws.program(FAULT.format(retries=1))
    result = ws.run("main.lm")
    assert result.code == 1
    assert "error[ToolError]: Chat (llm.chat): " in result.err
    assert "500" in result.err and "after 2 attempts" in result.err
    assert chat.count == 2


def test_429_then_success_with_max_retries(ws, chat):
    chat.queue(("status", 429), ("status", 503))
    ws.toml(chat)
    ws.program(FAULT.format(retries=2))
    result = ws.run("main.lm")
    assert (result.code, result.out) == (0, "echo: hello\n"), result.err
    assert chat.count == 3


def test_connection_refused_is_a_tool_error(ws, chat):
    port = closed_port()
    ws.toml(chat, base_url=f"http://127.0.0.1:{port}/v1")
    ws.program(FAULT.format(retries=1))
    result = ws.run("main.lm")
    assert result.code == 1
    assert "error[ToolError]: Chat (llm.chat): " in result.err
    assert "connect" in result.err.lower() and "after 2 attempts" in result.err


def test_malformed_json_and_a_rejected_key_are_tool_errors_without_the_key(ws, chat):
    chat.queue(("malformed",), ("reject_key",))
    ws.toml(chat)
    ws.program(FAULT.format(retries=0).replace('Chat(prompt: "hello")', """
  let a = try Chat(prompt: "one")
  let b = try Chat(prompt: "two")
  match (a, b)
    (err(x), err(y)) -> "{x.kind}: {x.message}\\n{y.kind}: {y.message}"
    _ -> "unexpected"
  end"""))
    result = ws.run("main.lm", "--trace", "trace.jsonl", "--record", "calls.json")
    assert result.code == 0, result.err
    first, second = result.out.splitlines()
    assert first == "ToolError: Chat (llm.chat): the server's answer is not valid JSON"
    assert second.startswith("ToolError: Chat (llm.chat): server returned 401")
    assert "Bearer ***" in second         # the server echoed the key; it is masked


def test_http_statuses_are_tool_errors_and_connection_refused_too(ws, web):
    ws.toml()
    refused = f"http://127.0.0.1:{closed_port()}/x"
    ws.program(violation_program("grant Fetch max_retries 0", f"""
  for url in ["{web.url('/status/404')}", "{refused}"]
    match try Fetch(url: url)
      ok(v) -> print("ok", v)
      err(f) -> print(f.kind, f.message)
    end
  end
  "done" """, tools="use tool http.get as Fetch", effects="http"))
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (f"ToolError Fetch (http.get): GET {web.url('/status/404')} "
                        f"returned 404: status 404")
    assert lines[1].startswith("ToolError Fetch (http.get): ")
    assert "connect" in lines[1].lower()


# ======================================================================= http tools


def test_http_get_post_and_request(ws, web):
    ws.toml()
    ws.program(f"""
use tool http.get as Get
use tool http.post as Post
use tool http.request as Request
grant Get domain "127.0.0.1"

record Item
  name: String
  count: Int
end

cell main() -> String / {{http}}
  let text: String = Get(url: "{web.url('/text')}")
  print(text)
  let echoed: String = Post(url: "{web.url('/echo')}", body: {{"a": [1, 2]}})
  let seen = json_parse(echoed)
  print(seen["method"], seen["body"])
  let plain = json_parse(Post(url: "{web.url('/echo')}", body: "raw text",
                              headers: {{"X-Extra": "1"}}))
  print(plain["body"], plain["headers"]["x-extra"], plain["headers"]["content-type"])
  let record_body = json_parse(Post(url: "{web.url('/echo')}", body: Item(name: "n", count: 2)))
  print(record_body["body"])
  let r: HttpResponse = Request(method: "PUT", url: "{web.url('/status/404')}", body: "x")
  print(r.status, r.body, r is HttpResponse)
  let ok = Request(method: "GET", url: "{web.url('/text')}")
  print(ok.status, ok.body, ok.headers["x-test"])
  "done"
end
""")
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out == ('hello, world\n'
                          'POST {"a": [1, 2]}\n'
                          'raw text 1 text/plain; charset=utf-8\n'
                          '{"name": "n", "count": 2}\n'
                          '404 status 404 true\n'
                          '200 hello, world yes\n'
                          'done\n')


# ==================================================================== python tools


HELPERS = '''
import asyncio


def double(x):
    return x * 2


async def describe(name, tags=None):
    await asyncio.sleep(0.01)
    return {"name": name.upper(), "tags": sorted(tags or [])}


def explode(reason):
    raise ValueError(reason)
'''


def test_python_tools_sync_and_async_next_to_the_program(ws):
    ws.write("e2e_helpers.py", HELPERS)
    ws.toml(extra='"my.double" = "python:e2e_helpers:double"\n'
                  '"my.describe" = "python:e2e_helpers:describe"\n'
                  '"my.explode" = "python:e2e_helpers:explode"')
    ws.program("""
use tool my.double as Double
use tool my.describe as Describe
use tool my.explode as Explode

cell main() -> String / {my}
  let d: Int = Double(x: 21)
  let info = Describe(name: "ada", tags: ["b", "a"])
  print(d, info, info["tags"][0])
  let twice = await parallel for n in [1, 2, 3]
    Double(x: n)
  end
  print(twice)
  match try Explode(reason: "no luck")
    ok(_) -> "?"
    err(f) -> "{f.kind}: {f.message}"
  end
end
""")
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert result.code == 0, result.err
    assert result.out == ('42 {"name": "ADA", "tags": ["a", "b"]} a\n[2, 4, 6]\n'
                          "ToolError: Explode (my.explode): e2e_helpers.explode raised "
                          "ValueError: no luck\n")
    providers = {e["alias"]: e["provider"] for e in tool_calls(ws.lines("trace.jsonl"))}
    assert providers == {"Double": "python:e2e_helpers:double",
                         "Describe": "python:e2e_helpers:describe",
                         "Explode": "python:e2e_helpers:explode"}


@pytest.fixture
def registered():
    names = []

    def register(name):
        names.append(name)
        return lumen.tool(name)

    yield register
    from lumen.tools import unregister
    for name in names:
        unregister(name)


def test_a_tool_registered_through_the_embedding_api(ws, registered):
    seen = []

    @registered("weather.today")
    async def today(city: str) -> str:
        seen.append(city)
        return f"sunny in {city}"

    @registered("weather.week")
    def week(city: str, days: int = 7) -> list:
        return [f"{city} day {i}" for i in range(days)]

    path = ws.program("""
use tool weather.today as Today
use tool weather.week as Week
grant Today max_calls 2

cell forecast(city: String) -> String / {weather}
  let days = Week(city: city, days: 2)
  "{Today(city: city)}; {join(days, ", ")}"
end
""")
    value = ws.execute(path, "forecast", {"city": "Oslo"}, trace=ws.path / "trace.jsonl")
    assert value == "sunny in Oslo; Oslo day 0, Oslo day 1"
    assert seen == ["Oslo"]
    calls = tool_calls(ws.lines("trace.jsonl"))
    assert [(c["alias"], c["provider"]) for c in calls] == [
        ("Week", "python:@weather.week"), ("Today", "python:@weather.today")]
    assert calls[1]["result"] == "sunny in Oslo"


# ======================================================================= MCP tools


def test_an_mcp_tool_through_providers_mcp(ws):
    ws.toml(extra=f'"calc.add" = "mcp:calc/add"\n"calc.greet" = "mcp:calc/greet"\n'
                  f'\n[providers.mcp.calc]\ncommand = {json.dumps(sys.executable)}\n'
                  f'args = [{json.dumps(str(MCP_SERVER))}]\n')
    ws.program("""
use tool calc.add as Add
use tool calc.greet as Greet
use tool calc.profile as Profile

cell main() -> String / {calc}
  let sums = await parallel for i in [1, 2, 3]
    Add(a: i, b: 10)
  end
  print(sums, sums[0] + 1)
  let p = json_parse(Profile(name: "ada"))      # a plain dict comes back as JSON text
  print(p["tags"], p["score"])
  match try Add(a: "one", b: 2)
    ok(v) -> print("added", v)
    err(f) -> print(f.kind)
  end
  Greet(name: "mcp")
end
""")
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert result.code == 0, result.err
    assert result.out == '[11, 12, 13] 12\n["a", "b"] 1.5\nToolError\nhello, mcp\n'
    providers = {e["alias"]: e["provider"] for e in tool_calls(ws.lines("trace.jsonl"))}
    assert providers == {"Add": "mcp:calc", "Greet": "mcp:calc", "Profile": "mcp:calc"}


# ========================================================================== traces


RACE = """
use tool llm.chat as Chat

agent Quick
  use tool llm.chat as Chat
  grant Chat model "quick"
  cell answer(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

agent Slow
  use tool llm.chat as Chat
  grant Chat model "slow"
  cell answer(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

cell main() -> String / {llm}
  let first = await race
    Slow().answer("who wins?")
    Quick().answer("who wins?")
  end
  emit first
  first
end
"""


def test_trace_of_a_race_and_trace_show(ws, chat):
    chat.answer = lambda body: ("delay", 5 if body["model"] == "slow" else 0,
                                ("reply", f"{body['model']} wins"))
    ws.toml(chat)
    ws.program(RACE)
    started = time.perf_counter()
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert time.perf_counter() - started < 4             # the slow request was aborted
    assert (result.code, result.out) == (0, "quick wins\nquick wins\n"), result.err
    events = ws.lines("trace.jsonl")
    assert events[0]["event"] == "run_start" and events[0]["program"] == "main.lm"
    assert events[0]["deterministic"] is False
    assert events[-1]["event"] == "run_end" and events[-1]["outcome"] == "ok"
    assert events[-1]["tool_calls"] == 2
    start = next(e for e in events if e["event"] == "form_start")
    end = next(e for e in events if e["event"] == "form_end")
    assert (start["form"], start["line"], start["branches"]) == ("race", 21, 2)
    assert (end["form"], end["outcome"], end["winner"], end["cancelled"]) == \
        ("race", "ok", 1, [0])
    calls = {c["scope"]: c for c in tool_calls(events)}
    quick, slow = calls["Quick"], calls["Slow"]
    for call in (quick, slow):
        assert (call["alias"], call["tool"], call["provider"]) == \
            ("Chat", "llm.chat", "openai-compatible")
        assert call["parent"] == start["id"]
        assert isinstance(call["task"], int) and call["task"] != start["task"]
        assert isinstance(call["start"], float) and call["duration_ms"] >= 0
    assert (quick["line"], slow["line"]) == (8, 16)
    assert quick["request"] == {"model": "quick",
                                "messages": [{"role": "user", "content": "who wins?"}]}
    assert quick["result"] == "quick wins" and "error" not in quick
    assert slow["error"]["kind"] == "Cancelled" and "result" not in slow
    assert quick["task"] != slow["task"]
    emitted = next(e for e in events if e["event"] == "emit")
    assert emitted["value"] == "quick wins"

    shown = ws.lumen("trace", "show", "trace.jsonl")
    assert shown.code == 0, shown.err
    assert "race" in shown.out and "winner 1" in shown.out and "cancelled [0]" in shown.out
    assert "Chat llm.chat [openai-compatible]" in shown.out
    assert "Cancelled" in shown.out


def test_trace_of_a_failed_run_and_of_violations(ws, chat):
    ws.toml(chat)
    ws.program(violation_program('grant Chat model "small"', """
  let ok = Chat(prompt: "fine")
  Chat(prompt: "hi", model: "large")"""))
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert result.code == 1
    events = ws.lines("trace.jsonl")
    first, second = tool_calls(events)
    assert first["result"] == "echo: fine" and first["request"]["model"] == "small"
    assert second["error"]["kind"] == "PolicyViolation"
    assert events[-1]["outcome"] == "error"
    assert events[-1]["error"]["kind"] == "PolicyViolation"
    shown = ws.lumen("trace", "show", "trace.jsonl")
    assert shown.code == 0 and "PolicyViolation" in shown.out


# ================================================================== record, replay


TWO_AGENTS = """
use tool llm.chat as Chat

agent Optimist
  use tool llm.chat as Chat
  grant Chat model "model-opt"
  cell view(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

agent Pessimist
  use tool llm.chat as Chat
  grant Chat model "model-pes"
  cell view(q: String) -> String / {llm}
    Chat(prompt: q)
  end
end

cell main() -> String / {llm}
  let views = await parallel for i in 0..3
    let o = Optimist().view("same question")
    let p = Pessimist().view("same question")
    "{i}: {o} / {p}"
  end
  join(views, "\\n")
end
"""


def counting_answer():
    counts: dict = {}
    lock = threading.Lock()

    def answer(body):
        with lock:
            counts[body["model"]] = counts.get(body["model"], 0) + 1
            return f"{body['model']}#{counts[body['model']]}"
    return answer


def test_record_then_replay_with_the_server_stopped(ws, chat):
    chat.answer = counting_answer()
    ws.toml(chat)
    ws.program(TWO_AGENTS)
    recorded = ws.run("main.lm", "--record", "calls.json")
    assert recorded.code == 0, recorded.err
    lines = recorded.out.splitlines()
    assert len(lines) == 3
    for line in lines:          # never the other agent's answer
        assert re.fullmatch(r"\d: model-opt#\d / model-pes#\d", line), line
    assert chat.count == 6
    chat.stop()
    replayed = ws.run("main.lm", "--replay", "calls.json")
    assert replayed.code == 0, replayed.err
    # identical requests are told apart by their occurrence number, so without
    # deterministic mode the branches may get them in another order — but every answer
    # is replayed once, and only to the agent (model) it was recorded for
    def answers(out):
        pairs = [re.fullmatch(r"\d: (model-opt#\d) / (model-pes#\d)", line).groups()
                 for line in out.splitlines()]
        return sorted(p[0] for p in pairs), sorted(p[1] for p in pairs)
    assert answers(replayed.out) == answers(recorded.out) == (
        ["model-opt#1", "model-opt#2", "model-opt#3"],
        ["model-pes#1", "model-pes#2", "model-pes#3"])
    entries = ws.lines("calls.json")
    assert entries[0]["lumen_recording"] == 1
    assert sorted(e["request"]["model"] for e in entries[1:]) == ["model-opt"] * 3 + \
        ["model-pes"] * 3
    assert sorted(e["occurrence"] for e in entries[1:]) == [0, 0, 1, 1, 2, 2]


def test_replay_never_hands_one_agents_answer_to_another(ws, chat):
    chat.answer = lambda body: f"{body['model']} answer"
    ws.toml(chat)
    ws.program(TWO_AGENTS.replace("0..3", "0..1"))
    assert ws.run("main.lm", "--record", "calls.json").code == 0
    chat.stop()
    # drop the pessimist's answer: replay must fail for it, not reuse the optimist's
    entries = (ws.path / "calls.json").read_text().splitlines()
    kept = [e for e in entries if "model-pes" not in e]
    assert len(kept) == len(entries) - 1
    ws.write("partial.json", "\n".join(kept) + "\n")
    result = ws.run("main.lm", "--replay", "partial.json")
    assert result.code == 1
    assert "error[ToolError]: Chat (llm.chat): no recorded result in partial.json " \
           "(this request was never recorded)" in result.err
    assert "model-pes" in result.err and "--record" in result.err


def test_an_unrecorded_call_on_replay_names_the_tool(ws, chat):
    ws.toml(chat)
    ws.program(violation_program("", '  Chat(prompt: "recorded")'))
    assert ws.run("main.lm", "--record", "calls.json").code == 0
    chat.stop()
    ws.program(violation_program("", '  Chat(prompt: "recorded") ++ Chat(prompt: "new")'))
    result = ws.run("main.lm", "--replay", "calls.json")
    assert result.code == 1
    assert "error[ToolError]: Chat (llm.chat): no recorded result in calls.json (this " \
           "request was never recorded)" in result.err
    assert '"content": "new"' in result.err
    ws.program(violation_program("", '  Chat(prompt: "recorded") ++ Chat(prompt: "recorded")'))
    result = ws.run("main.lm", "--replay", "calls.json")
    assert result.code == 1
    assert "(occurrence 2 of this request; the recording has 1)" in result.err


def test_replay_needs_no_lumen_toml_and_replays_errors(ws, chat):
    # the grant fixes model and max_tokens: the provider's defaults are part of a call's
    # identity, so without them a different lumen.toml would change the request
    chat.queue(("reply", "fine"), ("status", 400))
    ws.toml(chat)
    ws.program(violation_program('grant Chat model "m" max_tokens 10', """
  let a = Chat(prompt: "one")
  let b = try Chat(prompt: "two")
  "{a} {b}" """))
    recorded = ws.run("main.lm", "--record", "calls.json")
    assert recorded.code == 0, recorded.err
    chat.stop()
    (ws.path / "lumen.toml").unlink()      # llm.* would now be the local model
    replayed = ws.run("main.lm", "--replay", "calls.json")
    assert (replayed.code, replayed.out) == (0, recorded.out), replayed.err
    assert "fine err(Failure(kind: \"ToolError\"" in replayed.out


def test_record_and_replay_together_is_a_usage_error(ws):
    ws.program('cell main() -> Int = 1\n')
    result = ws.run("main.lm", "--record", "a.json", "--replay", "b.json")
    assert result.code == 2 and "cannot be used together" in result.err


# ================================================================ deterministic mode


DETERMINISTIC = """
@deterministic true
use tool llm.chat as Chat
use tool http.get as Fetch

record Verdict
  label: String
  confidence: Float
end

agent Reader
  use tool http.get as Fetch
  grant Fetch domain "127.0.0.1"
  cell read(path: String) -> String / {http}
    Fetch(url: "BASE" ++ path)
  end
end

agent Judge
  use tool llm.chat as Chat
  grant Chat model "judge"
  cell judge(text: String) -> Verdict / {llm}
    role system: Label the text.
    Chat(prompt: text, schema: Verdict)
  end
end

cell main() -> String / {llm, http}
  let pages = await parallel for p in ["/text", "/echo"]
    Reader().read(p)
  end
  let quick = await race
    Chat(prompt: "fast summary of {length(pages)} pages")
    sleep(1000) |> fn(_) => "timed out"
  end
  let verdicts = await parallel
    Judge().judge(pages[0])
    Judge().judge("second")
  end
  let late = await timeout(5000, sleep(10000))
  print(quick, verdicts, late)
  "done"
end
"""


def test_deterministic_record_and_replay_are_exact(ws, chat, web):
    chat.answer = lambda body: (json.dumps({"label": "ok", "confidence": 0.75})
                                if "response_format" in body else "summary")
    ws.toml(chat)
    path = ws.program(DETERMINISTIC.replace("BASE", web.url("")))
    started = time.perf_counter()
    recorded = ws.run("main.lm", "--record", "calls.json", "--trace", "recorded.jsonl")
    assert recorded.code == 0, recorded.err
    assert time.perf_counter() - started < 5       # virtual time: no real 10 s sleep
    assert recorded.out == ('summary (Verdict(label: "ok", confidence: 0.75), '
                            'Verdict(label: "ok", confidence: 0.75)) null\ndone\n')
    chat.stop()
    web.stop()
    for n in (1, 2):
        replayed = ws.run("main.lm", "--replay", "calls.json", "--trace", f"replay{n}.jsonl")
        assert (replayed.code, replayed.out) == (0, recorded.out), replayed.err
        assert (ws.path / f"replay{n}.jsonl").read_text() == \
            (ws.path / "recorded.jsonl").read_text()
    events = ws.lines("recorded.jsonl")
    assert events[0]["time"] is None and events[0]["deterministic"] is True
    assert all(c["duration_ms"] == 0 for c in tool_calls(events))
    # the embedding API replays too
    assert ws.execute(path, None, {}, replay=ws.path / "calls.json") == "done"


def test_deterministic_mode_rejects_undeclared_tool_effects(ws, chat):
    ws.toml(chat)
    ws.program("""
@deterministic true
use tool llm.chat as Chat

cell ask(q: String) -> String
  Chat(prompt: q)
end

cell main() -> String / {llm}
  ask("hello")
end
""")
    for command in ("check", "run"):
        result = ws.lumen(command, "main.lm")
        assert result.code == 2, result
        assert "main.lm:6:3: error[E502]: with `@deterministic true`, cell `ask` must " \
               "declare the effect `llm` of tool `Chat`" in result.err
    assert chat.count == 0


def test_a_missing_effect_through_cells_and_a_parallel_branch_is_a_check_error(ws, chat):
    ws.toml(chat)
    ws.program("""
use tool llm.chat as Chat
use tool http.get as Fetch

cell fetch_page(url: String) -> String
  Fetch(url: url)
end

cell gather(urls: list[String]) -> list[String]
  await parallel for u in urls
    fetch_page(u)
  end
end

cell summarize(urls: list[String]) -> String / {llm}
  let pages = gather(urls)
  Chat(prompt: join(pages, "\\n"))
end

cell main() -> String / {llm, http}
  summarize(["http://127.0.0.1:1/"])
end
""")
    result = ws.run("main.lm")
    assert result.code == 2
    assert "main.lm:16:15: error[E510]: cell `summarize` performs effect `http`, which its " \
           "row {llm} does not declare" in result.err
    assert "it arrives through `gather` (line 16) → a branch (line 10) → `fetch_page` " \
           "(line 11) → tool `Fetch` (line 6); declare it: `/ {llm, http}`" in result.err
    assert chat.count == 0


def test_a_tool_with_no_provider(ws):
    ws.toml()
    ws.program("""
use tool weather.today as Weather

cell main() -> String / {weather}
  Weather(city: "Oslo")
end
""")
    checked = ws.lumen("check", "main.lm")
    assert checked.code == 0
    assert "warning[W101]: tool `weather.today` has no provider: calling `Weather` will " \
           "fail" in checked.err
    result = ws.run("main.lm")
    assert result.code == 1
    assert "error[ToolError]: Weather (weather.today): no provider for tool " \
           "`weather.today`" in result.err
    assert "lumen.toml" in result.err and '"weather.today" = ' in result.err


# ===================================================================== local model


def test_the_local_model_serves_llm_when_lumen_toml_configures_nothing(ws):
    from lumen.tools.providers import local
    assert local.model_file() is not None and local.server_installed(), \
        "the local model is part of the test dependencies: run `lumen models install`"
    assert not any((p / "lumen.toml").exists() for p in ws.path.parents)
    ws.program("""
use tool llm.chat as Chat

enum Feeling
  Happy
  Sad
end

record Mood
  feeling: Feeling
end

agent Greeter
  use tool llm.chat as Chat
  grant Chat model "any-model-name" max_tokens 12
  cell greet() -> String / {llm}
    role system: You are friendly and brief.
    Chat(prompt: "Say hello.")
  end
end

cell main() -> String / {llm}
  let both = await parallel
    hello = Greeter().greet()
    mood = Chat(prompt: "I won the lottery! How do I feel?", schema: Mood, max_tokens: 24)
  end
  print(type_of(hello), length(trim(hello)) > 0, mood is Mood, mood.feeling is Feeling)
  "done"
end
""")
    result = ws.run("main.lm", "--trace", "trace.jsonl")
    assert (result.code, result.out) == (0, "String true true true\ndone\n"), result.err
    calls = tool_calls(ws.lines("trace.jsonl"))
    assert [c["provider"] for c in calls] == ["local", "local"]
    greet = next(c for c in calls if c["scope"] == "Greeter")
    assert greet["request"]["model"] == "any-model-name"
    assert greet["request"]["messages"][0] == {"role": "system",
                                               "content": "You are friendly and brief."}


# ======================================================================== examples


E2E = ROOT / "tests" / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

from example_answers import ANSWERS  # noqa: E402

EXAMPLE_NAMES = sorted(ANSWERS)


def copy_example(ws: Workspace, name: str, web: Web) -> None:
    """The example in the workspace, its `PAGES` pointing at the test web server."""
    source = (EXAMPLES / f"{name}.lm").read_text()
    pages = 'const PAGES = "http://127.0.0.1:8000"'
    if pages in source:
        source = source.replace(pages, f'const PAGES = "{web.url("")}"')
        web.pages = {f"/{p.name}": p.read_text() for p in (EXAMPLES / "pages").iterdir()}
    ws.write(f"{name}.lm", source)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_against_the_test_servers(ws, chat, web, name):
    chat.answer = ANSWERS[name]
    copy_example(ws, name, web)
    ws.toml(chat)
    result = ws.run(f"{name}.lm", "--trace", "trace.jsonl", "--record", "calls.json")
    assert result.code == 0, result.err
    assert result.out == (EXAMPLES / f"{name}.out").read_text()
    events = ws.lines("trace.jsonl")
    assert events[-1]["outcome"] == "ok"
    forms = {}
    for event in events:
        if event["event"] == "form_end":
            forms.setdefault(event["form"], []).append(event)
    bodies = chat.chats()
    if name == "multi_model_analysis":
        assert len(bodies) == 6 and sorted(chat.models()) == ["claude-3-opus"] * 3 + \
            ["gpt-4o"] * 3
        for body in bodies:         # each model only ever hears its own agent
            expected = {"gpt-4o": "careful sentiment analyst",
                        "claude-3-opus": "judge the reviewer's overall sentiment"}
            assert expected[body["model"]] in system_text(body)
            assert body["response_format"]["json_schema"]["name"] == "Analysis"
            assert body["max_tokens"] == 200
        assert [f["branches"] for f in forms["parallel"]] == [2, 2, 2]
        assert [f["winner"] for f in forms["vote"]] == [0, 0, 0]
    else:
        with web.lock:
            fetched = sorted(r["path"] for r in web.requests)
        assert fetched == [f"/{e}.txt?q=home+batteries" for e in ("bing", "duckduckgo",
                                                                  "google")]
        assert set(chat.models()) == {"gpt-4o"}
        (race,) = forms["race"]
        assert (race["winner"], race["cancelled"]) == (0, [1])
        (vote,) = forms["vote"]
        assert vote["outcome"] == "ok" and vote["branches"] == 3
        cancelled = [c for c in tool_calls(events) if c.get("error", {}).get("kind") ==
                     "Cancelled"]
        assert cancelled and all(c["request"]["messages"][-1]["content"].startswith(
            "List the key facts") for c in cancelled)
        # the cancelled calls are not in the recording
        recorded = [e for e in ws.lines("calls.json")[1:]]
        assert not any("List the key facts" in json.dumps(e) for e in recorded)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_replays_its_recording_offline(ws, name):
    program, recording = EXAMPLES / f"{name}.lm", EXAMPLES / f"{name}.calls.json"
    assert recording.stat().st_size < 16_000
    result = ws.run(program, "--replay", recording, "--trace", ws.path / "trace.jsonl")
    assert result.code == 0, result.err
    assert result.out == (EXAMPLES / f"{name}.out").read_text()
    events = ws.lines("trace.jsonl")
    assert events[-1]["outcome"] == "ok"
    assert all(c.get("error", {}).get("kind") in (None, "Cancelled")
               for c in tool_calls(events))
    if name == "research_team":     # the orchestration's `run`, through --cell
        result = ws.run(program, "--cell", "ResearchTeam", "--arg", "topic=home batteries",
                        "--replay", recording)
        assert result.code == 0, result.err
        assert result.out == (EXAMPLES / f"{name}.out").read_text()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_checks_with_its_lumen_toml(ws, name):
    result = ws.lumen("check", EXAMPLES / f"{name}.lm")
    assert result.code == 0 and "no errors found" in result.err, result.err


# ========================================================================= secrets


def test_secrets_in_headers_tool_results_and_env_are_masked_everywhere(ws, chat, web,
                                                                      monkeypatch):
    header_secret = "hdr-s3cret-value-4242"
    env_secret = "env-t0ken-value-9797"
    monkeypatch.setenv("LUMEN_E2E_SERVICE_TOKEN", env_secret)
    ws.write("e2e_secret_tool.py",
             "import os\n\ndef token():\n"
             "    return 'the token is ' + os.environ['LUMEN_E2E_SERVICE_TOKEN']\n")
    chat.queue(("reject_key",))
    ws.toml(chat, extra='"vault.token" = "python:e2e_secret_tool:token"')
    ws.program(f"""
use tool llm.chat as Chat
use tool http.get as Fetch
use tool vault.token as Token
grant Chat max_retries 0

cell main() -> String / {{llm, http, vault}}
  let echoed = json_parse(Fetch(url: "{web.url('/echo')}",
                                headers: {{"X-Api-Key": "{header_secret}"}}))
  let sent = echoed["headers"]["x-api-key"] == "{header_secret}"
  let token = Token()
  let rejected = try Chat(prompt: "hello")
  match rejected
    err(f) -> print(f.kind, f.message)
    ok(v) -> print("accepted")
  end
  "sent={{sent}} token_length={{length(token)}}"
end
""")
    result = ws.run("main.lm", "--trace", "trace.jsonl", "--record", "calls.json")
    assert result.code == 0, result.err
    assert result.out.endswith("sent=true token_length=33\n")   # the program sees values
    assert "Bearer ***" in result.out
    for name in ("trace.jsonl", "calls.json"):
        text = (ws.path / name).read_text()
        assert header_secret not in text and env_secret not in text, name
        assert "***" in text
    shown = ws.lumen("trace", "show", "trace.jsonl")
    assert shown.code == 0 and env_secret not in shown.out and header_secret not in shown.out
    ws.seen.append((ws.path / "trace.jsonl").read_text())


# ============================================================== embeddings, misfits


def test_embeddings_and_grants_that_do_not_apply(ws, chat):
    ws.toml(chat, embedding_model="embed-model")
    misfits = """
use tool llm.embed as Embed
use tool http.get as Fetch
use tool llm.chat as Chat
grant Fetch model "gpt-4o"
grant Chat domain "example.com"

cell main() -> String / {llm, http}
  let v = Embed(text: "four")
  print(v, length(v))
  print(try Fetch(url: "http://127.0.0.1:1/"))
  print(try Chat(prompt: "x"))
  "done"
end
"""
    # Grants that cannot apply to their tool's kind are check errors: nothing runs.
    ws.program(misfits)
    result = ws.run("main.lm")
    assert result.code == 2, result.err
    assert "error[E253]: grant `model` does not apply to `Fetch` (http.get" in result.err
    assert "error[E253]: grant `domain` does not apply to `Chat` (llm.chat" in result.err
    ws.program(misfits.replace('grant Fetch model "gpt-4o"\n', "")
                      .replace('grant Chat domain "example.com"\n', ""))
    result = ws.run("main.lm")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "[4.0, 0.5, -1.0] 3"
    with chat.lock:
        (request, _) = chat.requests
    assert request["path"].endswith("/embeddings")
    assert request["json"]["model"] == "embed-model"


# ============================================== bugs found by these tests, now fixed


def test_replay_of_structured_output_with_an_enum_field(ws, chat):
    chat.queue(("json", {"feeling": "Happy", "level": 2}))
    ws.toml(chat)
    ws.program("""
use tool llm.chat as Chat

enum Feeling
  Happy
  Sad
end

record Mood
  feeling: Feeling
  level: Int
end

cell main() -> String / {llm}
  let m = Chat(prompt: "How do I feel?", schema: Mood)
  "{m}"
end
""")
    recorded = ws.run("main.lm", "--record", "calls.json")
    assert (recorded.code, recorded.out) == (0, "Mood(feeling: Happy, level: 2)\n")
    chat.stop()
    replayed = ws.run("main.lm", "--replay", "calls.json")
    assert (replayed.code, replayed.out) == (0, recorded.out), replayed.err


def test_timeout_ms_holds_for_the_first_call_of_a_fresh_process(ws, chat):
    import subprocess
    chat.answer = lambda body: ("delay", 5, ("reply", "too late"))
    ws.toml(chat)
    ws.program(violation_program("grant Chat timeout_ms 100 max_retries 0", """
  match try Chat(prompt: "slow")
    ok(v) -> v
    err(f) -> f.kind
  end"""))
    env = dict(os.environ, NO_COLOR="1")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "lumen.cli", "run", "main.lm", "--trace",
                           "trace.jsonl"], cwd=ws.path, env=env, capture_output=True,
                          text=True, timeout=60)
    elapsed = time.monotonic() - started
    ws.seen += [done.stdout, done.stderr]
    assert (done.returncode, done.stdout) == (0, "Timeout\n"), done.stderr
    # The server answers after 5 s; the 100 ms deadline (which starts once the SDK is
    # imported and the client made) ended the call long before.
    assert elapsed < 4, elapsed
    (call,) = tool_calls(ws.lines("trace.jsonl"))
    assert call["error"]["kind"] == "Timeout"


def test_a_registered_tool_may_declare_its_effect(tmp_path):
    """`@lumen.tool(name, effect=...)`: the checker uses the declared effect."""
    import lumen
    from lumen.tools import registry

    @lumen.tool("clock.now", effect="time")
    def now() -> str:
        return "noon"

    try:
        good = tmp_path / "good.lm"
        good.write_text("use tool clock.now as Now\ncell main() -> String / {time} = Now()\n")
        assert lumen.load(good).run() == "noon"
        bad = tmp_path / "bad.lm"
        bad.write_text("use tool clock.now as Now\ncell main() -> String / {clock} = Now()\n")
        with pytest.raises(lumen.CheckError) as failure:
            lumen.load(bad)
        assert "performs effect `time`" in str(failure.value)
    finally:
        registry.unregister("clock.now")
