"""The convolution commands: conv, transpose and dilate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import Result, choose, emit
from convcli.cli.shared import (
    Explained,
    bias_values,
    check_stdin_once,
    conv_params,
    conv_result,
    load,
)
from convcli.params import ConvParams

if TYPE_CHECKING:
    from convcli.core import ConvSetup, TransposeSetup


@dataclass(frozen=True)
class Job:
    """What every convolution command was asked for besides its parameters."""

    inputs: list[str] | None
    kernels: list[str] | None
    allow_nan: bool
    explain: bool
    cell: list[O.CellIndex] | None
    every: bool
    form: O.Format
    lang: str

    def explained(self, shape: tuple[int, ...], *, arithmetic: bool = True) -> Explained:
        return Explained(
            shape, self.cell, every=self.every, explain=self.explain, form=self.form,
            lang=self.lang, arithmetic=arithmetic,
        )  # fmt: skip


class ConvView(StrEnum):
    cells = "cells"
    matrix = "matrix"
    subsample = "subsample"


@app.command()
def conv(
    inputs: O.InputOpt = None,
    kernels: O.KernelOpt = None,
    stride: O.StrideOpt = None,
    padding: O.PaddingOpt = None,
    dilation: O.DilationOpt = None,
    groups: O.GroupsOpt = None,
    bias: O.BiasOpt = None,
    padding_mode: O.PaddingModeOpt = None,
    pad_value: O.PadValueOpt = None,
    flip: O.FlipOpt = False,
    explain: O.ExplainOpt = False,
    view: Annotated[
        ConvView | None,
        typer.Option(
            "--view",
            help=(
                "With --explain: cells (each cell's arithmetic), matrix (vec(y) = C·vec(x)) "
                "or subsample (the stride-1 output, the cells the stride keeps lit) "
                "[default: cells]."
            ),
        ),
    ] = None,
    cell: O.CellOpt = None,
    every: O.AllOpt = False,
    allow_nan: O.AllowNanOpt = False,
    fmt: O.MatrixFormatOpt = None,
    precision: O.PrecisionOpt = None,
    lang: O.LangOpt = None,
    quiet: O.QuietOpt = False,
) -> None:
    """Convolve (cross-correlate) an input with one or more kernels.

    \b
    Examples:
      convcli conv -i "1 2 0 2; 1 0 3 -1; 2 2 2 0; 3 1 -2 0" -k "0 1 -1; -1 0 1; 1 0 1" --explain
      convcli conv -i samples/input.csv -k samples/kernel.csv -p same --cell 0,0
      cat samples/input.csv | convcli conv -i - -k sobel-x --format csv
      convcli conv -i "1 2 3; 4 5 6; 7 8 9" -k "1 0; 0 1" --explain --view matrix
    """
    with guarded():
        if view is not None and not (explain or cell or every):
            raise O.refuse("--view", "applies with --explain, --cell or --all")
        params = conv_params(stride, padding, dilation, groups, padding_mode, pad_value, flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language)
        result = convolution("conv", job, params, bias, view=view or ConvView.cells)
        emit(result, form, precision=precision, quiet=quiet)


def convolution(
    command: str,
    job: Job,
    params: ConvParams,
    bias: O.Numbers | None,
    kernel: object = None,
    view: ConvView = ConvView.cells,
) -> Result:
    """conv and dilate with an input: load, prepare, run once, trace, build the views."""
    from convcli import payloads, reports
    from convcli.core import prepare_conv, run_conv
    from convcli.trace import trace_conv

    check_stdin_once(job.inputs, job.kernels)
    notes: list[str] = []
    weights = kernel if kernel is not None else load(job.kernels, "--kernel", job.allow_nan, notes)
    x = load(job.inputs, "--input", job.allow_nan, notes)
    setup = prepare_conv(x, weights, params=params, bias=bias_values(bias))
    result = conv_result(
        command,
        setup,
        run_conv,
        trace_conv,
        lambda output, traces, e, typeset: reports.conv_report(
            command,
            setup,
            output,
            traces,
            highlight=e.highlight,
            typeset=typeset,
            lang=job.lang,
            notes=e.notes,
            view=view.value if e.cells else "cells",
        ),
        lambda output, steps: payloads.conv_payload(command, setup, output, steps),
        job.explained(setup.output_shape, arithmetic=view is ConvView.cells),
        job.lang,
    )
    unread = reports.unread_note(setup, job.lang)
    result.notes[:0] = [*notes, *([unread] if unread else [])]
    if view is ConvView.matrix:
        with_matrix(result, setup, job)
    return result


def with_matrix(result: Result, setup: ConvSetup | TransposeSetup, job: Job) -> None:
    """JSON's ``matrix`` key for ``--view matrix``: C, x and y, or null with a note saying
    why (the other formats say it in the document)."""
    from convcli import payloads, reports

    refusal = reports.matrix_refusal(setup, job.lang)
    if refusal is None and result.matrix is not None:
        result.payload["matrix"] = payloads.matrix_payload(setup, result.matrix)
        return
    result.payload["matrix"] = None
    if job.form is O.Format.json and refusal:
        result.notes.append(refusal)


class View(StrEnum):
    scatter = "scatter"
    direct = "direct"
    matrix = "matrix"
    all = "all"


@app.command()
def transpose(
    inputs: O.InputOpt = None,
    kernels: O.KernelOpt = None,
    stride: O.StrideOpt = None,
    padding: O.TransposePaddingOpt = None,
    output_padding: O.OutputPaddingOpt = None,
    dilation: O.DilationOpt = None,
    groups: O.GroupsOpt = None,
    bias: O.BiasOpt = None,
    flip: O.FlipOpt = False,
    explain: O.ExplainOpt = False,
    view: Annotated[
        View | None,
        typer.Option(
            "--view", help="With --explain: scatter, direct, matrix or all [default: all]."
        ),
    ] = None,
    cell: O.CellOpt = None,
    every: O.AllOpt = False,
    allow_nan: O.AllowNanOpt = False,
    fmt: O.MatrixFormatOpt = None,
    precision: O.PrecisionOpt = None,
    lang: O.LangOpt = None,
    quiet: O.QuietOpt = False,
) -> None:
    """Transposed convolution (PyTorch's conv_transpose2d; kernel [C_in][C_out/g][kh][kw]).

    \b
    Examples:
      convcli transpose -i "1 2; 3 4" -k "1 1; 1 1" -s 2
      convcli transpose -i "1 2; 3 4" -k "1 0 1; 0 1 0; 1 0 1" -s 2 -p 1 --output-padding 1 -e
      convcli transpose -i "1 2; 3 4" -k "1 2; 3 4" --explain --view matrix
    """
    with guarded():
        if view is not None and not (explain or cell or every):
            raise O.refuse("--view", "applies with --explain, --cell or --all")
        params = conv_params(stride, padding, dilation, groups, flip=flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language)
        result = transposition(job, params, output_padding, bias, view or View.all)
        emit(result, form, precision=precision, quiet=quiet)


def transposition(
    job: Job, params: ConvParams, output_padding: O.Axes | None, bias: O.Numbers | None, view: View
) -> Result:
    """transpose: load, prepare, run once, trace, build the chosen views."""
    from convcli import payloads, reports
    from convcli.core import prepare_transpose, run_transpose
    from convcli.trace import trace_transpose

    check_stdin_once(job.inputs, job.kernels)
    notes: list[str] = []
    setup = prepare_transpose(
        load(job.inputs, "--input", job.allow_nan, notes),
        load(job.kernels, "--kernel", job.allow_nan, notes),
        params=params,
        output_padding=output_padding or 0,
        bias=bias_values(bias),
    )
    views = ("scatter", "direct", "matrix") if view is View.all else (view.value,)
    result = conv_result(
        "transpose",
        setup,
        run_transpose,
        trace_transpose,
        lambda output, traces, e, typeset: reports.transpose_report(
            setup,
            output,
            traces,
            views=views if e.cells else (),
            highlight=e.highlight,
            typeset=typeset,
            lang=job.lang,
            notes=e.notes,
        ),
        lambda output, steps: payloads.conv_payload("transpose", setup, output, steps),
        job.explained(setup.output_shape, arithmetic="scatter" in views),
        job.lang,
    )
    result.notes[:0] = notes
    if view is View.matrix:
        with_matrix(result, setup, job)
    return result


@app.command()
def dilate(
    kernels: O.KernelOpt = None,
    dilation: O.SpreadDilationOpt = None,
    inputs: O.InputOpt = None,
    stride: O.StrideOpt = None,
    padding: O.PaddingOpt = None,
    groups: O.GroupsOpt = None,
    bias: O.BiasOpt = None,
    padding_mode: O.PaddingModeOpt = None,
    pad_value: O.PadValueOpt = None,
    flip: O.FlipOpt = False,
    explain: O.ExplainOpt = False,
    cell: O.CellOpt = None,
    every: O.AllOpt = False,
    allow_nan: O.AllowNanOpt = False,
    fmt: O.MatrixFormatOpt = None,
    precision: O.PrecisionOpt = None,
    lang: O.LangOpt = None,
    quiet: O.QuietOpt = False,
) -> None:
    """Show a dilated kernel (holes as zeros); with --input, run the dilated convolution.

    \b
    Examples:
      convcli dilate -k "1 2 3; 4 5 6; 7 8 9" -d 2
      convcli dilate -k samples/kernel.csv -d 2 -i samples/input.csv -p 2 --explain
    """
    with guarded():
        check_stdin_once(inputs, kernels)
        dilation = dilation or O.Axes(2, 2)
        params = conv_params(stride, padding, dilation, groups, padding_mode, pad_value, flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        if not inputs:
            O.check_applies(
                {"--explain": explain, "--cell": cell, "--all": every, "--bias": bias},
                "applies only with --input (the dilated convolution)",
            )
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language)
        emit(dilation_result(job, params, bias), form, precision=precision, quiet=quiet)


def dilation_result(job: Job, params: ConvParams, bias: O.Numbers | None) -> Result:
    """The dilated kernel; with an input, the dilated convolution with it."""
    from convcli import payloads, reports
    from convcli.core import dilate_kernel

    notes: list[str] = []
    kernel = load(job.kernels, "--kernel", job.allow_nan, notes)
    dilated = dilate_kernel(kernel, params.dilation)
    payload = payloads.dilate_payload(kernel, dilated, params.dilation)
    if not job.inputs:
        return Result(
            "dilate",
            payload,
            matrix=dilated,
            document=lambda _: reports.dilate_report(kernel, dilated, params.dilation, job.lang),
            notes=notes,
        )
    result = convolution("dilate", job, params, bias, kernel=kernel)
    result.payload = {**payload, **result.payload, "kernel": dilated}
    result.notes[:0] = notes
    return result
