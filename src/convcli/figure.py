"""The geometry of convolution-arithmetic figures: which cell is what at each step.

Pure data, no drawing and no I/O: :mod:`convcli.svg` and :mod:`convcli.raster` draw what
this module says. Every figure is the classic picture of a kernel sliding over a plane:

- ``conv`` and ``dilate``: the padded input; the window moves by the stride and its taps
  are ``dilation`` apart (the cells between taps are the kernel's holes);
- ``transpose``: the equivalent direct convolution, the way the convolution-arithmetic
  guide draws it: ``stride − 1`` zeros inserted between input cells (holes), ``d·(k−1) −
  p`` cells of padding around them (plus the output padding after), and the flipped
  kernel sliding with stride 1;
- ``pool``: the padded input and the pooling window (padding never wins a max or min).

1-D and 2-D work are drawn as one plane; 3-D work as depth slices. Internally every
figure has three axes (depth, rows, columns); 1-D work has one row and 2-D one slice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from convcli.errors import ConvError, ParameterError

Kind = Literal["input", "padding", "hole"]
Triple = tuple[int, int, int]
OPERATIONS = ("conv", "transpose", "dilate", "pool")
POOL_OPS = ("max", "avg", "min")
MAX_SIDE = 40  # cells on one axis of the plane a figure draws
MAX_STEPS = 1024  # steps (output cells) a figure draws


@dataclass(frozen=True)
class Plan:
    """What a figure shows, independent of any step.

    ``kinds`` and ``values`` are indexed ``[depth][row][column]`` over the plane the window
    slides over; ``values`` is None for a figure drawn from sizes. ``weights`` are the
    kernel's values as applied (flipped for a transposed convolution's direct view).
    """

    operation: str
    dims: int
    kinds: tuple[tuple[tuple[Kind, ...], ...], ...]
    values: tuple[tuple[tuple[Any, ...], ...], ...] | None
    kernel: Triple
    dilation: Triple
    stride: Triple  # how far the window moves per output cell
    output: Triple
    weights: tuple[tuple[tuple[Any, ...], ...], ...] | None
    pool: str = "max"
    input_shape: tuple[int, ...] = ()
    padding: tuple[int, ...] = ()  # (before, after) per spatial axis, as given

    @property
    def plane(self) -> Triple:
        return (len(self.kinds), len(self.kinds[0]), len(self.kinds[0][0]))

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The output's spatial shape in the work's own axes (1, 2 or 3 entries)."""
        return self.output[3 - self.dims :]

    def count(self, kind: Kind) -> int:
        return sum(row.count(kind) for plane in self.kinds for row in plane)


@dataclass(frozen=True)
class Step:
    """One output cell: where the window's taps are, the gaps between them, the terms."""

    index: int
    cell: Triple
    taps: tuple[Triple, ...]  # plane cells under the kernel's taps, in kernel order
    gaps: tuple[Triple, ...]  # plane cells inside the footprint that no tap reads
    terms: tuple[tuple[Any, Any], ...] | None  # (x, w) per tap; pool: (x, None)
    value: Any = None

    def label(self, dims: int) -> str:
        """The output cell as the commands name it: ``r,c`` (``c`` in 1-D, ``d,r,c`` in 3-D)."""
        return ",".join(str(v) for v in self.cell[3 - dims :])


def _triple(values: Sequence[int], fill: int) -> Triple:
    full = (fill,) * (3 - len(values)) + tuple(values)
    return (full[0], full[1], full[2])


def _nested(array: Any, dims: int) -> list[list[list[Any]]]:
    """An array of ``dims`` axes as nested lists of three axes."""
    data = array.tolist() if hasattr(array, "tolist") else array
    if dims == 1:
        return [[list(data)]]
    if dims == 2:
        return [[list(row) for row in data]]
    return [[list(row) for row in plane] for plane in data]


def _shape(nested: list[list[list[Any]]]) -> Triple:
    return (len(nested), len(nested[0]), len(nested[0][0]))


def plan(
    operation: str,
    dims: int,
    *,
    size: Sequence[int] | None = None,
    kernel_size: Sequence[int] | None = None,
    x: Any = None,
    weights: Any = None,
    stride: Sequence[int] | None = None,
    padding: Sequence[int] = (),
    dilation: Sequence[int] | None = None,
    output_padding: Sequence[int] | None = None,
    pool: str = "max",
) -> Plan:
    """The figure of one layer, from sizes (``size``, ``kernel_size``) or from matrices
    (``x``, and ``weights`` except for pooling). ``padding`` is (before, after) per axis,
    already resolved; sequences have one entry per spatial axis."""
    if operation not in OPERATIONS:
        msg = f"unknown figure {operation!r}: use one of {', '.join(OPERATIONS)}"
        raise ParameterError(msg)
    values = _nested(x, dims) if x is not None else None
    shape = _shape(values) if values is not None else _triple(size or (), 1)
    kernel_values = _nested(weights, dims) if weights is not None else None
    k = _shape(kernel_values) if kernel_values is not None else _triple(kernel_size or (), 1)
    s = _triple(stride or (), 1)
    d = _triple(dilation or (), 1)
    pads = tuple(padding) or (0,) * (2 * dims)
    before = _triple(pads[0::2], 0)
    after = _triple(pads[1::2], 0)
    if operation == "transpose":
        return _transpose_plan(
            dims, shape, values, k, kernel_values, s, d, before, after,
            _triple(output_padding or (), 0), pads,
        )  # fmt: skip
    kinds: list[list[list[Kind]]] = []
    plane_values: list[list[list[Any]]] = []
    sides = tuple(before[a] + shape[a] + after[a] for a in range(3))
    for z in range(sides[0]):
        kinds.append([])
        plane_values.append([])
        for y in range(sides[1]):
            row_kinds: list[Kind] = []
            row_values: list[Any] = []
            for c in range(sides[2]):
                at = (z - before[0], y - before[1], c - before[2])
                inside = all(0 <= at[a] < shape[a] for a in range(3))
                row_kinds.append("input" if inside else "padding")
                row_values.append(values[at[0]][at[1]][at[2]] if inside and values else 0)
            kinds[-1].append(row_kinds)
            plane_values[-1].append(row_values)
    output = tuple((sides[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(3))
    return _checked(
        Plan(
            operation, dims, _freeze(kinds), _freeze(plane_values) if values else None,
            k, d, s, _triple(output, 1), _freeze(kernel_values) if kernel_values else None,
            pool, shape[3 - dims :], pads,
        )
    )  # fmt: skip


def _transpose_plan(
    dims: int,
    shape: Triple,
    values: list[list[list[Any]]] | None,
    k: Triple,
    kernel_values: list[list[list[Any]]] | None,
    s: Triple,
    d: Triple,
    before: Triple,
    after: Triple,
    extra: Triple,
    pads: tuple[int, ...],
) -> Plan:
    """A transposed convolution as the direct one: zeros inserted, padded, kernel flipped."""
    border = tuple(d[a] * (k[a] - 1) for a in range(3))
    lead = tuple(border[a] - before[a] for a in range(3))
    tail = tuple(border[a] - after[a] + extra[a] for a in range(3))
    if min(lead) < 0 or min(tail) < 0:
        msg = (
            "the figure draws a transposed convolution as the direct one, which pads by "
            "d·(k−1) − padding: padding above d·(k−1) crops instead, and is not drawn"
        )
        raise ConvError(msg)
    spread = tuple((shape[a] - 1) * s[a] + 1 for a in range(3))
    sides = tuple(lead[a] + spread[a] + tail[a] for a in range(3))
    kinds: list[list[list[Kind]]] = []
    plane_values: list[list[list[Any]]] = []
    for z in range(sides[0]):
        kinds.append([])
        plane_values.append([])
        for y in range(sides[1]):
            row_kinds: list[Kind] = []
            row_values: list[Any] = []
            for c in range(sides[2]):
                at = (z - lead[0], y - lead[1], c - lead[2])
                if not all(0 <= at[a] < spread[a] for a in range(3)):
                    row_kinds.append("padding")
                    row_values.append(0)
                elif any(at[a] % s[a] for a in range(3)):
                    row_kinds.append("hole")
                    row_values.append(0)
                else:
                    row_kinds.append("input")
                    source = tuple(at[a] // s[a] for a in range(3))
                    row_values.append(values[source[0]][source[1]][source[2]] if values else 0)
            kinds[-1].append(row_kinds)
            plane_values[-1].append(row_values)
    flipped = None
    if kernel_values is not None:
        flipped = [[row[::-1] for row in plane[::-1]] for plane in kernel_values[::-1]]
    output = tuple(sides[a] - d[a] * (k[a] - 1) for a in range(3))
    return _checked(
        Plan(
            "transpose", dims, _freeze(kinds), _freeze(plane_values) if values else None,
            k, d, (1, 1, 1), _triple(output, 1), _freeze(flipped) if flipped else None,
            "max", shape[3 - dims :], pads,
        )
    )  # fmt: skip


def _freeze(nested: list[list[list[Any]]]) -> tuple[tuple[tuple[Any, ...], ...], ...]:
    return tuple(tuple(tuple(row) for row in plane) for plane in nested)


def _checked(figure: Plan) -> Plan:
    """Refuse what cannot be drawn legibly (or at all)."""
    if min(figure.output) < 1:
        msg = (
            f"the kernel's footprint is larger than the padded input "
            f"({'×'.join(map(str, figure.plane[3 - figure.dims :]))}): no output cell to draw"
        )
        raise ConvError(msg)
    if max(figure.plane) > MAX_SIDE:
        msg = f"a figure draws planes of up to {MAX_SIDE} cells a side, not {max(figure.plane)}"
        raise ConvError(msg, hint="use small sizes: figures are for teaching the arithmetic")
    steps = figure.output[0] * figure.output[1] * figure.output[2]
    if steps > MAX_STEPS:
        msg = f"a figure draws up to {MAX_STEPS} steps (output cells), not {steps}"
        raise ConvError(msg, hint="use a larger stride or smaller sizes")
    return figure


def cells(figure: Plan) -> Iterator[Triple]:
    """Every output cell, in reading order (depth, row, column)."""
    for cell in itertools.product(*(range(n) for n in figure.output)):
        yield (cell[0], cell[1], cell[2])


def step(figure: Plan, cell: Triple, index: int = 0) -> Step:
    """The window over the plane for one output cell.

    The window of output cell (r, c) covers plane rows r·s … r·s + d·(k−1) (and the same
    for columns and depth); its taps are the cells ``d`` apart from the first.
    """
    for a in range(3):
        if not 0 <= cell[a] < figure.output[a]:
            shown = ",".join(map(str, cell[3 - figure.dims :]))
            size = "×".join(map(str, figure.output_shape))
            msg = f"--cell {shown} is outside the {size} output"
            raise ParameterError(msg, option="--cell")
    origin = tuple(cell[a] * figure.stride[a] for a in range(3))
    offsets = list(itertools.product(*(range(n) for n in figure.kernel)))
    taps = tuple(
        (
            origin[0] + o[0] * figure.dilation[0],
            origin[1] + o[1] * figure.dilation[1],
            origin[2] + o[2] * figure.dilation[2],
        )
        for o in offsets
    )
    span = [range(origin[a], origin[a] + figure.dilation[a] * (figure.kernel[a] - 1) + 1)
            for a in range(3)]  # fmt: skip
    tapped = set(taps)
    gaps = tuple((z, y, x) for z, y, x in itertools.product(*span) if (z, y, x) not in tapped)
    terms = None
    value = None
    if figure.values is not None:
        xs = [figure.values[z][y][x] for z, y, x in taps]
        if figure.operation == "pool":
            terms = tuple((v, None) for v in xs)
            value = _pool_value(figure, taps, xs)
        elif figure.weights is not None:
            ws = [figure.weights[o[0]][o[1]][o[2]] for o in offsets]
            terms = tuple(zip(xs, ws, strict=True))
            value = sum((x * w for x, w in terms), start=0)
    return Step(index, cell, taps, gaps, terms, value)


def steps(figure: Plan) -> list[Step]:
    return [step(figure, cell, index) for index, cell in enumerate(cells(figure))]


def _pool_value(figure: Plan, taps: Sequence[Triple], xs: Sequence[Any]) -> Any:
    """PyTorch's pools: padding never wins a max or min, and counts in an average."""
    real = [x for (z, y, c), x in zip(taps, xs, strict=True) if figure.kinds[z][y][c] == "input"]
    if figure.pool == "max":
        return max(real)
    if figure.pool == "min":
        return min(real)
    total = sum(xs, start=0)
    if isinstance(total, float):
        return total / len(xs)
    mean = Fraction(total) / len(xs)
    return mean.numerator if mean.denominator == 1 else mean
