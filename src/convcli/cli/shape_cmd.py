"""``convcli shape``: output-size arithmetic, written out. Never imports numpy or Rich.

Options arrive parsed (``None`` = not given), so an option that does not apply to the
layer asked for is refused by name instead of being ignored. stdout carries the answer
only; notes (a division that is not whole, unread rows) go to stderr in every format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from convcli import params as P
from convcli.cli.base import app, guarded
from convcli.cli.options import (
    Axes,
    Format,
    LangOpt,
    PaddingSpec,
    QuietOpt,
    ShapeFormatOpt,
    axes_option,
    check_applies,
    default_lang,
    parse_dilation,
    parse_output_padding,
    parse_padding,
    parse_stride,
    refuse,
)
from convcli.cli.output import Result, choose, emit
from convcli.errors import ParameterError
from convcli.formulas import UNICODE_SIGNS


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
            help="N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same, same-lower or full; with --transpose "
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
    fmt: ShapeFormatOpt = None,
    lang: LangOpt = None,
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
    from convcli import shape_report as R

    sizes = _sizes(ctx, width, height, size)
    _refuse_what_does_not_apply(
        transpose, pool, ceil_mode, padding, dilation, output_padding, target
    )
    kernel: P.Pair = kernel_size or (3, 3)  # Axes is an (h, w) tuple
    strides: P.Pair = stride or (kernel if pool else (1, 1))
    dil: P.Pair = dilation or (1, 1)
    pads = padding.value if padding is not None else (0, 0, 0, 0)
    with guarded():
        answer: R.Layer | R.Solved
        if target is not None:
            answer = R.solve(sizes, kernel, strides, dil, target, transpose)
        elif pool:
            answer = R.pool_layer(sizes, kernel, strides, pads, ceil_mode)
        elif transpose:
            answer = R.transpose_layer(sizes, kernel, strides, dil, pads, output_padding or (0, 0))
        else:
            answer = R.conv_layer(sizes, kernel, strides, dil, pads)
        answer = answer._replace(lang=(lang or default_lang()).value)
        notes = answer.notes(UNICODE_SIGNS)
        result = Result("shape", R.payload(answer), writers=R.writers(answer), notes=notes)
        emit(result, choose(fmt, pipe=Format.plain), quiet=quiet)


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
    try:  # the rules of params, refused here as usage errors before any arithmetic
        if transpose and padding is not None:
            P.as_transpose_padding(padding.value)
        if pool and padding is not None:
            P.as_pool_padding(padding.value)
    except ParameterError as exc:
        raise refuse(option="--padding", reason=exc.message) from None
