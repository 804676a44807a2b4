"""``convcli shape``: output-size arithmetic, written out. Never imports numpy or Rich.

Options arrive parsed (``None`` = not given), so an option that does not apply to the
layer asked for is refused by name instead of being ignored. stdout carries the answer
only; notes (a division that is not whole, unread rows) go to stderr in every format.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from convcli import params as P
from convcli import shape as S
from convcli.cli.base import app, emit, guarded, stdout_encodes
from convcli.cli.options import (
    Axes,
    PaddingSpec,
    QuietOpt,
    axes_option,
    check_applies,
    parse_dilation,
    parse_output_padding,
    parse_padding,
    parse_stride,
    refuse,
)
from convcli.cli.output import say
from convcli.errors import ParameterError, ShapeError
from convcli.formulas import (
    ASCII_SIGNS,
    LATEX_SIGNS,
    UNICODE_SIGNS,
    Signs,
    conv_line,
    pool_line,
    same_line,
    transpose_line,
    unread_line,
)

AXES = ("h", "w")
NAMES = ("height", "width")
PYTORCH_MARK = "[PyTorch]"
PYTORCH_TAKES = "ConvTranspose2d takes the padding as it is (the same before and after)"


class ShapeFormat(StrEnum):
    """The formats shape writes (``plain`` is shape's own: ``H W`` on one line)."""

    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"


class ShapeCommand(TyperCommand):
    """``-h`` is the help flag app-wide; ``-h 160`` is a height typed with the wrong case.

    Click would print the help and exit 0 (and a script would read the help as data),
    so a value after ``-h`` is a usage error that points at ``-H/--height``.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Click's Context
        for i, arg in enumerate(args):
            if arg == "--":
                break
            glued = re.fullmatch(r"-h(\d.*)", arg)
            value = glued.group(1) if glued else None
            if arg == "-h" and i + 1 < len(args) and _is_value(args[i + 1]):
                value = args[i + 1]
            if value is not None:
                msg = f"-h is the help flag; give the height with -H/--height (-H {value})"
                ctx.fail(msg)
        return super().parse_args(ctx, args)


def _is_value(arg: str) -> bool:
    return not arg.startswith("-") or bool(re.fullmatch(r"-\d.*", arg))


def _one_size(name: str) -> Callable[[str], int]:
    """A parser for one input size; a pair is refused with the two ways to give one."""

    def parse(text: str) -> int:
        if not isinstance(text, str):  # Typer passes defaults through the parser too
            return text
        if "," in text:
            msg = f"{name} takes one number; for two, use --size H,W or -H H -w W"
            raise typer.BadParameter(msg)
        try:
            return P.parse_pair(text, name)[0]
        except ParameterError as exc:
            raise typer.BadParameter(exc.message) from None

    parse.__name__ = name
    return parse


@app.command(cls=ShapeCommand)
def shape(
    ctx: typer.Context,
    width: Annotated[
        int | None,
        typer.Option("--width", "-w", metavar="W", help="Input width.", parser=_one_size("width")),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option(
            "--height",
            "-H",
            metavar="H",
            help="Input height [default: the width].",
            parser=_one_size("height"),
        ),
    ] = None,
    size: Annotated[
        Axes | None,
        axes_option(
            "--size", "-n", metavar="N|H,W", help="Input size, instead of -w/-H: 160,224 = H,W."
        ),
    ] = None,
    kernel_size: Annotated[
        Axes | None,
        axes_option(
            "--kernel-size",
            "-k",
            metavar="K|H,W",
            help="Kernel (or pooling window) size [default: 3].",
        ),
    ] = None,
    padding: Annotated[
        PaddingSpec | None,
        typer.Option(
            "--padding",
            "-p",
            metavar="P",
            help="N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same or full; with --transpose "
            "(cells cropped) N, H,W or TOP,BOTTOM,LEFT,RIGHT; with --pool N or H,W "
            "[default: 0].",
            parser=parse_padding,
        ),
    ] = None,
    stride: Annotated[
        Axes | None,
        typer.Option(
            "--stride",
            "-s",
            metavar="S|H,W",
            help="Stride [default: 1; the window with --pool].",
            parser=parse_stride,
        ),
    ] = None,
    dilation: Annotated[
        Axes | None,
        typer.Option(
            "--dilation",
            "-d",
            metavar="D|H,W",
            help="Dilation, at least 1; not with --pool [default: 1].",
            parser=parse_dilation,
        ),
    ] = None,
    transpose: Annotated[bool, typer.Option("--transpose", help="Transposed convolution.")] = False,
    output_padding: Annotated[
        Axes | None,
        typer.Option(
            "--output-padding",
            metavar="OP|H,W",
            help="With --transpose: extra rows/columns at the bottom/right, below "
            "max(stride, dilation) [default: 0].",
            parser=parse_output_padding,
        ),
    ] = None,
    pool: Annotated[
        bool, typer.Option("--pool", help="Pooling: the window is -k, stride defaults to it.")
    ] = False,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="With --pool: round the output size up.")
    ] = False,
    target: Annotated[
        Axes | None,
        axes_option(
            "--target",
            metavar="N|H,W",
            help="Solve for the padding that gives this output size.",
        ),
    ] = None,
    fmt: Annotated[
        ShapeFormat | None,
        typer.Option(
            "--format", "-f", help="Output format [default: table on a terminal, plain in a pipe]."
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Output size of a convolution layer, with the formula written out.

    \b
    Examples:
      convcli shape -w 4 -k 3 -p 1 -s 1
      convcli shape --size 160,224 -k 7 -s 2 -p 3 --format plain
      convcli shape -w 5 -k 3 -s 2 -p same
      convcli shape -w 3 -k 3 -s 2 -p 1 --transpose --output-padding 1
      convcli shape -w 32 -k 5 -s 2 --target 16
      convcli shape -w 7 -k 2 --pool --ceil-mode
    """
    sizes = _sizes(ctx, width, height, size)
    _refuse_what_does_not_apply(
        transpose, pool, ceil_mode, padding, dilation, output_padding, target
    )
    kernel: P.Pair = kernel_size or (3, 3)  # Axes is an (h, w) tuple
    strides: P.Pair = stride or (kernel if pool else (1, 1))
    dil: P.Pair = dilation or (1, 1)
    pads = padding.value if padding is not None else (0, 0, 0, 0)
    form = fmt or (ShapeFormat.table if sys.stdout.isatty() else ShapeFormat.plain)
    with guarded():
        if target is not None:
            solved = _solve(sizes, kernel, strides, dil, target, transpose)
            emit(_write_solved(solved, form))
            _note(solved.notes(UNICODE_SIGNS), quiet)
            return
        if pool:
            layer = _pool(sizes, kernel, strides, pads, ceil_mode)
        elif transpose:
            layer = _transpose(sizes, kernel, strides, dil, pads, output_padding or (0, 0))
        else:
            layer = _conv(sizes, kernel, strides, dil, pads)
        emit(_write(layer, form))
        _note(layer.notes(UNICODE_SIGNS), quiet)


def _sizes(ctx: typer.Context, width: int | None, height: int | None, size: Axes | None) -> P.Pair:
    if size is not None:
        check_applies(
            {"--width": width, "--height": height},
            "give the input size once: --size H,W or -H H -w W",
        )
        return (size.h, size.w)
    if width is None:
        ctx.fail("Missing option '--width' (or '--size H,W').")
    return (height if height is not None else width, width)


def _refuse_what_does_not_apply(
    transpose: bool,
    pool: bool,
    ceil_mode: bool,
    padding: PaddingSpec | None,
    dilation: Axes | None,
    output_padding: Axes | None,
    target: Axes | None,
) -> None:
    """Every option that would be ignored is a usage error naming it."""
    if transpose and pool:
        msg = "a pooling layer has no transposed form; drop --transpose or --pool"
        raise refuse(option="--pool", reason=msg)
    if not pool:
        check_applies({"--ceil-mode": ceil_mode}, "--ceil-mode applies only with --pool")
    if not transpose:
        check_applies(
            {"--output-padding": output_padding}, "--output-padding applies only with --transpose"
        )
    if pool:
        check_applies({"--dilation": dilation}, "shape's pooling has no dilation")
        check_applies({"--target": target}, "--target solves a convolution's padding, not a pool's")
    if target is not None:
        check_applies(
            {"--padding": padding}, "--target solves for the padding; give one or the other"
        )
        check_applies(
            {"--output-padding": output_padding},
            "--target solves for the output padding too; give one or the other",
        )
    word = padding.value if padding is not None and isinstance(padding.value, str) else None
    if transpose and word not in (None, "valid"):
        msg = "a transposed convolution takes a number of padding cells, not 'same' or 'full'"
        raise refuse(option="--padding", reason=msg)
    if pool and padding is not None:
        value = padding.value
        if isinstance(value, str) or value[0] != value[1] or value[2] != value[3]:
            msg = "pooling padding must be a number or an H,W pair (the same on both sides)"
            raise refuse(option="--padding", reason=msg)


# --- the three layers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer's arithmetic per axis, written out by :func:`_write` in any typography."""

    operation: str
    sizes: P.Pair
    kernel: P.Pair
    stride: P.Pair
    dilation: P.Pair
    pads: P.Pads
    axes: tuple[Any, ...]
    same: bool = False
    ceil_mode: bool = False
    output_padding: P.Pair | None = None

    @property
    def output(self) -> list[int]:
        return [a.output for a in self.axes]

    def formulas(self, signs: Signs) -> list[str]:
        if self.operation == "pool":
            return [pool_line(AXES[i], a, self.ceil_mode, signs) for i, a in enumerate(self.axes)]
        if self.operation == "transpose":
            return [transpose_line(AXES[i], a, signs) for i, a in enumerate(self.axes)]
        lines = [conv_line(AXES[i], a, signs) for i, a in enumerate(self.axes)]
        if self.same:
            lines = [same_line(AXES[i], a, signs) for i, a in enumerate(self.axes)] + lines
        return lines

    def notes(self, signs: Signs) -> list[str]:
        if self.operation == "transpose" or self.ceil_mode:
            return []
        return [unread_line(AXES[i], a, signs) for i, a in enumerate(self.axes) if a.unread]

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
            "notes": self.notes(signs),
        }
        if self.operation == "pool":
            data["ceil_mode"] = self.ceil_mode
        if self.output_padding is not None:
            data["output_padding"] = list(self.output_padding)
        return data


def _conv(
    sizes: P.Pair, kernel: P.Pair, stride: P.Pair, dilation: P.Pair, padding: P.Padding
) -> Layer:
    pads = P.resolve_padding(padding, sizes, kernel, stride, dilation)
    axes = tuple(
        S.conv_axis(
            sizes[i], kernel[i], stride[i], dilation[i], pads[2 * i], pads[2 * i + 1], axis=name
        )
        for i, name in enumerate(NAMES)
    )
    return Layer("conv", sizes, kernel, stride, dilation, pads, axes, same=padding == "same")


def _pool(
    sizes: P.Pair, window: P.Pair, stride: P.Pair, padding: P.Padding, ceil_mode: bool
) -> Layer:
    pads = P.resolve_padding(padding, sizes, window)  # a number or H,W (checked as usage)
    axes = tuple(
        S.pool_axis(sizes[i], window[i], stride[i], pads[2 * i], ceil_mode=ceil_mode, axis=name)
        for i, name in enumerate(NAMES)
    )
    return Layer("pool", sizes, window, stride, (1, 1), pads, axes, ceil_mode=ceil_mode)


def _transpose(
    sizes: P.Pair,
    kernel: P.Pair,
    stride: P.Pair,
    dilation: P.Pair,
    padding: P.Padding,
    op: P.Pair,
) -> Layer:
    pads = P.resolve_padding(padding, sizes, kernel)  # 'valid' only (others are usage errors)
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
        for i, name in enumerate(NAMES)
    )
    return Layer("transpose", sizes, kernel, stride, dilation, pads, axes, output_padding=op)


# --- writing --------------------------------------------------------------------------------


def _signs() -> Signs:
    return UNICODE_SIGNS if stdout_encodes("⌊⌋⌈⌉−·₁₂→–×") else ASCII_SIGNS


def _times() -> str:
    return "×" if _signs() is UNICODE_SIGNS else "x"


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data) + "\n"


def _write(layer: Layer, form: ShapeFormat) -> str:
    out = layer.output
    if form is ShapeFormat.plain:
        return f"{out[0]} {out[1]}\n"
    if form is ShapeFormat.csv:
        return f"height,width\n{out[0]},{out[1]}\n"
    if form is ShapeFormat.json:
        return _json(layer.payload(_signs()))
    if form is ShapeFormat.latex:
        return _latex(layer)
    times = _times()
    size = f"{out[0]}{times}{out[1]}"
    lines = layer.formulas(_signs())
    if form is ShapeFormat.markdown:
        return "\n".join(f"- `{line}`" for line in lines) + f"\n\n**output {size}**\n"
    (h, w), (kh, kw) = layer.sizes, layer.kernel
    head = f"input {h}{times}{w}  kernel {kh}{times}{kw}"
    return "\n".join([head, *lines, f"output {size}"]) + "\n"


def _latex(layer: Layer) -> str:
    """An amsmath ``align*`` block: the input, one aligned formula per line, the output."""
    (h, w), (kh, kw), (oh, ow) = layer.sizes, layer.kernel, layer.output
    what = "window" if layer.operation == "pool" else "kernel"
    rows = [
        rf"\text{{input}} &= {h} \times {w}, \quad \text{{{what} }} {kh} \times {kw}",
        *(line.replace(" = ", " &= ", 1) for line in layer.formulas(LATEX_SIGNS)),
        rf"\text{{output}} &= {oh} \times {ow}",
    ]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def _note(lines: Sequence[str], quiet: bool) -> None:
    """Notes go to stderr (stdout keeps the answer), in ASCII where stderr needs it."""
    if not quiet:
        for line in lines:
            say(f"note: {line}")


# --- the inverse problem: --target -----------------------------------------------------------


@dataclass(frozen=True)
class Solved:
    """The paddings that give the target per axis; the first of each is recommended."""

    transpose: bool
    sizes: P.Pair
    target: P.Pair
    stride: P.Pair
    dilation: P.Pair
    kernel: P.Pair
    solutions: tuple[S.PaddingSolution, S.PaddingSolution]

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
    def padding(self) -> P.Pads:
        (t, b), (left, right) = (s.paddings[0] for s in self.solutions)
        return (t, b, left, right)

    @property
    def output_padding(self) -> P.Pair:
        return (self.output_padding_of(0, 0), self.output_padding_of(1, 0))

    def reached(self) -> list[Any]:
        """The arithmetic of the recommended solution, computed forwards."""
        pads, ops = self.padding, self.output_padding
        if self.transpose:
            return [
                S.transpose_axis(
                    self.sizes[i],
                    self.kernel[i],
                    self.stride[i],
                    self.dilation[i],
                    pads[2 * i],
                    pads[2 * i + 1],
                    ops[i],
                    axis=NAMES[i],
                )
                for i in range(2)
            ]
        return [
            S.conv_axis(
                self.sizes[i],
                self.kernel[i],
                self.stride[i],
                self.dilation[i],
                pads[2 * i],
                pads[2 * i + 1],
                axis=NAMES[i],
            )
            for i in range(2)
        ]

    def notes(self, signs: Signs) -> list[str]:
        if not self.transpose:
            reached = self.reached()
            return [unread_line(AXES[i], a, signs) for i, a in enumerate(reached) if a.unread]
        return [
            f"{NAMES[i]}: no padding listed is the same before and after, which PyTorch's "
            "ConvTranspose2d needs (crop the output by hand)"
            for i in range(2)
            if not any(self.pytorch(i))
        ]

    def use(self) -> str:
        t, b, left, right = self.padding
        use = f"--padding {t},{b},{left},{right}"
        if self.transpose:
            use += " --output-padding {},{}".format(*self.output_padding)
        return use

    def inputs_line(self, axis: int) -> str | None:
        s = self.solutions[axis]
        if not s.inputs or s.inputs[0] == s.inputs[1]:
            return None
        name = NAMES[axis]
        before, after = s.paddings[0]
        return (
            f"with {before},{after}, every input {name} from {s.inputs[0]} to {s.inputs[1]} "
            f"gives {s.target}"
        )


def _solve(
    sizes: P.Pair, kernel: P.Pair, stride: P.Pair, dilation: P.Pair, goal: Axes, transpose: bool
) -> Solved:
    solve = S.solve_transpose_padding if transpose else S.solve_conv_padding
    first, second = (solve(sizes[i], kernel[i], stride[i], dilation[i], goal[i]) for i in range(2))
    for name, size, solution in zip(NAMES, sizes, (first, second), strict=True):
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
    return Solved(transpose, sizes, (goal.h, goal.w), stride, dilation, kernel, (first, second))


def _write_solved(solved: Solved, form: ShapeFormat) -> str:
    best = solved.padding
    if form is ShapeFormat.json:
        return _json(_solved_payload(solved))
    if form in (ShapeFormat.plain, ShapeFormat.csv):
        sep = " " if form is ShapeFormat.plain else ","
        return sep.join(str(v) for v in best) + "\n"
    if form is ShapeFormat.markdown:
        return _solved_markdown(solved)
    if form is ShapeFormat.latex:
        return _solved_latex(solved)
    lines = []
    for i, (name, s) in enumerate(zip(NAMES, solved.solutions, strict=True)):
        marks = solved.pytorch(i)
        options = ", ".join(
            f"{b},{a}"
            + (f" (output padding {solved.output_padding_of(i, j)})" if solved.transpose else "")
            + (f" {PYTORCH_MARK}" if solved.transpose and marks[j] else "")
            for j, (b, a) in enumerate(s.paddings)
        )
        lines.append(f"{name} {s.target}: padding before,after = {options}")
        inputs = solved.inputs_line(i)
        if inputs:
            lines.append(f"  {inputs}")
    if solved.transpose and any(any(solved.pytorch(i)) for i in range(2)):
        lines.append(f"{PYTORCH_MARK}: {PYTORCH_TAKES}")
    lines.append(f"use: {solved.use()}")
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
        for i, (name, s) in enumerate(zip(NAMES, solved.solutions, strict=True))
    }
    return data


def _solution_rows(solved: Solved) -> list[list[str]]:
    """One row per solution: axis, target, before, after (+ output padding, PyTorch)."""
    rows = []
    for i, (name, s) in enumerate(zip(NAMES, solved.solutions, strict=True)):
        marks = solved.pytorch(i)
        for j, (before, after) in enumerate(s.paddings):
            row = [name, str(s.target), str(before), str(after)]
            if solved.transpose:
                row += [str(solved.output_padding_of(i, j)), "yes" if marks[j] else "no"]
            rows.append(row)
    return rows


def _solution_header(solved: Solved) -> list[str]:
    header = ["axis", "target", "padding before", "padding after"]
    if solved.transpose:
        header += ["output padding", "PyTorch"]
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
    inputs = [solved.inputs_line(i) for i in range(2)]
    lines += [f"{line[0].upper()}{line[1:]}." for line in inputs if line]
    if solved.transpose:
        lines.append(f"PyTorch: whether {PYTORCH_TAKES}.")
    lines.append(f"Use: `{solved.use()}`")
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
