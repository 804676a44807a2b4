"""What the commands that compute share: loading matrices, parameters, cells, writing results."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import typer

from convcli import params as P
from convcli.cli.base import (
    Format,
    emit,
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
    values = parsed(ctx, "--pad-value", P.parse_numbers, pad_value, "--pad-value")
    if len(values) != 1:
        msg = f"one number, got {len(values)}"
        raise typer.BadParameter(msg, ctx=ctx, param_hint="'--pad-value'")
    (value,) = values
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
            # R,C on a multi-channel output means that cell in every channel
            expanded = (
                [(o, *cell) for o in range(shape[0])] if len(cell) == 2 < len(shape) else [cell]
            )
            for one in expanded:
                if len(one) != len(shape) or any(i >= n for i, n in zip(one, shape, strict=True)):
                    size = "×".join(map(str, shape))
                    msg = f"--cell {text} is outside the {size} output (indices start at 0)"
                    raise ShapeError(msg)
            chosen += expanded
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

        emit(
            render.show(
                lambda console: render.result_report(
                    command,
                    setup,
                    output,
                    traces,
                    highlight=highlight,
                    console=console,
                    notes=notes,
                    views=views,
                )
            )
        )
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


def matrix_writer(form: Format) -> Any:
    from convcli import matrix_io

    return {
        Format.csv: matrix_io.format_csv,
        Format.plain: matrix_io.format_csv,
        Format.markdown: matrix_io.format_markdown,
        Format.latex: matrix_io.format_latex,
    }[form]
