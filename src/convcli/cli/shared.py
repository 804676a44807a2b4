"""What the commands that compute share: inputs, parameters, cells, and their results."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from convcli import params as P
from convcli.cli import options as O
from convcli.cli.output import Result, resume_collection
from convcli.errors import ConvError, ParameterError, ShapeError

if TYPE_CHECKING:
    from convcli.core import ConvSetup, PoolSetup, TransposeSetup
    from convcli.core import Geometry as CoreGeometry
    from convcli.model import Document
    from convcli.numbers import Array
    from convcli.typography import Typeset

EXPLAIN_LIMIT = 16  # cells explained on a terminal unless --cell or --all says otherwise


def load(
    sources: Sequence[str] | None, option: str, allow_nan: bool, notes: list[str], dims: int = 2
) -> Array:
    """Read a repeatable matrix option in the layouts of ``dims`` (its notes, such as a file
    shadowing a preset, appended to ``notes``)."""
    from convcli.matrix_io import load_stack

    if not sources:
        raise O.refuse(option, f"missing: give a matrix with {option}")
    return load_stack(list(sources), option=option, allow_nan=allow_nan, notes=notes, dims=dims)


def load_input(
    sources: Sequence[str] | None, allow_nan: bool, notes: list[str], dims: int | None
) -> tuple[Array, int]:
    """``--input`` and the dims it is read in: ``--dims`` when given, else 1 for vectors
    (SPEC §7) and 2 otherwise."""
    from convcli.matrix_io import infer_dims, load_arrays, stack_arrays

    if not sources:
        raise O.refuse("--input", "missing: give a matrix with --input")
    arrays = load_arrays(list(sources), option="--input", allow_nan=allow_nan, notes=notes)
    n = dims or infer_dims(arrays)
    return stack_arrays(arrays, list(sources), "--input", n), n


@contextmanager
def read_as_vector(given: int | None, dims: int) -> Iterator[None]:
    """When ``--dims 1`` was inferred from a flat input and the rest does not fit, the
    error says how to read the input as a one-row matrix instead."""
    try:
        yield
    except ConvError as exc:
        if given is not None or dims != 1 or exc.hint or isinstance(exc, ParameterError):
            raise
        hint = "the one-line --input was read as a 1-D signal; give --dims 2 for a 1×W matrix"
        raise type(exc)(exc.message, hint) from None


class Geometry(NamedTuple):
    """A convolution's parameters for the core: the 2-D ``params`` (1-D work in the plane,
    see :mod:`convcli.lens`), and for 3-D the per-axis ``axes`` besides."""

    dims: int
    params: P.ConvParams
    axes: CoreGeometry | None = None

    @property
    def dilation(self) -> tuple[int, ...]:
        """One dilation per axis of the dims (1-D: not the plane's pair)."""
        if self.axes is not None:
            return self.axes.dilation
        return self.params.dilation[1:] if self.dims == 1 else self.params.dilation


def conv_geometry(
    dims: int,
    stride: O.Axes | None,
    padding: O.PaddingSpec | None,
    dilation: O.Axes | None,
    groups: int | None,
    padding_mode: O.PaddingMode | None = None,
    pad_value: O.Scalar | None = None,
    flip: bool = False,
) -> Geometry:
    """The validated parameters of ``dims`` axes (a rule broken is a usage error naming its
    option)."""
    from convcli.core import Geometry as Axes3

    common: dict[str, Any] = {
        "groups": groups or 1,
        "padding_mode": padding_mode.value if padding_mode else "zeros",
        "pad_value": pad_value.value if pad_value else 0,
        "flip": flip,
    }
    if dims == 3:
        axes = Axes3.build(
            3,
            stride=stride.of(3) if stride else 1,
            padding=padding.of(3) if padding else 0,
            dilation=dilation.of(3) if dilation else 1,
        )
        return Geometry(3, P.ConvParams.build(**common), axes)
    if dims == 1:
        from convcli import lens  # it imports the tracer, which 2-D csv never needs

        params = P.ConvParams.build(
            stride=lens.axes(stride.of(1)) if stride else 1,
            padding=lens.padding(padding.of(1)) if padding else 0,
            dilation=lens.axes(dilation.of(1)) if dilation else 1,
            **common,
        )
        return Geometry(1, params)
    params = P.ConvParams.build(
        stride=stride.pair if stride else 1,
        padding=padding.value if padding else 0,
        dilation=dilation.pair if dilation else 1,
        **common,
    )
    return Geometry(2, params)


def check_stdin_once(*groups: Sequence[str] | None) -> None:
    if sum(list(g or []).count("-") for g in groups) > 1:
        raise O.refuse("-", "'-' (stdin) can be read only once")


def bias_values(bias: O.Numbers | None) -> tuple[Any, ...] | None:
    return bias.values if bias else None


def pick_cells(
    shape: tuple[int, ...],
    cells: Sequence[O.CellIndex] | None,
    *,
    every: bool,
    explain: bool,
    limited: bool,
) -> tuple[list[tuple[int, ...]], int]:
    """The cells to explain, and how many were left out (``limited``: a terminal)."""
    if cells:
        chosen: list[tuple[int, ...]] = []
        for cell in cells:
            # R,C on a multi-channel output means that cell in every channel
            at = cell.at
            expanded = [(o, *at) for o in range(shape[0])] if len(at) == 2 < len(shape) else [at]
            for one in expanded:
                if len(one) != len(shape) or any(i >= n for i, n in zip(one, shape, strict=True)):
                    size = "×".join(map(str, shape))
                    msg = f"--cell {cell.text} is outside the {size} output (indices start at 0)"
                    raise ShapeError(msg)
            chosen += expanded
        return chosen, 0
    if not (explain or every):
        return [], 0
    from convcli.trace import all_cells

    everything = list(all_cells(shape))
    if every or not limited or len(everything) <= EXPLAIN_LIMIT:
        return everything, 0
    return everything[:EXPLAIN_LIMIT], len(everything) - EXPLAIN_LIMIT


SLOW_WORK = 50_000_000  # multiply-adds (float64/int64) that take about a tenth of a second
SLOW_EXACT_WORK = 500_000  # the same for Python-int or fraction arithmetic


def computing(setup: ConvSetup | TransposeSetup, what: str) -> AbstractContextManager[None]:
    """A spinner on stderr when the work may take noticeably long (and stderr is a terminal)."""
    out_cells = 1
    for n in setup.output_shape:
        out_cells *= n
    work = out_cells * setup.weight.shape[1] * setup.weight.shape[2] * setup.weight.shape[3]
    if work < (SLOW_EXACT_WORK if setup.x.dtype == object else SLOW_WORK):
        return nullcontext()
    from convcli import render

    shape = "×".join(map(str, setup.output_shape))
    return render.busy(f"{what} {shape} ({work:,} multiply-adds)…")


def data_warnings(output: Array, lang: str) -> list[str]:
    """A warning when floats overflowed to inf or nan."""
    from convcli.numbers import count_nonfinite
    from convcli.phrases import phrase

    n = count_nonfinite(output)
    if not n:
        return []
    return [phrase(lang, "nonfinite", n=n, cells="cell" if n == 1 else "cells")]


class Explained:
    """The cells to explain for a command's options and format, and its notes; a view that
    shows no cell's sum (``arithmetic=False``, the matrix view) counts no hidden cells."""

    def __init__(
        self,
        shape: tuple[int, ...],
        cells: Sequence[O.CellIndex] | None,
        *,
        every: bool,
        explain: bool,
        form: O.Format,
        lang: str,
        arithmetic: bool = True,
    ) -> None:
        from convcli.phrases import phrase

        limited = form is O.Format.table
        self.cells, hidden = pick_cells(shape, cells, every=every, explain=explain, limited=limited)
        self.highlight = bool(cells)
        self.notes = (
            [phrase(lang, "explained_some", n=len(self.cells), total=len(self.cells) + hidden)]
            if hidden and arithmetic
            else []
        )
        if self.cells and form in (O.Format.csv, O.Format.plain):
            self.notes.append(phrase(lang, "csv_no_steps"))


def plane_cells(cells: list[O.CellIndex] | None, dims: int) -> list[O.CellIndex] | None:
    """``--cell`` checked against the dims (one index per axis, the output channel
    first if wanted); for 1-D work, in the plane it runs in (see convcli.lens)."""
    forms = {1: "C or O,C", 2: "R,C or O,R,C", 3: "D,R,C or O,D,R,C"}[dims]
    for cell in cells or ():
        if len(cell.at) not in (dims, dims + 1):
            reason = f"takes {forms} with 0-based indices, got {cell.text!r}"
            raise O.refuse("--cell", reason + ("" if dims == 2 else f" (--dims {dims})"))
    if dims != 1 or not cells:
        return cells
    from convcli import lens

    return [O.CellIndex(lens.plane_cell(c.at), c.text) for c in cells]


Traced = TypeVar("Traced")


def in_line(
    trace: Callable[[Any, Array, list[tuple[int, ...]]], list[Traced]], dims: int
) -> Callable[[Any, Array, list[tuple[int, ...]]], list[Traced]]:
    """A tracer whose cells, for 1-D work, are named without the plane's row."""
    if dims != 1:
        return trace
    from convcli import lens

    return lambda setup, output, cells: lens.named(trace(setup, output, cells))  # type: ignore[type-var]


def conv_result(
    command: str,
    setup: ConvSetup | TransposeSetup,
    run: Callable[[Any], Array],
    trace: Callable[[Any, Array, list[tuple[int, ...]]], list[Any]],
    build: Callable[[Array, list[Any], Explained, Typeset], Document],
    payload: Callable[[Array, list[Any] | None], dict[str, Any]],
    explained: Explained,
    lang: str,
) -> Result:
    """Run a prepared convolution once, trace its chosen cells, and wrap it as a result."""
    resume_collection()
    with computing(setup, command):
        output = run(setup)
    traces = trace(setup, output, explained.cells) if explained.cells else []
    return Result(
        command,
        lambda: payload(output, traces if explained.cells else None),  # built when read
        matrix=output,
        document=lambda typeset: build(output, traces, explained, typeset),
        explained=bool(explained.cells),
        notes=list(explained.notes),
        warnings=data_warnings(output, lang),
    )


def pool_setup(
    x: Any,
    window: O.Axes | None,
    stride: O.Axes | None,
    padding: O.PaddingSpec | None,
    op: O.PoolOp | O.PoolCommandOp | None,
    ceil_mode: bool,
    count_include_pad: bool | None,
    *,
    dilation: O.Axes | None = None,
    norm_type: float | None = None,
    indices: bool = False,
    dims: int = 2,
) -> PoolSetup:
    """A validated pooling of ``dims`` axes; 1-D pooling runs in the plane (convcli.lens)."""
    from convcli import lens
    from convcli.core import prepare_pool

    def per_axis(given: O.Axes | None, default: Any) -> Any:
        if given is None:
            return default
        values = given.of(dims)
        return lens.axes(values) if dims == 1 else values

    pads: Any = padding.of(dims) if padding else 0
    if dims == 1:
        x, pads = lens.plane(x), lens.padding(pads) if pads else 0
    setup = prepare_pool(
        x,
        per_axis(window, 2 if dims != 1 else (1, 2)),
        stride=per_axis(stride, None),
        padding=pads,
        dilation=per_axis(dilation, 1),
        op=op.value if op else "max",
        ceil_mode=ceil_mode,
        count_include_pad=True if count_include_pad is None else count_include_pad,
        norm_type=2 if norm_type is None else norm_type,
        return_indices=indices,
        dims=2 if dims == 1 else dims,
    )
    return replace(setup, line=True) if dims == 1 else setup
