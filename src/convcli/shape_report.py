"""The answer of ``convcli shape`` as data (:class:`Layer`, :class:`Solved`) and as text in
each of its formats. Pure: no numpy, no Rich, no printing; typography is Unicode (the
output translates it once where the stream needs ASCII).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcli import params as P
from convcli import shape as S
from convcli.errors import ShapeError
from convcli.formulas import (
    LATEX_SIGNS,
    UNICODE_SIGNS,
    Signs,
    conv_line,
    pool_line,
    same_line,
    transpose_line,
    unread_note,
)
from convcli.phrases import phrase

AXES = ("h", "w")
Sizes = tuple[int, ...]  # one value per spatial axis, in axis order (d, h, w)


def letters(ndim: int) -> tuple[str, ...]:
    """The axis letters of the formulas: w; h, w; D, h, w (d is the dilation)."""
    return ("D", *AXES)[3 - ndim :]


def axis_words(ndim: int) -> tuple[str, ...]:
    """The axis names of csv headers, JSON keys and errors: width; height, width; depth, …"""
    return S.axis_names(ndim)


PYTORCH_MARK = "[PyTorch]"
FORMATS = ("table", "plain", "csv", "json", "markdown", "latex")


# --- the three layers ------------------------------------------------------------------------


class Layer(NamedTuple):
    """One layer's arithmetic per axis, written out by :func:`_write` in any typography."""

    operation: str
    sizes: Sizes
    kernel: Sizes
    stride: Sizes
    dilation: Sizes
    pads: Sizes  # before, after of each axis in turn
    axes: tuple[Any, ...]
    same: bool = False
    ceil_mode: bool = False
    output_padding: Sizes | None = None
    lang: str = "en"

    @property
    def names(self) -> tuple[str, ...]:
        return letters(len(self.sizes))

    @property
    def output(self) -> list[int]:
        return [a.output for a in self.axes]

    def formulas(self, signs: Signs) -> list[str]:
        pairs = list(zip(self.names, self.axes, strict=True))
        if self.operation == "pool":
            return [pool_line(n, a, self.ceil_mode, signs) for n, a in pairs]
        if self.operation == "transpose":
            return [transpose_line(n, a, signs) for n, a in pairs]
        lines = [conv_line(n, a, signs) for n, a in pairs]
        if self.same:
            lines = [same_line(n, a, signs) for n, a in pairs] + lines
        return lines

    def relations(self) -> list[str]:
        """The guide's named relationship of each axis (and, transposed, what it undoes)."""
        from convcli import relations as rel

        per_axis: list[list[str]] = []
        for name, axis in zip(self.names, self.axes, strict=True):
            if self.operation == "transpose":
                per_axis.append(rel.transpose_relations(name, axis, self.lang))
            else:
                named = (
                    rel.pool_relation(name, axis, self.lang)
                    if self.operation == "pool"
                    else rel.conv_relation(name, axis, self.lang)
                )
                per_axis.append([named] if named else [])
        return rel.merged(per_axis, self.names)

    def notes(self, signs: Signs) -> list[str]:
        if self.operation == "transpose" or self.ceil_mode:
            return []
        return unread_note(self.names, self.axes, self.lang)

    def payload(self, signs: Signs) -> dict[str, Any]:
        data: dict[str, Any] = {
            "command": "shape",
            "operation": self.operation,
            "input": list(self.sizes),
            "output": self.output,
            "padding": list(self.pads),
            "exact": all(getattr(a, "exact", True) for a in self.axes),
            "kernel": list(self.kernel),
            "stride": list(self.stride),
            "dilation": list(self.dilation),
            "formulas": self.formulas(signs),
            "relations": self.relations(),
            "notes": self.notes(signs),
        }
        if self.operation == "pool":
            data["ceil_mode"] = self.ceil_mode
        if self.output_padding is not None:
            data["output_padding"] = list(self.output_padding)
        return data


def conv_layer(
    sizes: Sizes, kernel: Sizes, stride: Sizes, dilation: Sizes, padding: P.AxisPadding
) -> Layer:
    pads = P.resolve_axis_paddings(padding, sizes, kernel, stride, dilation)
    axes = tuple(
        S.conv_axis(
            sizes[i], kernel[i], stride[i], dilation[i], pads[2 * i], pads[2 * i + 1], axis=name
        )
        for i, name in enumerate(axis_words(len(sizes)))
    )
    return Layer("conv", sizes, kernel, stride, dilation, pads, axes, same=padding == "same")


def pool_layer(
    sizes: Sizes,
    window: Sizes,
    stride: Sizes,
    padding: P.AxisPadding,
    ceil_mode: bool,
    dilation: Sizes | None = None,
) -> Layer:
    """A pooling layer: each axis padded before and after on its own (ONNX), its window
    dilated (PyTorch's max-pool dilation)."""
    pads = P.resolve_axis_paddings(padding, sizes, window)  # numbers (checked as usage)
    spread = dilation or (1,) * len(sizes)
    axes = tuple(
        S.pool_axis(
            sizes[i], window[i], stride[i], pads[2 * i], ceil_mode=ceil_mode, axis=name,
            dilation=spread[i], pad_after=pads[2 * i + 1],
        )
        for i, name in enumerate(axis_words(len(sizes)))
    )  # fmt: skip
    return Layer("pool", sizes, window, stride, spread, pads, axes, ceil_mode=ceil_mode)


def transpose_layer(
    sizes: Sizes,
    kernel: Sizes,
    stride: Sizes,
    dilation: Sizes,
    padding: P.AxisPadding,
    op: Sizes,
) -> Layer:
    pads = P.resolve_axis_paddings(padding, sizes, kernel)  # 'valid' only (others: usage)
    axes = tuple(
        S.transpose_axis(
            sizes[i],
            kernel[i],
            stride[i],
            dilation[i],
            pads[2 * i],
            pads[2 * i + 1],
            op[i],
            axis=name,
        )
        for i, name in enumerate(axis_words(len(sizes)))
    )
    return Layer("transpose", sizes, kernel, stride, dilation, pads, axes, output_padding=op)


# --- writing --------------------------------------------------------------------------------


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data) + "\n"


def write_layer(layer: Layer, form: str) -> str:
    out = layer.output
    if form == "plain":
        return " ".join(map(str, out)) + "\n"
    if form == "csv":
        return ",".join(axis_words(len(out))) + "\n" + ",".join(map(str, out)) + "\n"
    if form == "json":
        return _json(layer.payload(UNICODE_SIGNS))
    if form == "latex":
        return _latex(layer)
    lang = layer.lang
    output = phrase(lang, "shape_output", size="×".join(map(str, out)))
    lines = [*layer.formulas(UNICODE_SIGNS), *layer.relations()]
    if form == "markdown":
        return "\n".join(f"- `{line}`" for line in lines) + f"\n\n**{output}**\n"
    what = phrase(lang, "window" if layer.operation == "pool" else "kernel")
    size, k = ("×".join(map(str, v)) for v in (layer.sizes, layer.kernel))
    head = phrase(lang, "shape_head", size=size, what=what, k=k)
    return "\n".join([head, *lines, output]) + "\n"


def _latex(layer: Layer) -> str:
    """An amsmath ``align*`` block: the input, one aligned formula per line, the output."""
    size, k, out = (
        r" \times ".join(map(str, v)) for v in (layer.sizes, layer.kernel, layer.output)
    )
    what = "window" if layer.operation == "pool" else "kernel"
    rows = [
        rf"\text{{input}} &= {size}, \quad \text{{{what} }} {k}",
        *(line.replace(" = ", " &= ", 1) for line in layer.formulas(LATEX_SIGNS)),
        rf"\text{{output}} &= {out}",
    ]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


# --- the inverse problem: --target -----------------------------------------------------------


class Solved(NamedTuple):
    """The paddings that give the target per axis; the first of each is recommended."""

    transpose: bool
    sizes: Sizes
    target: Sizes
    stride: Sizes
    dilation: Sizes
    kernel: Sizes
    solutions: tuple[S.PaddingSolution, ...]
    lang: str = "en"

    def name(self, axis: int) -> str:
        return phrase(self.lang, f"axis_{letters(len(self.sizes))[axis]}")

    def module(self) -> str:
        """The PyTorch module of this layer: ConvTranspose1d, 2d or 3d."""
        return f"ConvTranspose{len(self.sizes)}d"

    def output_padding_of(self, axis: int, index: int) -> int:
        return self.solutions[axis].output_paddings[index] if self.transpose else 0

    def pytorch(self, axis: int) -> list[bool]:
        """Per solution: whether ``nn.ConvTranspose2d`` can take it (transposed only)."""
        s = self.solutions[axis]
        return [
            S.pytorch_takes_transpose(
                before,
                after,
                self.output_padding_of(axis, i),
                self.stride[axis],
                self.dilation[axis],
            )
            for i, (before, after) in enumerate(s.paddings)
        ]

    @property
    def padding(self) -> Sizes:
        return tuple(side for s in self.solutions for side in s.paddings[0])

    @property
    def output_padding(self) -> Sizes:
        return tuple(self.output_padding_of(i, 0) for i in range(len(self.solutions)))

    def reached(self) -> list[Any]:
        """The arithmetic of the recommended solution, computed forwards."""
        if self.transpose:
            layer = transpose_layer(
                self.sizes, self.kernel, self.stride, self.dilation, self.padding,
                self.output_padding,
            )  # fmt: skip
        else:
            layer = conv_layer(self.sizes, self.kernel, self.stride, self.dilation, self.padding)
        return list(layer.axes)

    def notes(self, signs: Signs) -> list[str]:
        if not self.transpose:
            return unread_note(letters(len(self.sizes)), self.reached(), self.lang)
        return [
            phrase(self.lang, "no_pytorch", name=self.name(i), module=self.module())
            for i in range(len(self.solutions))
            if not any(self.pytorch(i))
        ]

    def use(self) -> str:
        use = "--padding " + ",".join(map(str, self.padding))
        if self.transpose:
            use += " --output-padding " + ",".join(map(str, self.output_padding))
        return use

    def inputs_line(self, axis: int) -> str | None:
        s = self.solutions[axis]
        if not s.inputs or s.inputs[0] == s.inputs[1]:
            return None
        before, after = s.paddings[0]
        return phrase(
            self.lang, "target_inputs", b=before, a=after, name=self.name(axis),
            lo=s.inputs[0], hi=s.inputs[1], target=s.target,
        )  # fmt: skip


def solve(
    sizes: Sizes, kernel: Sizes, stride: Sizes, dilation: Sizes, goal: Sizes, transpose: bool
) -> Solved:
    solve = S.solve_transpose_padding if transpose else S.solve_conv_padding
    found = tuple(
        solve(sizes[i], kernel[i], stride[i], dilation[i], goal[i]) for i in range(len(sizes))
    )
    for name, size, solution in zip(axis_words(len(sizes)), sizes, found, strict=True):
        if not solution.possible:
            side = "smaller" if transpose else "larger"
            msg = (
                f"no padding gives a {name} of {solution.target} from {size}: "
                f"even with no padding the output is {side}"
            )
            hint = (
                "change the stride or the kernel size"
                if not transpose
                else "use a larger stride or kernel"
            )
            raise ShapeError(msg, hint=hint)
    return Solved(transpose, sizes, tuple(goal), stride, dilation, kernel, found)


def write_solved(solved: Solved, form: str) -> str:
    best = solved.padding
    if form == "json":
        return _json(_solved_payload(solved))
    if form in ("plain", "csv"):
        sep = " " if form == "plain" else ","
        return sep.join(str(v) for v in best) + "\n"
    if form == "markdown":
        return _solved_markdown(solved)
    if form == "latex":
        return _solved_latex(solved)
    lang = solved.lang
    lines = []
    for i, s in enumerate(solved.solutions):
        marks = solved.pytorch(i)
        options = ", ".join(
            f"{b},{a}"
            + (
                phrase(lang, "target_out_pad", op=solved.output_padding_of(i, j))
                if solved.transpose
                else ""
            )
            + (f" {PYTORCH_MARK}" if solved.transpose and marks[j] else "")
            for j, (b, a) in enumerate(s.paddings)
        )
        name = solved.name(i)
        lines.append(phrase(lang, "target_line", name=name, target=s.target, options=options))
        inputs = solved.inputs_line(i)
        if inputs:
            lines.append(f"  {inputs}")
    if solved.transpose and any(any(solved.pytorch(i)) for i in range(len(solved.solutions))):
        lines.append(f"{PYTORCH_MARK}: {phrase(lang, 'pytorch_takes', module=solved.module())}")
    lines.append(phrase(lang, "use", use=solved.use()))
    return "\n".join(lines) + "\n"


def _solved_payload(solved: Solved) -> dict[str, Any]:
    reached = solved.reached()
    data: dict[str, Any] = {
        "command": "shape",
        "operation": "transpose" if solved.transpose else "conv",
        "input": list(solved.sizes),
        "target": list(solved.target),
        "output": [a.output for a in reached],
        "padding": list(solved.padding),
        "exact": all(getattr(a, "exact", True) for a in reached),
    }
    if solved.transpose:
        data["output_padding"] = list(solved.output_padding)
    data["solutions"] = {
        name: {
            "paddings": [list(p) for p in s.paddings],
            **(
                {"output_paddings": list(s.output_paddings), "pytorch": solved.pytorch(i)}
                if solved.transpose
                else {"inputs": list(s.inputs or ())}
            ),
        }
        for i, (name, s) in enumerate(
            zip(axis_words(len(solved.sizes)), solved.solutions, strict=True)
        )
    }
    return data


def _solution_rows(solved: Solved) -> list[list[str]]:
    """One row per solution: axis, target, before, after (+ output padding, PyTorch)."""
    rows = []
    for i, s in enumerate(solved.solutions):
        marks = solved.pytorch(i)
        for j, (before, after) in enumerate(s.paddings):
            row = [solved.name(i), str(s.target), str(before), str(after)]
            if solved.transpose:
                yes = phrase(solved.lang, "yes" if marks[j] else "no")
                row += [str(solved.output_padding_of(i, j)), yes]
            rows.append(row)
    return rows


def _solution_header(solved: Solved) -> list[str]:
    header = [
        phrase(solved.lang, key) for key in ("hdr_axis", "hdr_target", "hdr_before", "hdr_after")
    ]
    if solved.transpose:
        header += [phrase(solved.lang, "output_padding"), "PyTorch"]
    return header


def _solved_markdown(solved: Solved) -> str:
    header = _solution_header(solved)
    align = ["---"] + ["---:"] * (len(header) - 1)
    if solved.transpose:
        align[-1] = "---"
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in _solution_rows(solved)),
        "",
    ]
    inputs = [solved.inputs_line(i) for i in range(len(solved.solutions))]
    lang = solved.lang
    lines += [phrase(lang, "sentence", text=f"{t[0].upper()}{t[1:]}") for t in inputs if t]
    if solved.transpose:
        lines.append(phrase(lang, "pytorch_column", module=solved.module()))
    lines.append(phrase(lang, "use_md", use=solved.use()))
    return "\n".join(lines) + "\n"


def _solved_latex(solved: Solved) -> str:
    header = _solution_header(solved)
    columns = "l" + "r" * (len(header) - 1)
    if solved.transpose:
        columns = columns[:-1] + "l"
    rows = _solution_rows(solved)
    body = []
    for j, row in enumerate(rows):
        if j and row[0] != rows[j - 1][0]:
            body.append("\\hline")
        body.append(" & ".join(row) + r" \\")
    lines = [
        f"\\begin{{tabular}}{{{columns}}}",
        " & ".join(header) + r" \\",
        "\\hline",
        *body,
        "\\end{tabular}",
        f"% use: {solved.use()}",
    ]
    return "\n".join(lines) + "\n"


def writers(answer: Layer | Solved) -> dict[str, Any]:
    """For each format, a function that writes the answer in it."""
    write: Any = write_solved if isinstance(answer, Solved) else write_layer
    return {form: (lambda _typeset, form=form: write(answer, form)) for form in FORMATS}


def payload(answer: Layer | Solved) -> dict[str, Any]:
    return _solved_payload(answer) if isinstance(answer, Solved) else answer.payload(UNICODE_SIGNS)
