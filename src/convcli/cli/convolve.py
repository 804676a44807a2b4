"""The convolution commands: conv, transpose and dilate."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convcli import params as P
from convcli.cli.base import (
    AllOpt,
    AllowNanOpt,
    BiasOpt,
    CellOpt,
    DilationOpt,
    ExplainOpt,
    FlipOpt,
    Format,
    FormatOpt,
    GroupsOpt,
    InputOpt,
    KernelOpt,
    PaddingModeOpt,
    PaddingOpt,
    PadValueOpt,
    StrideOpt,
    app,
    emit,
    guarded,
    output_format,
    parsed,
    warn,
)

if TYPE_CHECKING:
    from convcli.core import ConvSetup
    from convcli.numbers import Array
    from convcli.trace import CellTrace

from convcli.cli.shared import (
    bias_values,
    check_stdin_once,
    computing,
    conv_params,
    load,
    matrix_writer,
    pick_cells,
    unread_warnings,
    write_result,
)


@app.command()
def conv(
    ctx: typer.Context,
    inputs: InputOpt = None,
    kernels: KernelOpt = None,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    dilation: DilationOpt = "1",
    groups: GroupsOpt = 1,
    bias: BiasOpt = None,
    padding_mode: PaddingModeOpt = "zeros",
    pad_value: PadValueOpt = "0",
    flip: FlipOpt = False,
    explain: ExplainOpt = False,
    cell: CellOpt = None,
    every: AllOpt = False,
    allow_nan: AllowNanOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Convolve (cross-correlate) an input with one or more kernels.

    \b
    Examples:
      convcli conv -i "1 2 0 2; 1 0 3 -1; 2 2 2 0; 3 1 -2 0" -k "0 1 -1; -1 0 1; 1 0 1" --explain
      convcli conv -i samples/input.csv -k samples/kernel.csv -p same --cell 0,0
      cat samples/input.csv | convcli conv -i - -k sobel-x --format csv
    """
    from convcli.core import prepare_conv, run_conv
    from convcli.trace import trace_conv

    with guarded():
        check_stdin_once(ctx, inputs, kernels)
        params = conv_params(ctx, stride, padding, dilation, groups, padding_mode, pad_value, flip)
        bias_list = bias_values(ctx, bias)
        form = output_format(fmt)
        setup = prepare_conv(
            load(ctx, inputs, "--input", allow_nan),
            load(ctx, kernels, "--kernel", allow_nan),
            params=params,
            bias=bias_list,
        )
        cells, hint = pick_cells(ctx, setup.output_shape, cell, every, explain, form)
        for message in unread_warnings(setup):
            warn(message)
        with computing(setup, "convolving"):
            output = run_conv(setup)
        traces = trace_conv(setup, cells) if cells else []
        write_result(
            "conv",
            form,
            setup,
            output,
            traces,
            explained=bool(cells),
            highlight=bool(cell),
            notes=[hint] if hint else [],
        )


class View(StrEnum):
    scatter = "scatter"
    direct = "direct"
    matrix = "matrix"
    all = "all"


@app.command()
def transpose(
    ctx: typer.Context,
    inputs: InputOpt = None,
    kernels: KernelOpt = None,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    output_padding: Annotated[
        str,
        typer.Option(
            "--output-padding",
            metavar="OP|H,W",
            help="Extra rows/columns at the bottom/right (< max(stride, dilation)).",
        ),
    ] = "0",
    dilation: DilationOpt = "1",
    groups: GroupsOpt = 1,
    bias: BiasOpt = None,
    flip: FlipOpt = False,
    explain: ExplainOpt = False,
    view: Annotated[
        View, typer.Option("--view", help="With --explain: scatter, direct, matrix or all.")
    ] = View.all,
    cell: CellOpt = None,
    every: AllOpt = False,
    allow_nan: AllowNanOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Transposed convolution (PyTorch's conv_transpose2d; kernel [C_in][C_out/g][kh][kw]).

    \b
    Examples:
      convcli transpose -i "1 2; 3 4" -k "1 1; 1 1" -s 2
      convcli transpose -i "1 2; 3 4" -k "1 0 1; 0 1 0; 1 0 1" -s 2 -p 1 --output-padding 1 -e
      convcli transpose -i "1 2; 3 4" -k "1 2; 3 4" --explain --view matrix
    """
    from convcli.core import prepare_transpose, run_transpose
    from convcli.trace import trace_transpose

    with guarded():
        check_stdin_once(ctx, inputs, kernels)
        params = conv_params(ctx, stride, padding, dilation, groups, "zeros", "0", flip)
        op = parsed(
            ctx, "--output-padding", P.parse_pair, output_padding, "output padding", minimum=0
        )
        form = output_format(fmt)
        setup = prepare_transpose(
            load(ctx, inputs, "--input", allow_nan),
            load(ctx, kernels, "--kernel", allow_nan),
            params=params,
            output_padding=op,
            bias=bias_values(ctx, bias),
        )
        cells, hint = pick_cells(ctx, setup.output_shape, cell, every, explain, form)
        with computing(setup, "transposed convolution"):
            output = run_transpose(setup)
        traces = trace_transpose(setup, cells) if cells else []
        write_result(
            "transpose",
            form,
            setup,
            output,
            traces,
            explained=bool(cells),
            highlight=bool(cell),
            notes=[hint] if hint else [],
            views=_views(view) if cells else (),
        )


def _views(view: View) -> tuple[str, ...]:
    return ("scatter", "direct", "matrix") if view is View.all else (view.value,)


@app.command()
def dilate(
    ctx: typer.Context,
    kernels: KernelOpt = None,
    dilation: Annotated[
        str, typer.Option("--dilation", "-d", metavar="D|H,W", help="Dilation, at least 1.")
    ] = "2",
    inputs: InputOpt = None,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    groups: GroupsOpt = 1,
    bias: BiasOpt = None,
    padding_mode: PaddingModeOpt = "zeros",
    pad_value: PadValueOpt = "0",
    flip: FlipOpt = False,
    explain: ExplainOpt = False,
    cell: CellOpt = None,
    every: AllOpt = False,
    allow_nan: AllowNanOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Show a dilated kernel (holes as zeros); with --input, run the dilated convolution.

    \b
    Examples:
      convcli dilate -k "1 2 3; 4 5 6; 7 8 9" -d 2
      convcli dilate -k samples/kernel.csv -d 2 -i samples/input.csv -p 2 --explain
    """
    from convcli import matrix_io
    from convcli.core import dilate_kernel, prepare_conv, run_conv
    from convcli.report import dilate_payload
    from convcli.trace import trace_conv

    with guarded():
        check_stdin_once(ctx, inputs, kernels)
        params = conv_params(ctx, stride, padding, dilation, groups, padding_mode, pad_value, flip)
        form = output_format(fmt)
        kernel = load(ctx, kernels, "--kernel", allow_nan)
        dilated = dilate_kernel(kernel, params.dilation)
        if not inputs:
            if form is Format.json:
                emit(matrix_io.format_json(dilate_payload(kernel, dilated, params.dilation)))
            elif form is Format.table:
                from convcli import render

                emit(
                    render.show(
                        lambda console: render.dilate_report(
                            kernel, dilated, params.dilation, console
                        )
                    )
                )
            else:
                emit(matrix_writer(form)(dilated))
            return
        setup = prepare_conv(
            load(ctx, inputs, "--input", allow_nan),
            kernel,
            params=params,
            bias=bias_values(ctx, bias),
        )
        cells, hint = pick_cells(ctx, setup.output_shape, cell, every, explain, form)
        for message in unread_warnings(setup):
            warn(message)
        with computing(setup, "dilated convolution"):
            output = run_conv(setup)
        traces = trace_conv(setup, cells) if cells else []
        if form is Format.json:
            payload = dilate_payload(kernel, dilated, params.dilation)
            payload.update(conv_payload_for("dilate", setup, output, traces if cells else None))
            payload["kernel"] = dilated
            emit(matrix_io.format_json(payload))
            return
        write_result(
            "dilate",
            form,
            setup,
            output,
            traces,
            explained=bool(cells),
            highlight=bool(cell),
            notes=[hint] if hint else [],
        )


def conv_payload_for(
    command: str, setup: ConvSetup, output: Array, traces: list[CellTrace] | None
) -> dict[str, Any]:
    from convcli.report import conv_payload

    return conv_payload(command, setup, output, traces)
