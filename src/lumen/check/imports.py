"""What an `import` brings from a checked module into the importing module: the names and
types it may use (for the importer's check) and which of the exporter's globals the
importer's code reads (for the runtime)."""

from __future__ import annotations

from ..diagnostics import DiagnosticSink
from ..syntax import ast as A
from .suggest import did_you_mean


def bind_import(item: A.Import, exporter, sink: DiagnosticSink, names: dict,
                types: dict) -> dict:
    """Add what `item` imports from `exporter` (an `Analysis`) to `names` and `types`;
    report names the module does not have. Returns {local py name: exporter py name}."""
    exported = exports(exporter)
    exported_types = dict(exporter.type_names)
    if item.names is None:
        chosen = [(name, name, item.span) for name in exported]
        chosen += [(name, name, item.span) for name in exported_types if name not in exported]
    else:
        chosen = [(n.name, n.alias or n.name, n.span) for n in item.names]
    mapping = {}
    for name, local, span in chosen:
        binding = exported.get(name)
        if binding is None and name not in exported_types:
            sink.error("E206", f"module `{'.'.join(item.path)}` has no `{name}`", span,
                       did_you_mean(name, list(exported) + list(exported_types)))
            continue
        if name in exported_types:
            types[local] = exported_types[name]
        if binding is None:
            continue
        names[local] = binding
        mapping[binding.py_name] = binding.py_name
        if binding.kind == "enum":
            for variant in binding.info.variants:
                variant_binding = exported.get(variant)
                if variant_binding is not None:
                    names.setdefault(variant, variant_binding)
                    mapping[variant_binding.py_name] = variant_binding.py_name
    return mapping


def exports(analysis) -> dict:
    """What another module can import: declarations, not script variables or tools."""
    return {name: b for name, b in analysis.module_scope.names.items()
            if b.kind in ("cell", "record", "enum", "variant", "const", "agent")}
