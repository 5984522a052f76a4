"""Secrets never leave the process: one redaction used by every writer and error.

A `Redactor` knows the secret *values* of a run:
* the values of the environment variables named by `api_key_env` in lumen.toml;
* the values of environment variables whose names look secret (`*KEY*`, `*TOKEN*`,
  `*SECRET*`, `*PASSWORD*`, ...), when at least 8 characters long;
* values of the `env` tables of MCP servers whose names look secret;
* values of request headers and arguments whose names look secret (`Authorization`,
  `X-Api-Key`, `Cookie`, `api_key`, ...), learned as calls are made (`learn`).

Names "look secret" when a word of them (split at `-`, `_`, `.`, space) is `key`,
`token`, `secret`, `password`, `authorization`, `cookie` or `credentials`: `X-Api-Key`
and `GITHUB_TOKEN` do, `max_tokens` and `keywords` do not.

`redact(data)` returns JSON-shaped data with every occurrence of a secret value in any
string replaced by `***`. Redaction is by value, so a secret is masked wherever it
shows up: in a header, an argument, an echoed response body or an error message.
`redact_text` does the same for one string and `redact_error` for a `LumenError`'s
message, hint and details. Traces, recordings, error messages and logs all go through it.
"""

from __future__ import annotations

import os
import re
import threading

MASK = "***"
SECRET_NAME = re.compile(r"(?:^|[-_ .])(?:api[-_]?key|key|token|secret|password|passwd|"
                         r"authorization|cookie|credentials?)(?:$|[-_ .])", re.IGNORECASE)
_MIN_SECRET = 4          # shorter configured secrets are not scanned for (too many hits)
_MIN_GUESSED_SECRET = 8  # env vars that only *look* secret must be at least this long


def is_secret_name(name: str) -> bool:
    """Whether a header, argument or variable name suggests its value is a secret."""
    return bool(SECRET_NAME.search(name))


class Redactor:
    """The secret values of one run, and the one function that removes them."""

    def __init__(self, secrets=(), *, environ=None, scan_environment: bool = True):
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        self._pattern: re.Pattern | None = None
        environ = os.environ if environ is None else environ
        if scan_environment:
            for name, value in environ.items():
                if is_secret_name(name) and len(value) >= _MIN_GUESSED_SECRET:
                    self.add(value)
        for secret in secrets:
            self.add(secret)

    def add(self, secret) -> None:
        """Remember one more secret value (a bearer header adds the token alone, too)."""
        if not isinstance(secret, str):
            return
        candidates = {secret.strip()}
        scheme, _, token = secret.strip().partition(" ")
        if token and scheme.lower() in ("bearer", "basic", "token"):
            candidates.add(token.strip())
        with self._lock:
            changed = False
            for value in candidates:
                if len(value) >= _MIN_SECRET and value not in self._secrets:
                    self._secrets.append(value)
                    changed = True
            if changed:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_env(self, name: str, environ=None) -> None:
        value = (os.environ if environ is None else environ).get(name)
        if value:
            self.add(value)

    def learn(self, mapping) -> None:
        """Remember the values of secret-looking entries of a mapping (arguments,
        headers), looking into nested mappings too."""
        if isinstance(mapping, dict):
            for name, value in mapping.items():
                if isinstance(name, str) and is_secret_name(name):
                    self.add(value)
                elif isinstance(value, dict):
                    self.learn(value)

    # ------------------------------------------------------------------ redaction

    def redact_text(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def redact(self, data):
        """A copy of JSON-shaped `data` with secrets masked."""
        kind = type(data)
        if kind is str:
            return self.redact_text(data)
        if kind is list or kind is tuple:
            return [self.redact(item) for item in data]
        if kind is dict:
            return {self.redact_text(k) if type(k) is str else k: self.redact(v)
                    for k, v in data.items()}
        return data

    def redact_error(self, error):
        """Mask secrets in a LumenError's message, hint and details (in place)."""
        message = self.redact_text(error.message)
        if message != error.message:
            error.message = message
            error.args = (message,)
        if error.hint:
            error.hint = self.redact_text(error.hint)
        details = getattr(error, "details", None)
        if details:
            error.details = [self.redact_error(d) if hasattr(d, "message")
                             else self.redact_text(str(d)) for d in details]
        return error
