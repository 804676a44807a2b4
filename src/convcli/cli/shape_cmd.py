"""``convcli shape``: output-size arithmetic, written out. Never imports numpy or Rich."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from convcli import params as P
from convcli import shape as S
from convcli.cli.base import (
    Format,
    FormatOpt,
    app,
    emit,
    guarded,
    output_format,
    parsed,
    stdout_encodes,
)
from convcli.errors import ShapeError
from convcli.formulas import (
    ASCII_SIGNS,
    UNICODE_SIGNS,
    Signs,
    conv_line,
    pool_line,
    same_line,
    transpose_line,
    unread_line,
)

AXES = ("h", "w")


def _signs() -> Signs:
    return UNICODE_SIGNS if stdout_encodes("⌊⌋⌈⌉−·₁₂→–×") else ASCII_SIGNS


@app.command()
def shape(
    ctx: typer.Context,
    width: Annotated[int, typer.Option("--width", "-w", help="Input width.")],
    height: Annotated[
        int | None, typer.Option("--height", "-H", help="Input height [default: the width].")
    ] = None,
    kernel_size: Annotated[
        str,
        typer.Option(
            "--kernel-size", "-k", metavar="K|H,W", help="Kernel (or pooling window) size."
        ),
    ] = "3",
    padding: Annotated[
        str,
        typer.Option(
            "--padding",
            "-p",
            metavar="P",
            help="N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same or full.",
        ),
    ] = "0",
    stride: Annotated[
        str | None,
        typer.Option(
            "--stride", "-s", metavar="S|H,W", help="Stride [default: 1; the window with --pool]."
        ),
    ] = None,
    dilation: Annotated[
        str, typer.Option("--dilation", "-d", metavar="D|H,W", help="Dilation.")
    ] = "1",
    transpose: Annotated[bool, typer.Option("--transpose", help="Transposed convolution.")] = False,
    output_padding: Annotated[
        str, typer.Option("--output-padding", metavar="OP|H,W", help="With --transpose.")
    ] = "0",
    pool: Annotated[
        bool, typer.Option("--pool", help="Pooling: the window is -k, stride defaults to it.")
    ] = False,
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="With --pool: round up.")] = False,
    target: Annotated[
        str | None,
        typer.Option(
            "--target", metavar="N|H,W", help="Solve for the padding that gives this output size."
        ),
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Output size of a convolution layer, with the formula written out.

    \b
    Examples:
      convcli shape -w 4 -k 3 -p 1 -s 1
      convcli shape -w 224 -k 7 -s 2 -p 3 --format plain
      convcli shape -w 5 -k 3 -s 2 -p same
      convcli shape -w 3 -k 3 -s 2 -p 1 --transpose --output-padding 1
      convcli shape -w 32 -k 5 -s 2 --target 16
      convcli shape -w 7 -k 2 --pool --ceil-mode
    """
    with guarded():
        sizes = (height if height is not None else width, width)
        kernel = parsed(ctx, "--kernel-size", P.parse_pair, kernel_size, "kernel size")
        dil = parsed(ctx, "--dilation", P.parse_pair, dilation, "dilation")
        default_stride = ",".join(map(str, kernel)) if pool else "1"
        strides = parsed(ctx, "--stride", P.parse_pair, stride or default_stride, "stride")
        pads = parsed(ctx, "--padding", P.parse_padding, padding)
        form = output_format(fmt, machine_default=Format.plain)
        if min(sizes) < 1:
            msg = "sizes must be 1 or more"
            raise typer.BadParameter(msg, ctx=ctx, param_hint="'--width/--height'")
        if target is not None:
            goal = parsed(ctx, "--target", P.parse_pair, target, "target")
            emit(_solve(sizes, kernel, strides, dil, goal, transpose, form))
            return
        if pool:
            result = _pool(sizes, kernel, strides, pads, ceil_mode)
        elif transpose:
            op = parsed(
                ctx, "--output-padding", P.parse_pair, output_padding, "output padding", minimum=0
            )
            result = _transpose(sizes, kernel, strides, dil, pads, op)
        else:
            result = _conv(sizes, kernel, strides, dil, pads)
        emit(_write(result, form))


def _conv(
    sizes: P.Pair, kernel: P.Pair, stride: P.Pair, dilation: P.Pair, padding: P.Padding
) -> dict[str, Any]:
    pads = P.resolve_padding(padding, sizes, kernel, stride, dilation)
    axes = [
        S.conv_axis(
            sizes[i], kernel[i], stride[i], dilation[i], pads[2 * i], pads[2 * i + 1], axis=name
        )
        for i, name in enumerate(("height", "width"))
    ]
    signs = _signs()
    lines = [conv_line(AXES[i], a, signs) for i, a in enumerate(axes)]
    if padding == "same":
        lines = [same_line(AXES[i], a, signs) for i, a in enumerate(axes)] + lines
    notes = [unread_line(AXES[i], a, signs) for i, a in enumerate(axes) if a.unread]
    return _result("conv", sizes, kernel, stride, dilation, pads, axes, lines, notes)


def _pool(
    sizes: P.Pair, window: P.Pair, stride: P.Pair, padding: P.Padding, ceil_mode: bool
) -> dict[str, Any]:
    if isinstance(padding, str) or padding[0] != padding[1] or padding[2] != padding[3]:
        msg = "pooling padding must be a number or an H,W pair (the same on both sides)"
        raise ShapeError(msg)
    axes = [
        S.pool_axis(sizes[i], window[i], stride[i], padding[2 * i], ceil_mode=ceil_mode, axis=name)
        for i, name in enumerate(("height", "width"))
    ]
    signs = _signs()
    lines = [pool_line(AXES[i], a, ceil_mode, signs) for i, a in enumerate(axes)]
    notes = [
        unread_line(AXES[i], a, signs) for i, a in enumerate(axes) if a.unread and not ceil_mode
    ]
    result = _result("pool", sizes, window, stride, (1, 1), padding, axes, lines, notes)
    result["ceil_mode"] = ceil_mode
    return result


def _transpose(
    sizes: P.Pair, kernel: P.Pair, stride: P.Pair, dilation: P.Pair, padding: P.Padding, op: P.Pair
) -> dict[str, Any]:
    if isinstance(padding, str) and padding != "valid":
        msg = "a transposed convolution takes a number of padding cells, not 'same' or 'full'"
        raise ShapeError(msg)
    pads = P.resolve_padding(padding, sizes, kernel)
    axes = [
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
        for i, name in enumerate(("height", "width"))
    ]
    lines = [transpose_line(AXES[i], a, _signs()) for i, a in enumerate(axes)]
    result = _result("transpose", sizes, kernel, stride, dilation, pads, axes, lines, [])
    result["output_padding"] = list(op)
    result["exact"] = True
    return result


def _result(
    kind: str,
    sizes: P.Pair,
    kernel: P.Pair,
    stride: P.Pair,
    dilation: P.Pair,
    pads: P.Pads,
    axes: list[Any],
    lines: list[str],
    notes: list[str],
) -> dict[str, Any]:
    return {
        "command": "shape",
        "operation": kind,
        "input": list(sizes),
        "output": [a.output for a in axes],
        "padding": list(pads),
        "exact": all(getattr(a, "exact", True) for a in axes),
        "kernel": list(kernel),
        "stride": list(stride),
        "dilation": list(dilation),
        "formulas": lines,
        "notes": notes,
    }


def _write(result: dict[str, Any], form: Format) -> str:
    out = result["output"]
    if form is Format.plain:
        return f"{out[0]} {out[1]}\n"
    if form is Format.csv:
        return f"height,width\n{out[0]},{out[1]}\n"
    if form is Format.json:
        import json

        return json.dumps(result) + "\n"
    times = "×" if _signs().minus == "−" else "x"
    size = f"{out[0]}{times}{out[1]}"
    lines = [*result["formulas"], *(f"note: {n}" for n in result["notes"])]
    if form is Format.markdown:
        return "\n".join(f"- `{line}`" for line in lines) + f"\n\n**output {size}**\n"
    if form is Format.latex:
        return "\n".join(f"% {line}" for line in lines) + f"\n% output {size}\n"
    (h, w), (kh, kw) = result["input"], result["kernel"]
    head = f"input {h}{times}{w}  kernel {kh}{times}{kw}"
    return "\n".join([head, *lines, f"output {size}"]) + "\n"


def _solve(
    sizes: P.Pair,
    kernel: P.Pair,
    stride: P.Pair,
    dilation: P.Pair,
    goal: P.Pair,
    transpose: bool,
    form: Format,
) -> str:
    solve = S.solve_transpose_padding if transpose else S.solve_conv_padding
    solutions = [solve(sizes[i], kernel[i], stride[i], dilation[i], goal[i]) for i in range(2)]
    for name, size, solution in zip(("height", "width"), sizes, solutions, strict=True):
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
    payload = {
        "command": "shape",
        "input": list(sizes),
        "target": list(goal),
        "solutions": {
            name: {
                "paddings": [list(p) for p in s.paddings],
                **(
                    {"output_paddings": list(s.output_paddings)}
                    if transpose
                    else {"inputs": list(s.inputs or ())}
                ),
            }
            for name, s in zip(("height", "width"), solutions, strict=True)
        },
    }
    best = [s.paddings[0] for s in solutions]
    if form is Format.json:
        import json

        return json.dumps(payload) + "\n"
    if form in (Format.plain, Format.csv):
        sep = " " if form is Format.plain else ","
        return sep.join(str(v) for v in (*best[0], *best[1])) + "\n"
    lines = []
    for name, s in zip(("height", "width"), solutions, strict=True):
        options = ", ".join(
            f"{b},{a}" + (f" (output padding {op})" if transpose else "")
            for (b, a), op in zip(
                s.paddings, s.output_paddings or [0] * len(s.paddings), strict=True
            )
        )
        lines.append(f"{name} {s.target}: padding before,after = {options}")
        if s.inputs and s.inputs[0] != s.inputs[1]:
            lines.append(
                f"  with {s.paddings[0][0]},{s.paddings[0][1]}, every input {name} "
                f"from {s.inputs[0]} to {s.inputs[1]} gives {s.target}"
            )
    use = f"use: --padding {best[0][0]},{best[0][1]},{best[1][0]},{best[1][1]}"
    if transpose:
        use += (
            f" --output-padding {solutions[0].output_paddings[0]},{solutions[1].output_paddings[0]}"
        )
    lines.append(use)
    return "\n".join(lines) + "\n"
