"""``convcli pool``: max, average, min and Lp pooling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import Result, choose, emit
from convcli.cli.shared import (
    Explained,
    check_stdin_once,
    data_warnings,
    in_line,
    load_input,
    plane_cells,
    pool_setup,
)

if TYPE_CHECKING:
    from convcli.core import PoolSetup


@app.command()
def pool(
    inputs: O.InputOpt = None,
    op: Annotated[
        O.PoolCommandOp | None, typer.Option("--op", help="max, avg, min or lp [default: max].")
    ] = None,
    window: O.WindowOpt = None,
    stride: O.PoolStrideOpt = None,
    padding: O.PoolPaddingOpt = None,
    dilation: O.DilationOpt = None,
    norm_type: O.NormTypeOpt = None,
    indices: O.IndicesOpt = False,
    ceil_mode: O.CeilModeOpt = False,
    count_include_pad: O.CountIncludePadOpt = None,
    dims: O.InputDimsOpt = None,
    explain: O.ExplainOpt = False,
    cell: O.CellOpt = None,
    every: O.AllOpt = False,
    allow_nan: O.AllowNanOpt = False,
    fmt: O.MatrixFormatOpt = None,
    output: O.OutputOpt = None,
    image_scale: O.ImageScaleOpt = None,
    bits: O.BitsOpt = None,
    grey: O.GreyOpt = False,
    precision: O.PrecisionOpt = None,
    as_float: O.FloatOpt = False,
    lang: O.LangOpt = None,
    quiet: O.QuietOpt = False,
) -> None:
    """Max, average, min or Lp pooling (PyTorch's max_pool2d / avg_pool2d, ONNX's LpPool).

    \b
    Examples:
      convcli pool -i samples/pool.csv --op max -k 2
      convcli pool -i samples/pool.csv --op avg -k 2 --explain
      convcli pool -i "1 2 3; 4 5 6; 7 8 9" -k 2 -s 1 -p 1 --ceil-mode --format json
      convcli pool -i samples/pool.csv -k 2 -s 1 -d 2 --indices
      convcli pool -i samples/pool.csv --op lp --norm-type 1 -k 2
      convcli pool -i "3 1 4 1 5 9 2 6" -k 3 -s 2 --indices
    """
    with guarded():
        if count_include_pad is not None and op is not O.PoolCommandOp.avg:
            raise O.refuse("--count-include-pad", "applies only with --op avg")
        if norm_type is not None and op is not O.PoolCommandOp.lp:
            raise O.refuse("--norm-type", "applies only with --op lp")
        if indices and op in (O.PoolCommandOp.avg, O.PoolCommandOp.lp):
            raise O.refuse("--indices", f"applies only with --op max or min, not {op.value}")
        check_stdin_once(inputs)
        form, language = choose(fmt), (lang or O.default_lang()).value
        notes: list[str] = []
        x, n = load_input(inputs, allow_nan, notes, dims)
        setup = pool_setup(
            x,
            window,
            stride,
            padding,
            op,
            ceil_mode,
            count_include_pad,
            dilation=dilation,
            norm_type=norm_type,
            indices=indices,
            dims=n,
        )
        explained = Explained(
            setup.output_shape, plane_cells(cell, n), every=every, explain=explain, form=form,
            lang=language,
        )  # fmt: skip
        result = pooling(setup, explained, language, notes, n)
        emit(result, form, precision=precision, quiet=quiet, as_float=as_float)


def pooling(
    setup: PoolSetup, explained: Explained, lang: str, notes: list[str], dims: int = 2
) -> Result:
    from convcli import payloads, reports, volumes
    from convcli.core import run_pool, run_pool_indices
    from convcli.trace import trace_pool

    # with --indices the matrix formats (csv) carry the indices: they are what was asked
    # for, and the values are one JSON key or one table away
    output, indices = run_pool_indices(setup) if setup.return_indices else (run_pool(setup), None)
    traces = in_line(trace_pool, dims)(setup, output, explained.cells) if explained.cells else []
    build = volumes.pool_volumes if dims == 3 else reports.pool_report
    result = Result(
        "pool",
        payloads.pool_payload(setup, output, traces if explained.cells else None, indices),
        matrix=output if indices is None else indices,
        document=lambda typeset: build(
            setup,
            output,
            traces,
            indices=indices,
            highlight=explained.highlight,
            typeset=typeset,
            lang=lang,
            notes=explained.notes,
        ),
        explained=bool(explained.cells),
        notes=[*notes, *explained.notes],
        warnings=data_warnings(output, lang),
    )
    if dims == 3:
        result.explained = True  # markdown and LaTeX write the slices, titled by depth
    return result.in_line() if dims == 1 else result
