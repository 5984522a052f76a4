"""The local model's server process: `python -m lumen.tools.providers.local_server
--model FILE.gguf [--threads N] [--context N] [--parallel N]`.

Starts llama.cpp's OpenAI-compatible server (xllamacpp, in this process) on 127.0.0.1
with a free port, prints one JSON line `{"address": "http://127.0.0.1:PORT"}` to stdout,
then serves until its stdin is closed — so it ends with the Lumen process that started
it, even if that process dies without cleaning up.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="lumen-local-model")
    options.add_argument("--model", required=True)
    options.add_argument("--threads", type=int, default=0)
    options.add_argument("--context", type=int, default=8192)
    options.add_argument("--parallel", type=int, default=2)
    args = options.parse_args(argv)

    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_ctx = args.context
    params.n_parallel = args.parallel
    params.embedding = True   # chat and embeddings from the one model
    params.pooling_type = xlc.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
    if args.threads > 0:
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
    server = xlc.Server(params)
    sys.stdout.write(json.dumps({"address": server.listening_address}) + "\n")
    sys.stdout.flush()
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except KeyboardInterrupt:
        pass
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
