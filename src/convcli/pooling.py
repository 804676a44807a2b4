"""N-dimensional pooling: max, avg, min and lp, as PyTorch and ONNX compute them. No I/O.

Semantics are PyTorch's ``max_pool{1,2,3}d`` / ``avg_pool{1,2,3}d`` (ceil_mode,
count_include_pad, max-pool dilation, ``return_indices``) widened to what ONNX's
``MaxPool``, ``AveragePool`` and ``LpPool`` accept: padding before and after each axis
separately, each up to the window minus one (PyTorch stops at half the window). A padding
cell never wins a max or a min and counts in an average only with ``count_include_pad``.

Exactness: max and min return input values unchanged (ints stay ints); integer and
fraction averages are exact :class:`~fractions.Fraction` values; ``lp`` with P = 1 is the
exact sum of absolute values. Lp with any other P is float64: the P-th root of the exact
sum Σ|x|ᴾ (exact for integer P and exact inputs), rounded once to float64 before the root;
the root is irrational in general, and a result whose type depended on whether a window's
sum happens to be a perfect power would surprise more than it helps.

Lp pooling is ONNX's LpPool, the Lp norm ``(Σ |x|ᴾ)^(1/P)``; PyTorch's ``lp_pool`` raises
x (not |x|) to the power P, which is the same for non-negative inputs and differs for odd
P on negative ones.

A window that holds no input cell at all (possible only with dilation, where every tap
lands in the padding or between the input's cells) is an error for max, min and an
average without ``count_include_pad``: there is nothing to choose or divide by (PyTorch
returns -inf and an index outside the input).

>>> pool1d([1, 5, 2, 4, 3], 2).tolist()
[5, 4]
>>> pool2d([[3, -4], [0, 0]], 2, op="lp").tolist()
[[5.0]]
>>> values, indices = pool1d([1, 5, 2, 4], 3, stride=1, padding=(1, 0), return_indices=True)
>>> values.tolist(), indices.tolist()
([5, 5, 5], [1, 1, 1])
"""

from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from convcli import algorithms, limits
from convcli.errors import ConvError, ShapeError
from convcli.numbers import INT64_MAX, Array, Number, canonical, fractions_of, max_abs
from convcli.params import PoolParams
from convcli.shape import AxisArithmetic, pool_axis

AXIS_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


@dataclasses.dataclass(frozen=True)
class PoolSetup:
    """A validated pooling: the input as [C][*spatial] and the arithmetic of each axis."""

    x: Array  # [C][*spatial]
    op: str
    axes: tuple[AxisArithmetic, ...]
    count_include_pad: bool
    squeeze: bool  # the input had no channel axis
    ceil_mode: bool = False
    norm_type: int | float = 2
    return_indices: bool = False
    line: bool = False  # 1-D work run in the plane (convcli.lens): shown with one axis

    @property
    def dims(self) -> int:
        return len(self.axes)

    @property
    def rows(self) -> AxisArithmetic:
        """The height axis of a 2-D pooling (the one before the last)."""
        return self.axes[-2]

    @property
    def cols(self) -> AxisArithmetic:
        """The width axis (the last)."""
        return self.axes[-1]

    @property
    def spatial_output(self) -> tuple[int, ...]:
        return tuple(a.output for a in self.axes)

    @property
    def output_shape(self) -> tuple[int, ...]:
        out = self.spatial_output
        return out if self.squeeze else (self.x.shape[0], *out)


def prepare_pool(
    x: Any,
    window: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
    dims: int = 2,
) -> PoolSetup:
    """Validate an N-D pooling (``dims`` spatial axes; the input has them, channels first
    optional) and work out each axis; ``ConvError`` when the parameters do not fit."""
    params = PoolParams.build(
        window,
        stride=stride,
        padding=padding,
        dilation=dilation,
        op=op,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        norm_type=norm_type,
        return_indices=return_indices,
        dims=dims,
    )
    image = _as_input(x, dims)
    x_c = image if image.ndim == dims + 1 else image[None]
    axes = tuple(
        pool_axis(
            size,
            params.window[i],
            params.stride[i],
            params.padding[2 * i],
            pad_after=params.padding[2 * i + 1],
            dilation=params.dilation[i],
            ceil_mode=params.ceil_mode,
            axis=AXIS_NAMES[dims][i],
        )
        for i, size in enumerate(x_c.shape[1:])
    )
    channels = x_c.shape[0]
    # indices look at every window's cells at once: an output-sized array per tap
    window_copies = math.prod(a.output * a.kernel for a in axes) if return_indices else 0
    limits.check(
        cells=channels * max(math.prod(a.padded + a.stride + a.span for a in axes), window_copies),
        work=channels * math.prod(a.output * a.kernel for a in axes),
        exact_objects=x_c.dtype == object,
        what="this pooling",
    )
    if params.op in ("max", "min") or (params.op == "avg" and not params.count_include_pad):
        _check_every_window_reads_input(axes)
    return PoolSetup(
        x_c,
        params.op,
        axes,
        params.count_include_pad,
        image.ndim == dims,
        params.ceil_mode,
        params.norm_type,
        params.return_indices,
    )


def _as_input(value: Any, dims: int) -> Array:
    """A canonical array with ``dims`` or ``dims + 1`` axes (channels first)."""
    try:
        if isinstance(value, np.ndarray):
            array = value
        else:
            array = np.array(value, dtype=object)
            if any(isinstance(v, list | tuple | np.ndarray) for v in array.flat):
                msg = "rows of different lengths (a ragged nested list)"
                raise ValueError(msg)
        array = canonical(array)
    except (TypeError, ValueError) as exc:
        msg = f"the input: {exc}"
        raise ConvError(msg) from None
    if array.ndim not in (dims, dims + 1):
        msg = (
            f"the input must be {dims}-D or {dims + 1}-D, "
            f"got a {array.ndim}-D array of shape {list(array.shape)}"
        )
        raise ShapeError(msg)
    if array.size == 0:
        msg = f"the input is empty (shape {list(array.shape)})"
        raise ShapeError(msg)
    return array


def _taps(axis: AxisArithmetic) -> Array:
    """[output position][tap]: the input coordinate each tap of each window reads."""
    starts = np.arange(axis.output, dtype=np.int64) * axis.stride - axis.pad_before
    offsets: Array = starts[:, None] + np.arange(axis.kernel, dtype=np.int64) * axis.dilation
    return offsets


def _check_every_window_reads_input(axes: tuple[AxisArithmetic, ...]) -> None:
    for name, axis in zip(AXIS_NAMES[len(axes)], axes, strict=True):
        taps = _taps(axis)
        empty = np.flatnonzero(~((taps >= 0) & (taps < axis.size)).any(axis=1))
        if empty.size:
            msg = (
                f"output {name} position {int(empty[0])} reads only padding: "
                f"with dilation {axis.dilation}, its window has no input cell "
                "to choose or divide by"
            )
            raise ShapeError(msg)


def pool_windows(setup: PoolSetup, fill: Number) -> Array:
    """The input padded with ``fill`` far enough that every window is complete (ceil_mode
    may need cells past the padding after the input; they hold ``fill`` too)."""
    widths = [(0, 0)]
    for axis in setup.axes:
        need = (axis.output - 1) * axis.stride + axis.span
        widths.append((axis.pad_before, max(need - axis.size - axis.pad_before, 0)))
    if not any(before or after for before, after in widths):
        return setup.x
    sizes = list(zip(setup.x.shape, widths, strict=True))
    shape = tuple(n + before + after for n, (before, after) in sizes)
    # np.pad would store an object array's constant as a numpy int64, which then
    # overflows against Python ints: fill with the Python value itself
    out = np.full(shape, fill, dtype=setup.x.dtype)
    inner = tuple(slice(before, before + n) for n, (before, _) in sizes)
    out[inner] = setup.x
    return out


def _fill(setup: PoolSetup) -> Number:
    """The padding value that never wins: the input's own extreme for exact inputs."""
    x = setup.x
    if setup.op in ("avg", "lp"):
        return 0
    if x.dtype == np.float64:
        return -np.inf if setup.op == "max" else np.inf
    extreme: Number = x.min() if setup.op == "max" else x.max()
    return extreme


def run_pool(setup: PoolSetup) -> Array:
    """The pooled values: max/min/sums one axis at a time
    (:func:`convcli.algorithms.pool_reduce`); averages of exact inputs as fractions."""
    with np.errstate(over="ignore", invalid="ignore"):
        if setup.op == "avg":
            out = _average(setup)
        elif setup.op == "lp":
            out = _lp(setup)
        else:
            out = _reduce(pool_windows(setup, _fill(setup)), setup.op, setup)
    result: Array = out[0] if setup.squeeze else out
    return result


def run_pool_indices(setup: PoolSetup) -> tuple[Array, Array]:
    """Max or min values and, per output cell, the flat index in the input plane (the
    spatial axes of one channel, row-major) of the cell chosen, as PyTorch's
    ``return_indices``: the first cell holding the value in the window's row-major
    order; when the value is NaN (a NaN wins a max or a min), the last NaN, as PyTorch."""
    if setup.op not in ("max", "min"):
        msg = f"indices apply to max and min pooling, not to {setup.op}"
        raise ConvError(msg)
    with np.errstate(over="ignore", invalid="ignore"):
        padded = pool_windows(setup, _fill(setup))
        values = _reduce(padded, setup.op, setup)
        indices = _indices(setup, padded, values)
    if setup.squeeze:
        return values[0], indices[0]
    return values, indices


def _reduce(padded: Array, op: str, setup: PoolSetup) -> Array:
    axes = setup.axes
    return algorithms.pool_reduce(
        padded,
        op,
        tuple(a.kernel for a in axes),
        tuple(a.stride for a in axes),
        tuple(a.output for a in axes),
        tuple(a.dilation for a in axes),
    )


def _divisors(axis: AxisArithmetic, include_pad: bool) -> Array:
    """Per output position of one axis, how many taps the average divides by: those on
    the padded input (PyTorch's and ONNX's rule; the cells past it that ceil_mode adds
    never count), or only those on the input."""
    taps = _taps(axis)
    low, high = (-axis.pad_before, axis.size + axis.pad_after) if include_pad else (0, axis.size)
    counts: Array = ((taps >= low) & (taps < high)).sum(axis=1)
    return counts


def _average(setup: PoolSetup) -> Array:
    per_axis = [_divisors(a, setup.count_include_pad) for a in setup.axes]
    # one number when every window counts the same cells: no output-sized divisor
    same = all(d.min() == d.max() for d in per_axis)
    padded = pool_windows(setup, 0)
    if setup.x.dtype == np.float64:
        sums = _reduce(padded, "sum", setup)
        # in place, by a float64 divisor (an int64 one is cast cell by cell)
        if same:
            sums /= float(math.prod(int(d[0]) for d in per_axis))
        else:
            sums /= functools.reduce(np.multiply.outer, per_axis).astype(np.float64)
        return sums
    bound = max_abs(setup.x) * math.prod(a.kernel for a in setup.axes)
    exact = padded.astype(object) if bound > INT64_MAX else padded
    sums = _reduce(exact, "sum", setup)
    if sums.dtype == np.int64 and same:
        # one divisor (no padding counted apart): reduced and built vectorised
        return fractions_of(sums, math.prod(int(d[0]) for d in per_axis))
    divisor: Array = functools.reduce(np.multiply.outer, per_axis)
    quotient: Array = np.frompyfunc(Fraction, 2, 1)(sums, divisor.astype(object))
    return quotient


def _lp(setup: PoolSetup) -> Array:
    """ONNX's LpPool: (Σ |x|ᴾ)^(1/P) over each window, padding cells adding 0."""
    power = setup.norm_type
    x = setup.x
    if x.dtype == np.float64 or isinstance(power, float):
        magnitudes = np.abs(_as_float(x))
        powered = magnitudes if power == 1 else magnitudes**power
        sums = _reduce(_padded_like(setup, powered), "sum", setup)
        if power == 1:
            return sums
        return np.sqrt(sums) if power == 2 else sums ** (1.0 / power)
    window_cells = math.prod(a.kernel for a in setup.axes)
    bound = max_abs(x) ** power * window_cells
    magnitudes = np.abs(x)
    if x.dtype == object or bound > INT64_MAX:
        magnitudes = magnitudes.astype(object)
    powered = magnitudes if power == 1 else magnitudes**power
    sums = _reduce(_padded_like(setup, powered), "sum", setup)
    if power == 1:
        return sums
    if sums.dtype == np.int64:
        floats = sums.astype(np.float64)
        return np.sqrt(floats) if power == 2 else floats ** (1.0 / power)
    # Python ints or fractions, possibly beyond float64: one root per cell is unavoidable
    roots = [_root(value, power) for value in sums.ravel().tolist()]
    return np.array(roots, dtype=np.float64).reshape(sums.shape)


def _padded_like(setup: PoolSetup, values: Array) -> Array:
    """``values`` (same shape as the input) zero-padded as the windows need."""
    return pool_windows(dataclasses.replace(setup, x=values), 0)


def _as_float(x: Array) -> Array:
    try:
        return x.astype(np.float64)
    except OverflowError:
        msg = "the input holds an integer too large for float64, which this Lp norm needs"
        raise ConvError(msg) from None


def _root(value: int | Fraction, power: int) -> float:
    """The float64 P-th root of an exact non-negative number, even beyond float64's range."""
    try:
        number = float(value)
    except OverflowError:
        numerator, denominator = value.numerator, value.denominator
        return math.exp((math.log(numerator) - math.log(denominator)) / power)
    return math.sqrt(number) if power == 2 else number ** (1.0 / power)


def _indices(setup: PoolSetup, padded: Array, values: Array) -> Array:
    """Flat input-plane index of the first window cell that holds the window's value,
    padding excluded; all windows at once on a strided view of ``padded``."""
    axes = setup.axes
    dims = len(axes)
    spans = tuple(a.span for a in axes)
    view = np.lib.stride_tricks.sliding_window_view(padded, spans, axis=tuple(range(1, dims + 1)))
    picks: tuple[slice, ...] = (slice(None),)
    picks += tuple(slice(0, (a.output - 1) * a.stride + 1, a.stride) for a in axes)
    picks += tuple(slice(None, None, a.dilation) for a in axes)
    window_cells = math.prod(a.kernel for a in axes)
    windows = view[picks].reshape(*values.shape, window_cells)
    # which taps of each window are input cells: an outer "and" of one mask per axis
    valid = np.ones((*values.shape[1:], *(a.kernel for a in axes)), dtype=bool)
    for number, axis in enumerate(axes):
        taps = _taps(axis)
        shape = [1] * (2 * dims)
        shape[number], shape[dims + number] = axis.output, axis.kernel
        valid &= ((taps >= 0) & (taps < axis.size)).reshape(shape)
    valid = valid.reshape(*values.shape[1:], window_cells)
    target = values[..., None]
    hits = np.asarray(windows == target, dtype=bool)
    chosen = np.argmax(hits & valid, axis=-1)
    if values.dtype == np.float64:  # a NaN wins, and PyTorch keeps the last one it meets
        nans = np.isnan(windows) & valid
        last_nan = window_cells - 1 - np.argmax(nans[..., ::-1], axis=-1)
        chosen = np.where(np.isnan(values), last_nan, chosen)
    chosen_taps = np.unravel_index(chosen, tuple(a.kernel for a in axes))
    coordinates = []
    for number, (axis, tap) in enumerate(zip(axes, chosen_taps, strict=True)):
        shape = [1] * (dims + 1)
        shape[number + 1] = axis.output
        starts = (np.arange(axis.output) * axis.stride - axis.pad_before).reshape(shape)
        coordinates.append(starts + tap * axis.dilation)
    flat: Array = np.ravel_multi_index(
        tuple(np.broadcast_to(c, values.shape) for c in coordinates),
        tuple(a.size for a in axes),
    )
    return flat.astype(np.int64)


def pool_nd(
    x: Any,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
    *,
    dims: int,
) -> Any:
    """Pooling over ``dims`` spatial axes; ``(values, indices)`` with ``return_indices``."""
    setup = prepare_pool(
        x,
        window,
        stride=stride,
        padding=padding,
        dilation=dilation,
        op=op,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        norm_type=norm_type,
        return_indices=return_indices,
        dims=dims,
    )
    return run_pool_indices(setup) if return_indices else run_pool(setup)


def pool1d(
    x: Any,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
) -> Any:
    """Pooling of ``[W]`` or ``[C][W]``: ``max``, ``avg``, ``min`` or ``lp``; the stride
    defaults to the window; padding is 1 number or LEFT,RIGHT.

    >>> pool1d([1, 2, 3, 4, 5], 2, dilation=2, stride=1, op="min").tolist()
    [1, 2, 3]
    """
    return pool_nd(
        x, window, stride, padding, dilation, op, ceil_mode, count_include_pad, norm_type,
        return_indices, dims=1,
    )  # fmt: skip


def pool2d(
    x: Any,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
) -> Any:
    """Pooling of ``[H][W]`` or ``[C][H][W]`` with PyTorch's semantics, widened to ONNX's
    padding; padding is 1 number, H,W or TOP,BOTTOM,LEFT,RIGHT.

    >>> pool2d([[1, -2], [3, 4]], 2, op="min").tolist()
    [[-2]]
    """
    return pool_nd(
        x, window, stride, padding, dilation, op, ceil_mode, count_include_pad, norm_type,
        return_indices, dims=2,
    )  # fmt: skip


def pool3d(
    x: Any,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
) -> Any:
    """Pooling of ``[D][H][W]`` or ``[C][D][H][W]``; padding is 1 number, D,H,W or
    FRONT,BACK,TOP,BOTTOM,LEFT,RIGHT.

    >>> pool3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], 2, op="avg").tolist()
    [[[Fraction(9, 2)]]]
    """
    return pool_nd(
        x, window, stride, padding, dilation, op, ceil_mode, count_include_pad, norm_type,
        return_indices, dims=3,
    )  # fmt: skip
