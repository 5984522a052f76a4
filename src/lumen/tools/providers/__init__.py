"""Tool providers: small classes with `async call(ctx) -> value` (see `base`).

openai_compatible (chat, embeddings, structured output), local (the embedded default
model, served by `local_server`), http (builtin-http), mcp (MCP servers over stdio),
python (Python callables). Each imports its SDK on first use.
"""
