"""`--record FILE` / `--replay FILE`: tool results kept, and served back with no provider.

A recording is JSON lines. The first line is a header,
    {"lumen_recording": 1, "lumen": "0.1.0", "program": "path"}
then one line per completed tool call, in completion order:
    {"key": "...", "occurrence": 0, "tool": "llm.chat", "alias": "Chat",
     "provider": "openai-compatible", "request": {...}, "result": <value>}
or, for a call that failed, `"error": {"kind": "ToolError", "message": "..."}` in place
of `result` (replay raises the same error). Values use `codec.encode`; records come back
through their class (the call's `schema:` record, `HttpResponse`, or a record type found
among the call's arguments), so `where` constraints are checked again.

A call's identity is its tool, its effective request (arguments after grants, role
messages, the structured-output schema; secrets masked) — `ToolRequest.identity` — and
its occurrence number among calls with that same identity, counted from the start of
the run. `key` is the SHA-256 of the identity. The alias is informational: renaming an
alias does not invalidate a recording, and two agents asking the same thing of
differently granted tools (say, different models) never get each other's answers.

Calls cancelled before they completed are not recorded. This identity (tool + effective
request + occurrence) is the seam for a durable journal of completed calls.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from ..runtime.errors import LumenError
from . import codec

FORMAT = 1


def key_of(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


class _Occurrences:
    def __init__(self):
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, key: str) -> int:
        with self._lock:
            number = self._seen.get(key, 0)
            self._seen[key] = number + 1
            return number


class Recorder:
    def __init__(self, path, redactor, program=None, version: str = ""):
        self.path = Path(path)
        self.redactor = redactor
        self.occurrences = _Occurrences()
        self._lock = threading.Lock()
        self._file = open(self.path, "w", encoding="utf-8")
        self._write({"lumen_recording": FORMAT, "lumen": version,
                     "program": str(program) if program else None})

    def _write(self, entry: dict) -> None:
        line = json.dumps(self.redactor.redact(entry), ensure_ascii=False,
                          separators=(",", ":"))
        with self._lock:
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def record(self, request, identity: str, occurrence: int, provider: str,
               value=None, error=None) -> None:
        entry = {"key": key_of(identity), "occurrence": occurrence, "tool": request.tool,
                 "alias": request.alias, "provider": provider,
                 "request": json.loads(identity)["request"]}
        if error is not None:
            entry["error"] = {"kind": error.kind, "message": error.message}
        else:
            entry["result"] = codec.encode(value)
        self._write(entry)

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
        if file is not None:
            file.close()


class Replayer:
    def __init__(self, path):
        self.path = Path(path)
        self.occurrences = _Occurrences()
        self.entries: dict[tuple[str, int], dict] = {}
        self.counts: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise LumenError("ToolError", f"cannot read the recording {self.path}: {exc}") \
                from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise LumenError("ToolError", f"{self.path}:{number}: not a JSON line of a "
                                              f"Lumen recording") from None
            if number == 1:
                if not isinstance(entry, dict) or entry.get("lumen_recording") != FORMAT:
                    raise LumenError("ToolError", f"{self.path} is not a Lumen recording "
                                                  f"(made with --record)")
                continue
            key, occurrence = entry.get("key"), entry.get("occurrence")
            self.entries[(key, occurrence)] = entry
            self.counts[key] = self.counts.get(key, 0) + 1
        if not lines:
            raise LumenError("ToolError", f"{self.path} is empty, not a Lumen recording")

    def answer(self, request, identity: str, occurrence: int):
        """The recorded value of this call (or its recorded error, raised)."""
        key = key_of(identity)
        entry = self.entries.get((key, occurrence))
        if entry is None:
            raise self.unrecorded(request, identity, key, occurrence)
        request.extra["provider"] = entry.get("provider")
        if "error" in entry:
            error = entry["error"]
            raise LumenError(error.get("kind", "ToolError"), error.get("message", ""))
        try:
            return codec.decode(entry.get("result"), record_classes(request))
        except (codec.DecodeError, LumenError, TypeError) as exc:
            raise request.error(f"the recorded result in {self.path} cannot be rebuilt: "
                                f"{exc}") from None

    def unrecorded(self, request, identity: str, key: str, occurrence: int) -> LumenError:
        shown = json.loads(identity)["request"]
        text = json.dumps(shown, ensure_ascii=False)
        if len(text) > 400:
            text = text[:399] + "…"
        recorded = self.counts.get(key, 0)
        which = (f"occurrence {occurrence + 1} of this request; the recording has "
                 f"{recorded}" if recorded else "this request was never recorded")
        return request.error(f"no recorded result in {self.path} ({which}); request: {text}",
                             hint="the program or its grants changed since the recording; "
                                  "record again with --record")


def record_classes(request) -> dict:
    """Record classes a recorded result may need: the schema, HttpResponse, Failure,
    and record types among the call's arguments."""
    from ..runtime import values
    from .providers.http import http_response_class

    classes = {"HttpResponse": http_response_class(), "Failure": values.Failure}
    found = []

    def walk(value):
        if isinstance(value, type) and issubclass(value, values.Record):
            found.append(value)
        elif isinstance(value, values.Record):
            found.append(type(value))
            for item in value._lumen_values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(request.asked)
    if request.schema is not None:
        found.append(request.schema)
    seen: set = set()
    while found:
        cls = found.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes[cls._lumen_name] = cls
        spec = getattr(cls, "_lumen_json_spec", None)
        for _, kind in (spec() if spec is not None else ()):
            _classes_in_spec(kind, found, classes)
    return classes


def _classes_in_spec(kind, found: list, classes: dict) -> None:
    """Record classes (to visit) and enum variants (`Enum.Name` → class) that a field's
    JSON spec (see `values.from_json`) mentions."""
    if type(kind) is not tuple:
        return
    tag, inner = kind
    if tag == "record":
        found.append(inner)
    elif tag == "enum":
        for variant in inner.__subclasses__():
            classes[f"{variant._lumen_enum}.{variant._lumen_name}"] = variant
    elif tag in ("union", "tuple"):
        for item in inner:
            _classes_in_spec(item, found, classes)
    else:
        _classes_in_spec(inner, found, classes)
