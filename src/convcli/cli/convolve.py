"""The convolution commands: conv, transpose and dilate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import Result, choose, emit, resume_collection
from convcli.cli.shared import (
    Explained,
    Geometry,
    bias_values,
    check_stdin_once,
    conv_geometry,
    conv_result,
    in_line,
    load,
    load_input,
    plane_cells,
    read_as_vector,
)

if TYPE_CHECKING:
    from convcli.core import ConvSetup, TransposeSetup
    from convcli.numbers import Array
    from convcli.typography import Typeset


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
    dims: int | None = None  # --dims; None: inferred from the input

    def explained(self, shape: tuple[int, ...], dims: int, *, arithmetic: bool = True) -> Explained:
        return Explained(
            shape, plane_cells(self.cell, dims), every=self.every, explain=self.explain,
            form=self.form, lang=self.lang, arithmetic=arithmetic,
        )  # fmt: skip


class Layer(NamedTuple):
    """The geometry options as typed; what they mean depends on the dims."""

    stride: O.Axes | None
    padding: O.PaddingSpec | None
    dilation: O.Axes | None
    groups: int | None
    padding_mode: O.PaddingMode | None = None
    pad_value: O.Scalar | None = None
    flip: bool = False

    def geometry(self, dims: int) -> Geometry:
        return conv_geometry(dims, *self)


class Engine(StrEnum):
    numpy = "numpy"
    dask = "dask"


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
    dims: O.InputDimsOpt = None,
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
    output: O.OutputOpt = None,
    image_scale: O.ImageScaleOpt = None,
    bits: O.BitsOpt = None,
    grey: O.GreyOpt = False,
    precision: O.PrecisionOpt = None,
    as_float: O.FloatOpt = False,
    engine: Annotated[
        Engine | None,
        typer.Option(
            "--engine",
            help="numpy (this process; a big .npy input streams in row blocks) or dask "
            "(row chunks on a dask scheduler, into -o out.npy or out.zarr; needs "
            "convcli[dask]) [default: numpy].",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="With --engine dask: the scheduler (tcp://host:8786, threads, processes) "
            "[default: dask's own].",
        ),
    ] = None,
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
      convcli conv -i "1 2 3 4 5 6" -k "1 0 -1" -s 2 -p 1
      convcli conv --dims 3 -i volume.npy -k "[[[1]],[[1]]]"
    """
    with guarded(working=False):
        if view is not None and not (explain or cell or every):
            raise O.refuse("--view", "applies with --explain, --cell or --all")
        layer = Layer(stride, padding, dilation, groups, padding_mode, pad_value, flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language, dims)
        from convcli.cli import streaming

        if scheduler is not None and engine is not Engine.dask:
            raise O.refuse("--scheduler", "applies only with --engine dask")
        if engine is Engine.dask:
            O.check_applies(
                {"--explain": explain, "--cell": cell, "--all": every, "--view": view},
                "the dask engine writes the result only (explain a crop in memory)",
            )
            resume_collection()  # the work begins (in memory: in conv_result)
            result = streaming.on_dask(job, layer, bias, scheduler)
        elif streaming.streams(job, as_float):
            resume_collection()
            result = streaming.streamed(job, layer, bias)
        else:
            result = convolution("conv", job, layer, bias, view=view or ConvView.cells)
        emit(result, form, precision=precision, quiet=quiet, as_float=as_float)


def convolution(
    command: str,
    job: Job,
    layer: Layer,
    bias: O.Numbers | None,
    view: ConvView = ConvView.cells,
) -> Result:
    """conv: load, prepare, run once, trace, build the views."""
    return convolve(job, layer, bias, command=command, view=view)[0]


def convolve(
    job: Job,
    layer: Layer,
    bias: O.Numbers | None,
    *,
    command: str = "conv",
    view: ConvView = ConvView.cells,
) -> tuple[Result, Array, int]:
    """conv and dilate with an input: the result, the kernel as read and the dims."""
    from convcli.core import check_channels, prepare_conv, run_conv
    from convcli.notes import unread_note

    check_stdin_once(job.inputs, job.kernels)
    notes: list[str] = []
    x, dims = load_input(job.inputs, job.allow_nan, notes, job.dims)
    with read_as_vector(job.dims, dims):
        kernel = weights = load(job.kernels, "--kernel", job.allow_nan, notes, dims)
        geometry = layer.geometry(dims)
        if dims == 1:
            from convcli import lens

            check_channels(x.shape, weights.shape, geometry.params.groups, 1)
            x, weights = lens.plane(x), lens.plane(weights)
        setup = prepare_conv(
            x, weights, params=geometry.params, bias=bias_values(bias), geometry=geometry.axes
        )
    if dims == 1:
        setup = replace(setup, line=True)
    if dims == 3:
        if view is not ConvView.cells:
            raise O.refuse("--view", f"{view.value} is drawn for 1-D and 2-D work, not --dims 3")
        return volume_result(command, setup, job, notes), kernel, dims

    def conv_document(output: Array, traces: list[Any], e: Explained, typeset: Typeset) -> Any:
        from convcli import reports  # the human formats only: csv and json never need it

        return reports.conv_report(
            command, setup, output, traces, highlight=e.highlight, typeset=typeset,
            lang=job.lang, notes=e.notes, view=view.value if e.cells else "cells",
        )  # fmt: skip

    result = conv_result(
        command,
        setup,
        run_conv,
        in_line(traced("trace_conv"), dims),
        conv_document,
        conv_payload(command, setup),
        job.explained(setup.output_shape, dims, arithmetic=view is ConvView.cells),
        job.lang,
    )
    unread = unread_note(setup, job.lang)
    result.notes[:0] = [*notes, *([unread] if unread else [])]
    if view is ConvView.matrix:
        with_matrix(result, setup, job)
    return (result.in_line() if dims == 1 else result), kernel, dims


def volume_result(
    command: str, setup: ConvSetup | TransposeSetup, job: Job, notes: list[str]
) -> Result:
    """3-D work: the numbers of every format, shown on a terminal as depth slices."""
    from convcli import volumes
    from convcli.core import TransposeSetup, run_conv, run_transpose

    transposed = isinstance(setup, TransposeSetup)
    result = conv_result(
        command,
        setup,
        run_transpose if transposed else run_conv,
        traced("trace_nd"),
        lambda output, traces, e, typeset: volumes.conv_volumes(
            command, setup, output, traces, highlight=e.highlight, typeset=typeset,
            lang=job.lang, notes=e.notes,
        ),
        conv_payload(command, setup),
        job.explained(setup.output_shape, 3),
        job.lang,
    )  # fmt: skip
    result.notes[:0] = notes
    result.explained = True  # markdown and LaTeX write the slices, titled by depth
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


def traced(name: str) -> Callable[[Any, Array, list[tuple[int, ...]]], list[Any]]:
    """convcli.trace's tracer ``name``, imported when cells are explained: csv and json
    without --explain, --cell or --all never import it."""

    def trace(setup: Any, output: Array, cells: list[tuple[int, ...]]) -> list[Any]:
        from convcli import trace as tracing

        tracer: Callable[[Any, Array, list[tuple[int, ...]]], list[Any]]
        tracer = getattr(tracing, name)
        return tracer(setup, output, cells)

    return trace


def conv_payload(
    command: str, setup: ConvSetup | TransposeSetup
) -> Callable[[Array, list[Any] | None], dict[str, Any]]:
    """The JSON object of a convolution, for :class:`Result` to build when it is read."""

    def payload(output: Array, steps: list[Any] | None) -> dict[str, Any]:
        from convcli import payloads

        return payloads.conv_payload(command, setup, output, steps)

    return payload


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
    dims: O.InputDimsOpt = None,
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
    output: O.OutputOpt = None,
    image_scale: O.ImageScaleOpt = None,
    bits: O.BitsOpt = None,
    grey: O.GreyOpt = False,
    precision: O.PrecisionOpt = None,
    as_float: O.FloatOpt = False,
    lang: O.LangOpt = None,
    quiet: O.QuietOpt = False,
) -> None:
    """Transposed convolution (PyTorch's conv_transpose2d; kernel [C_in][C_out/g][kh][kw]).

    \b
    Examples:
      convcli transpose -i "1 2; 3 4" -k "1 1; 1 1" -s 2
      convcli transpose -i "1 2; 3 4" -k "1 0 1; 0 1 0; 1 0 1" -s 2 -p 1 --output-padding 1 -e
      convcli transpose -i "1 2; 3 4" -k "1 2; 3 4" --explain --view matrix
      convcli transpose -i "1 2 3" -k "1 1" -s 2
    """
    with guarded(working=False):
        if view is not None and not (explain or cell or every):
            raise O.refuse("--view", "applies with --explain, --cell or --all")
        layer = Layer(stride, padding, dilation, groups, flip=flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language, dims)
        result = transposition(job, layer, output_padding, bias, view or View.all)
        emit(result, form, precision=precision, quiet=quiet, as_float=as_float)


def transposition(
    job: Job, layer: Layer, output_padding: O.Axes | None, bias: O.Numbers | None, view: View
) -> Result:
    """transpose: load, prepare, run once, trace, build the chosen views."""
    from convcli.core import check_channels, prepare_transpose, run_transpose

    check_stdin_once(job.inputs, job.kernels)
    notes: list[str] = []
    x, dims = load_input(job.inputs, job.allow_nan, notes, job.dims)
    with read_as_vector(job.dims, dims):
        weights = load(job.kernels, "--kernel", job.allow_nan, notes, dims)
        geometry = layer.geometry(dims)
        extra: tuple[int, ...] | int = 0
        if output_padding is not None:
            extra = output_padding.of(dims)
        if dims == 1:
            from convcli import lens

            check_channels(x.shape, weights.shape, geometry.params.groups, 1, transposed=True)
            x, weights = lens.plane(x), lens.plane(weights)
            extra = lens.axes(extra, row=0) if extra else 0  # type: ignore[arg-type]
        setup = prepare_transpose(
            x,
            weights,
            params=geometry.params,
            output_padding=extra,
            bias=bias_values(bias),
            geometry=geometry.axes,
        )
    if dims == 1:
        setup = replace(setup, line=True)
    if dims == 3:
        if view is not View.all:
            raise O.refuse("--view", f"{view.value} is drawn for 1-D and 2-D work, not --dims 3")
        return volume_result("transpose", setup, job, notes)
    views = ("scatter", "direct", "matrix") if view is View.all else (view.value,)

    def transpose_document(output: Array, traces: list[Any], e: Explained, typeset: Typeset) -> Any:
        from convcli import reports  # the human formats only

        return reports.transpose_report(
            setup, output, traces, views=views if e.cells else (), highlight=e.highlight,
            typeset=typeset, lang=job.lang, notes=e.notes,
        )  # fmt: skip

    result = conv_result(
        "transpose",
        setup,
        run_transpose,
        in_line(traced("trace_transpose"), dims),
        transpose_document,
        conv_payload("transpose", setup),
        job.explained(setup.output_shape, dims, arithmetic="scatter" in views),
        job.lang,
    )
    result.notes[:0] = notes
    if view is View.matrix:
        with_matrix(result, setup, job)
    return result.in_line() if dims == 1 else result


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
    """Show a dilated kernel (holes as zeros); with --input, run the dilated convolution.

    \b
    Examples:
      convcli dilate -k "1 2 3; 4 5 6; 7 8 9" -d 2
      convcli dilate -k samples/kernel.csv -d 2 -i samples/input.csv -p 2 --explain
      convcli dilate -k "1 2 3" -d 3
    """
    with guarded(working=False):
        check_stdin_once(inputs, kernels)
        dilation = dilation or O.Axes((2,), "dilation")
        layer = Layer(stride, padding, dilation, groups, padding_mode, pad_value, flip)
        form, language = choose(fmt), (lang or O.default_lang()).value
        if not inputs:
            O.check_applies(
                {"--explain": explain, "--cell": cell, "--all": every, "--bias": bias},
                "applies only with --input (the dilated convolution)",
            )
        job = Job(inputs, kernels, allow_nan, explain, cell, every, form, language, dims)
        emit(
            dilation_result(job, layer, bias),
            form,
            precision=precision,
            quiet=quiet,
            as_float=as_float,
        )


def dilation_result(job: Job, layer: Layer, bias: O.Numbers | None) -> Result:
    """The dilated kernel; with an input, the dilated convolution with it."""
    from convcli import lens, payloads, reports, volumes
    from convcli.core import dilate_kernel
    from convcli.matrix_io import infer_dims, load_arrays, stack_arrays

    notes: list[str] = []
    if job.inputs:
        result, kernel, dims = convolve(job, layer, bias, command="dilate")
    else:
        if not job.kernels:
            raise O.refuse("--kernel", "missing: give a matrix with --kernel")
        arrays = load_arrays(job.kernels, option="--kernel", allow_nan=job.allow_nan, notes=notes)
        dims = job.dims or infer_dims(arrays)
        kernel = stack_arrays(arrays, job.kernels, "--kernel", dims)
    steps = layer.geometry(dims).dilation
    dilated = dilate_kernel(kernel, steps)
    payload = payloads.dilate_payload(kernel, dilated, steps)
    if job.inputs:
        result.payload = {**payload, **result.payload, "kernel": dilated}
        return result
    if dims == 3:
        document = volumes.dilate_volumes(kernel, dilated, steps, job.lang)
    else:
        shown = (lens.plane(kernel), lens.plane(dilated)) if dims == 1 else (kernel, dilated)
        dh, dw = (1, *steps)[-2:]
        document = reports.dilate_report(*shown, (dh, dw), job.lang, line=dims == 1)
    return Result("dilate", payload, matrix=dilated, document=lambda _: document, notes=notes)
