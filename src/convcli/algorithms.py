"""The fast algorithms behind :mod:`convcli.core`: numpy only (``numpy.fft``, BLAS matmul).

Every strided, dilated, grouped or transposed convolution is first rewritten as
*shifts*: a sum of stride-1 correlations over images stored row after row
(:class:`Shifts`). Output cell (r, c) of one group is

    Σ over taps t of  weight_t[O][C] · flat[image_t][C][offset_t + r·width + c]

so every tap reads one contiguous run of memory, whatever the stride or dilation:

* stride s: the padded input is split into s_h·s_w *phases* ``x[p::s_h, q::s_w]`` and
  each tap reads the phase its offset falls in, so no stride-1 result is computed
  and thrown away (phases no tap reads are never built);
* dilation d: only the offsets grow (i·d, j·d); nothing is materialised;
* transposed: each output phase ``y[p::s_h, q::s_w]`` is a stride-1 correlation of the
  zero-extended input with the taps that land in it (gather instead of scatter).

A row of the flat grid has ``width`` ≥ ``out_w`` cells; the few cells past ``out_w``
wrap into the next row and are computed and dropped (≤ (k−1)/width of the work).

The same holds for any number N of spatial axes: a tap (i₁, …, i_N) is one flat offset
Σ iₐ·dₐ·(cells per step of axis a), phases are taken per axis, and for the direct
methods the grid is 2-D whatever N: a 1-D signal is one row, a 3-D volume its depth
slices unrolled one under the other (the (k_h − 1)·d_h rows between two slices are
computed and dropped, as the wrap-around cells; tiles are whole depth slices, written
straight into the volume). The FFT works on the N axes themselves (``rfftn``).

Methods (the cost model :func:`choose` picks one; ``method=`` forces it):

* ``blocked``: im2col of a tile of the grid into a buffer of about :data:`TILE_BYTES`
  (cache sized, so an im2col never exceeds it whatever the image), then BLAS matmuls
  small enough to stay on the calling thread (:func:`blas_blocks`), in float64; with
  many output channels times taps·channels (:func:`wide`) one large matmul per tile,
  which OpenBLAS runs on all cores.
  Integers take it too when max|x|·max|w|·taps ≤ 2**53: then every product and every
  partial sum is an integer of at most 2**53, exactly representable, so float64
  arithmetic in any order (FMA included) is exact and the result is cast back.
* ``einsum``: the same tiles without an im2col: one ``numpy.einsum`` over a strided
  window view per tile and output channel, whose inner loop is a fused multiply-add
  along the grid (3 memory streams per tap instead of 5 for multiply-then-add). The
  choice for few output channels and taps. Integers: a tile whose own bound is within
  2**53 is cast to float64 on the way (exact, as above, and faster than numpy's int64
  loops); any other tile is summed in int64, exact because ``prepare_conv`` already
  proved that no partial sum leaves int64.
* ``banded``: each run of taps along the last kernel axis is a banded (Toeplitz)
  matrix, so rows of the flat input (reshaped views, no im2col) times it are BLAS
  matmuls; BLAS computes the band's zeros too, which its speed repays for long runs
  (a 1-D signal with tens of taps). Integers as ``blocked`` (float64 within 2**53).
* ``fft``: overlap-save blocks with ``numpy.fft.rfftn`` over the N spatial axes for
  large float kernels; only for finite float64 data. Its error is below
  ``FFT_RTOL · max|x| · Σ|w|`` per cell (observed ~1e-15 of that scale; see
  ``benchmarks/README.md``).
* ``taps``: the plain per-tap loop in the array's own dtype: object arrays (Python
  ints, Fractions), exact whatever the sizes, and the oracle of the others.

Tiles are independent, so they run on a small thread pool (numpy and BLAS release the
GIL); each tile is computed the same way whatever the number of threads, so results do
not depend on it. ``CONVCLI_THREADS`` sets the pool size (default 1: see
:func:`workers` for why).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcli.numbers import Array, max_abs

EXACT_FLOAT_BOUND = 2**53  # integers up to this are exact in float64
TILE_BYTES = 1 << 20  # the im2col buffer of one tile: fits the 1-2 MiB L2 of a core
MIN_TILE = 256  # grid cells per tile at least (many-channel tiles stay near TILE_BYTES)
BLAS_SINGLE_MACS = 1 << 18  # multiply-adds per matmul call (OpenBLAS stays on one thread)
WIDE_PRODUCT = 1 << 15  # output channels × im2col rows from which a tile is one wide matmul
WIDE_MACS = 1 << 28  # multiply-adds of one wide matmul (OpenBLAS threads it)
WIDE_TILE_BYTES = 1 << 25  # the im2col buffer of one wide tile at most
MIN_COLUMNS = 128  # columns per matmul call at least
MIN_OUTPUTS = 4  # output channels per matmul call at least
MIN_ROWS = 16  # im2col rows per matmul call at least
FFT_RTOL = 1e-10  # the guaranteed FFT error, relative to max|x|·Σ|w|
FFT_SAFE_SCALE = 1e290  # above this max|x|·Σ|w| an FFT could overflow: go direct
FFT_SPECTRA_BYTES = 1 << 29  # the kernel spectra of one FFT plan at most (512 MiB)
FFT_MIN_CELLS = 64 * 64  # smaller outputs never take the FFT (it would gain nothing)
FFT_MARGIN = 0.8  # the FFT must be estimated this much faster: direct is more accurate
BAND_MIN = 8  # the narrowest rows of the banded method (narrower: BLAS runs poorly)
EINSUM_TILE = 1 << 15  # grid cells per einsum call: its output tile stays in L2
TINY_MACS = 50_000  # below this many multiply-adds the plain taps loop is quickest
PARALLEL_MIN_NS = 5e6  # estimated work below this runs on the calling thread alone
POOL_STRIP_BYTES = 1 << 21  # the input rows of one pooling strip
POOL_PARALLEL_BYTES = 1 << 24  # smaller pooling inputs run on the calling thread alone
DOUBLING_MIN = 6  # stride-1 pooling windows from this size reduce by doubling
TILING_REDUCE_MIN = 8  # integer sums of tiling windows from this size reduce a view
SAMPLED_STRIDE = 4  # single-channel 2-D strides from this size read the input in place
METHODS = ("blocked", "einsum", "banded", "fft", "taps")
FORCED: str | None = None  # tests set one of METHODS to force it wherever it is exact

# The cost model, in nanoseconds, measured on the reference machine (2-core AMD EPYC,
# numpy 2.4 with OpenBLAS 0.3.31; `python benchmarks/bench.py --calibrate` refits it):
# per grid cell of the blocked method, its fixed part, one im2col row copied and read
# by gemv, and one multiply-add per further output channel; per FFT block, one unit of
# n·log2(n) of a real 2-D transform and one complex multiply-add of spectra; the
# Python overhead of one tile and of one matmul call; the fixed cost of an FFT plan;
# per grid cell of the einsum method, its fixed part and one tap of one channel; per
# grid cell of the banded method, one multiply-add of a banded matrix (BLAS counts the
# zeros of the band too), one pass adding a further line's product, and its fixed part;
# per tile of the banded method, the matmul calls of one line and output; per line, the
# making of its banded matrices.
CELL_NS = 1.3
ROW_NS = 0.38
MAC_NS = 0.05
EINSUM_CELL_NS = 2.0
EINSUM_NS = 0.25
FFT_NS = 0.6
CMUL_NS = 1.5
TILE_NS = 20_000.0
FFT_FIXED_NS = 500_000.0
CALL_NS = 3_000.0
BAND_MAC_NS = 0.055
BAND_PASS_NS = 1.3
BAND_CELL_NS = 1.0
BAND_CALL_NS = 5_000.0
BAND_LINE_NS = 20_000.0
WIDE_FACTOR = 0.5  # wide tiles (measured 0.40-0.56 of the per-cell model: two cores)
INT_FACTOR = {"blocked": 1.3, "einsum": 1.3, "banded": 1.3}  # integer data: the casts to float64

_T = TypeVar("_T")
Chunk = tuple[int, int, int, int]  # a tile of the grid: first row, rows, first column, columns


@dataclass(frozen=True)
class Block:
    """Taps on a regular grid of one image: tap (i₁, …, i_N) reads from flat offset
    ``offset + Σ iₐ·steps[a]``, with weights ``weight[:, :, i₁, …, i_N]`` ([O][C])."""

    image: int
    offset: int
    steps: tuple[int, ...]  # the flat step of each kernel axis
    weight: Array  # [O][C][k₁]…[k_N]

    def offsets(self) -> list[tuple[tuple[int, ...], int]]:
        """(tap index, flat offset) of every tap."""
        return [
            (index, self.offset + sum(i * step for i, step in zip(index, self.steps, strict=True)))
            for index in np.ndindex(*self.weight.shape[2:])
        ]

    def window(self, flat: Array, start: int, n: int) -> Array:
        """The im2col rows of this block for grid cells [start, start + n), as a view
        [C][k₁]…[k_N][n] (in bounds: :class:`Shifts` checks the last cell read)."""
        base = flat[self.image, :, start + self.offset :]
        step = flat.itemsize
        shape = (*self.weight.shape[1:], n)
        strides = (base.strides[0], *(s * step for s in self.steps), step)
        return as_strided(base, shape=shape, strides=strides, writeable=False)

    def tap(self, index: tuple[int, ...]) -> Array:
        """The [O][C] weights of one tap."""
        tap: Array = self.weight[at(slice(None), slice(None), *index)]
        return tap


@dataclass(frozen=True)
class Line:
    """Taps ``weight[:, j]`` ([O][k]) reading flat cells ``base + j·step`` of one channel
    of one image: a 1-D correlation at an offset, i.e. a banded matrix product."""

    image: int
    channel: int
    base: int
    step: int
    weight: Array  # [O][k]

    @property
    def reach(self) -> int:
        return (int(self.weight.shape[1]) - 1) * self.step

    def bands(self, band: int) -> tuple[Array, Array]:
        """([O][band][band], [O][reach][band]): output j of a row of ``band`` cells is
        ``row·bands[0][:, j] + next_row[:reach]·bands[1][:, j]`` (Toeplitz, split where
        the taps cross into the next row)."""
        outputs = int(self.weight.shape[0])
        near = np.zeros((outputs, band, band))
        far = np.zeros((outputs, self.reach, band))
        taps, cols = np.indices((int(self.weight.shape[1]), band)).reshape(2, -1)
        cells = cols + taps * self.step  # distinct per tap: one assignment per part
        inside = cells < band
        near[:, cells[inside], cols[inside]] = self.weight[:, taps[inside]]
        far[:, cells[~inside] - band, cols[~inside]] = self.weight[:, taps[~inside]]
        return near, far


@dataclass(frozen=True)
class Shifts:
    """A stride-1 correlation over flat images: see the module docstring."""

    flat: Array  # [P][C][cells], C-contiguous
    width: int
    blocks: tuple[Block, ...]
    out_h: int  # rows of the grid computed (N-D: the leading axes unrolled, see grid_rows)
    out_w: int
    shape: tuple[int, ...] = ()  # N-D: the image of each phase (its last axis is `width`)
    out_shape: tuple[int, ...] = ()  # N-D: the output (() for a plain 2-D grid)

    def __post_init__(self) -> None:
        # every window of every tile stays inside ``flat``: as_strided does not check it
        last = (self.out_h - 1) * self.width + self.out_w - 1 + self.reach
        if self.blocks and last >= self.flat.shape[2]:  # a bug, never the user's input
            msg = f"internal: shifts read cell {last} of {self.flat.shape[2]}"
            raise ValueError(msg)

    @functools.cached_property
    def reach(self) -> int:
        """The largest tap offset."""
        return max((off for block in self.blocks for _, off in block.offsets()), default=0)

    @property
    def outputs(self) -> int:
        return int(self.blocks[0].weight.shape[0])

    @property
    def channels(self) -> int:
        return int(self.flat.shape[1])

    @property
    def rows(self) -> int:
        """Rows of the im2col matrix: taps × channels."""
        return sum(int(np.prod(b.weight.shape[1:])) for b in self.blocks)

    @property
    def dims(self) -> tuple[int, ...]:
        """The N-D image of each plane (a plain 2-D grid: its rows of ``width``)."""
        return self.shape or (int(self.flat.shape[2]) // self.width, self.width)

    @property
    def out_dims(self) -> tuple[int, ...]:
        """The N-D output (a plain 2-D grid: out_h × out_w)."""
        return self.out_shape or (self.out_h, self.out_w)

    @functools.cached_property
    def extent(self) -> tuple[int, ...]:
        """Cells the taps span along each of the N spatial axes (the dense kernel of an
        N-D FFT)."""
        # a block's taps step forwards along each axis (steps ≥ 0, no carry between
        # axes), so its last tap is the farthest on every axis
        cells = flat_strides(self.dims)
        far = [0] * len(cells)
        for b in self.blocks:
            rest = b.offset + sum(
                (k - 1) * step for k, step in zip(b.weight.shape[2:], b.steps, strict=True)
            )
            for a, size in enumerate(cells):
                index, rest = divmod(rest, size)
                far[a] = max(far[a], index)
        return tuple(m + 1 for m in far)

    @property
    def line_count(self) -> int:
        """How many :attr:`lines` there are (without building them)."""
        return sum(math.prod(b.weight.shape[2:-1]) for b in self.blocks) * self.channels

    @property
    def line_reach(self) -> int:
        """The longest reach of a line, in cells."""
        return max((int(b.weight.shape[-1]) - 1) * b.steps[-1] for b in self.blocks)

    @functools.cached_property
    def lines(self) -> list[Line]:
        """Every run of taps along the last kernel axis, per image and channel: the
        banded matrices of :func:`_banded_worker`."""
        found = []
        for b in self.blocks:
            step = b.steps[-1] if b.steps else 0
            for lead in np.ndindex(*b.weight.shape[2:-1]):
                base = b.offset + sum(i * s for i, s in zip(lead, b.steps[:-1], strict=True))
                taps = b.weight[at(slice(None), slice(None), *lead)]  # [O][C][k_last]
                for c in range(self.channels):
                    found.append(Line(b.image, c, base, step, taps[:, c]))
        return found

    def matrix(self) -> Array:
        """The weights as [O][rows], in the order of the im2col rows (float64)."""
        return self._matrix

    @functools.cached_property
    def _matrix(self) -> Array:
        parts = [b.weight.reshape(b.weight.shape[0], -1) for b in self.blocks]
        if len(parts) == 1:  # a view when it can be: deep layers' weights are large
            return np.ascontiguousarray(parts[0], dtype=np.float64)
        return np.concatenate(parts, axis=1).astype(np.float64, copy=False)


# --- building shifts ----------------------------------------------------------------------


def conv_shifts(
    xp: Array,
    weight: Array,
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Shifts:
    """One group of a convolution of the padded input ``xp`` [C][*spatial] as shifts
    (any number N of spatial axes; the weight is [O][C][k₁]…[k_N])."""
    kernel = weight.shape[2:]
    per_axis = [_phases(k, s, d) for k, s, d in zip(kernel, stride, dilation, strict=True)]
    size = tuple(
        o + ((k - 1) * d) // s
        for o, k, s, d in zip(out_shape, kernel, stride, dilation, strict=True)
    )
    phases = list(itertools.product(*per_axis))
    images = _phase_images(xp, phases, stride, size)
    flat = images.reshape(len(phases), xp.shape[0], -1)
    cells = flat_strides(size)
    blocks = []
    for n, phase in enumerate(phases):
        grids = [per_axis[a][p] for a, p in enumerate(phase)]
        blocks.append(
            Block(
                n,
                sum(offsets[0] * c for (_, offsets), c in zip(grids, cells, strict=True)),
                tuple(
                    (offsets[1] - offsets[0]) * c if len(offsets) > 1 else 0
                    for (_, offsets), c in zip(grids, cells, strict=True)
                ),
                weight[at(slice(None), slice(None), *(_progression(taps) for taps, _ in grids))],
            )
        )
    return _merged(_shifts(flat, tuple(blocks), size, tuple(out_shape)))


def _progression(taps: list[int]) -> slice:
    """The taps of one phase (an arithmetic progression, see :func:`_phases`) as a
    slice: the weight of a block is then a view, not a copy (a 512-channel 3×3 layer's
    weights are 19 MB)."""
    step = taps[1] - taps[0] if len(taps) > 1 else 1
    return slice(taps[0], taps[-1] + 1, step)


def at(*parts: Any) -> tuple[Any, ...]:
    """An index of N-D parts (slices, ints, index arrays) for any number of axes."""
    return parts


def flat_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Cells between successive indices of each axis of a C-ordered array of ``shape``."""
    return tuple(math.prod(shape[a + 1 :]) for a in range(len(shape)))


def grid_rows(shape: Sequence[int], out_shape: Sequence[int]) -> int:
    """Rows of ``shape[-1]`` cells from the first output cell to the row of the last one:
    the leading axes unrolled (a 3-D volume is its depth slices one under the other)."""
    rows = flat_strides(shape[:-1])
    return sum((o - 1) * r for o, r in zip(out_shape[:-1], rows, strict=True)) + 1


def _shifts(
    flat: Array, blocks: tuple[Block, ...], shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> Shifts:
    rows = grid_rows(shape, out_shape)
    return Shifts(flat, shape[-1], blocks, rows, out_shape[-1], shape, out_shape)


def _merged(shifts: Shifts) -> Shifts:
    """Phases whose taps sit on the same grid, as one image with phases × C channels.

    With a stride of at least the kernel's span every phase holds one tap at offset 0:
    one window (one copy, one einsum, one FFT plane set) then covers them all.
    """
    first = shifts.blocks[0]
    grid = (first.offset, first.steps, first.weight.shape)
    if len(shifts.blocks) == 1 or any(
        (b.offset, b.steps, b.weight.shape) != grid for b in shifts.blocks
    ):
        return shifts
    flat = shifts.flat.reshape(1, -1, shifts.flat.shape[2])  # [1][P·C][cells], a view
    weight = np.concatenate([b.weight for b in shifts.blocks], axis=1)  # [O][P·C][..]
    block = Block(0, first.offset, first.steps, weight)
    return dataclasses.replace(shifts, flat=flat, blocks=(block,))


def _phases(kernel: int, stride: int, dilation: int) -> dict[int, tuple[list[int], list[int]]]:
    """Per phase of one axis that some tap reads: (taps, their offsets in the phase image).

    Tap i reads phase (i·d) mod s at offset (i·d) div s; within a phase the offsets of
    successive taps grow by a constant step, so the taps form a regular grid.
    """
    phases: dict[int, tuple[list[int], list[int]]] = {}
    for i in range(kernel):
        offset, phase = divmod(i * dilation, stride)
        taps, offsets = phases.setdefault(phase, ([], []))
        taps.append(i)
        offsets.append(offset)
    return dict(sorted(phases.items()))


def _phase_images(
    xp: Array,
    phases: Sequence[tuple[int, ...]],
    stride: Sequence[int],
    size: tuple[int, ...],
) -> Array:
    """``xp[:, p₁::s₁, …]`` for each phase, cut or zero-filled to ``size`` ([P][C][*size]).

    Cells past the input are read only by the dropped wrap-around cells, never by an
    output that is kept (the last tap of the last output is inside the padded input).
    """
    if len(phases) == 1 and not any(phases[0]) and xp.shape[1:] == size:
        return np.ascontiguousarray(xp)[None]
    out = np.zeros((len(phases), xp.shape[0], *size), dtype=xp.dtype)
    for n, phase in enumerate(phases):
        part = xp[at(slice(None), *(slice(p, None, s) for p, s in zip(phase, stride, strict=True)))]
        part = part[at(slice(None), *(slice(0, m) for m in size))]
        out[at(n, slice(None), *(slice(0, m) for m in part.shape[1:]))] = part
    return out


def transpose_shifts(
    x: Array,
    weight: Array,
    crop: Sequence[int],
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> list[tuple[tuple[int, ...], Shifts]]:
    """One group of a transposed convolution as one shifts per output phase.

    Per axis, the full result y[a·s + p] = Σ_i w[i]·x[a − e_i] over the taps i with
    i·d ≡ p (mod s), e_i = (i·d − p)/s; ``crop`` (the first kept index per axis) of it
    is kept, ``out_shape`` cells. Returns (first kept index per axis, shifts) pairs: the
    phase fills ``out[:, f₁::s₁, …]``. Weight is [C_in][C_out][k₁]…[k_N].
    """
    kernel = weight.shape[2:]
    per_axis = [
        _transpose_phases(k, s, d, c, o)
        for k, s, d, c, o in zip(kernel, stride, dilation, crop, out_shape, strict=True)
    ]
    extend = [((k - 1) * d) // s for k, s, d in zip(kernel, stride, dilation, strict=True)]
    size = [
        max(e + n, *(a0 + count + e for _, a0, count, _ in phases))
        for e, n, phases in zip(extend, x.shape[1:], per_axis, strict=True)
    ]
    size[0] += 1  # slack after the last row: no window can reach past the grid
    grid = np.zeros((1, x.shape[0], *size), dtype=x.dtype)
    inside = tuple(slice(e, e + n) for e, n in zip(extend, x.shape[1:], strict=True))
    grid[at(0, slice(None), *inside)] = x
    flat = grid.reshape(1, x.shape[0], -1)
    cells = flat_strides(size)
    swapped = np.swapaxes(weight, 0, 1)  # [C_out][C_in][k₁]…
    result = []
    for combination in itertools.product(*per_axis):
        if any(not taps or count <= 0 for _, _, count, (taps, _) in combination):
            continue
        # offsets fall as i grows: list the taps backwards so that the steps are ≥ 0
        backwards = [(taps[::-1], e[::-1]) for _, _, _, (taps, e) in combination]
        offset = sum(
            (a0 + ext - e[0]) * c
            for (_, a0, _, _), ext, (_, e), c in zip(
                combination, extend, backwards, cells, strict=True
            )
        )
        steps = tuple(
            (e[0] - e[1]) * c if len(e) > 1 else 0
            for (_, e), c in zip(backwards, cells, strict=True)
        )
        taps = np.ix_(*(t for t, _ in backwards))
        block = Block(0, offset, steps, swapped[at(slice(None), slice(None), *taps)])
        counts = tuple(count for _, _, count, _ in combination)
        firsts = tuple(first for first, _, _, _ in combination)
        result.append((firsts, _shifts(flat, (block,), tuple(size), counts)))
    return result


def _transpose_phases(
    kernel: int, stride: int, dilation: int, crop: int, size: int
) -> list[tuple[int, int, int, tuple[list[int], list[int]]]]:
    """Per output phase p of one axis: (first kept index, first phase index a0, count,
    (taps i, their e_i)) where full index a·s + p − crop is kept and e_i = (i·d − p)/s."""
    phases = []
    for p in range(stride):
        a0 = max(-(-(crop - p) // stride), 0)
        first = a0 * stride + p - crop
        count = len(range(first, size, stride))
        taps = [i for i in range(kernel) if (i * dilation) % stride == p]
        phases.append((first, a0, count, (taps, [(i * dilation - p) // stride for i in taps])))
    return phases


# --- the cost model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """The sizes the cost model reads (one group)."""

    planes: int  # images·channels of the flat input (phases × C)
    outputs: int  # O
    rows: int  # im2col rows: taps × C
    out_h: int
    out_w: int
    width: int  # grid row length (≥ out_w)
    extent: tuple[int, ...]  # cells the taps span per spatial axis (the FFT's dense kernel)
    out_shape: tuple[int, ...] = ()  # the N-D output (() for out_h × out_w)
    lines: int = 0  # runs of taps along the last kernel axis, per image and channel
    reach: int = 0  # the longest such run, in cells

    @classmethod
    def of(cls, shifts: Shifts) -> Work:
        return cls(
            planes=int(shifts.flat.shape[0]) * shifts.channels,
            outputs=shifts.outputs,
            rows=shifts.rows,
            out_h=shifts.out_h,
            out_w=shifts.out_w,
            width=shifts.width,
            extent=shifts.extent,
            out_shape=shifts.out_dims,
            lines=shifts.line_count,
            reach=shifts.line_reach,
        )

    @property
    def cells(self) -> int:
        """Grid cells computed (wrap-around cells included)."""
        return (self.out_h - 1) * self.width + self.out_w


def blocked_cost(work: Work) -> float:
    """Estimated nanoseconds of the im2col + BLAS method."""
    cells = work.cells
    per_cell = CELL_NS + work.rows * (ROW_NS + (work.outputs - 1) * MAC_NS)
    tiles = math.ceil(cells / tile_cells(work.rows, work.outputs))
    if wide(work.outputs, work.rows):  # one call per tile, on every core
        return cells * per_cell * WIDE_FACTOR + tiles * (TILE_NS + CALL_NS)
    columns, outputs, rows = blas_blocks(work.outputs, work.rows)
    calls = math.ceil(cells / columns) * math.ceil(work.outputs / outputs)
    calls *= math.ceil(work.rows / rows)
    return cells * per_cell + tiles * TILE_NS + calls * CALL_NS


def einsum_cost(work: Work) -> float:
    """Estimated nanoseconds of the fused multiply-add method (one pass per output)."""
    cells = work.cells
    calls = math.ceil(cells / EINSUM_TILE) * work.outputs * work.planes
    return cells * work.outputs * (EINSUM_CELL_NS + work.rows * EINSUM_NS) + calls * CALL_NS


def band_width(reach: int) -> int:
    """Cells per row of the banded products: a power of two ≥ the longest run of taps
    (so a row's taps reach at most into the next row), at least BAND_MIN."""
    return max(BAND_MIN, 1 << max(reach - 1, 0).bit_length())


def band_rows(band: int) -> int:
    """Rows of ``band`` cells per matmul: at most BLAS_SINGLE_MACS multiply-adds."""
    return max(BLAS_SINGLE_MACS // (band * band), 1)


def banded_cost(work: Work) -> float:
    """Estimated nanoseconds of the banded (Toeplitz) matmul method: per line and output
    band + reach multiply-adds per cell in BLAS, and for every line after the first one
    more pass over the tile to add its product in; per tile, the matmul calls."""
    if not work.lines:
        return math.inf
    band = band_width(work.reach)
    cells, products = work.cells, work.lines * work.outputs
    tiles = math.ceil(cells / (band_rows(band) * band))
    per_cell = products * (band + work.reach) * BAND_MAC_NS + (products - 1) * BAND_PASS_NS
    calls = tiles * products * BAND_CALL_NS
    return cells * (per_cell + BAND_CELL_NS) + calls + work.lines * BAND_LINE_NS


def fft_cost(work: Work) -> float:
    """Estimated nanoseconds of the overlap-save FFT method (its best block size)."""
    out = work.out_shape or (work.out_h, work.out_w)
    plan = fft_plan(out, work.extent, work.planes, work.outputs)
    return plan[0] + FFT_FIXED_NS


def costs(work: Work, kind: str) -> dict[str, float]:
    """The estimated nanoseconds of every method that is exact enough for ``kind``."""
    if kind == "object":
        return {"taps": 0.0}
    factor = INT_FACTOR if kind != "float" else {}
    estimates = {"einsum": einsum_cost(work) * factor.get("einsum", 1.0)}
    estimates["blocked"] = blocked_cost(work) * factor.get("blocked", 1.0)
    estimates["banded"] = banded_cost(work) * factor.get("banded", 1.0)
    if kind == "float" and math.prod(work.out_shape or (work.out_h, work.out_w)) >= FFT_MIN_CELLS:
        estimates["fft"] = fft_cost(work)
    return estimates


def choose(work: Work, kind: str) -> str:
    """The method for data of ``kind`` (``float``, ``int`` or ``object``).

    The FFT must be estimated FFT_MARGIN faster than the best direct method: it rounds
    differently from PyTorch's direct sums, so it has to be worth it.
    """
    estimates = costs(work, kind)
    if "fft" in estimates:
        estimates["fft"] /= FFT_MARGIN
    return min(estimates, key=estimates.__getitem__)


def wide(outputs: int, rows: int) -> bool:
    """Whether the blocked method's tiles are wide: one matmul each, of about WIDE_MACS
    multiply-adds, which OpenBLAS runs on all cores (and our tile threads stay unused).

    Many output channels times many im2col rows make a compute-bound product, where
    OpenBLAS's own kernels and threads win by far. Quiet machine, small calls → wide
    ones: 64×128² → 64 3×3 60 → 17 ms (einsum(optimize=True) 22), 64×56² → 64 11 → 3.3,
    512×7² → 512 10 → 2.9; with two other processes keeping both cores busy 83 → 40
    and 22 → 24 (a wide call waits for its helper thread: WIDE_MACS makes few of them,
    2**26 measured 57-228 ms there). Narrower products are memory-bound and gain less
    than a busy core costs a threaded call (3×224² → 64 7×7, 9,408: 31 ms either way
    on a quiet machine, 36 → 43 under load), so they keep :func:`blas_blocks`' calls.
    """
    return outputs * rows >= WIDE_PRODUCT


def tile_cells(rows: int, outputs: int = 1) -> int:
    """Grid cells per tile: an im2col buffer of about TILE_BYTES (a wide tile: one
    matmul of about WIDE_MACS, its buffer at most WIDE_TILE_BYTES), at least MIN_TILE."""
    if wide(outputs, rows):
        return max(min(WIDE_MACS // (outputs * rows), WIDE_TILE_BYTES // (8 * rows)), MIN_TILE)
    return max(TILE_BYTES // (8 * rows), MIN_TILE)


def blas_blocks(outputs: int, rows: int) -> tuple[int, int, int]:
    """(columns, outputs, rows) of the tile per matmul call: a wide tile (:func:`wide`)
    whole, else at most BLAS_SINGLE_MACS multiply-adds, so that OpenBLAS computes each
    call on the calling thread.

    OpenBLAS threads a call above 2**18 multiply-adds (M·N·K); on a loaded machine such
    a call can wait a whole scheduler slice for its helper thread (measured 10 to 100
    times slower for many short calls). The columns shrink first, then the output
    channels (rows of the result: no extra work), and only then the im2col rows (whose
    partial products must be added).
    """
    if wide(outputs, rows):
        return tile_cells(rows, outputs), outputs, rows
    columns = max(BLAS_SINGLE_MACS // (outputs * rows), MIN_COLUMNS)
    if outputs * rows * columns <= BLAS_SINGLE_MACS:
        return columns, outputs, rows
    per_call = max(BLAS_SINGLE_MACS // (rows * columns), MIN_OUTPUTS)
    if per_call * rows * columns <= BLAS_SINGLE_MACS:
        return columns, per_call, rows
    return columns, per_call, max(BLAS_SINGLE_MACS // (per_call * columns), MIN_ROWS)


# --- running shifts -------------------------------------------------------------------------


def run_shifts(shifts: Shifts, out: Array, kind: str, method: str | None = None) -> None:
    """Write the correlation into ``out`` [O][*out_dims] (any strides, its dtype).

    The FFT works on the N spatial axes themselves; the direct methods compute the
    2-D grid of rows of ``width`` cells: 2-D outputs are written in place, a 1-D output
    is its one row, and a 3-D one is its depth slices unrolled one under the other,
    written in place slice by slice (the rows between them are computed and dropped).
    """
    if not shifts.blocks:
        out[...] = 0
        return
    work = Work.of(shifts)
    chosen = resolve(method, kind) if method else choose(work, kind)
    if chosen == "fft" and not (fft_safe(shifts) and math.isfinite(fft_cost(work))):
        chosen = "blocked"
    if chosen in ("blocked", "banded") and kind == "int" and not exact_in_float(shifts):
        chosen = "einsum"  # float64 could round these integers; einsum checks per tile
    if chosen == "banded" and kind == "float" and not np.isfinite(shifts.flat).all():
        chosen = "einsum"  # a zero of the band times an inf or a nan would give a nan
    estimate = costs(work, kind).get(chosen, 0.0)
    threads = workers() if estimate >= PARALLEL_MIN_NS else 1
    if chosen == "fft":
        _fft(shifts, out, threads)
        return
    if out.ndim == 3:
        _run_grid(shifts, out, chosen, threads)
        return
    if out.ndim == 2:
        _run_grid(shifts, out[:, None, :], chosen, threads)
        return
    _run_grid(shifts, out, chosen, threads)  # a volume: tiles of whole depth slices


def _run_grid(shifts: Shifts, out: Array, chosen: str, threads: int) -> None:
    """A direct method over the 2-D grid ``out`` [O][out_h][out_w]."""
    if chosen == "blocked":
        if wide(shifts.outputs, shifts.rows):
            threads = 1  # OpenBLAS's threads run each wide product
        _tiled(shifts, out, _im2col_worker, tile_cells(shifts.rows, shifts.outputs), threads)
    elif chosen == "banded":
        band = band_width(shifts.line_reach)
        _tiled(shifts, out, _banded_worker, band_rows(band) * band, threads)
    else:
        _tiled(shifts, out, _einsum_worker, EINSUM_TILE, threads)


def resolve(method: str, kind: str) -> str:
    """A forced method, replaced where it would not be exact for ``kind``.

    Integers never take the FFT (it rounds), objects only ``taps``; integers whose
    bound is over 2**53 leave ``blocked`` for ``einsum`` in :func:`run_shifts`.
    """
    if method not in METHODS:
        msg = f"unknown method {method!r} (one of {', '.join(METHODS)})"
        raise ValueError(msg)
    if kind == "object" or method == "taps":
        return "taps"
    if kind == "int" and method == "fft":
        return "blocked"
    return method


def fft_safe(shifts: Shifts) -> bool:
    """Float64, all finite and far from overflow: an FFT's rounding stays relative."""
    if shifts.flat.dtype != np.float64:
        return False
    matrix = shifts.matrix()
    if not (np.isfinite(matrix).all() and np.isfinite(shifts.flat).all()):
        return False
    scale = float(max_abs(shifts.flat)) * float(np.abs(matrix).sum(axis=1).max())
    return scale < FFT_SAFE_SCALE


def _chunks(shifts: Shifts, per_tile: int, volume: bool = False) -> list[Chunk]:
    """Tiles of the grid. Whole rows when a row fits a tile (its wrap-around cells are
    computed and dropped), else pieces of one row. A ``volume`` (a 3-D output written
    in place) is tiled by whole depth slices when one fits, else within one slice, so
    that no tile holds part of the rows dropped between two slices."""
    width, out_h, out_w = shifts.width, shifts.out_h, shifts.out_w
    if volume:
        depth, kept = shifts.out_dims[0], shifts.out_dims[1]
        slab = shifts.dims[1]  # grid rows per depth slice
        if per_tile >= slab * width:
            step = per_tile // (slab * width)
            return [
                (d * slab, (min(step, depth - d) - 1) * slab + kept, 0, out_w)
                for d in range(0, depth, step)
            ]
        return [
            (d * slab + r, rows, c, cols)
            for d in range(depth)
            for r, rows, c, cols in _rows(kept, width, out_w, per_tile)
        ]
    return _rows(out_h, width, out_w, per_tile)


def _rows(out_h: int, width: int, out_w: int, per_tile: int) -> list[Chunk]:
    if per_tile >= width:
        step = per_tile // width
        return [(r, min(step, out_h - r), 0, out_w) for r in range(0, out_h, step)]
    return [
        (r, 1, c, min(per_tile, out_w - c)) for r in range(out_h) for c in range(0, out_w, per_tile)
    ]


def _tiled(shifts: Shifts, out: Array, worker: Any, per_tile: int, threads: int) -> None:
    """Run ``worker`` over the tiles of the grid, split between ``threads``."""
    chunks = _chunks(shifts, per_tile, volume=out.ndim == 4)
    slab = shifts.dims[1] if out.ndim == 4 else 0
    size = max(_cells(rows, cols, shifts.width, slab) for _, rows, _, cols in chunks)
    parallel(lambda part: worker(shifts, out, part, size), split(chunks, threads))


def _cells(rows: int, cols: int, width: int, slab: int) -> int:
    """The accumulator cells of a tile: whole rows (whole depth slices for a volume)."""
    if slab and rows > slab:
        return -(-rows // slab) * slab * width
    return rows * width if rows > 1 else cols


def _span(shifts: Shifts, chunk: Chunk) -> tuple[int, int]:
    """The flat grid cells [start, stop) a tile computes."""
    row, rows, col, cols = chunk
    start = row * shifts.width + col
    if rows == 1:
        return start, start + cols
    return start, (row + rows - 1) * shifts.width + shifts.out_w


def _store(shifts: Shifts, out: Array, acc: Array, chunk: Chunk) -> None:
    """Copy a tile's kept cells from ``acc`` into ``out`` ([O][rows][cols] of the grid,
    or [O][depth][rows][cols] of a volume)."""
    width = shifts.width
    row, rows, col, cols = chunk
    if out.ndim == 4:
        slab, kept = shifts.dims[1], shifts.out_dims[1]
        depth, row = divmod(row, slab)
        if row + rows > kept:  # whole depth slices
            count = (rows - kept) // slab + 1
            slices = acc[:, : count * slab * width].reshape(acc.shape[0], count, slab, width)
            out[:, depth : depth + count] = slices[:, :, :kept, :cols]
            return
        out = out[:, depth]
    if rows == 1:
        out[:, row, col : col + cols] = acc[:, :cols]
    else:
        grid = acc[:, : rows * width].reshape(acc.shape[0], rows, width)
        out[:, row : row + rows, :cols] = grid[:, :, :cols]


def _im2col_worker(shifts: Shifts, out: Array, chunks: Sequence[Chunk], size: int) -> None:
    matrix = shifts.matrix()
    outputs, rows = matrix.shape
    cols = np.empty((rows, size), dtype=np.float64)
    acc = np.empty((outputs, size), dtype=np.float64)
    step, group, depth = blas_blocks(outputs, rows)
    partial = np.empty((group, step), dtype=np.float64)
    for chunk in chunks:
        start, stop = _span(shifts, chunk)
        n = stop - start
        first = 0
        for block in shifts.blocks:
            window = block.window(shifts.flat, start, n)
            last = first + math.prod(window.shape[:-1])
            # one copy per block; an int64 input is cast here, at no extra pass
            cols[first:last, :n].reshape(window.shape)[...] = window
            first = last
        for a in range(0, n, step):
            b = min(a + step, n)
            for o in range(0, outputs, group):
                weights, target = matrix[o : o + group], acc[o : o + group, a:b]
                _product(weights[:, :depth], cols[:depth, a:b], target)
                for k in range(depth, rows, depth):  # wide kernels: add the other row blocks
                    part = partial[: target.shape[0], : b - a]
                    _product(weights[:, k : k + depth], cols[k : k + depth, a:b], part)
                    target += part
        _store(shifts, out, acc, chunk)


def _product(matrix: Array, cols: Array, out: Array) -> None:
    if matrix.shape[0] == 1:  # a matrix-vector product: BLAS gemv streams the tile once
        np.matmul(matrix[0], cols, out=out[0])
    else:
        np.matmul(matrix, cols, out=out)


def _einsum_worker(shifts: Shifts, out: Array, chunks: Sequence[Chunk], size: int) -> None:
    if shifts.flat.dtype != np.float64:
        _einsum_integers(shifts, out, chunks, size)
        return
    acc, extra = np.empty((shifts.outputs, size)), np.empty(size)
    weights = [b.weight for b in shifts.blocks]
    for chunk in chunks:
        start, stop = _span(shifts, chunk)
        _einsum_tile(shifts.blocks, weights, shifts.flat, start, stop - start, acc, extra)
        _store(shifts, out, acc, chunk)


def _einsum_integers(shifts: Shifts, out: Array, chunks: Sequence[Chunk], size: int) -> None:
    """Each tile in float64 when its own bound allows (exact, faster), else in int64."""
    reach, blocks = shifts.reach, shifts.blocks
    as_float: list[Array] = [np.empty((shifts.outputs, size)), np.empty(size)]
    as_int: list[Array] = [np.empty((shifts.outputs, size), np.int64), np.empty(size, np.int64)]
    cast = np.empty((*shifts.flat.shape[:2], size + reach))
    largest_w = max(int(max_abs(b.weight)) for b in blocks)
    float_weights = [b.weight.astype(np.float64) for b in blocks]
    int_weights = [b.weight for b in blocks]
    for chunk in chunks:
        start, stop = _span(shifts, chunk)
        tile = shifts.flat[:, :, start : stop + reach]
        part = cast[:, :, : tile.shape[2]]
        part[...] = tile
        # strict: a value past 2**53 may have rounded down to it in the cast
        if int(max(-part.min(), part.max())) * largest_w * shifts.rows < EXACT_FLOAT_BOUND:
            acc, extra = as_float
            _einsum_tile(blocks, float_weights, cast, 0, stop - start, acc, extra)
        else:  # this tile's sums need int64: numpy's integer loops, exact
            acc, extra = as_int
            _einsum_tile(blocks, int_weights, shifts.flat, start, stop - start, acc, extra)
        _store(shifts, out, acc, chunk)


def _einsum_tile(
    blocks: Sequence[Block],
    weights: Sequence[Array],
    source: Array,
    start: int,
    n: int,
    acc: Array,
    extra: Array,
) -> None:
    for o in range(acc.shape[0]):
        for k, (block, weight) in enumerate(zip(blocks, weights, strict=True)):
            target = acc[o, :n] if k == 0 else extra[:n]
            window = block.window(source, start, n)
            # order="F" makes the grid the inner loop: a fused multiply-add per tap
            np.einsum(_subscripts(window.ndim), weight[o], window, out=target, order="F")
            if k:
                acc[o, :n] += target


@functools.cache
def _subscripts(ndim: int) -> str:
    """``ckl,cklp->p`` for a window [C][kh][kw][n]; one letter per kernel axis."""
    taps = "c" + "klmnqr"[: ndim - 2]
    return f"{taps},{taps}p->p"


def _banded_worker(shifts: Shifts, out: Array, chunks: Sequence[Chunk], size: int) -> None:
    """Each tile as rows of ``band`` cells times banded (Toeplitz) matrices, line by line.

    Cell j of a row is Σ_t w_t · x[row·band + j + o_t]: a row of the input times a
    band × band matrix holding w_t at (j + o_t, j), plus the first ``reach`` cells of
    the next row times the part of the band that crosses into it. Both are plain
    reshaped views of the flat input, so BLAS reads it in place, without an im2col;
    a banded matrix spends band + reach multiply-adds per cell on k taps, which BLAS's
    speed repays for long runs of taps (a 1-D signal). The cells past the last full
    row take the einsum path. Integers are cast per tile (exact: see exact_in_float).
    """
    lines = shifts.lines
    reach = shifts.reach
    band = band_width(shifts.line_reach)
    bands = [line.bands(band) for line in lines]
    weights = [b.weight.astype(np.float64) for b in shifts.blocks]
    acc, extra = np.empty((shifts.outputs, size)), np.empty(size)
    part = np.empty((band_rows(band), band))
    as_float = shifts.flat.dtype == np.float64
    cast = None if as_float else np.empty((*shifts.flat.shape[:2], size + reach))
    # a piece of one output row is written in place when the output is float64 rows
    direct = as_float and out.ndim == 3 and out.dtype == np.float64 and out.strides[-1] == 8
    for chunk in chunks:
        start, stop = _span(shifts, chunk)
        n = stop - start
        if cast is None:
            source, base = shifts.flat, start
        else:
            tile = shifts.flat[:, :, start : stop + reach]
            cast[:, :, : tile.shape[2]] = tile
            source, base = cast, 0
        row, rows, col, _ = chunk
        target = out[:, row, col : col + n] if direct and rows == 1 else acc
        full = n // band
        for o in range(target.shape[0]):
            result = target[o, : full * band].reshape(full, band)
            for k, (line, (near, far)) in enumerate(zip(lines, bands, strict=True)):
                plane = source[line.image, line.channel]
                first = base + line.base
                rows_in = plane[first : first + full * band].reshape(full, band)
                temp = part[:full]
                np.matmul(rows_in, near[o], out=result if k == 0 else temp)
                if k:
                    result += temp
                if line.reach:
                    np.matmul(
                        _following(plane, first + band, full, band, line.reach), far[o], out=temp
                    )
                    result += temp
        if full * band < n:
            done = full * band
            _einsum_tile(
                shifts.blocks, weights, source, base + done, n - done, target[:, done:], extra
            )
        if target is acc:
            _store(shifts, out, acc, chunk)


def _following(plane: Array, first: int, rows: int, band: int, reach: int) -> Array:
    """The first ``reach`` cells of ``rows`` rows of ``band`` cells from ``first``."""
    if first + rows * band <= plane.shape[0]:  # a plain view (as_strided is slower)
        return plane[first : first + rows * band].reshape(rows, band)[:, :reach]
    step = plane.strides[0]
    view: Array = as_strided(
        plane[first:], shape=(rows, reach), strides=(band * step, step), writeable=False
    )
    return view


# --- FFT --------------------------------------------------------------------------------------


def _fft(shifts: Shifts, out: Array, threads: int) -> None:
    """Overlap-save over the N spatial axes: each output block is the valid part of an
    N-D circular correlation (``rfftn``), so a 3-D kernel is a dense k₁×k₂×k₃ block and
    a 1-D one a plain 1-D transform, not rows of a 2-D unfolding. ``out`` is
    [O][*out_dims]."""
    dims, out_dims, span = shifts.dims, shifts.out_dims, shifts.extent
    images, channels = shifts.flat.shape[0], shifts.channels
    _, plan = fft_plan(out_dims, span, images * channels, shifts.outputs)
    sizes = tuple(n for n, _ in plan)
    axes = tuple(range(1, len(dims) + 1))
    planes = shifts.flat.reshape(images * channels, *dims)
    kernel = np.zeros((images, channels, shifts.outputs, *span))
    for b in shifts.blocks:  # the taps of one block sit at distinct cells: one assignment
        where = np.unravel_index(np.array([off for _, off in b.offsets()]), dims)
        taps = b.weight.reshape(*b.weight.shape[:2], -1).transpose(1, 0, 2)  # [C][O][taps]
        kernel[b.image][at(slice(None), slice(None), *where)] += taps
    reverse = (slice(None, None, -1),) * len(dims)
    flipped = kernel.reshape(images * channels, shifts.outputs, *span)[at(..., *reverse)]
    spectra = np.fft.rfftn(flipped, s=sizes, axes=tuple(a + 1 for a in axes))
    starts = [
        [(r, min(t, o - r)) for r in range(0, o, t)]
        for o, (_, t) in zip(out_dims, plan, strict=True)
    ]
    tiles = list(itertools.product(*starts))

    def run(part: Sequence[tuple[tuple[int, int], ...]]) -> None:
        for tile in part:
            read = tuple(slice(r, r + h + k - 1) for (r, h), k in zip(tile, span, strict=True))
            x = np.fft.rfftn(planes[at(slice(None), *read)], s=sizes, axes=axes)
            if len(x) == 1:
                product = x[0] * spectra[0]
            else:
                product = np.einsum("k...,ko...->o...", x, spectra)
            y = np.fft.irfftn(product, s=sizes, axes=axes)
            kept = tuple(slice(k - 1, k - 1 + h) for (_, h), k in zip(tile, span, strict=True))
            target = tuple(slice(r, r + h) for r, h in tile)
            out[at(slice(None), *target)] = y[at(slice(None), *kept)]

    parallel(run, split(tiles, threads))


@functools.lru_cache(maxsize=256)
def fft_plan(
    out_shape: tuple[int, ...], kernel: tuple[int, ...], planes: int, outputs: int
) -> tuple[float, tuple[tuple[int, int], ...]]:
    """(estimated ns, ((n, t) per axis)): FFT lengths n and output blocks t = n − k + 1
    per spatial axis that minimise the estimated time (inf when the kernel spectra
    would need more than FFT_SPECTRA_BYTES at every size).

    Per block: planes + outputs transforms and planes·outputs spectrum products; once:
    planes·outputs kernel transforms (which is why many channels prefer small blocks).
    """
    best: tuple[float, tuple[tuple[int, int], ...]] = (math.inf, ())
    choices = [_lengths(o, k) for o, k in zip(out_shape, kernel, strict=True)]
    for lengths in itertools.product(*choices):
        size = math.prod(lengths)
        half = size // lengths[-1] * (lengths[-1] // 2 + 1)  # cells of a real spectrum
        if planes * outputs * half * 16 > FFT_SPECTRA_BYTES:
            continue  # the kernel spectra alone would not fit: not a plan
        transform = FFT_NS * size * math.log2(max(size, 2))
        per_block = (planes + outputs) * transform + planes * outputs * CMUL_NS * half + TILE_NS
        steps = [min(n - k + 1, o) for n, k, o in zip(lengths, kernel, out_shape, strict=True)]
        blocks = math.prod(math.ceil(o / t) for o, t in zip(out_shape, steps, strict=True))
        cost = blocks * per_block + planes * outputs * transform
        if cost < best[0]:
            best = (cost, tuple(zip(lengths, steps, strict=True)))
    return best


def _lengths(out: int, kernel: int) -> list[int]:
    """FFT lengths worth trying: 2**a, 3·2**a and 5·2**a from about 2k, and the whole axis."""
    whole = next_fast_len(out + kernel - 1)
    low = max(2 * kernel, 16)
    return [n for n in _FAST if low <= n < whole] + [whole]


def next_fast_len(n: int) -> int:
    """The smallest 5-smooth number ≥ n (pocketfft is fastest on those)."""
    best = 1 << max(n - 1, 0).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            quotient = -(-n // p35)
            candidate = p35 * (1 << max(quotient - 1, 0).bit_length())
            best = min(best, candidate)
            p35 *= 3
        p5 *= 5
    return best


_FAST = sorted({m << a for m in (1, 3, 5) for a in range(14)})


# --- threads ----------------------------------------------------------------------------------


def workers() -> int:
    """Threads for independent tiles: CONVCLI_THREADS, else 1.

    Opt-in because on the reference machine (2 shared vCPUs) a second thread measured
    from 0.6 to 2.2 times the time of one, mostly more (GIL hand-offs between short
    numpy and BLAS calls, and a core that other processes keep busy).
    """
    text = os.environ.get("CONVCLI_THREADS", "")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def split(items: Sequence[_T], parts: int) -> list[list[_T]]:
    """``items`` in at most ``parts`` contiguous runs of nearly equal length."""
    parts = max(min(parts, len(items)), 1)
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for n in range(parts):
        stop = start + size + (n < extra)
        runs.append(list(items[start:stop]))
        start = stop
    return runs


def parallel(fn: Callable[[list[_T]], None], runs: list[list[_T]]) -> None:
    """Run ``fn`` on each run, on the pool when there are several (errors re-raised)."""
    if len(runs) <= 1:
        for run in runs:
            fn(run)
        return
    pool = _pool(len(runs))
    for future in [pool.submit(fn, run) for run in runs]:
        future.result()


@functools.cache
def _pool(size: int) -> Any:
    """One pool per size, made on first use (its import costs start-up time otherwise)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="convcli")


# --- entry points used by core --------------------------------------------------------------


def arithmetic(x: Array, weight: Array) -> str:
    """``float``, ``int`` (int64) or ``object`` (Python ints, Fractions): how to compute."""
    if x.dtype == object or weight.dtype == object:
        return "object"
    return "float" if x.dtype == np.float64 else "int"


def exact_in_float(shifts: Shifts) -> bool:
    """Whether max|x|·max|w|·taps ≤ 2**53: every partial sum is then exact in float64."""
    terms = shifts.rows
    largest_w = max(int(max_abs(b.weight)) for b in shifts.blocks)
    return int(max_abs(shifts.flat)) * largest_w * terms <= EXACT_FLOAT_BOUND


def tiny(macs: int, method: str | None) -> bool:
    """Too little work for anything but the plain taps loop (unless a method is forced)."""
    return method is None and macs < TINY_MACS


def conv(
    xp: Array,
    weight: Array,
    groups: int,
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    method: str | None = None,
) -> Array:
    """The convolution of the padded input ``xp`` [C][*spatial] by ``weight``
    [O][C/g][k₁]…[k_N], for N = 1, 2 or 3 spatial axes.

    ``method`` forces one of :data:`METHODS`; by default the cost model chooses.
    """
    kind = arithmetic(xp, weight)
    method = method or FORCED
    macs = weight.size * math.prod(out_shape)
    if kind == "object" or tiny(macs, method) or (method and resolve(method, kind) == "taps"):
        return conv_taps(xp, weight, groups, out_shape, stride, dilation)
    out = np.empty((weight.shape[0], *out_shape), dtype=xp.dtype)
    per_in, per_out = xp.shape[0] // groups, weight.shape[0] // groups
    if method is None and sampled(weight.shape, groups, stride):
        for g in range(groups):
            out[g] = conv_sampled(xp[g], weight[g, 0], out_shape, stride, dilation)
        return out
    for g in range(groups):
        shifts = conv_shifts(
            xp[g * per_in : (g + 1) * per_in],
            weight[g * per_out : (g + 1) * per_out],
            out_shape,
            stride,
            dilation,
        )
        _run_into(shifts, out[g * per_out : (g + 1) * per_out], kind, method)
    return out


def sampled(shape: Sequence[int], groups: int, stride: Sequence[int]) -> bool:
    """Whether a convolution takes :func:`conv_sampled`: 2-D, one input and one output
    channel per group, a stride of at least SAMPLED_STRIDE on both axes."""
    one_each = shape[0] == groups and shape[1] == 1
    return len(shape) == 4 and one_each and min(stride) >= SAMPLED_STRIDE


def conv_sampled(
    x: Array,
    weight: Array,
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Array:
    """One plane ``x`` [H][W] correlated with one kernel [kh][kw] at a large stride, read
    in place through a strided view of the sampled windows, in the array's own dtype.

    The phases of :func:`conv_shifts` copy every input cell a tap reads into s_h·s_w
    images, a strided gather that cost more than the products at strides of 4 and more
    (measured 1.3-5.7× a plain einsum over the windows at 2048²). Windows that do not
    overlap (span ≤ stride on both axes): per kernel row, the windows' rows
    [out_h][out_w][kw] times that row, one matrix-vector product per output row (BLAS
    for float64). Overlapping ones: one einsum over the 4-D window view. Integers stay
    int64 (exact: ``prepare_conv`` proved that no partial sum leaves int64), which
    measured as fast as casting to float64 and needs no bound.
    """
    (out_h, out_w), (kh, kw) = out_shape, weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    row_step, col_step = x.strides
    if (kh - 1) * dh >= sh or (kw - 1) * dw >= sw:
        windows = as_strided(
            x,
            shape=(out_h, out_w, kh, kw),
            strides=(row_step * sh, col_step * sw, row_step * dh, col_step * dw),
            writeable=False,
        )
        overlapping: Array = np.einsum("ijkl,kl->ij", windows, weight)
        return overlapping
    acc = np.empty((out_h, out_w), dtype=x.dtype)
    part = np.empty_like(acc)
    for a in range(kh):
        view = as_strided(
            x[a * dh :],
            shape=(out_h, out_w, kw),
            strides=(row_step * sh, col_step * sw, col_step * dw),
            writeable=False,
        )
        np.matmul(view, weight[a], out=acc if a == 0 else part)
        if a:
            acc += part
    return acc


def conv_transpose(
    x: Array,
    weight: Array,
    groups: int,
    crop: Sequence[int],
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    method: str | None = None,
) -> Array:
    """The transposed convolution of ``x`` [C_in][*spatial] by ``weight``
    [C_in][C_out/g][k₁]…[k_N], cropped to ``out_shape`` from ``crop`` (the first kept
    index per axis) of the full result."""
    kind = arithmetic(x, weight)
    method = method or FORCED
    macs = weight.size * math.prod(x.shape[1:])
    if kind == "object" or tiny(macs, method) or (method and resolve(method, kind) == "taps"):
        return transpose_taps(x, weight, groups, crop, out_shape, stride, dilation)
    per_in, per_out = x.shape[0] // groups, weight.shape[1]
    out = np.zeros((per_out * groups, *out_shape), dtype=x.dtype)
    for g in range(groups):
        xs = x[g * per_in : (g + 1) * per_in]
        ws = weight[g * per_in : (g + 1) * per_in]
        target = out[g * per_out : (g + 1) * per_out]
        for firsts, shifts in transpose_shifts(xs, ws, crop, out_shape, stride, dilation):
            phase = at(
                slice(None), *(slice(f, None, s) for f, s in zip(firsts, stride, strict=True))
            )
            _run_into(shifts, target[phase], kind, method)
    return out


# the 2-D names, which the 2-D callers and the tests of the methods use
conv2d = conv
conv_transpose2d = conv_transpose


def _run_into(shifts: Shifts, out: Array, kind: str, method: str | None) -> None:
    """Run ``shifts`` into ``out`` [O][*out_shape] (any strides)."""
    run_shifts(shifts, out, kind, method)


def _window(
    index: Sequence[int],
    dilation: Sequence[int],
    stride: Sequence[int],
    count: Sequence[int],
) -> tuple[slice, ...]:
    """Per axis, the ``count`` cells that tap ``index`` meets, every ``stride`` from i·d."""
    return tuple(
        slice(i * d, i * d + s * (n - 1) + 1, s)
        for i, d, s, n in zip(index, dilation, stride, count, strict=True)
    )


def conv_taps(
    xp: Array,
    weight: Array,
    groups: int,
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Array:
    """Shifted-slice accumulation tap by tap in the arrays' own dtype (exact for objects)."""
    per_in, per_out = xp.shape[0] // groups, weight.shape[0] // groups
    out = np.zeros((weight.shape[0], *out_shape), dtype=xp.dtype)
    ones = (1,) * len(out_shape)
    for g in range(groups):
        xs = xp[g * per_in : (g + 1) * per_in]
        ws = weight[g * per_out : (g + 1) * per_out]
        acc = out[g * per_out : (g + 1) * per_out]
        for index in np.ndindex(*ws.shape[2:]):
            window = xs[at(slice(None), *_window(index, dilation, stride, out_shape))]
            taps = ws[at(slice(None), slice(None), *index)]
            if per_in == 1:
                acc += taps[:, 0].reshape(-1, *ones) * window[0]
            else:
                acc += np.tensordot(taps, window, axes=(1, 0))
    return out


def transpose_taps(
    x: Array,
    weight: Array,
    groups: int,
    crop: Sequence[int],
    out_shape: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Array:
    """Scatter-add: each input cell times the kernel, added at stride offsets, then cropped."""
    per_in, per_out = x.shape[0] // groups, weight.shape[1]
    sizes, kernel = x.shape[1:], weight.shape[2:]
    full_shape = [
        max((n - 1) * s + (k - 1) * d + 1, c + o)
        for n, s, k, d, c, o in zip(sizes, stride, kernel, dilation, crop, out_shape, strict=True)
    ]
    full = np.zeros((per_out * groups, *full_shape), dtype=x.dtype)
    for g in range(groups):
        xs = x[g * per_in : (g + 1) * per_in]
        ws = weight[g * per_in : (g + 1) * per_in]
        target = full[g * per_out : (g + 1) * per_out]
        for index in np.ndindex(*kernel):
            contribution = np.tensordot(ws[at(slice(None), slice(None), *index)], xs, axes=(0, 0))
            target[at(slice(None), *_window(index, dilation, stride, sizes))] += contribution
    kept = tuple(slice(c, c + o) for c, o in zip(crop, out_shape, strict=True))
    result: Array = full[at(slice(None), *kept)].copy()
    return result


# --- pooling ----------------------------------------------------------------------------------


def pool_reduce(
    padded: Array,
    op: str,
    window: tuple[int, ...],
    stride: tuple[int, ...],
    out_hw: tuple[int, ...],
    dilation: tuple[int, ...] | None = None,
) -> Array:
    """Max, min or sum over every window of ``padded`` [C][*spatial], one axis at a time.

    2-D without dilation goes rows first, in strips: a pass then reads whole contiguous
    rows, and with stride s only 1/s of them, so the second (strided, column) axis works
    on the already reduced array. Never more than a few arrays of the input's size are
    alive (not the prod(k) slices of a one-shot reduce). Other cases reduce each axis
    in turn over the whole array; a dilated window reads every d-th cell.
    """
    ufunc = {"max": np.maximum, "min": np.minimum, "sum": np.add}[op]
    dilation = dilation or (1,) * len(window)
    if len(window) != 2 or any(d != 1 for d in dilation):
        reduced = padded
        for axis, (k, s, n, d) in enumerate(zip(window, stride, out_hw, dilation, strict=True)):
            reduced = _reduce_axis(reduced, axis + 1, k, s, n, ufunc, d)
        return reduced
    (kh, kw), (sh, sw), (out_h, out_w) = window, stride, out_hw
    # strips of output rows whose input fits the cache; each is reduced on its own
    row_bytes = padded.shape[0] * padded.shape[2] * padded.itemsize * sh
    per_strip = max(POOL_STRIP_BYTES // row_bytes, 2 * kh // sh, 1)
    out = np.empty((padded.shape[0], out_h, out_w), dtype=padded.dtype)

    def run(strips: list[int]) -> None:
        for first in strips:
            count = min(per_strip, out_h - first)
            strip = padded[:, first * sh : (first + count - 1) * sh + kh]
            rows = _reduce_axis(strip, 1, kh, sh, count, ufunc)
            out[:, first : first + count] = _reduce_axis(rows, 2, kw, sw, out_w, ufunc)

    threads = workers() if padded.nbytes >= POOL_PARALLEL_BYTES else 1
    parallel(run, split(range(0, out_h, per_strip), threads))
    return out


def _reduce_axis(a: Array, axis: int, k: int, s: int, n: int, ufunc: Any, d: int = 1) -> Array:
    """out[o] = ufunc-reduce of a[o·s + t·d] over t < k along ``axis``, for o < n."""
    if d == 1 and s == 1 and k >= DOUBLING_MIN:
        return _doubling(a, axis, k, n, ufunc)
    if d == 1 and 1 < s < k and k % s == 0:
        # overlapping windows made of whole blocks of s cells: reduce the blocks (which
        # tile the axis) once, then windows of k/s blocks at stride 1. Each cell is read
        # once instead of k/s times; sums of integers stay exact (any order is)
        blocks = _reduce_axis(a, axis, s, s, n + k // s - 1, ufunc)
        return _reduce_axis(blocks, axis, k // s, 1, n, ufunc)
    if d == 1 and s == k and axis == a.ndim - 2:  # tiling rows: one reduce over whole rows
        tiles = _along(a, axis, 0, 1, n * k)
        return ufunc.reduce(tiles.reshape(*a.shape[:axis], n, k, a.shape[-1]), axis=axis + 1)  # type: ignore[no-any-return]
    if d == 1 and s == k and axis == a.ndim - 1 and k > 1:
        return _tiling_last(a, k, n, ufunc)
    out = _along(a, axis, 0, s, n).copy()
    for t in range(1, k):
        ufunc(out, _along(a, axis, t * d, s, n), out=out)
    return out


def _tiling_last(a: Array, k: int, n: int, ufunc: Any) -> Array:
    """Windows of k cells that tile the last axis (stride k), seen in place as [..][n][k].

    A float64 sum is a matrix-vector product with ones (BLAS: measured 3-20× the k
    strided passes; each term is multiplied by 1, exactly, so only the order of the
    additions changes); other sums of wide windows reduce the view's last axis; the
    rest take k strided passes, which numpy ran faster than a reduce of a short axis
    (max of 2048² float64 by 8: 1.6 ms against 7.6).
    """
    shape = (*a.shape[:-1], n, k)
    if a.shape[-1] == n * k and a.flags.c_contiguous:
        view = a.reshape(shape)  # a view, and cheaper to make than as_strided's
    else:
        step = a.strides[-1]
        strides = (*a.strides[:-1], k * step, step)
        view = as_strided(a, shape=shape, strides=strides, writeable=False)
    if ufunc is np.add and a.dtype == np.float64:
        summed: Array = np.matmul(view, np.ones(k))
        return summed
    if ufunc is np.add and k >= TILING_REDUCE_MIN:
        reduced: Array = ufunc.reduce(view, axis=-1)
        return reduced
    out = view[..., 0].copy()
    for t in range(1, k):
        ufunc(out, view[..., t], out=out)
    return out


def _doubling(a: Array, axis: int, k: int, n: int, ufunc: Any) -> Array:
    """Stride-1 windows in about 2·log2(k) passes instead of k.

    Windows of 2**b cells come from two of 2**(b−1); a window of k cells is the disjoint
    union of the power-of-two windows of k's binary digits, so sums stay exact (ints)
    and max/min need no overlap trick.
    """
    part: Array = a  # windows of `size` cells, starting at every position
    size, offset = 1, 0
    out: Array | None = None
    while True:
        if k & size:
            term = _along(part, axis, offset, 1, n)
            out = term.copy() if out is None else ufunc(out, term, out=out)
            offset += size
        if size * 2 > k:
            break
        length = part.shape[axis] - size
        part = ufunc(_along(part, axis, 0, 1, length), _along(part, axis, size, 1, length))
        size *= 2
    assert out is not None
    return out


def _along(a: Array, axis: int, start: int, step: int, count: int) -> Array:
    """``count`` cells of ``a`` along ``axis`` from ``start`` every ``step``."""
    index: list[slice] = [slice(None)] * a.ndim
    index[axis] = slice(start, start + step * (count - 1) + 1, step)
    return a[tuple(index)]
