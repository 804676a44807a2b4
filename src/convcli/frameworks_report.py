"""``convcli frameworks`` as text: a table for people, markdown for documentation, JSON for
scripts, and one snippet alone for copying. Pure: no numpy, no Rich, no printing.
"""

from __future__ import annotations

import json
from typing import Any

from convcli.frameworks import Layer, Row

FORMATS = ("table", "json", "markdown")


def _size(values: tuple[int, ...] | None) -> str:
    return "×".join(map(str, values)) if values is not None else "—"


def title(layer: Layer) -> str:
    """One line that names the layer: ``conv2d 5×5, kernel 3×3, stride 2×2, pads 1,1,1,1``."""
    what = {"conv": "conv", "transpose": "conv_transpose", "pool": f"{layer.pool_op}_pool"}
    parts = [
        f"{what[layer.op]}{layer.dims}d {_size(layer.sizes)}",
        f"{'window' if layer.op == 'pool' else 'kernel'} {_size(layer.kernel)}",
        f"stride {_size(layer.stride)}",
    ]
    if layer.op != "pool" and set(layer.dilation) != {1}:
        parts.append(f"dilation {_size(layer.dilation)}")
    pads = ",".join(map(str, layer.pads))
    parts.append(f"padding {layer.word} ({pads})" if layer.word else f"padding {pads}")
    if layer.output_padding and any(layer.output_padding):
        parts.append(f"output padding {_size(layer.output_padding)}")
    if layer.channels:
        parts.append(f"channels {layer.c_in}→{layer.c_out}")
    if layer.groups > 1:
        parts.append(f"groups {layer.groups}")
    if layer.padding_mode != "zeros":
        parts.append(f"{layer.padding_mode} padding")
    if layer.ceil_mode:
        parts.append("ceil mode")
    if layer.flip:
        parts.append("flipped kernel")
    return ", ".join(parts)


def payload(layer: Layer, rows: list[Row]) -> dict[str, Any]:
    return {
        "command": "frameworks",
        "operation": layer.op,
        "input": list(layer.sizes),
        "output": list(layer.output),
        "padding": list(layer.pads),
        "frameworks": [row.payload() for row in rows],
    }


def write(layer: Layer, rows: list[Row], form: str) -> str:
    if form == "json":
        return json.dumps(payload(layer, rows)) + "\n"
    if form == "markdown":
        return _markdown(layer, rows)
    return _table(layer, rows)


def _native(row: Row) -> str:
    if row.code is None:
        return "cannot"
    return "native" if row.native else "workaround"


def _table(layer: Layer, rows: list[Row]) -> str:
    lines = [title(layer), f"convcli's output: {_size(layer.output)}", ""]
    width = max(len(row.name) for row in rows)
    for row in rows:
        lines.append(f"{row.name:<{width}}  {_native(row):<10}  {_size(row.output)}")
        lines += [f"{'':<{width}}  - {note}" for note in row.notes]
    lines.append("")
    lines.append("The code of one: --framework NAME; every snippet: --format markdown or json.")
    return "\n".join(lines) + "\n"


def _markdown(layer: Layer, rows: list[Row]) -> str:
    lines = [
        f"**{title(layer)}**; convcli's output {_size(layer.output)}",
        "",
        "| framework | expresses it | output | what differs |",
        "|---|---|---|---|",
    ]
    for row in rows:
        notes = "; ".join(row.notes).replace("|", "\\|")
        lines.append(f"| {row.name} | {_native(row)} | {_size(row.output)} | {notes} |")
    for row in rows:
        if row.code is None:
            continue
        lines += ["", f"### {row.name}", "", "```python", row.code.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"
