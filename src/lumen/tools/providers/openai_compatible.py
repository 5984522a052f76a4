"""`openai-compatible`: chat, embeddings and structured output over the OpenAI HTTP API
(OpenAI, Ollama, vLLM, llama.cpp's server, the `local` provider), with the `openai`
SDK's async client.

* `api_key_env` names the environment variable holding the key. Without it no
  `Authorization` header is sent at all (the SDK insists on a key, so a placeholder is
  given to it and the header is removed from every request by an httpx event hook).
* The SDK's own retries are off (`max_retries=0`): connection errors, 429 and 5xx are
  retried here, under the `max_retries` grant, with exponential backoff and jitter.
* `schema: Record` asks for `response_format: json_schema` (strict) and validates the
  answer into the record; an invalid answer is sent back to the model with what was
  wrong and asked again, up to `max_retries` times, then a ToolError.
"""

from __future__ import annotations

import asyncio
import os

from ..structured import InvalidOutput, build_record, response_format
from .base import Provider, Transient, parse_retry_after, short, with_retries

DEFAULT_TIMEOUT_MS = 600_000


async def _strip_authorization(request) -> None:
    request.headers.pop("Authorization", None)


class OpenAICompatibleProvider(Provider):
    type = "openai-compatible"

    def __init__(self, spec, services):
        super().__init__(spec, services)
        self._client = None
        self._http = None
        self._creating: asyncio.Lock | None = None

    @classmethod
    def defaults(cls, options: dict) -> dict:
        return {"default_model": options.get("default_model"),
                "embedding_model": options.get("embedding_model"),
                "max_tokens": options.get("max_tokens")}

    # ---------------------------------------------------------------- the client

    async def base_url(self, ctx) -> str | None:
        return self.options.get("base_url")

    def api_key(self, ctx) -> str | None:
        name = self.options.get("api_key_env")
        if name is None:
            return None
        key = os.environ.get(name)
        if not key:
            raise ctx.fail(f"the environment variable {name} is not set",
                           hint=f"`api_key_env = \"{name}\"` in lumen.toml names the "
                                f"variable that holds the API key; set it, or remove "
                                f"`api_key_env` for a server that needs no key")
        self.services.redactor.add(key)
        return key

    async def prepare(self, ctx) -> None:
        """Before the call's deadline starts: import the SDK, make the client (and for the
        local model, start its server) — the `timeout_ms` grant bounds the call only."""
        await self.client(ctx)

    async def client(self, ctx):
        if self._client is not None:
            return self._client
        if self._creating is None:
            self._creating = asyncio.Lock()
        async with self._creating:          # concurrent first calls share one client
            if self._client is None:
                await self._create(ctx)
        return self._client

    async def _create(self, ctx) -> None:
        import openai

        key = self.api_key(ctx)
        base_url = await self.base_url(ctx)
        timeout = self.options.get("timeout_ms", DEFAULT_TIMEOUT_MS) / 1000.0
        hooks = {"request": [_strip_authorization]} if key is None else {}
        self._http = openai.DefaultAsyncHttpxClient(event_hooks=hooks, timeout=timeout)
        self._client = openai.AsyncOpenAI(api_key=key or "no-key", base_url=base_url,
                                          max_retries=0, timeout=timeout,
                                          http_client=self._http)

    async def aclose(self) -> None:
        client, http = self._client, self._http
        self._client = self._http = None
        if client is not None:
            await client.close()
        if http is not None:
            await http.aclose()

    # ------------------------------------------------------------------- calls

    async def call(self, ctx):
        if ctx.request.kind == "embed":
            return await self.embed(ctx)
        arguments = dict(ctx.request.arguments)
        messages = arguments.pop("messages")
        if arguments.get("model") is None:
            raise ctx.fail("no model to ask", hint=self.model_hint())
        if ctx.request.schema is not None:
            return await self.structured(ctx, arguments, messages)
        return await self.complete(ctx, arguments, messages)

    def model_hint(self) -> str:
        return (f"grant one (`grant Alias model \"...\"`), pass `model:`, or set "
                f"`default_model` in [providers.config.{self.spec.name}] of lumen.toml")

    async def complete(self, ctx, arguments: dict, messages: list,
                       fmt: dict | None = None) -> str:
        client = await self.client(ctx)
        extra = {"response_format": fmt} if fmt is not None else {}

        async def attempt():
            with self.errors(ctx):
                response = await client.chat.completions.create(
                    messages=messages, **arguments, **extra)
            try:
                content = response.choices[0].message.content
            except (AttributeError, IndexError, TypeError):
                raise ctx.fail("the server's answer has no `choices[0].message`") from None
            return content if isinstance(content, str) else ""

        return await with_retries(ctx, attempt, self.retry_base)

    async def structured(self, ctx, arguments: dict, messages: list):
        cls = ctx.request.schema
        fmt = response_format(cls)
        attempts = ctx.grants.retries + 1
        problem = None
        for _ in range(attempts):
            text = await self.complete(ctx, arguments, messages, fmt)
            try:
                return build_record(cls, text)
            except InvalidOutput as exc:
                problem = str(exc)
                messages = messages + [
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": f"That answer is invalid: {problem}. Reply "
                                                f"with only a JSON object matching the "
                                                f"schema of {cls._lumen_name}."}]
        times = f" after {attempts} attempts" if attempts > 1 else ""
        raise ctx.fail(f"the model's answer does not fit record {cls._lumen_name}{times}: "
                       f"{problem}",
                       hint="the grant `max_retries` sets how often an invalid answer is "
                            "asked again")

    async def embed(self, ctx):
        client = await self.client(ctx)
        arguments = ctx.request.arguments
        if arguments.get("model") is None:
            raise ctx.fail("no embedding model to ask", hint=self.model_hint().replace(
                "`default_model`", "`embedding_model`"))

        async def attempt():
            with self.errors(ctx):
                response = await client.embeddings.create(model=arguments["model"],
                                                          input=arguments["input"])
            try:
                return [float(x) for x in response.data[0].embedding]
            except (AttributeError, IndexError, TypeError, ValueError):
                raise ctx.fail("the server's answer has no `data[0].embedding`") from None

        return await with_retries(ctx, attempt, self.retry_base)

    def errors(self, ctx):
        return _SdkErrors(ctx, self)


class _SdkErrors:
    """Translate the SDK's exceptions: transient ones to `Transient`, others to a
    ToolError naming what went wrong (secrets are masked later, in one place)."""

    def __init__(self, ctx, provider):
        self.ctx, self.provider = ctx, provider

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or not isinstance(exc, Exception):
            return False
        import openai

        ctx = self.ctx
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status == 429 or status >= 500:
                retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
                label = " (rate limited)" if status == 429 else ""
                raise Transient(f"server returned {status}{label}", retry_after) from None
            hint = None
            if status in (401, 403):
                name = self.provider.options.get("api_key_env")
                hint = (f"check the key in ${name}" if name else
                        "the server wants a key: set `api_key_env` in lumen.toml")
            raise ctx.fail(f"server returned {status}: {short(_message(exc))}", hint=hint) \
                from None
        if isinstance(exc, openai.APITimeoutError):
            raise Transient("no answer (the request timed out)") from None
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            raise Transient(f"cannot connect to {_where(exc)} ({short(cause)})") from None
        if isinstance(exc, ValueError):
            raise ctx.fail("the server's answer is not valid JSON") from None
        if isinstance(exc, openai.OpenAIError):
            raise ctx.fail(short(str(exc))) from None
        return False


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return getattr(exc, "message", None) or str(exc)


def _where(exc) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if url is None:
        return "the server"
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
