"""``convcli frameworks``: the same layer in PyTorch, TensorFlow, JAX, ONNX, SciPy and
OpenCV, with the code that reproduces convcli's numbers. Imports none of them.

The geometry options are ``shape``'s (parsed by the same parsers); an option that does not
apply to the layer asked for is a usage error naming it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, NamedTuple

import typer

from convcli import params as P
from convcli.cli.base import app, guarded
from convcli.cli.options import DimsOpt, FlipOpt, PaddingModeOpt, check_applies, refuse
from convcli.cli.output import fail, write
from convcli.cli.shape_cmd import (
    AxisValues,
    PaddingText,
    ShapeCommand,
    _axes,
    _one_size,
    _padding,
    _padding_text,
    _per_axis,
    _sizes,
)
from convcli.errors import ParameterError


class FrameworkName(StrEnum):
    pytorch = "pytorch"
    tensorflow = "tensorflow"
    jax = "jax"
    onnx = "onnx"
    scipy = "scipy"
    opencv = "opencv"


class FrameworkFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    svg = "svg"
    html = "html"


class FrameworkPool(StrEnum):
    max = "max"
    avg = "avg"
    min = "min"


class Channels(NamedTuple):
    c_in: int
    c_out: int


def _channels(text: str) -> Channels:
    if not isinstance(text, str):  # Typer passes defaults through the parser too
        return text
    try:
        values = P.parse_ints(text, "--channels")
    except ParameterError as exc:
        raise typer.BadParameter(exc.message) from None
    if len(values) not in (1, 2) or min(values) < 1:
        msg = f"--channels takes IN,OUT (or one number for both), each 1 or more; got {text!r}"
        raise typer.BadParameter(msg)
    return Channels(values[0], values[-1])


@app.command(cls=ShapeCommand)
def frameworks(
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
            help="Input height [default: the width]; not with --dims 1 or 3.",
            parser=_one_size("height"),
        ),
    ] = None,
    size: Annotated[
        AxisValues | None,
        typer.Option(
            "--size",
            "-n",
            metavar="N|H,W",
            help="Input size, instead of -w/-H (D,H,W with --dims 3).",
            parser=_per_axis("size"),
        ),
    ] = None,
    kernel_size: Annotated[
        AxisValues | None,
        typer.Option(
            "--kernel-size",
            "-k",
            metavar="K|H,W",
            help="Kernel (or pooling window) size [default: 3].",
            parser=_per_axis("kernel_size"),
        ),
    ] = None,
    padding: Annotated[
        PaddingText | None,
        typer.Option(
            "--padding",
            "-p",
            metavar="P",
            help="N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same, same-lower or full; numbers only "
            "with --transpose or --pool [default: 0].",
            parser=_padding_text,
        ),
    ] = None,
    stride: Annotated[
        AxisValues | None,
        typer.Option(
            "--stride",
            "-s",
            metavar="S|H,W",
            help="Stride [default: 1; the window with --pool].",
            parser=_per_axis("stride"),
        ),
    ] = None,
    dilation: Annotated[
        AxisValues | None,
        typer.Option(
            "--dilation",
            "-d",
            metavar="D|H,W",
            help="Dilation; not with --pool [default: 1].",
            parser=_per_axis("dilation"),
        ),
    ] = None,
    transpose: Annotated[bool, typer.Option("--transpose", help="Transposed convolution.")] = False,
    output_padding: Annotated[
        AxisValues | None,
        typer.Option(
            "--output-padding",
            metavar="OP|H,W",
            help="With --transpose: extra cells at the end, below max(stride, dilation).",
            parser=_per_axis("output_padding"),
        ),
    ] = None,
    pool: Annotated[
        FrameworkPool | None,
        typer.Option("--pool", help="A pooling layer: max, avg or min (the window is -k)."),
    ] = None,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="With --pool: round the output size up.")
    ] = False,
    flip: FlipOpt = False,
    padding_mode: PaddingModeOpt = None,
    groups: Annotated[
        int | None, typer.Option("--groups", "-g", min=1, help="Channel groups [default: 1].")
    ] = None,
    channels: Annotated[
        Channels | None,
        typer.Option(
            "--channels",
            metavar="IN,OUT",
            help="Input and output channels: x is [IN][…], w [OUT][IN/groups][…] "
            "([IN][OUT/groups][…] transposed) [default: one channel, plain matrices].",
            parser=_channels,
        ),
    ] = None,
    framework: Annotated[
        FrameworkName | None,
        typer.Option("--framework", metavar="NAME", help="Print only this framework's code."),
    ] = None,
    dims: DimsOpt = None,
    fmt: Annotated[
        FrameworkFormat | None,
        typer.Option("--format", "-f", help="Output format [default: table]."),
    ] = None,
) -> None:
    """The same layer in PyTorch, TensorFlow, JAX, ONNX, SciPy and OpenCV, with code.

    Each snippet takes numpy arrays x (convcli's input, channels first), w (convcli's
    kernel layout) and an optional b (bias) and sets y to convcli's output.

    \b
    Examples:
      convcli frameworks -w 5 -k 3 -s 2 -p same
      convcli frameworks -w 6 -k 4 -s 2 -p same --framework pytorch
      convcli frameworks -w 3 -k 3 -s 2 -p 1 --transpose --output-padding 1
      convcli frameworks -w 7 -k 2 --pool max --ceil-mode --format markdown
    """
    from convcli import frameworks as F
    from convcli import frameworks_report as R

    n = dims or 2
    kernel = _axes("kernel_size", kernel_size, n) or (3,) * n
    strides = _axes("stride", stride, n)
    dil = _axes("dilation", dilation, n)
    op_pad = _axes("output_padding", output_padding, n)
    sizes = _sizes(ctx, n, width, height, _axes("size", size, n))
    pads = _padding(padding, n)
    _refuse(transpose, pool, ceil_mode, op_pad, dil, flip, padding_mode, groups, channels)
    if framework is not None:
        check_applies({"--format": fmt}, "--framework prints one snippet as plain text")
    op = "pool" if pool else "transpose" if transpose else "conv"
    with guarded():
        layer = F.describe(
            op,
            sizes,
            kernel,
            stride=strides,
            dilation=dil,
            padding=pads if pads is not None else "valid",
            groups=groups or 1,
            channels=(channels.c_in, channels.c_out) if channels else None,
            output_padding=op_pad,
            pool_op=pool.value if pool else "max",
            ceil_mode=ceil_mode,
            flip=flip,
            padding_mode=padding_mode.value if padding_mode else "zeros",
        )
        rows = F.rows(layer)
        if framework is not None:
            row = next(r for r in rows if r.name.lower() == framework.value)
            if row.code is None:
                raise fail("; ".join(row.notes))
            write(row.code)
            return
        form = (fmt or FrameworkFormat.table).value
        if form in ("svg", "html"):  # the table, exported as --format svg/html always is
            from convcli import render

            text = render.export(R.write(layer, rows, "table"), form, title="convcli frameworks")
            write(text)
            return
        write(R.write(layer, rows, form))


def _refuse(
    transpose: bool,
    pool: FrameworkPool | None,
    ceil_mode: bool,
    output_padding: tuple[int, ...] | None,
    dilation: tuple[int, ...] | None,
    flip: bool,
    padding_mode: object | None,
    groups: int | None,
    channels: Channels | None,
) -> None:
    """Every option that would be ignored is a usage error naming it."""
    if transpose and pool:
        raise refuse("--pool", "a pooling layer has no transposed form; drop --transpose or --pool")
    if not pool:
        check_applies({"--ceil-mode": ceil_mode}, "--ceil-mode applies only with --pool")
    if not transpose:
        check_applies(
            {"--output-padding": output_padding}, "--output-padding applies only with --transpose"
        )
    if pool:
        check_applies(
            {"--dilation": dilation, "--flip": flip, "--groups": groups},
            "a pooling layer has no dilation, flip or groups here",
        )
        if channels is not None and channels.c_in != channels.c_out:
            raise refuse("--channels", "a pooling layer keeps its channels: give IN,IN or one")
    if transpose or pool:
        check_applies(
            {"--padding-mode": padding_mode},
            "--padding-mode applies to a convolution (transposed ones and pools pad with zeros)",
        )
