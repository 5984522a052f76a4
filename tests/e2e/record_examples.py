"""Regenerate the recordings of examples/agents/ (`NAME.calls.json`):

    python tests/e2e/record_examples.py

Each example runs from a temporary copy with `--record`, against the test suite's
scripted OpenAI-compatible server (tests/providers/servers.py, answers from
example_answers.py) and a plain HTTP server on 127.0.0.1:8000 (the `PAGES` address of
research_team.lm) serving examples/agents/pages/. The recording is then copied next to
the example; `lumen run examples/agents/NAME.lm --replay examples/agents/NAME.calls.json`
replays it with no server. The run's output must equal NAME.out."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLES = ROOT / "examples" / "agents"
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "providers")]

from example_answers import ANSWERS  # noqa: E402
from servers import ChatServer  # noqa: E402

from lumen import cli  # noqa: E402


class Scripted(ChatServer):
    answer = None

    def perform(self, handler, action, body):
        if action == ("echo",):
            result = self.answer(body)
            action = ("reply", result) if isinstance(result, str) else result
        return super().perform(handler, action, body)


class Pages(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def pages_server():
    handler = functools.partial(Pages, directory=str(EXAMPLES / "pages"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 8000), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def record(name: str, chat: Scripted) -> None:
    chat.answer = ANSWERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(EXAMPLES / f"{name}.lm", work)
        (work / "lumen.toml").write_text(
            '[providers]\n"llm.chat" = "openai-compatible"\n"http.get" = "builtin-http"\n\n'
            f'[providers.config.openai-compatible]\nbase_url = "{chat.base_url}"\n')
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        os.chdir(work)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["run", f"{name}.lm", "--record", f"{name}.calls.json"])
        finally:
            os.chdir(cwd)
        expected = (EXAMPLES / f"{name}.out").read_text()
        if code != 0 or out.getvalue() != expected:
            sys.exit(f"{name}: exit code {code}\n{err.getvalue()}\n--- output:\n"
                     f"{out.getvalue()}--- expected:\n{expected}")
        shutil.copy(work / f"{name}.calls.json", EXAMPLES / f"{name}.calls.json")
        print(f"recorded examples/agents/{name}.calls.json")


def main() -> None:
    pages = pages_server()
    chat = Scripted()
    try:
        for name in ANSWERS:
            record(name, chat)
    finally:
        chat.stop()
        pages.shutdown()


if __name__ == "__main__":
    main()
