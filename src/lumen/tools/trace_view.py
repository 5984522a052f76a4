"""`lumen trace show FILE`: a trace rendered as a tree with timings, using `rich`.

The run is the root. Orchestration forms are nodes (kind, line, branches, duration,
outcome, winner, cancelled branches); inside a form, what its branches did is grouped
by task ("branch · task N"); tool calls are leaves with alias, tool, provider, duration
and a preview of the result, or the error in red. `emit` values and spawns appear where
they happened. Events are nested by the `parent` form id each event carries.
"""

from __future__ import annotations

import json
from pathlib import Path

PREVIEW = 70


def load(path) -> list[dict]:
    events = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            raise ValueError(f"{path}:{number}: not a JSON line") from None
        if isinstance(event, dict) and "event" in event:
            events.append(event)
    return events


def show(path, console=None) -> int:
    """Print the tree; 0 on success, 1 when the file cannot be read."""
    from rich.console import Console

    console = console or Console()
    try:
        events = load(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        console.print(f"[red]lumen trace show: cannot read {path}: {exc}[/red]")
        return 1
    console.print(build_tree(events, str(path)))
    return 0


def build_tree(events: list[dict], name: str = "trace"):
    from rich.tree import Tree

    start = next((e for e in events if e["event"] == "run_start"), {})
    end = next((e for e in events if e["event"] == "run_end"), None)
    root = Tree(_run_label(start, end, name), guide_style="dim")
    forms = _forms(events)
    children: dict = {}
    for event in events:
        kind = event["event"]
        if kind in ("run_start", "run_end", "form_end"):
            continue
        children.setdefault(event.get("parent"), []).append(event)
    _add(root, children.get(None, []), children, forms, owner_task=None)
    return root


def _forms(events: list[dict]) -> dict:
    forms: dict = {}
    for event in events:
        if event["event"] in ("form_start", "form_end") and event.get("id") is not None:
            forms.setdefault(event["id"], {}).update(
                {"start" if event["event"] == "form_start" else "end": event})
    return forms


def _add(node, items: list[dict], children: dict, forms: dict, owner_task) -> None:
    """Add `items` under `node`; inside a form, events of other tasks than the form's
    own are grouped per task (one group per branch)."""
    if owner_task is None:
        _add_items(node, items, children, forms)
        return
    groups: dict = {}
    for event in items:
        groups.setdefault(event.get("task"), []).append(event)
    for task, group in groups.items():
        target = node if task == owner_task else node.add(f"[dim]branch · task {task}[/dim]")
        _add_items(target, group, children, forms)


def _add_items(node, items: list[dict], children: dict, forms: dict) -> None:
    for event in items:
        kind = event["event"]
        if kind == "form_start":
            form = forms.get(event.get("id"), {})
            sub = node.add(_form_label(form.get("start", event), form.get("end")))
            _add(sub, children.get(event.get("id"), []), children, forms,
                 owner_task=event.get("task"))
        elif kind == "tool_call":
            node.add(_tool_label(event))
        else:
            node.add(_other_label(event))


# ------------------------------------------------------------------------- labels


def _ms(value) -> str:
    if value is None:
        return "?"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _run_label(start: dict, end: dict | None, name: str):
    from rich.text import Text

    text = Text()
    text.append("run ", style="bold")
    text.append(str(start.get("program") or name), style="bold cyan")
    if start.get("deterministic"):
        text.append("  deterministic", style="magenta")
    if end is None:
        text.append("  (no run_end: the run did not finish)", style="yellow")
        return text
    outcome = end.get("outcome", "?")
    text.append(f"  {outcome}", style="green" if outcome == "ok" else "bold red")
    text.append(f"  {_ms(end.get('duration_ms'))}", style="dim")
    text.append(f"  {end.get('tool_calls', 0)} tool calls", style="dim")
    if end.get("errors"):
        text.append(f", {end['errors']} failed", style="red")
    if end.get("cancelled"):
        text.append(f", {end['cancelled']} cancelled", style="yellow")
    if end.get("error"):
        text.append(f"\n{end['error'].get('kind')}: {end['error'].get('message')}", style="red")
    return text


def _form_label(start: dict, end: dict | None):
    from rich.text import Text

    text = Text()
    text.append(str(start.get("form", "form")), style="bold blue")
    text.append(f"  line {start.get('line')}  {start.get('branches')} branches", style="dim")
    if end is None:
        text.append("  (unfinished)", style="yellow")
        return text
    text.append(f"  {_ms(end.get('elapsed_ms'))}")
    outcome = end.get("outcome")
    text.append(f"  {outcome}", style={"ok": "green", "error": "bold red"}.get(outcome, "yellow"))
    if end.get("winner") is not None:
        text.append(f"  winner {end['winner']}", style="green")
    if end.get("cancelled"):
        text.append(f"  cancelled {end['cancelled']}", style="yellow")
    return text


def _tool_label(event: dict):
    from rich.text import Text

    text = Text()
    failed = "error" in event
    text.append("✗ " if failed else "● ", style="red" if failed else "green")
    text.append(str(event.get("alias")), style="bold")
    text.append(f" {event.get('tool')}")
    if event.get("provider"):
        text.append(f" [{event['provider']}]", style="dim")
    text.append(f"  {_ms(event.get('duration_ms'))}", style="cyan")
    if event.get("line") is not None:
        text.append(f"  line {event['line']}", style="dim")
    if failed:
        error = event["error"]
        text.append(f"\n{error.get('kind')}: {error.get('message')}", style="red")
    elif "result" in event:
        text.append(f"  → {_preview(event['result'])}", style="dim")
    return text


def _other_label(event: dict):
    from rich.text import Text

    kind = event["event"]
    text = Text()
    if kind == "emit":
        text.append("emit ", style="bold magenta")
        text.append(_preview(event.get("value")))
    elif kind == "spawn":
        text.append(f"spawn  line {event.get('line')}", style="magenta")
    elif kind == "future_cancelled":
        text.append(f"future cancelled  line {event.get('line')}  ({event.get('reason')})",
                    style="yellow")
    else:
        text.append(f"{kind} ", style="dim")
        text.append(_preview({k: v for k, v in event.items() if k != "event"}), style="dim")
    return text


def _preview(value) -> str:
    from .codec import shown

    text = " ".join(shown(value).split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
