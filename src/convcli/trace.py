"""The arithmetic of each output cell, as data: which input cell meets which kernel tap.

Traces are read off a result already computed (the output is passed in, never
recomputed) and the setup's padded input, which is built once.

>>> from convcli.core import prepare_conv, run_conv
>>> from convcli.params import ConvParams
>>> setup = prepare_conv([[1, 2], [3, 4]], [[1, -1]], params=ConvParams.build(padding=(0, 0, 0, 1)))
>>> [(t.x, t.w, t.source) for t in trace_conv(setup, run_conv(setup), [(0, 1)])[0].terms]
[(2, 1, (0, 1)), (0, -1, None)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from convcli.core import ConvSetup, PoolSetup, TransposeSetup
from convcli.numbers import Array, Number


@dataclass(frozen=True)
class Term:
    """One product x·w: input channel, kernel tap, and where x sits.

    ``position`` is in the padded (or, for a transposed convolution, output) grid;
    ``source`` is the original input cell, ``None`` when x is a padding cell.
    """

    channel: int
    tap: tuple[int, int]
    position: tuple[int, int]
    source: tuple[int, int] | None
    x: Number
    w: Number


@dataclass(frozen=True)
class CellTrace:
    """The terms of one output cell, the bias, and the value the core computed."""

    cell: tuple[int, ...]  # (r, c) for a 2-D result, (o, r, c) for a 3-D one
    terms: tuple[Term, ...]
    bias: Number | None
    value: Number

    def channel_sums(self) -> list[tuple[int, Number]]:
        """Per input channel, the sum of its terms (in channel order)."""
        sums: dict[int, Number] = {}
        for term in self.terms:
            sums[term.channel] = sums.get(term.channel, 0) + term.x * term.w
        return list(sums.items())


def all_cells(shape: Sequence[int]) -> Iterable[tuple[int, ...]]:
    """Every cell index of an output shape, in row-major order."""
    if len(shape) == 2:
        return ((r, c) for r in range(shape[0]) for c in range(shape[1]))
    return ((o, r, c) for o in range(shape[0]) for r in range(shape[1]) for c in range(shape[2]))


def _split(cell: tuple[int, ...]) -> tuple[int, int, int]:
    return (0, cell[0], cell[1]) if len(cell) == 2 else (cell[0], cell[1], cell[2])


def conv_window(setup: ConvSetup, cell: tuple[int, ...]) -> list[tuple[int, int]]:
    """The padded-input positions the kernel taps of ``cell`` read, tap by tap."""
    _, r, c = _split(cell)
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
    kh, kw = setup.weight.shape[-2:]
    return [(r * sh + i * dh, c * sw + j * dw) for i in range(kh) for j in range(kw)]


def trace_conv(
    setup: ConvSetup, output: Array, cells: Iterable[tuple[int, ...]]
) -> list[CellTrace]:
    """The terms of each requested cell of a computed convolution (``output``)."""
    padded = setup.padded_input()
    top, _, left, _ = setup.pads
    height, width = setup.x.shape[-2:]
    per_group_in = setup.x.shape[0] // setup.params.groups
    per_group_out = setup.weight.shape[0] // setup.params.groups
    traces = []
    for cell in cells:
        o, _, _ = _split(cell)
        first = (o // per_group_out) * per_group_in
        terms = []
        for ci in range(per_group_in):
            for (i, j), (pr, pc) in zip(_taps(setup), conv_window(setup, cell), strict=True):
                inside = 0 <= pr - top < height and 0 <= pc - left < width
                source = (pr - top, pc - left) if inside else None
                x = padded[first + ci, pr, pc]
                terms.append(
                    Term(
                        first + ci, (i, j), (pr, pc), source, _py(x), _py(setup.weight[o, ci, i, j])
                    )
                )
        bias = setup.bias[o] if setup.bias is not None else None
        traces.append(CellTrace(cell, tuple(terms), bias, _py(output[cell])))
    return traces


def trace_transpose(
    setup: TransposeSetup, output: Array, cells: Iterable[tuple[int, ...]]
) -> list[CellTrace]:
    """For each output cell of a transposed convolution, the input cells scattered into it.

    Output cell (r, c) receives x[ci, a, b]·w[ci, o, i, j] whenever
    a·s + i·d − pad_top = r and b·s + j·d − pad_left = c.
    """
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
    top, _, left, _ = setup.pads
    height, width = setup.x.shape[-2:]
    groups = setup.params.groups
    per_group_in, per_group_out = setup.x.shape[0] // groups, setup.weight.shape[1]
    traces = []
    for cell in cells:
        o, r, c = _split(cell)
        first = (o // per_group_out) * per_group_in
        terms = []
        for ci in range(first, first + per_group_in):
            for i, j in _taps(setup):
                a, rest_r = divmod(r + top - i * dh, sh)
                b, rest_c = divmod(c + left - j * dw, sw)
                if rest_r or rest_c or not (0 <= a < height and 0 <= b < width):
                    continue
                w = setup.weight[ci, o % per_group_out, i, j]
                terms.append(Term(ci, (i, j), (a, b), (a, b), _py(setup.x[ci, a, b]), _py(w)))
        bias = setup.bias[o] if setup.bias is not None else None
        traces.append(CellTrace(cell, tuple(terms), bias, _py(output[cell])))
    return traces


def _taps(setup: ConvSetup | TransposeSetup) -> list[tuple[int, int]]:
    kh, kw = setup.weight.shape[-2:]
    return [(i, j) for i in range(kh) for j in range(kw)]


def _py(value: object) -> Number:
    """A numpy scalar as the Python number it holds (ints stay ints)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value  # type: ignore[return-value]


@dataclass(frozen=True)
class PoolTrace:
    """One pooling window: its cells (``None`` for padding), the divisor, the result."""

    cell: tuple[int, ...]
    values: tuple[Number | None, ...]
    positions: tuple[tuple[int, int], ...]  # in the unpadded input (may be outside it)
    divisor: int
    value: Number


def trace_pool(
    setup: PoolSetup, output: Array, cells: Iterable[tuple[int, ...]]
) -> list[PoolTrace]:
    """The window of each requested pooled cell (PyTorch's window and divisor rules): its
    taps (every d-th cell with a dilation) on the padded input; the cells past the padding
    after the input, which ceil_mode's last window may cover, are left out."""
    rows, cols = setup.rows, setup.cols
    height, width = setup.x.shape[-2:]
    dh, dw = rows.dilation, cols.dilation
    end_h, end_w = height + rows.pad_after, width + cols.pad_after
    traces = []
    for cell in cells:
        channel, r, c = _split(cell)
        top, left = r * rows.stride - rows.pad_before, c * cols.stride - cols.pad_before
        positions = tuple(
            (top + i * dh, left + j * dw)
            for i in range(rows.kernel)
            for j in range(cols.kernel)
            if top + i * dh < end_h and left + j * dw < end_w
        )
        values = tuple(
            _py(setup.x[channel, a, b]) if 0 <= a < height and 0 <= b < width else None
            for a, b in positions
        )
        real = sum(v is not None for v in values)
        divisor = len(positions) if setup.count_include_pad else real
        traces.append(PoolTrace(cell, values, positions, divisor, _py(output[cell])))
    return traces
