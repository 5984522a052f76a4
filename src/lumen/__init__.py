"""Lumen for Python: a statically checked language for concurrent AI-agent workflows.

The embedding API lives here: `load(path)` returns a `Program`; `program.run("cell", **args)`
runs a cell; `tool("ns.name")` registers a Python function as a tool.
"""

__version__ = "0.1.0"
