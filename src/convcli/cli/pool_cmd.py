"""``convcli pool``: max, average and min pooling."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from convcli import params as P
from convcli.cli.base import (
    AllOpt,
    AllowNanOpt,
    CellOpt,
    ExplainOpt,
    Format,
    FormatOpt,
    InputOpt,
    app,
    emit,
    guarded,
    output_format,
    parsed,
)

if TYPE_CHECKING:
    pass

from convcli.cli.shared import check_stdin_once, load, matrix_writer, pick_cells


class PoolOp(StrEnum):
    max = "max"
    avg = "avg"
    min = "min"


@app.command()
def pool(
    ctx: typer.Context,
    inputs: InputOpt = None,
    op: Annotated[PoolOp, typer.Option("--op", help="max, avg or min.")] = PoolOp.max,
    window: Annotated[
        str, typer.Option("--window", "-k", metavar="K|H,W", help="Window size.")
    ] = "2",
    stride: Annotated[
        str | None,
        typer.Option("--stride", "-s", metavar="S|H,W", help="Stride [default: the window]."),
    ] = None,
    padding: Annotated[
        str,
        typer.Option(
            "--padding",
            "-p",
            metavar="P|H,W",
            help="Padding on each side, at most half the window.",
        ),
    ] = "0",
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="Round the output size up (PyTorch ceil_mode).")
    ] = False,
    count_include_pad: Annotated[
        bool,
        typer.Option(
            "--count-include-pad/--no-count-include-pad",
            help="Averages divide by the padded window size.",
        ),
    ] = True,
    explain: ExplainOpt = False,
    cell: CellOpt = None,
    every: AllOpt = False,
    allow_nan: AllowNanOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Max, average or min pooling (PyTorch's max_pool2d / avg_pool2d).

    \b
    Examples:
      convcli pool -i samples/pool.csv --op max -k 2
      convcli pool -i samples/pool.csv --op avg -k 2 --explain
      convcli pool -i "1 2 3; 4 5 6; 7 8 9" -k 2 -s 1 -p 1 --ceil-mode --format json
    """
    from convcli import matrix_io
    from convcli.core import prepare_pool, run_pool
    from convcli.report import pool_payload
    from convcli.trace import trace_pool

    with guarded():
        check_stdin_once(ctx, inputs)
        sizes = parsed(ctx, "--window", P.parse_pair, window, "window")
        strides = parsed(ctx, "--stride", P.parse_pair, stride, "stride") if stride else None
        pads = parsed(ctx, "--padding", P.parse_padding, padding)
        form = output_format(fmt)
        setup = prepare_pool(
            load(ctx, inputs, "--input", allow_nan),
            sizes,
            stride=strides,
            padding=pads,
            op=op.value,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )
        cells, hint = pick_cells(ctx, setup.output_shape, cell, every, explain, form)
        output = run_pool(setup)
        traces = trace_pool(setup, cells) if cells else []
        if form is Format.json:
            emit(matrix_io.format_json(pool_payload(setup, output, traces if cells else None)))
        elif form is Format.table:
            from convcli import render

            notes = [hint] if hint else []
            emit(
                render.show(
                    lambda console: render.pool_report(
                        setup, output, traces, highlight=bool(cell), console=console, notes=notes
                    )
                )
            )
        else:
            text = matrix_writer(form)(output)
            if cells and form in (Format.markdown, Format.latex):
                from convcli.report import pool_arithmetic

                text += "\n" + "\n".join(pool_arithmetic(t, setup.op) for t in traces) + "\n"
            emit(text)
