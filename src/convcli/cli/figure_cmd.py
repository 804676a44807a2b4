"""``convcli figure``: convolution-arithmetic figures as SVG, PNG or GIF."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from convcli import params as P
from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import say, write, write_file
from convcli.errors import ConvError, ParameterError

if TYPE_CHECKING:
    from convcli.figure import Plan

FIGURE_FILES = (".svg", ".png", ".gif")


class Operation(StrEnum):
    conv = "conv"
    transpose = "transpose"
    dilate = "dilate"
    pool = "pool"


class FigurePool(StrEnum):
    max = "max"
    avg = "avg"
    min = "min"


def _figure_file(value: str | None) -> str | None:
    if value and os.path.splitext(value)[1].lower() not in FIGURE_FILES:
        msg = f"a figure is written as .svg, .png or .gif, not {value!r}"
        raise typer.BadParameter(msg)
    return value


def _sizes(text: str, name: str, dims: int) -> tuple[int, ...]:
    return P.as_axes(P.parse_ints(text, name), name, dims)


@app.command()
def figure(
    operation: Annotated[
        Operation, typer.Argument(help="What to draw: conv, transpose, dilate or pool.")
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="MATRIX",
            help="Draw this input, numbers in the cells (one channel; any matrix source).",
        ),
    ] = None,
    kernel: Annotated[
        str | None,
        typer.Option(
            "--kernel",
            "-k",
            metavar="K|MATRIX",
            help="Kernel (pool: window) size, K or per axis; with --input a kernel matrix "
            "or preset, its numbers drawn [default: 3; pool 2].",
        ),
    ] = None,
    width: Annotated[
        int | None,
        typer.Option("--width", "-w", min=1, metavar="W", help="Input width [default: 5]."),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option(
            "--height", "-H", min=1, metavar="H", help="Input height [default: the width]."
        ),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option("--size", "-n", metavar="N[,N…]", help="Input size per axis (3-D: D,H,W)."),
    ] = None,
    stride: O.StrideOpt = None,
    padding: O.PaddingOpt = None,
    dilation: O.SpreadDilationOpt = None,
    output_padding: O.OutputPaddingOpt = None,
    op: Annotated[
        FigurePool | None, typer.Option("--op", help="pool: max, avg or min [default: max].")
    ] = None,
    dims: O.DimsOpt = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the figure to FILE: .svg (every step, or --animate), .png (one "
            "step, --cell) or .gif (one frame per output cell) [default: SVG on stdout].",
            callback=_figure_file,
        ),
    ] = None,
    cell: O.CellOpt = None,
    animate: Annotated[
        bool, typer.Option("--animate", help="SVG: the steps in one place, shown in turn.")
    ] = False,
    delay: Annotated[
        float | None,
        typer.Option(
            "--delay",
            min=0.02,
            max=60,
            metavar="SECONDS",
            help="Seconds per step (GIF, --animate) [default: 1].",
        ),
    ] = None,
    grey: O.GreyOpt = False,
    allow_nan: O.AllowNanOpt = False,
    quiet: O.QuietOpt = False,
) -> None:
    """Draw the sliding window: input, padding, the kernel's footprint, the output cell.

    From sizes, or from matrices (numbers in the cells, each step's sum under the output).
    A transposed convolution is drawn as the kernel sliding over the zero-inserted,
    padded input; 3-D work as depth slices.

    \b
    Examples:
      convcli figure conv -w 5 -k 3 -p 1 -s 2 -o conv.svg
      convcli figure conv -i "1 2 0; 1 0 3; 2 2 2" -k "1 0; 0 1" -o step.png --cell 1,1
      convcli figure transpose -w 3 -k 3 -s 2 -o transpose.gif
      convcli figure dilate -w 7 -k 3 -d 2 -o dilate.svg --animate
      convcli figure pool -i "1 2 3 4; 5 6 7 8" -k 2 --op avg
    """
    from convcli import figure as F
    from convcli.typography import Typeset

    with guarded():
        if op is not None and operation is not Operation.pool:
            raise O.refuse("--op", "applies only to figure pool")
        if output_padding is not None and operation is not Operation.transpose:
            raise O.refuse("--output-padding", "applies only to figure transpose")
        if inputs and (width or height or size):
            raise O.refuse("--width" if width else "--height" if height else "--size",
                           "the size is the input's; give one or the other")  # fmt: skip
        extension = os.path.splitext(output or "figure.svg")[1].lower()
        if animate and extension != ".svg":
            raise O.refuse("--animate", f"applies to an .svg figure, not {extension}")
        if delay is not None and not (animate or extension == ".gif"):
            raise O.refuse("--delay", "applies to a .gif or an --animate SVG")
        if size and (width or height):
            raise O.refuse("--width" if width else "--height", "--size gives every axis")
        if height and dims == 1:
            raise O.refuse("--height", "a 1-D figure has a width only")
        if size and len(size.split(",")) > 3:
            raise O.refuse("--size", "takes 1 to 3 sizes (W, H,W or D,H,W)")
        plan = _plan(operation, inputs, kernel, width, height, size, stride, padding,
                     dilation, output_padding, op, dims, allow_nan)  # fmt: skip
        typeset = Typeset()
        every = F.steps(plan)
        chosen = every
        if cell:
            chosen = [F.step(plan, _cell(c.at, plan), _index(c.at, plan)) for c in cell]
        if extension == ".png":
            from convcli import raster

            if cell and len(cell) > 1:
                raise O.refuse("--cell", "a .png shows one step: give one --cell")
            data = raster.png(plan, chosen[0], typeset, len(every))
            what = f"step {chosen[0].label(plan.dims)}"
        elif extension == ".gif":
            from convcli import raster

            data = raster.gif(plan, chosen, typeset, delay or 1.0)
            what = f"{len(chosen)} frames"
        else:
            from convcli import svg

            text = svg.draw(
                plan, chosen, typeset, animate=animate, delay=delay or 1.0, total=len(every)
            )
            if output is None:
                write(text)
                return
            data = text.encode()
            what = f"{len(chosen)} steps" + (", animated" if animate else "")
        _save(output, data)
        if not quiet:
            say(f"note: wrote {output} ({what})")


def _cell(at: tuple[int, ...], plan: Plan) -> tuple[int, int, int]:
    if len(at) != plan.dims:
        want = {1: "C", 2: "R,C", 3: "D,R,C"}[plan.dims]
        msg = f"expected {want} for a {plan.dims}-D figure, got {','.join(map(str, at))}"
        raise ParameterError(msg, option="--cell")
    full = (0,) * (3 - len(at)) + tuple(at)
    return (full[0], full[1], full[2])


def _index(at: tuple[int, ...], plan: Plan) -> int:
    d, r, c = _cell(at, plan)
    return (d * plan.output[1] + r) * plan.output[2] + c


def _save(path: str | None, data: bytes) -> None:
    assert path is not None
    write_file(path, data)


def _plan(
    operation: Operation,
    inputs: list[str] | None,
    kernel: str | None,
    width: int | None,
    height: int | None,
    size: str | None,
    stride: O.Axes | None,
    padding: O.PaddingSpec | None,
    dilation: O.Axes | None,
    output_padding: O.Axes | None,
    op: FigurePool | None,
    dims: int | None,
    allow_nan: bool = False,
) -> Plan:
    """The figure's geometry from the options (sizes, or matrices read)."""
    from convcli import figure as F
    from convcli.cli.shared import load, load_input

    pooling = operation is Operation.pool
    x = weights = None
    if inputs:
        notes: list[str] = []
        x, n = load_input(inputs, allow_nan, notes, dims)
        for note in notes:
            say(f"note: {note}")
        if x.ndim != n:
            msg = f"a figure draws one channel; the input is {x.ndim - n + 1}-channel-or-more"
            hint = "give one 2-D matrix (or a signal, or a volume with --dims 3)"
            raise ConvError(msg, hint=hint)
        shape = tuple(x.shape)
        if pooling:
            ksize = _sizes(kernel or "2", "kernel", n)
        elif kernel is None:
            raise O.refuse("--kernel", "missing: with --input, give the kernel matrix")
        else:
            weights = load([kernel], "--kernel", allow_nan, [], n)
            if weights.ndim != n:
                msg = "a figure draws one kernel of one channel"
                raise ConvError(msg, hint=f"give a {n}-D kernel")
            ksize = tuple(weights.shape)
    else:
        n = dims or (len(P.parse_ints(size, "size")) if size else 2)
        if size:
            shape = _sizes(size, "size", n)
        else:
            w = width or 5
            shape = {1: (w,), 2: (height or w, w), 3: (height or w, height or w, w)}[n]
        ksize = _sizes(kernel or ("2" if pooling else "3"), "kernel", n)
    s = stride.of(n) if stride else (ksize if pooling else (1,) * n)
    d = dilation.of(n) if dilation else ((2,) * n if operation is Operation.dilate else (1,) * n)
    text = padding.text if padding else "0"
    if operation is Operation.transpose:
        pads = P.as_transpose_axis_padding(text, n)
    else:
        pads = P.resolve_axis_paddings(P.parse_axis_padding(text, n), shape, ksize, s, d)
    if pooling and any(
        p > k // 2 for p, k in zip(pads, [k for k in ksize for _ in (0, 1)], strict=True)
    ):
        raise O.refuse("--padding", "pooling pads at most half the window on each side")
    return F.plan(
        operation.value, n, size=shape, kernel_size=ksize, x=x, weights=weights, stride=s,
        padding=pads, dilation=d, output_padding=output_padding.of(n) if output_padding else None,
        pool=(op or FigurePool.max).value,
    )  # fmt: skip
