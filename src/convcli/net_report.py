"""The answer of ``convcli net`` in each of its formats: an aligned table for people, csv,
JSON, Markdown, LaTeX, and ``plain`` (the network's output shape on one line); with
``explain``, each layer's formulas written out with its numbers. Pure text: no numpy, no
Rich, no printing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from convcli import net as N
from convcli.formulas import LATEX_SIGNS, UNICODE_SIGNS, Signs, conv_line, pool_line, transpose_line

FORMATS = ("table", "plain", "csv", "json", "markdown", "latex")
HEADER = (
    "#",
    "name",
    "type",
    "output",
    "k",
    "s",
    "p",
    "d",
    "g",
    "rf",
    "jump",
    "eff. pad",
    "start",
    "params",
    "mult-adds",
    "activations",
)
_NUMERIC = {0, 9, 10, 11, 12, 13, 14, 15}


def number(value: N.Number) -> str:
    """Exact: an int, or a fraction p/q (a start of 15.5 is 31/2)."""
    value = N.exact(value)
    return str(value)


def json_number(value: N.Number) -> int | str:
    value = N.exact(value)
    return value if isinstance(value, int) else str(value)


def per_axis(values: Sequence[N.Number]) -> str:
    """One value when every axis agrees, else one per axis in axis order."""
    if not values:
        return ""
    if len(set(values)) == 1:
        return number(values[0])
    return ",".join(number(v) for v in values)


def pads_text(pads: Sequence[int]) -> str:
    """1 (every side), 1,2 (per axis), or every side in turn (before,after per axis)."""
    befores, afters = pads[0::2], pads[1::2]
    if befores == afters:
        return per_axis(befores)
    return ",".join(map(str, pads))


def size(shape: Sequence[object], times: str = "×") -> str:
    return times.join(map(str, shape))


def grouped(value: int) -> str:
    return f"{value:,}"


def _window_kind(step: N.Step) -> bool:
    return step.layer.kind in (
        *N.CONV_KINDS,
        *N.POOL_KINDS,
        *N.GLOBAL_KINDS,
        *N.ADAPTIVE_KINDS,
        "flatten",
    )


def row(step: N.Step) -> list[str]:
    """One table row: the layer's geometry where it has one, blanks elsewhere."""
    layer = step.layer
    window = _window_kind(step)
    conv = layer.kind in N.CONV_KINDS
    return [
        str(step.index),
        step.name,
        layer.kind,
        size(step.shape),
        per_axis(step.kernel) if window else "",
        per_axis(step.stride) if window and layer.kind not in N.ADAPTIVE_KINDS else "",
        pads_text(step.pads) if window and layer.kind not in N.ADAPTIVE_KINDS else "",
        per_axis(step.dilation) if conv or layer.kind == "maxpool" else "",
        str(layer.groups) if conv else "",
        per_axis(step.rf),
        per_axis(step.jump),
        per_axis(step.padding),
        per_axis(step.start),
        grouped(step.params),
        grouped(step.macs),
        grouped(step.activations),
    ]


def _input_row(net: N.Net) -> list[str]:
    ones: tuple[int, ...] = (1,) * net.dims
    zeros: tuple[int, ...] = (0,) * net.dims
    return [
        "0",
        "input",
        "",
        size(net.input_shape),
        *[""] * 5,
        per_axis(ones),
        per_axis(ones),
        per_axis(zeros),
        per_axis(zeros),
        "",
        "",
        grouped(N._product(net.input_shape)),
    ]


def giga(value: int) -> str:
    for scale, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= scale:
            return f" ({value / scale:.2f} {unit})"
    return ""


def totals_line(net: N.Net) -> str:
    out = net.output
    return (
        f"total: {grouped(net.params)} params{giga(net.params)}, "
        f"{grouped(net.macs)} multiply-adds{giga(net.macs)}, "
        f"{grouped(net.activations)} activations; output {size(out.shape)}, "
        f"receptive field {size([number(v) for v in out.rf])}"
    )


def table(net: N.Net, explain: bool) -> str:
    rows = [list(HEADER), _input_row(net), *(row(s) for s in net.steps)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = []
    for r in rows:
        cells = [
            c.rjust(widths[i]) if i in _NUMERIC else c.ljust(widths[i]) for i, c in enumerate(r)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append(totals_line(net))
    if explain:
        for step in net.steps:
            lines += ["", heading(net, step), *(f"  {line}" for line in formulas(step, net.dims))]
    return "\n".join(lines) + "\n"


def heading(net: N.Net, step: N.Step) -> str:
    before = net.input_shape if step.index == 1 and step.layer.inputs is None else None
    shape_in = size(before) if before else _input_shape_text(step)
    return f"layer {step.index} {step.layer.kind} ({step.name}): {shape_in} → {size(step.shape)}"


def _input_shape_text(step: N.Step) -> str:
    if step.layer.kind == "fc":
        return str(step.in_channels)
    if not step.spatial_in:
        return size(step.shape)
    return size((step.in_channels, *step.spatial_in))


# --- the formulas, substituted ------------------------------------------------------------------


def _letters(n: int) -> tuple[str, ...]:
    return ("D", "h", "w")[3 - n :]  # d is the dilation


def formulas(step: N.Step, n: int, signs: Signs = UNICODE_SIGNS) -> list[str]:
    """Each formula of the layer with its numbers: output size (as ``shape`` writes it),
    receptive field, jump, start, effective padding, parameters and multiply-adds."""
    layer = step.layer
    kind = layer.kind
    dot = signs.dot
    lines: list[str] = []
    names = _letters(n)
    if kind in N.POOL_KINDS:
        lines += [
            pool_line(a, ax, layer.ceil_mode, signs) for a, ax in zip(names, step.axes, strict=True)
        ]
    elif kind == "conv":
        lines += [conv_line(a, ax, signs) for a, ax in zip(names, step.axes, strict=True)]
    elif kind == "tconv":
        lines += [transpose_line(a, ax, signs) for a, ax in zip(names, step.axes, strict=True)]
    if kind in ("add", "concat"):
        lines.append(
            signs.fix(f"r = max over the {len(layer.inputs or ())} paths = {per_axis(step.rf)}")
        )
        if kind == "concat":
            lines.append(f"channels = the sum of the paths' = {step.shape[0]}")
        return lines
    if not _window_kind(step) and kind != "fc":
        lines.append("shape and receptive field unchanged")
    elif kind == "fc" and step.spatial_in == ():
        lines.append("receptive field unchanged (the input is already flat)")
    else:
        lines += _field_lines(step, n, signs)
    if step.params:
        lines.append(signs.fix(f"params = {_params_expr(step, dot)} = {grouped(step.params)}"))
    if step.macs:
        lines.append(signs.fix(f"multiply-adds = {_macs_expr(step, dot)} = {grouped(step.macs)}"))
    return lines


def _field_lines(step: N.Step, n: int, signs: Signs) -> list[str]:
    """r, j, start and P per axis (once when the axes agree)."""
    kind = step.layer.kind
    dot = signs.dot
    p1 = signs.pads[0]
    same = (
        len(
            {
                (
                    step.kernel[a],
                    step.stride[a],
                    step.dilation[a],
                    step.pads[2 * a],
                    step.rf_in[a],
                    step.jump_in[a],
                    step.start_in[a],
                    step.padding_in[a],
                )
                for a in range(n)
            }
        )
        == 1
    )
    axes = [0] if same else list(range(n))
    out: list[str] = []
    if kind in N.GLOBAL_KINDS or kind in ("flatten", "fc"):
        out.append(f"one window over the whole map: k = s = {per_axis(step.kernel)}, no padding")
    elif kind in N.ADAPTIVE_KINDS:
        out.append(f"adaptive windows: the widest k = {per_axis(step.kernel)}, jump = input/output")
    for a in axes:
        sub = "" if same else f"_{_letters(n)[a]}"
        k, s, d, p = step.kernel[a], step.stride[a], step.dilation[a], step.pads[2 * a]
        r0, j0, st0, P0 = (
            number(v)
            for v in (step.rf_in[a], step.jump_in[a], step.start_in[a], step.padding_in[a])
        )
        r, j, st, P = (
            number(v) for v in (step.rf[a], step.jump[a], step.start[a], step.padding[a])
        )
        if kind == "tconv":
            out += [
                f"r{sub} = r_in + d{dot}(k−1){dot}j_in/s = "
                f"{r0} + {d}{dot}({k}−1){dot}{j0}/{s} = {r}",
                f"j{sub} = j_in/s = {j0}/{s} = {j}",
                f"start{sub} = start_in + ({p1} − d{dot}(k−1)/2){dot}j_in/s = "
                f"{st0} + ({p} − {d}{dot}({k}−1)/2){dot}{j0}/{s} = {st}",
                f"P{sub} = P_in + (d{dot}(k−1) − {p1}){dot}j_in/s = "
                f"{P0} + ({d}{dot}({k}−1) − {p}){dot}{j0}/{s} = {P}",
            ]
            continue
        stride = number(Fraction(step.jump[a]) / Fraction(step.jump_in[a]))
        out += [
            f"r{sub} = r_in + d{dot}(k−1){dot}j_in = {r0} + {d}{dot}({k}−1){dot}{j0} = {r}",
            f"j{sub} = j_in{dot}s = {j0}{dot}{stride} = {j}",
            f"start{sub} = start_in + (d{dot}(k−1)/2 − {p1}){dot}j_in = "
            f"{st0} + ({d}{dot}({k}−1)/2 − {p}){dot}{j0} = {st}",
            f"P{sub} = P_in + {p1}{dot}j_in = {P0} + {p}{dot}{j0} = {P}",
        ]
    return [signs.fix(line) for line in out]


def _params_expr(step: N.Step, dot: str) -> str:
    layer = step.layer
    kind = layer.kind
    k = dot.join(map(str, step.kernel))
    g = layer.groups
    bias = f" + {layer.out}" if layer.bias and kind in ("conv", "tconv", "fc") else ""
    extra = f" + {layer.extra_params}" if layer.extra_params > 0 else ""
    if kind == "conv":
        return f"{layer.out}{dot}{step.in_channels // g}{dot}{k}{bias}{extra}"
    if kind == "tconv":
        return f"{step.in_channels}{dot}{(layer.out or 0) // g}{dot}{k}{bias}{extra}"
    if kind == "fc":
        return f"{step.in_channels}{dot}{layer.out}{bias}{extra}"
    if kind == "bn":
        channels = step.shape[0]
        return f"2{dot}{channels}" + (
            f" − {-layer.extra_params}" if layer.extra_params < 0 else extra
        )
    return str(step.params)


def _macs_expr(step: N.Step, dot: str) -> str:
    layer = step.layer
    k = dot.join(map(str, step.kernel))
    g = layer.groups
    if layer.kind == "conv":
        out = dot.join(map(str, step.shape[1:]))
        return f"{layer.out}{dot}{out}{dot}{step.in_channels // g}{dot}{k}"
    if layer.kind == "tconv":
        before = dot.join(map(str, step.spatial_in))
        return f"{step.in_channels}{dot}{before}{dot}{(layer.out or 0) // g}{dot}{k}"
    return f"{step.in_channels}{dot}{layer.out}"


# --- machine formats ----------------------------------------------------------------------------


def payload(net: N.Net, explain: bool, notes: Sequence[str] = ()) -> dict[str, Any]:
    layers = []
    for step in net.steps:
        item: dict[str, Any] = {
            "index": step.index,
            "name": step.name,
            "type": step.layer.kind,
            "output_shape": list(step.shape),
            "receptive_field": [json_number(v) for v in step.rf],
            "jump": [json_number(v) for v in step.jump],
            "effective_padding": [json_number(v) for v in step.padding],
            "start": [json_number(v) for v in step.start],
            "params": step.params,
            "macs": step.macs,
            "activations": step.activations,
        }
        if _window_kind(step):
            item |= {
                "kernel": list(step.kernel),
                "stride": list(step.stride),
                "padding": list(step.pads),
                "dilation": list(step.dilation),
            }
        if step.layer.kind in N.CONV_KINDS:
            item["groups"] = step.layer.groups
        if step.layer.inputs is not None:
            item["inputs"] = [i + 1 for i in step.layer.inputs]  # 0: the network's input
        if explain:
            item["formulas"] = formulas(step, net.dims)
        layers.append(item)
    out = net.output
    return {
        "command": "net",
        "input_shape": list(net.input_shape),
        "output_shape": list(out.shape),
        "layers": layers,
        "total": {
            "params": net.params,
            "macs": net.macs,
            "activations": net.activations,
            "receptive_field": [json_number(v) for v in out.rf],
        },
        "notes": list(notes),
    }


def csv_text(net: N.Net) -> str:
    """One row per layer, one column per axis for per-axis values; a total row last."""
    import csv
    import io

    axes = _letters(net.dims)
    per = ("receptive_field", "jump", "effective_padding", "start")
    header = [
        "index",
        "name",
        "type",
        "output_shape",
        "kernel",
        "stride",
        "padding",
        "dilation",
        "groups",
        *(f"{w}_{a}" for w in per for a in axes),
        "params",
        "macs",
        "activations",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for step in net.steps:
        window = _window_kind(step)
        conv = step.layer.kind in N.CONV_KINDS
        writer.writerow(
            [
                step.index,
                step.name,
                step.layer.kind,
                size(step.shape, "x"),
                size(step.kernel, "x") if window else "",
                size(step.stride, "x") if window else "",
                size(step.pads, " ") if window else "",
                size(step.dilation, "x") if window else "",
                step.layer.groups if conv else "",
                *(
                    number(v)
                    for values in (step.rf, step.jump, step.padding, step.start)
                    for v in values
                ),
                step.params,
                step.macs,
                step.activations,
            ]
        )
    out = net.output
    writer.writerow(
        [
            "total",
            "",
            "",
            size(out.shape, "x"),
            "",
            "",
            "",
            "",
            "",
            *(number(v) for v in out.rf),
            *[""] * (3 * net.dims),
            net.params,
            net.macs,
            net.activations,
        ]
    )
    return buffer.getvalue()


def markdown(net: N.Net, explain: bool) -> str:
    rows = [_input_row(net), *(row(s) for s in net.steps)]
    align = ["---:" if i in _NUMERIC else "---" for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(c or " " for c in r) + " |" for r in rows),
        "",
        f"**{totals_line(net)}**",
    ]
    if explain:
        for step in net.steps:
            lines += [
                "",
                f"**{heading(net, step)}**",
                "",
                *(f"- `{f}`" for f in formulas(step, net.dims)),
            ]
    return "\n".join(lines) + "\n"


_LATEX_WORDS = (
    ("r_in", "r_{in}"),
    ("j_in", "j_{in}"),
    ("start_in", "\\mathrm{start}_{in}"),
    ("P_in", "P_{in}"),
    ("start", "\\mathrm{start}"),
    ("multiply-adds", "\\text{multiply-adds}"),
    ("params", "\\text{params}"),
)


def _latex_escape(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("×", r"$\times$"),
        ("→", r"$\to$"),
    ):
        text = text.replace(a, b)
    return text


def _latex_line(line: str) -> str:
    for a, b in _LATEX_WORDS:
        line = line.replace(a, b)
    return line.replace(",", "{,}")


def latex(net: N.Net, explain: bool) -> str:
    spec = "".join("r" if i in _NUMERIC else "l" for i in range(len(HEADER)))
    rows = [_input_row(net), *(row(s) for s in net.steps)]
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        " & ".join(_latex_escape(h) for h in HEADER) + r" \\",
        r"\hline",
        *(" & ".join(_latex_escape(c) for c in r) + r" \\" for r in rows),
        r"\end{tabular}",
        "",
        _latex_escape(totals_line(net)),
    ]
    if explain:
        for step in net.steps:
            body = formulas(step, net.dims, LATEX_SIGNS)
            maths = [_latex_line(f).replace(" = ", " &= ", 1) for f in body if " = " in f]
            lines += [
                "",
                _latex_escape(heading(net, step)),
                "\\begin{align*}",
                " \\\\\n".join(maths),
                "\\end{align*}",
            ]
    return "\n".join(lines) + "\n"


def writers(
    net: N.Net, explain: bool, notes: Sequence[str] = ()
) -> dict[str, Callable[[Any], str]]:
    """A writer per format (the output layer passes its typesetting, unused here)."""
    return {
        "table": lambda _t: table(net, explain),
        "plain": lambda _t: " ".join(map(str, net.output.shape)) + "\n",
        "csv": lambda _t: csv_text(net),
        "json": lambda _t: json.dumps(payload(net, explain, notes)) + "\n",
        "markdown": lambda _t: markdown(net, explain),
        "latex": lambda _t: latex(net, explain),
    }
