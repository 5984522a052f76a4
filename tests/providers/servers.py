"""Real servers the provider tests talk to, on 127.0.0.1 with random free ports.

* `ChatServer`: a small OpenAI-compatible server (`/v1/chat/completions`,
  `/v1/embeddings`) with scripted answers, delays and faults, a request counter, the
  captured requests (headers and JSON bodies) and the largest number of requests that
  were in flight at once.
* `WebServer`: a plain HTTP server for `http.*`: echo, status codes, redirects, text.
* `closed_port()`: a port nothing listens on (connection refused).

Both servers are stdlib `ThreadingHTTPServer`s in a daemon thread; `stop()` ends them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        import sys
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)   # a client that gave up is fine


class _Base:
    handler_class: type

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()
        owner = self

        class Handler(self.handler_class):
            server_owner = owner

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def enter(self, record: dict) -> None:
        with self.lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    server_owner: _Base
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes, content_type="application/json",
             headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# ----------------------------------------------------------------- OpenAI-compatible


class ChatServer(_Base):
    """Scripted OpenAI-compatible server.

    `queue(*actions)` scripts the next requests, one action each; when the queue is
    empty `default` answers. Actions (tuples):
      ("reply", text)             a chat completion with content `text`
      ("json", obj)               a completion whose content is `json.dumps(obj)`
      ("status", code[, headers]) an error response with that status
      ("malformed",)              200 with a body that is not JSON
      ("reject_key",)             401 whose message repeats the Authorization header
      ("hang",)                   never answer (until the server stops)
      ("delay", seconds, action)  wait, then do `action`
    The default action echoes the last user message: "echo: <text>".
    """

    class handler_class(_Handler):
        def do_POST(self):
            owner = self.server_owner
            raw = self.read_body()
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            record = {"path": self.path, "headers": {k.lower(): v for k, v in
                                                     self.headers.items()}, "json": body}
            owner.enter(record)
            try:
                owner.perform(self, owner.next_action(), body)
            finally:
                owner.leave()

    def __init__(self):
        self.script: list = []
        self.default = ("echo",)
        super().__init__()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *actions) -> None:
        with self.lock:
            self.script.extend(actions)

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def perform(self, handler: _Handler, action, body: dict) -> None:
        kind = action[0]
        if kind == "delay":
            self.stopping.wait(action[1])
            return self.perform(handler, action[2], body)
        if kind == "hang":
            self.stopping.wait(60)
            return None
        if kind == "status":
            headers = action[2] if len(action) > 2 else {}
            error = {"error": {"message": f"scripted status {action[1]}", "type": "test"}}
            return handler.send(action[1], json.dumps(error).encode(), headers=headers)
        if kind == "malformed":
            return handler.send(200, b"{this is not json")
        if kind == "reject_key":
            auth = handler.headers.get("Authorization", "")
            error = {"error": {"message": f"invalid key in header: {auth}"}}
            return handler.send(401, json.dumps(error).encode())
        if handler.path.endswith("/embeddings"):
            return handler.send(200, json.dumps(self.embedding(body)).encode())
        if kind == "reply":
            content = action[1]
        elif kind == "json":
            content = json.dumps(action[1])
        else:
            messages = body.get("messages") or [{}]
            content = "echo: " + str(messages[-1].get("content"))
        return handler.send(200, json.dumps(self.completion(body, content)).encode())

    @staticmethod
    def completion(body: dict, content: str) -> dict:
        return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                "model": body.get("model") or "test-model",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    @staticmethod
    def embedding(body: dict) -> dict:
        text = body.get("input")
        texts = text if isinstance(text, list) else [text]
        data = [{"object": "embedding", "index": i,
                 "embedding": [float(len(t or "")), 0.5, -1.0]} for i, t in enumerate(texts)]
        return {"object": "list", "data": data, "model": body.get("model") or "test-embed",
                "usage": {"prompt_tokens": 1, "total_tokens": 1}}


# ----------------------------------------------------------------------- plain HTTP


class WebServer(_Base):
    """Plain HTTP for `http.*`:
      /echo            JSON {method, path, host, headers, body}
      /status/NNN      status NNN with body "status NNN"
      /redirect?to=URL 302 to URL (/redirect307?to=URL: 307)
      /text            "hello, world" as text/plain
      /slow?ms=N       waits N ms, then "slow"
    """

    class handler_class(_Handler):
        def handle_any(self):
            owner = self.server_owner
            body = self.read_body()
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            record = {"method": self.command, "path": self.path,
                      "host": self.headers.get("Host"),
                      "headers": {k.lower(): v for k, v in self.headers.items()},
                      "body": body.decode("utf-8", "replace")}
            owner.enter(record)
            try:
                self.route(parts.path, query, record)
            finally:
                owner.leave()

        def route(self, path: str, query: dict, record: dict) -> None:
            if path == "/echo":
                return self.send(200, json.dumps(record).encode())
            if path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                return self.send(code, f"status {code}".encode(), "text/plain")
            if path in ("/redirect", "/redirect307"):
                status = 307 if path.endswith("307") else 302
                return self.send(status, b"", "text/plain",
                                 headers={"Location": query["to"][0]})
            if path == "/slow":
                time.sleep(int(query.get("ms", ["100"])[0]) / 1000.0)
                return self.send(200, b"slow", "text/plain")
            return self.send(200, b"hello, world", "text/plain",
                             headers={"X-Test": "yes"})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"
