"""The computing commands: conv, transpose, dilate, pool. Each reads, calls, writes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
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
    from convcli.core import ConvSetup, TransposeSetup
    from convcli.numbers import Array
    from convcli.trace import CellTrace

EXPLAIN_LIMIT = 16  # cells explained on a terminal unless --cell or --all says otherwise


def load(ctx: typer.Context, sources: Sequence[str] | None, option: str, allow_nan: bool) -> Array:
    """Read a repeatable matrix option; '-' may stand for stdin only once in a command."""
    from convcli.matrix_io import load_stack

    if not sources:
        msg = "a matrix is required"
        raise typer.BadParameter(msg, ctx=ctx, param_hint=f"'{option}'")
    return load_stack(list(sources), option=option, allow_nan=allow_nan)


def check_stdin_once(ctx: typer.Context, *groups: Sequence[str] | None) -> None:
    if sum(list(g or []).count("-") for g in groups) > 1:
        msg = "'-' (stdin) can be read only once"
        raise typer.BadParameter(msg, ctx=ctx, param_hint="'-'")


def conv_params(
    ctx: typer.Context,
    stride: str,
    padding: str,
    dilation: str,
    groups: int,
    padding_mode: str,
    pad_value: str,
    flip: bool,
) -> P.ConvParams:
    """The validated parameters; a malformed value is a usage error naming its option."""
    (value,) = parsed(ctx, "--pad-value", P.parse_numbers, pad_value, "--pad-value")
    strides = parsed(ctx, "--stride", P.parse_pair, stride, "stride")
    pads = parsed(ctx, "--padding", P.parse_padding, padding)
    dilations = parsed(ctx, "--dilation", P.parse_pair, dilation, "dilation")
    mode = parsed(ctx, "--padding-mode", P.as_padding_mode, padding_mode)
    return parsed(
        ctx,
        "--groups",
        P.ConvParams.build,
        stride=strides,
        padding=pads,
        dilation=dilations,
        groups=groups,
        padding_mode=mode,
        pad_value=value,
        flip=flip,
    )


def bias_values(ctx: typer.Context, bias: str | None) -> tuple[Any, ...] | None:
    return None if bias is None else parsed(ctx, "--bias", P.parse_numbers, bias, "--bias")


def pick_cells(
    ctx: typer.Context,
    shape: tuple[int, ...],
    cells: Sequence[str] | None,
    every: bool,
    explain: bool,
    fmt: Format,
) -> tuple[list[tuple[int, ...]], str | None]:
    """The cells to explain, and a note when only some of them are shown."""
    from convcli.errors import ShapeError
    from convcli.trace import all_cells

    if cells:
        chosen: list[tuple[int, ...]] = []
        for text in cells:
            cell = parsed(ctx, "--cell", P.parse_cell, text)
            if len(cell) == 2 and len(shape) == 3:
                chosen += [(o, *cell) for o in range(shape[0])]
            elif len(cell) != len(shape) or any(i >= n for i, n in zip(cell, shape, strict=True)):
                size = "×".join(map(str, shape))
                msg = f"--cell {text} is outside the {size} output (indices start at 0)"
                raise ShapeError(msg)
            else:
                chosen.append(cell)
        return chosen, None
    if not (explain or every):
        return [], None
    everything = list(all_cells(shape))
    if every or fmt is not Format.table or len(everything) <= EXPLAIN_LIMIT:
        return everything, None
    hint = (
        f"explained {EXPLAIN_LIMIT} of {len(everything)} cells; "
        "pick others with --cell R,C or see them all with --all"
    )
    return everything[:EXPLAIN_LIMIT], hint


SLOW_WORK = 50_000_000  # multiply-adds (float64/int64) that take about a tenth of a second
SLOW_EXACT_WORK = 500_000  # the same for Python-int or fraction arithmetic


def computing(setup: ConvSetup | TransposeSetup, what: str) -> AbstractContextManager[None]:
    """A spinner on stderr when the work may take noticeably long (and stderr is a terminal)."""
    out_cells = 1
    for n in setup.output_shape:
        out_cells *= n
    taps = setup.weight.shape[1] * setup.weight.shape[2] * setup.weight.shape[3]
    work = out_cells * taps
    if work < (SLOW_EXACT_WORK if setup.x.dtype == object else SLOW_WORK):
        return nullcontext()
    from convcli import render

    shape = "×".join(map(str, setup.output_shape))
    return render.busy(f"{what} {shape} ({work:,} multiply-adds)…")


def unread_warnings(setup: ConvSetup) -> list[str]:
    from convcli.report import describe_unread

    return [
        describe_unread(name, axis.unread, axis.padded)
        for name, axis in (("height", setup.rows), ("width", setup.cols))
        if axis.unread
    ]


def write_result(
    command: str,
    fmt: Format,
    setup: ConvSetup | TransposeSetup,
    output: Array,
    traces: list[CellTrace],
    *,
    explained: bool,
    highlight: bool,
    notes: Sequence[str] = (),
    views: Sequence[str] = (),
) -> None:
    """Write a convolution result in the chosen format (tables through Rich)."""
    from convcli import matrix_io
    from convcli.report import arithmetic, conv_payload, plain

    if fmt is Format.json:
        steps = traces if explained else None
        emit(matrix_io.format_json(conv_payload(command, setup, output, steps)))
        return
    if fmt is Format.table:
        from convcli import render

        console = render.make_console()
        view = render.result_report(
            command,
            setup,
            output,
            traces,
            highlight=highlight,
            console=console,
            notes=notes,
            views=views,
        )
        emit(render.to_text(console, view))
        return
    if explained and fmt is Format.csv:
        warn("--explain adds nothing to csv output; use --format json for the steps")
    writers = {
        Format.csv: matrix_io.format_csv,
        Format.plain: matrix_io.format_csv,
        Format.markdown: matrix_io.format_markdown,
        Format.latex: matrix_io.format_latex,
    }
    text = writers[fmt](output)
    if explained and fmt in (Format.markdown, Format.latex):
        lines = "\n".join(plain(arithmetic(t)) for t in traces)
        begin, end = (
            ("```text", "```")
            if fmt is Format.markdown
            else ("\\begin{verbatim}", "\\end{verbatim}")
        )
        text += f"\n{begin}\n{lines}\n{end}\n"
    emit(text)


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

                console = render.make_console()
                emit(
                    render.to_text(
                        console, render.dilate_report(kernel, dilated, params.dilation, console)
                    )
                )
            else:
                emit(_matrix_writer(form)(dilated))
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


def _matrix_writer(form: Format) -> Any:
    from convcli import matrix_io

    return {
        Format.csv: matrix_io.format_csv,
        Format.plain: matrix_io.format_csv,
        Format.markdown: matrix_io.format_markdown,
        Format.latex: matrix_io.format_latex,
    }[form]


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

            console = render.make_console()
            view = render.pool_report(
                setup,
                output,
                traces,
                highlight=bool(cell),
                console=console,
                notes=[hint] if hint else [],
            )
            emit(render.to_text(console, view))
        else:
            text = _matrix_writer(form)(output)
            if cells and form in (Format.markdown, Format.latex):
                from convcli.report import pool_arithmetic

                text += "\n" + "\n".join(pool_arithmetic(t, setup.op) for t in traces) + "\n"
            emit(text)


@app.command()
def kernels(
    name: Annotated[
        str | None, typer.Argument(help="A preset to show (e.g. sobel-x, box-5, gaussian:7,1.5).")
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """List the named kernel presets, or show one.

    \b
    Examples:
      convcli kernels
      convcli kernels gaussian-3
      convcli kernels sobel-x --format json
    """
    from convcli import kernels as presets
    from convcli import matrix_io

    with guarded():
        form = output_format(fmt)
        if name is None:
            rows = [
                (p.name, f"{len(p.rows)}×{len(p.rows[0])}", p.purpose)
                for p in presets.PRESETS.values()
            ]
            rows += [
                ("box-N", "N×N", "mean blur of any size"),
                ("gaussian:SIZE,SIGMA", "SIZE×SIZE", "sampled Gaussian (floats, sums to 1)"),
            ]
            if form is Format.json:
                emit(
                    matrix_io.format_json(
                        {
                            "command": "kernels",
                            "kernels": [{"name": n, "size": s, "purpose": p} for n, s, p in rows],
                        }
                    )
                )
            elif form is Format.table:
                from convcli import render

                console = render.make_console()
                emit(render.to_text(console, [render.kernel_list(rows)]))
            else:
                emit("".join(f"{n},{s.replace('×', 'x')},{p}\n" for n, s, p in rows))
            return
        matrix = presets.get_kernel(name)
        if form is Format.json:
            emit(matrix_io.format_json({"command": "kernels", "name": name, "kernel": matrix}))
        elif form is Format.table:
            from convcli import render

            console = render.make_console()
            symbols = render.symbols_for(console)
            emit(
                render.to_text(
                    console,
                    render.matrix_tables(
                        render.matrix_view(matrix, name, symbols),
                        matrix.shape,
                        render.columns_available(console),
                    ),
                )
            )
        else:
            emit(_matrix_writer(form)(matrix))
