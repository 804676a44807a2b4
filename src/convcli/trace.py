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

import itertools
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
    tap: tuple[int, ...]  # (i, j) in 2-D; one index per spatial axis
    position: tuple[int, ...]
    source: tuple[int, ...] | None
    x: Number
    w: Number


@dataclass(frozen=True)
class CellTrace:
    """The terms of one output cell, the bias, and the value the core computed."""

    cell: tuple[int, ...]  # (r, c) for a 2-D result, (o, r, c) for a 3-D one
    terms: tuple[Term, ...]
    bias: Number | None
    value: Number
    name: tuple[int, ...] | None = None  # how the user counts the cell, when not ``cell``

    @property
    def label(self) -> tuple[int, ...]:
        return self.cell if self.name is None else self.name

    def channel_sums(self) -> list[tuple[int, Number]]:
        """Per input channel, the sum of its terms (in channel order)."""
        sums: dict[int, Number] = {}
        for term in self.terms:
            sums[term.channel] = sums.get(term.channel, 0) + term.x * term.w
        return list(sums.items())


def all_cells(shape: Sequence[int]) -> Iterable[tuple[int, ...]]:
    """Every cell index of an output shape, in row-major order."""
    return itertools.product(*(range(n) for n in shape))


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


def trace_nd(
    setup: ConvSetup | TransposeSetup, output: Array, cells: Iterable[tuple[int, ...]]
) -> list[CellTrace]:
    """The terms of each requested cell of a convolution or transposed convolution with
    any number of spatial axes (3-D work; the 2-D tracers above keep the order of the
    lessons). Cells are (o, *spatial), or spatial only when the output has no channels."""
    n = setup.ndim
    before = setup.pads[0::2]
    sizes = setup.x.shape[1:]
    groups = setup.params.groups
    transposed = isinstance(setup, TransposeSetup)
    per_in = setup.x.shape[0] // groups
    per_out = setup.weight.shape[1] if transposed else setup.weight.shape[0] // groups
    taps = list(itertools.product(*(range(k) for k in setup.weight.shape[2:])))
    padded = None if transposed else setup.padded_input()  # type: ignore[union-attr]
    traces = []
    for cell in cells:
        o, at = (cell[0], cell[1:]) if len(cell) > n else (0, cell)
        first = (o // per_out) * per_in
        terms = []
        for ci in range(first, first + per_in):
            for tap in taps:
                if transposed:
                    axes = zip(at, before, tap, setup.dilation, setup.stride, strict=True)
                    spot = [divmod(r + p - i * d, s) for r, p, i, d, s in axes]
                    if any(rest for _, rest in spot):
                        continue
                    source = tuple(a for a, _ in spot)
                    if not all(0 <= a < size for a, size in zip(source, sizes, strict=True)):
                        continue
                    w = setup.weight[(ci, o % per_out, *tap)]
                    x = setup.x[(ci, *source)]
                    terms.append(Term(ci, tap, source, source, _py(x), _py(w)))
                    continue
                assert padded is not None
                steps = zip(at, setup.stride, tap, setup.dilation, strict=True)
                position = tuple(r * s + i * d for r, s, i, d in steps)
                inner = tuple(q - p for q, p in zip(position, before, strict=True))
                inside = all(0 <= q < size for q, size in zip(inner, sizes, strict=True))
                w = setup.weight[(o, ci - first, *tap)]
                terms.append(
                    Term(ci, tap, position, inner if inside else None,
                         _py(padded[(ci, *position)]), _py(w))
                )  # fmt: skip
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
    positions: tuple[tuple[int, ...], ...]  # in the unpadded input (may be outside it)
    divisor: int
    value: Number
    name: tuple[int, ...] | None = None  # as CellTrace's

    @property
    def label(self) -> tuple[int, ...]:
        return self.cell if self.name is None else self.name


def trace_pool(
    setup: PoolSetup, output: Array, cells: Iterable[tuple[int, ...]]
) -> list[PoolTrace]:
    """The window of each requested pooled cell (PyTorch's window and divisor rules): its
    taps (every d-th cell with a dilation) on the padded input; the cells past the padding
    after the input, which ceil_mode's last window may cover, are left out. Any number of
    spatial axes; a cell is (channel, *spatial), or spatial only without channels."""
    axes = setup.axes
    sizes = setup.x.shape[1:]
    ends = [size + a.pad_after for size, a in zip(sizes, axes, strict=True)]
    traces = []
    for cell in cells:
        channel, at = (cell[0], cell[1:]) if len(cell) > len(axes) else (0, cell)
        starts = [r * a.stride - a.pad_before for r, a in zip(at, axes, strict=True)]
        spans = [
            [start + i * a.dilation for i in range(a.kernel) if start + i * a.dilation < end]
            for start, a, end in zip(starts, axes, ends, strict=True)
        ]
        positions = tuple(itertools.product(*spans))
        values = tuple(
            _py(setup.x[(channel, *spot)])
            if all(0 <= q < size for q, size in zip(spot, sizes, strict=True))
            else None
            for spot in positions
        )
        real = sum(v is not None for v in values)
        divisor = len(positions) if setup.count_include_pad else real
        traces.append(PoolTrace(cell, values, positions, divisor, _py(output[cell])))
    return traces
