"""`builtin-http`: `http.get`, `http.post` and `http.request` with `httpx`.

* `http.get(url, headers?)` and `http.post(url, body, headers?)` return the body as a
  String; a non-2xx status is a ToolError naming it (429 and 5xx are retried first).
* `http.request(method, url, headers?, body?)` returns `HttpResponse(status, headers,
  body)` whatever the status (only connection errors are retried).
* A String body is sent as is (`text/plain; charset=utf-8` unless a Content-Type is
  given); any other body is sent as JSON.
* Redirects are followed here, not by httpx, so that every hop's host is checked
  against the `domain` grants before it is requested (a hop to a host not allowed is a
  PolicyViolation and is never requested). 303, and 301/302 after a POST, become GET;
  307/308 keep the method and body; credentials are dropped when the host changes.
* Only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are retried unless the
  `max_retries` grant is given explicitly.
"""

from __future__ import annotations

import functools
import json

from ..policy import check_url
from .base import Provider, Transient, parse_retry_after, short, with_retries

IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
REDIRECTS = {301, 302, 303, 307, 308}
DEFAULT_TIMEOUT_MS = 30_000


class HttpProvider(Provider):
    type = "builtin-http"

    def __init__(self, spec, services):
        super().__init__(spec, services)
        self._client = None

    def client(self):
        if self._client is None:
            import httpx

            timeout = self.options.get("timeout_ms", DEFAULT_TIMEOUT_MS) / 1000.0
            agent = self.options.get("user_agent", "lumen-http")
            self._client = httpx.AsyncClient(follow_redirects=False, timeout=timeout,
                                             headers={"User-Agent": agent})
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def call(self, ctx):
        request = ctx.request
        arguments = request.arguments
        method = arguments["method"]
        headers = dict(arguments.get("headers") or {})
        content = _content(arguments.get("body"), headers) if "body" in arguments else None
        returns_response = request.operation == "request"
        if ctx.grants.max_retries is None and method not in IDEMPOTENT:
            ctx = _no_retries(ctx)

        async def attempt():
            response = await self.fetch(ctx, method, arguments["url"], headers, content)
            status = response.status_code
            if not returns_response and (status == 429 or status >= 500):
                raise Transient(f"{method} {response.url} returned {status}",
                                parse_retry_after(response.headers.get("retry-after")))
            return response

        response = await with_retries(ctx, attempt, self.retry_base)
        status = response.status_code
        if returns_response:
            return _http_response(response)
        if not 200 <= status < 300:
            raise ctx.fail(f"{method} {response.url} returned {status}: "
                           f"{short(response.text) or '(empty body)'}")
        return response.text

    async def fetch(self, ctx, method: str, url: str, headers: dict, content):
        """One request, following redirects with a domain check at every hop."""
        import httpx

        client = self.client()
        limit = self.options.get("max_redirects", 10)
        for _ in range(limit + 1):
            try:
                response = await client.request(method, url, headers=headers, content=content)
            except httpx.InvalidURL as exc:
                raise ctx.fail(f"invalid URL {url!r} ({exc})") from None
            except httpx.UnsupportedProtocol:
                raise ctx.fail(f"unsupported URL {url!r} (use http:// or https://)") from None
            except httpx.TimeoutException:
                raise Transient(f"{method} {url}: no answer (timed out)") from None
            except httpx.TransportError as exc:
                raise Transient(f"cannot connect to {_origin(url)} ({short(exc) or type(exc).__name__})") \
                    from None
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                await response.aread()
                return response
            await response.aclose()
            target = str(response.url.join(location))
            check_url(ctx.request.alias, ctx.grants, target, redirect_from=url)
            method, content, headers = _redirected(response.status_code, method, content,
                                                   headers, url, target)
            url = target
        raise ctx.fail(f"too many redirects (more than {limit}) starting at "
                       f"{ctx.request.arguments['url']}")


def _content(body, headers: dict):
    lowered = {k.lower() for k in headers}
    if isinstance(body, str):
        if "content-type" not in lowered:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    from ..codec import encode
    if "content-type" not in lowered:
        headers["Content-Type"] = "application/json"
    return json.dumps(_plain(encode(body)), ensure_ascii=False).encode("utf-8")


def _plain(data):
    """A record's tagged encoding sent as JSON is just its fields."""
    if isinstance(data, dict):
        if "$record" in data:
            return _plain(data.get("fields", {}))
        for tag in ("$tuple", "$set"):
            if tag in data:
                return _plain(data[tag])
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _redirected(status: int, method: str, content, headers: dict, url: str, target: str):
    from urllib.parse import urlsplit

    if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
        method, content = "GET", None
        headers = {k: v for k, v in headers.items()
                   if k.lower() not in ("content-type", "content-length")}
    if urlsplit(url).hostname != urlsplit(target).hostname:
        headers = {k: v for k, v in headers.items()
                   if k.lower() not in ("authorization", "cookie", "proxy-authorization")}
    return method, content, headers


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _no_retries(ctx):
    from dataclasses import replace
    return replace(ctx, grants=replace(ctx.grants, max_retries=0))


def http_response_class():
    """The built-in `HttpResponse` record class (a stand-in until the runtime has it)."""
    from ...runtime import values
    return getattr(values, "HttpResponse", None) or _fallback_http_response()


def _http_response(response):
    headers = {}
    for name, value in response.headers.multi_items():
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return http_response_class()(status=response.status_code, headers=headers,
                                 body=response.text)


@functools.cache
def _fallback_http_response():
    from ...runtime.values import Record

    class HttpResponse(Record):
        __slots__ = ("status", "headers", "body")
        _lumen_name = "HttpResponse"
        _lumen_fields = ("status", "headers", "body")

        def __init__(self, status, headers, body):
            self.status, self.headers, self.body = status, headers, body

    return HttpResponse
