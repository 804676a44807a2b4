"""``convcli shape``: output-size arithmetic, written out. Never imports numpy or Rich.

Options arrive parsed (``None`` = not given), so an option that does not apply to the
layer asked for is refused by name instead of being ignored. stdout carries the answer
only; notes (a division that is not whole, unread rows) go to stderr in every format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import typer
from typer.core import TyperCommand

from convcli import params as P
from convcli.cli.base import app, guarded
from convcli.cli.options import (
    DimsOpt,
    Format,
    LangOpt,
    QuietOpt,
    ShapeFormatOpt,
    check_applies,
    default_lang,
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


class AxisValues(NamedTuple):
    """A per-axis option as typed: 1 to N numbers; the count is checked once --dims is known."""

    values: tuple[int, ...]


class PaddingText(NamedTuple):
    """``--padding`` as typed; what it means (2N numbers or a word) depends on --dims."""

    text: str


# (name in messages, Click's hint, smallest value): the hint is the one Click prints for a
# value its parser refused, so a wrong count reads the same whether found early or late
_PER_AXIS = {
    "size": ("size", "'--size' / '-n'", 1),
    "kernel_size": ("kernel-size", "'--kernel-size' / '-k'", 1),
    "stride": ("stride", "'--stride' / '-s'", 1),
    "dilation": ("dilation", "'--dilation' / '-d'", 1),
    "output_padding": ("output padding", "'--output-padding'", 0),
    "target": ("target", "'--target'", 1),
}


def _per_axis(key: str) -> Callable[[str], AxisValues]:
    """One number, or a list of them; a pair is checked here exactly as before --dims."""
    name, _, minimum = _PER_AXIS[key]

    def parse(text: str) -> AxisValues:
        if not isinstance(text, str):  # Typer passes defaults through the parser too
            return text
        try:
            count = len(text.split(","))
            if count > 2:
                return AxisValues(P.parse_ints(text, name))
            pair = P.parse_pair(text, name, minimum=minimum)
            return AxisValues(pair[:count])
        except ParameterError as exc:
            raise typer.BadParameter(exc.message) from None

    parse.__name__ = key
    return parse


def _padding_text(text: str) -> PaddingText:
    return text if not isinstance(text, str) else PaddingText(text)


def _axes(key: str, given: AxisValues | None, dims: int) -> tuple[int, ...] | None:
    """N values from one or N, or a usage error naming the option."""
    if given is None:
        return None
    name, hint, minimum = _PER_AXIS[key]
    if dims == 1 and len(given.values) != 1:
        msg = f"{name} takes one number with --dims 1, got {len(given.values)} numbers"
        raise typer.BadParameter(msg, param_hint=hint)
    try:
        return P.as_axes(given.values, name, dims, minimum=minimum)
    except ParameterError as exc:
        raise typer.BadParameter(exc.message, param_hint=hint) from None


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
            help="Input size, instead of -w/-H: 160,224 = H,W; with --dims 3 D,H,W "
            "(16,112,112), the only way to give a 3-D size.",
            parser=_per_axis("size"),
        ),
    ] = None,
    kernel_size: Annotated[
        AxisValues | None,
        typer.Option(
            "--kernel-size",
            "-k",
            metavar="K|H,W",
            help="Kernel (or pooling window) size, one number or one per axis [default: 3].",
            parser=_per_axis("kernel_size"),
        ),
    ] = None,
    padding: Annotated[
        PaddingText | None,
        typer.Option(
            "--padding",
            "-p",
            metavar="P",
            help="N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same, same-lower or full (--dims 1: N "
            "or LEFT,RIGHT; --dims 3: N, D,H,W or FRONT,BACK,TOP,BOTTOM,LEFT,RIGHT); with "
            "--transpose (cells cropped) N, H,W or TOP,BOTTOM,LEFT,RIGHT; with --pool N or H,W "
            "[default: 0].",
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
            help="Dilation, at least 1; not with --pool [default: 1].",
            parser=_per_axis("dilation"),
        ),
    ] = None,
    transpose: Annotated[bool, typer.Option("--transpose", help="Transposed convolution.")] = False,
    output_padding: Annotated[
        AxisValues | None,
        typer.Option(
            "--output-padding",
            metavar="OP|H,W",
            help="With --transpose: extra rows/columns at the bottom/right, below "
            "max(stride, dilation) [default: 0].",
            parser=_per_axis("output_padding"),
        ),
    ] = None,
    pool: Annotated[
        bool, typer.Option("--pool", help="Pooling: the window is -k, stride defaults to it.")
    ] = False,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="With --pool: round the output size up.")
    ] = False,
    target: Annotated[
        AxisValues | None,
        typer.Option(
            "--target",
            metavar="N|H,W",
            help="Solve for the padding that gives this output size.",
            parser=_per_axis("target"),
        ),
    ] = None,
    dims: DimsOpt = None,
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
      convcli shape --dims 1 -w 100 -k 5 -s 2
      convcli shape --dims 3 --size 16,112,112 -k 3,7,7 -s 1,2,2 -p 1,3,3
    """
    from convcli import shape_report as R

    n = dims or 2
    kernel_given = _axes("kernel_size", kernel_size, n)
    stride_given = _axes("stride", stride, n)
    dilation_given = _axes("dilation", dilation, n)
    op_given = _axes("output_padding", output_padding, n)
    goal = _axes("target", target, n)
    size_given = _axes("size", size, n)
    pads_given = _padding(padding, n)
    sizes = _sizes(ctx, n, width, height, size_given)
    _refuse_what_does_not_apply(
        n, transpose, pool, ceil_mode, pads_given, dilation_given, op_given, goal
    )
    kernel = kernel_given or (3,) * n
    strides = stride_given or (kernel if pool else (1,) * n)
    dil = dilation_given or (1,) * n
    pads: P.AxisPadding = pads_given if pads_given is not None else (0,) * (2 * n)
    with guarded():
        answer: R.Layer | R.Solved
        if goal is not None:
            answer = R.solve(sizes, kernel, strides, dil, goal, transpose)
        elif pool:
            answer = R.pool_layer(sizes, kernel, strides, pads, ceil_mode, dil)
        elif transpose:
            answer = R.transpose_layer(sizes, kernel, strides, dil, pads, op_given or (0,) * n)
        else:
            answer = R.conv_layer(sizes, kernel, strides, dil, pads)
        answer = answer._replace(lang=(lang or default_lang()).value)
        notes = answer.notes(UNICODE_SIGNS)
        result = Result("shape", R.payload(answer), writers=R.writers(answer), notes=notes)
        emit(result, choose(fmt, pipe=Format.plain), quiet=quiet)


def _padding(padding: PaddingText | None, dims: int) -> P.AxisPadding | None:
    if padding is None:
        return None
    try:
        return P.parse_axis_padding(padding.text, dims)
    except ParameterError as exc:
        raise typer.BadParameter(exc.message, param_hint="'--padding' / '-p'") from None


def _sizes(
    ctx: typer.Context,
    dims: int,
    width: int | None,
    height: int | None,
    size: tuple[int, ...] | None,
) -> tuple[int, ...]:
    if dims == 3:
        check_applies(
            {"--width": width, "--height": height},
            "-w and -H give a 1-D or 2-D size; with --dims 3 give --size D,H,W",
        )
        if size is None:
            ctx.fail("Missing option '--size' (D,H,W with --dims 3).")
        return size
    if dims == 1:
        check_applies({"--height": height}, "a 1-D input has no height; give -w W or --size W")
    if size is not None:
        once = "--size W or -w W" if dims == 1 else "--size H,W or -H H -w W"
        check_applies({"--width": width, "--height": height}, f"give the input size once: {once}")
        return size
    if width is None:
        ctx.fail(f"Missing option '--width' (or '--size {'W' if dims == 1 else 'H,W'}').")
    if dims == 1:
        return (width,)
    return (height if height is not None else width, width)


def _refuse_what_does_not_apply(
    dims: int,
    transpose: bool,
    pool: bool,
    ceil_mode: bool,
    padding: P.AxisPadding | None,
    dilation: tuple[int, ...] | None,
    output_padding: tuple[int, ...] | None,
    target: tuple[int, ...] | None,
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
            P.as_transpose_axis_padding(padding, dims)
        if pool and padding is not None:
            _check_pool_padding(padding, dims)
    except ParameterError as exc:
        raise refuse(option="--padding", reason=exc.message) from None


def _check_pool_padding(padding: P.AxisPadding, dims: int) -> None:
    """Pooling padding is cells (1, N or 2N numbers; ``valid`` is none): ONNX pads each
    side on its own, up to the window minus one (checked with the window)."""
    if isinstance(padding, str) and padding != "valid":
        counts = f"1, {dims} or {2 * dims} numbers"
        msg = f"pooling padding is a number of cells ({counts}), not {padding!r}"
        raise ParameterError(msg, option="--padding")
