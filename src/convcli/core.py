"""The numpy core: pad, dilate, conv1d/2d/3d, conv_transpose1d/2d/3d, pool2d. No I/O,
no printing.

Semantics are PyTorch's (cross-correlation; weight ``[O][C/g][k…]`` for conv and
``[C_in][C_out/g][k…]`` for conv_transpose, channels first); the arithmetic is exact for
integers and fractions (see :mod:`convcli.numbers`). One implementation serves 1, 2 and 3
spatial axes: conv2d is its N = 2 case.

>>> conv2d([[1, 2, 0, 2], [1, 0, 3, -1], [2, 2, 2, 0], [3, 1, -2, 0]],
...        [[0, 1, -1], [-1, 0, 1], [1, 0, 1]]).tolist()
[[8, -1], [-2, 3]]
>>> conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], stride=2).tolist()
[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
>>> pool2d([[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]], 2, op="avg").tolist()
[[Fraction(3, 1), Fraction(6, 1)], [Fraction(5, 2), Fraction(2, 1)]]
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple, TypeVar

import numpy as np

from convcli import algorithms, limits
from convcli.errors import ConvError, ParameterError, ShapeError
from convcli.numbers import (
    INT64_MAX,
    Array,
    Kind,
    Number,
    canonical,
    fractions_of,
    kind_of,
    kind_of_value,
    max_abs,
    scaled_integers,
)
from convcli.params import (
    AxisPadding,
    ConvParams,
    Pads,
    as_axes,
    as_axis_padding,
    as_transpose_axis_padding,
    resolve_axis_paddings,
)

# the pooling lives in convcli.pooling; these names stay importable from here
from convcli.pooling import PoolSetup as PoolSetup
from convcli.pooling import pool1d as pool1d
from convcli.pooling import pool2d as pool2d
from convcli.pooling import pool3d as pool3d
from convcli.pooling import pool_windows as pool_windows
from convcli.pooling import prepare_pool as prepare_pool
from convcli.pooling import run_pool as run_pool
from convcli.pooling import run_pool_indices as run_pool_indices
from convcli.shape import (
    AxisArithmetic,
    TransposeAxis,
    axis_names,
    conv_axis,
    transpose_axis,
)

_NP_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def as_matrix(value: Any, name: str, *, ndims: Sequence[int]) -> Array:
    """A canonical array from an ndarray or nested lists, with one of the allowed ndims."""
    try:
        array = value if isinstance(value, np.ndarray) else _from_nested(value)
        array = canonical(array)
    except (TypeError, ValueError) as exc:
        msg = f"{name}: {exc}"
        raise ConvError(msg) from None
    if array.ndim not in ndims:
        allowed = " or ".join(f"{n}-D" for n in ndims)
        msg = f"{name} must be {allowed}, got a {array.ndim}-D array of shape {list(array.shape)}"
        raise ShapeError(msg)
    if array.size == 0:
        msg = f"{name} is empty (shape {list(array.shape)})"
        raise ShapeError(msg)
    return array


def _from_nested(value: Any) -> Array:
    array = np.array(value, dtype=object)
    if any(isinstance(v, list | tuple | np.ndarray) for v in array.flat):
        msg = "rows of different lengths (a ragged nested list)"
        raise ValueError(msg)
    return array


def _scalar(value: Any, name: str) -> Number:
    try:
        kind = kind_of_value(value)
    except TypeError as exc:
        msg = f"{name}: {exc}"
        raise ParameterError(msg) from None
    if kind is Kind.FLOAT:
        return float(value)
    return value if isinstance(value, Fraction) else int(value)


def _bias_vector(bias: Any, channels: int) -> list[Number] | None:
    if bias is None:
        return None
    items = list(bias) if isinstance(bias, Sequence | np.ndarray) else [bias]
    values = [_scalar(b, "bias") for b in items]
    if len(values) == 1:
        return values * channels
    if len(values) != channels:
        msg = (
            f"bias has {_count(len(values), 'value')} but there "
            f"{'is' if channels == 1 else 'are'} {_count(channels, 'output channel')}"
        )
        raise ShapeError(msg)
    return values


def _dtype_for(arrays: Sequence[Array], scalars: Sequence[Number], bound: Number) -> Any:
    """float64 if anything is a float; object for fractions, big ints or a bound over int64."""
    kinds = [kind_of(a) for a in arrays] + [kind_of_value(s) for s in scalars]
    if Kind.FLOAT in kinds:
        return np.float64
    if Kind.RATIONAL in kinds or any(a.dtype == object for a in arrays) or bound > INT64_MAX:
        return object
    return np.int64


def _converted(array: Array, dtype: Any, name: str) -> Array:
    """The array in the computing dtype; an integer too large for float64 is an error."""
    try:
        return array.astype(dtype, copy=False)
    except OverflowError:
        msg = (
            f"{name} holds an integer too large for float64, and a float elsewhere makes "
            "the arithmetic float64; write the floats as fractions (a/b) to stay exact"
        )
        raise ConvError(msg) from None


def _in_arithmetic(values: Sequence[Number], dtype: Any) -> list[Number]:
    """Pad value or biases as the arithmetic needs them: floats for float64 (where a
    Fraction could not be added to a float array), unchanged otherwise."""
    if dtype is not np.float64:
        return list(values)
    try:
        return [float(value) for value in values]
    except OverflowError:
        digits = max(len(str(abs(int(v)))) for v in values)
        msg = (
            f"a bias or pad value of {digits} digits is too large for float64 arithmetic; "
            "write the floats as fractions (a/b) to stay exact"
        )
        raise ConvError(msg) from None


def _int_bound(x: Array, w: Array, extra: Sequence[Number], terms: int) -> tuple[Number, int]:
    """An upper bound of |Σ x·w| + |bias| over any output cell (for the int64 decision),
    and max|x| with the pad value (0, 0 for floats).

    ``extra`` is the pad value followed by the biases.
    """
    if kind_of(x) is Kind.FLOAT or kind_of(w) is Kind.FLOAT:
        return 0, 0
    # fractions and floats choose another arithmetic anyway: only integers matter here
    magnitudes = [abs(v) if isinstance(v, int) else 0 for v in extra]
    largest_x = max([int(max_abs(x)), *magnitudes[:1]])
    return largest_x * int(max_abs(w)) * terms + max(magnitudes[1:], default=0), largest_x


_UNITS = {1: ("cell",), 2: ("row", "column"), 3: ("slice", "row", "column")}
_LAYOUT = {1: "[k]", 2: "[kh][kw]", 3: "[kd][kh][kw]"}


def _listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def pad_input(x: Array, pads: Sequence[int], mode: str = "zeros", value: Number = 0) -> Array:
    """Pad the last N axes of ``x`` by 2N numbers, (before, after) per axis in axis order
    (2-D: top, bottom, left, right), with a PyTorch mode."""
    n = len(pads) // 2
    sizes = x.shape[-n:]
    widths = [(pads[2 * a], pads[2 * a + 1]) for a in range(n)]
    if mode in ("reflect", "circular"):
        most = [size - 1 if mode == "reflect" else size for size in sizes]
        if any(max(w) > m for w, m in zip(widths, most, strict=True)):
            units = _UNITS[n] if n in _UNITS else ("cell",) * n
            counts = [_count(m, unit) for m, unit in zip(most, units, strict=True)]
            where = f"a {'×'.join(map(str, sizes))} input" if n > 1 else f"{sizes[0]} cells"
            msg = (
                f"{mode} padding ({','.join(map(str, pads))}) must be at most "
                f"{_listed(counts)} for {where}"
            )
            raise ParameterError(msg)
    if not any(pads):
        return x
    if mode == "zeros":
        # np.pad would store an object array's constant as a numpy int64, which then
        # overflows against Python ints: fill with the Python value itself
        grown = tuple(size + b + a for size, (b, a) in zip(sizes, widths, strict=True))
        out = np.full((*x.shape[:-n], *grown), value, dtype=x.dtype)
        inside = tuple(slice(b, b + size) for size, (b, _) in zip(sizes, widths, strict=True))
        out[algorithms.at(..., *inside)] = x
        return out
    every = [(0, 0)] * (x.ndim - n) + widths
    padded: Array = np.pad(x, every, mode=_NP_PAD_MODES[mode])  # type: ignore[call-overload]
    return padded


def dilate_kernel(kernel: Array, dilation: Sequence[int]) -> Array:
    """The kernel with d−1 zeros between taps on the last N axes (size d·(k−1)+1), N the
    number of dilations."""
    n = len(dilation)
    spans = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel.shape[-n:], strict=True))
    shape = (*kernel.shape[:-n], *spans)
    cells = 1
    for size in shape:
        cells *= size
    limits.check(cells=cells, work=0, exact_objects=False, what="this dilated kernel")
    out = np.zeros(shape, dtype=kernel.dtype)
    out[algorithms.at(..., *(slice(None, None, d) for d in dilation))] = kernel
    return out


SetupT = TypeVar("SetupT")


def _ieee(run: Callable[[SetupT], Array]) -> Callable[[SetupT], Array]:
    """Float64 overflow gives inf and 0·inf gives NaN, as IEEE 754 says: no numpy warning."""

    @functools.wraps(run)
    def quiet(setup: SetupT) -> Array:
        with np.errstate(over="ignore", invalid="ignore"):
            return run(setup)

    return quiet


def _taps(shape: tuple[int, ...]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(shape[-2]) for j in range(shape[-1])]


def _flipped(weight: Array, ndim: int) -> Array:
    """The kernel rotated 180° in its N spatial axes (true convolution)."""
    flipped: Array = weight[algorithms.at(..., *(slice(None, None, -1),) * ndim)]
    return flipped


class Geometry(NamedTuple):
    """The per-axis parameters of a convolution with N spatial axes, validated."""

    stride: tuple[int, ...]
    padding: AxisPadding  # a word or (before, after) per axis
    dilation: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.stride)

    @classmethod
    def build(cls, ndim: int, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Geometry:
        return cls(
            as_axes(stride, "stride", ndim),
            as_axis_padding(padding, ndim),
            as_axes(dilation, "dilation", ndim),
        )

    @classmethod
    def of(cls, params: ConvParams) -> Geometry:
        """The 2-D geometry that ``params`` holds."""
        return cls(params.stride, params.padding, params.dilation)


AxisT = TypeVar("AxisT")


def _plane(axes: tuple[AxisT, ...], what: str) -> tuple[AxisT, AxisT]:
    """The (rows, cols) axes of a 2-D setup; the 2-D presentation reads only those."""
    if len(axes) != 2:
        msg = f"{what} is defined for 2-D setups; this one has {len(axes)} spatial axes"
        raise AttributeError(msg)
    return axes[0], axes[1]


# --- convolution: conv1d, conv2d, conv3d ----------------------------------------------------


@dataclass(frozen=True)
class ConvSetup:
    """A validated convolution: normalised arrays in the computing dtype, and the geometry.

    N spatial axes (1, 2 or 3); ``stride``, ``dilation`` and ``axes`` have N entries and
    ``pads`` 2N (before, after per axis: (top, bottom, left, right) in 2-D). ``params``
    holds groups, padding mode, pad value and flip for every N, and in 2-D also the
    stride, padding and dilation pairs as given (what the 2-D presentation reads); for
    N ≠ 2 its stride, padding and dilation are unused defaults: read ``stride``,
    ``pads`` and ``dilation`` (right for every N).
    """

    x: Array  # [C][*spatial]
    weight: Array  # [O][C/g][*kernel], already flipped when params.flip
    bias: list[Number] | None
    params: ConvParams
    pads: tuple[int, ...]
    axes: tuple[AxisArithmetic, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    squeeze: bool  # the result has no channel axis (a kernel without [O])
    input_shape: tuple[int, ...] = ()  # as given
    kernel_shape: tuple[int, ...] = ()
    line: bool = False  # 1-D work run in the plane (convcli.lens): shown with one axis
    bound: Number = 0  # integers: max|Σ x·w| + |bias| over any cell (0 for floats)
    largest_x: int | None = None  # integers: max|x| with the pad value (None: unknown)
    # an int64 input made exact objects (by a kernel of fractions): the int64 array, so
    # the rational path scales it without reading four million Python ints back
    int64_x: Array | None = None

    @property
    def ndim(self) -> int:
        """Spatial axes."""
        return len(self.axes)

    @property
    def rows(self) -> AxisArithmetic:
        return _plane(self.axes, "rows")[0]

    @property
    def cols(self) -> AxisArithmetic:
        return _plane(self.axes, "cols")[1]

    @property
    def spatial_output(self) -> tuple[int, ...]:
        return tuple(axis.output for axis in self.axes)

    @property
    def output_shape(self) -> tuple[int, ...]:
        spatial = self.spatial_output
        return spatial if self.squeeze else (self.weight.shape[0], *spatial)

    @property
    def exact(self) -> bool:
        return all(axis.exact for axis in self.axes)

    @functools.cached_property
    def padded(self) -> Array:
        """The padded input, built once (the run, the traces and the views share it)."""
        return pad_input(self.x, self.pads, self.params.padding_mode, self.params.pad_value)

    def padded_input(self) -> Array:
        return self.padded


def prepare_conv(
    x: Any,
    kernel: Any,
    *,
    params: ConvParams,
    bias: Any = None,
    geometry: Geometry | None = None,
) -> ConvSetup:
    """Validate shapes and parameters and pick the arithmetic; nothing is computed yet.

    ``geometry`` gives the stride, padding and dilation of N spatial axes; without it
    they are the 2-D ones of ``params``.
    """
    geometry = geometry or Geometry.of(params)
    n = geometry.ndim
    image = as_matrix(x, "the input", ndims=(n, n + 1))
    weight = as_matrix(kernel, "the kernel", ndims=(n, n + 1, n + 2))
    squeeze = weight.ndim < n + 2
    image_c = image if image.ndim == n + 1 else image[None]
    weight_full = weight.reshape((1,) * (n + 2 - weight.ndim) + weight.shape)
    _check_conv_channels(image_c.shape[0], weight_full.shape, params.groups, weight.ndim - n, n)
    if params.flip:
        weight_full = _flipped(weight_full, n)
    kernel_size, sizes = weight_full.shape[2:], image_c.shape[1:]
    stride, dilation = geometry.stride, geometry.dilation
    pads = resolve_axis_paddings(geometry.padding, sizes, kernel_size, stride, dilation)
    names = axis_names(n)
    axes = tuple(
        conv_axis(sizes[a], kernel_size[a], stride[a], dilation[a], *pads[2 * a : 2 * a + 2],
                  axis=names[a])
        for a in range(n)
    )  # fmt: skip
    biases = _bias_vector(bias, weight_full.shape[0])
    pad_value = _scalar(params.pad_value, "pad value")
    terms = math.prod(weight_full.shape[1:])
    bound, largest_x = _int_bound(image_c, weight_full, [pad_value, *(biases or [])], terms)
    dtype = _dtype_for([image_c, weight_full], [pad_value, *(biases or [])], bound)
    _in_arithmetic([pad_value], dtype)
    biases = _in_arithmetic(biases, dtype) if biases is not None else None
    padded = math.prod(axis.padded for axis in axes)
    outputs = math.prod(axis.output for axis in axes)
    limits.check(
        cells=image_c.shape[0] * max(padded, outputs) + weight_full.shape[0] * outputs,
        work=weight_full.shape[0] * outputs * terms,
        exact_objects=dtype is object,
        what="this convolution",
    )
    return ConvSetup(
        x=_converted(image_c, dtype, "the input"),
        weight=_converted(weight_full, dtype, "the kernel"),
        bias=biases,
        params=params,
        pads=pads,
        axes=axes,
        stride=stride,
        dilation=dilation,
        squeeze=squeeze,
        input_shape=image.shape,
        kernel_shape=weight.shape,
        bound=bound,
        largest_x=largest_x,
        int64_x=image_c if dtype is object and image_c.dtype == np.int64 else None,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def check_channels(
    x_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    groups: int,
    ndim: int,
    *,
    transposed: bool = False,
) -> None:
    """The channel rules of a convolution of ``ndim`` axes on these shapes alone, with
    the layouts of ``ndim`` in the messages (1-D work checks them before it runs in the
    plane, where the layouts would read [kh][kw])."""
    channels = x_shape[0] if len(x_shape) == ndim + 1 else 1
    lead = len(kernel_shape) - ndim
    if transposed:
        full = (*kernel_shape[:-ndim], *(1,) * (2 - lead), *kernel_shape[-ndim:])
        _check_transpose_channels(channels, full, groups, ndim)
    else:
        full = (*(1,) * (2 - lead), *kernel_shape)
        _check_conv_channels(channels, full, groups, lead, ndim)


def _check_conv_channels(
    channels: int, weight: tuple[int, ...], groups: int, lead: int, ndim: int = 2
) -> None:
    """``lead``: the kernel's axes before its N spatial ones (0, 1 = [C], 2 = [O][C/g])."""
    out_channels, per_group = weight[0], weight[1]
    if channels % groups or out_channels % groups:
        msg = (
            f"groups {groups} must divide the input channels ({channels}) "
            f"and the output channels ({out_channels})"
        )
        raise ShapeError(msg)
    if per_group * groups != channels:
        spatial = _LAYOUT[ndim]
        layout = ("", "[C]", "[O][C/groups]")[lead] + spatial
        msg = (
            f"the kernel {layout} reads {per_group} channel{'s' * (per_group != 1)}"
            f"{' per group' if groups > 1 else ''}, but the input has {channels}"
            f"{f' ({channels // groups} per group)' if groups > 1 else ''}"
        )
        hint = None
        if lead == 0 and groups == 1:
            # --groups C alone does not do it: a kernel without [O] is one output channel,
            # and groups must divide the output channels too
            hint = (
                f"repeat --kernel {channels} times with --groups {channels} to filter each "
                f"channel alone, or give a {ndim + 1}-D kernel [{channels}]{spatial} to sum "
                "them (in a text file, a blank line starts a new channel)"
            )
        raise ShapeError(msg, hint=hint)


@_ieee
def run_conv(setup: ConvSetup) -> Array:
    """Compute a prepared convolution; :mod:`convcli.algorithms` picks the algorithm, or
    an optional engine (:mod:`convcli.engines`) where one is measured faster."""
    if setup.x.dtype == object:
        exact = _rational_conv(setup)
        if exact is not None:
            return exact
    out = _engine_conv(setup)
    if out is None:
        out = _separable_conv(setup)
    if out is None:
        out = _conv_numpy(setup)
    _add_bias(out, setup.bias)
    return out[0] if setup.squeeze else out


def _engine_conv(setup: ConvSetup) -> Array | None:
    """Single-channel 2-D work at stride 1 without dilation through an optional engine:
    integers through numba's int64 loop, floats (and integers without numba, within
    its exact bound) through OpenCV, filtering the unpadded input with OpenCV's border
    for the padding mode (no padded copy)."""
    x, weight = setup.x, setup.weight
    if not _single_plane(setup):
        return None
    if x.dtype == np.int64 and weight.dtype == np.int64:
        exact = _numba_conv(setup)
        if exact is not None:
            return exact
    from convcli import engines

    p = setup.params
    bound = int(setup.bound) if x.dtype == np.int64 else None
    out = engines.correlate(x[0], weight[0, 0], setup.pads, p.padding_mode, p.pad_value, bound)
    return None if out is None else out[None]


def _numba_conv(setup: ConvSetup) -> Array | None:
    """int64 work through numba's compiled loop when it is installed and loaded or
    worth loading (:mod:`convcli.numba_engine`): exact, as prepare_conv proved that no
    sum leaves int64. Zero padding is read in place; other paddings are padded first."""
    from convcli import numba_engine

    out_h, out_w = setup.spatial_output
    kh, kw = setup.weight.shape[2:]
    if not numba_engine.wanted(out_h * out_w * kh * kw):
        return None
    kernel, (top, _, left, _) = setup.weight[0, 0], setup.pads
    largest = setup.largest_x
    if setup.params.padding_mode == "zeros" and setup.params.pad_value == 0:
        out = numba_engine.correlate(setup.x[0], kernel, top, left, (out_h, out_w), largest)
    else:
        padded = setup.padded_input()[0]
        out = numba_engine.correlate(padded, kernel, 0, 0, (out_h, out_w), largest)
    return None if out is None else out[None]


def _rational_conv(setup: ConvSetup) -> Array | None:
    """Exact fractions at integer speed: the input (with the pad value and biases) is
    scaled by its common denominator Dx and the kernel by its Dw, the integers are
    convolved on the int64 paths, and the result is divided once by Dx·Dw, kept as
    reduced numerator and denominator arrays (:func:`convcli.numbers.fractions_of`).
    None when the numerators or their sums could leave int64: then Python's exact
    arithmetic runs, cell by cell."""
    params = setup.params
    pad_value = _scalar(params.pad_value, "pad value")
    biases = setup.bias or []
    source = setup.x if setup.int64_x is None else setup.int64_x
    scaled_x = scaled_integers(source, [pad_value, *biases])
    scaled_w = scaled_integers(setup.weight)
    if scaled_x is None or scaled_w is None:
        return None
    (xn, dx), (wn, dw) = scaled_x, scaled_w
    denominator = dx * dw
    pad = pad_value * dx
    bias = [b * denominator for b in biases]
    terms = math.prod(setup.weight.shape[1:])
    largest = max(int(max_abs(xn)), abs(int(pad)))
    bound = largest * int(max_abs(wn)) * terms + max((abs(int(b)) for b in bias), default=0)
    if denominator > INT64_MAX or bound > INT64_MAX:
        return None
    padded = pad_input(xn, setup.pads, params.padding_mode, int(pad))
    out = algorithms.conv(
        padded, wn, params.groups, setup.spatial_output, setup.stride, setup.dilation
    )
    for channel, value in enumerate(bias):
        out[channel] += int(value)
    return fractions_of(out[0] if setup.squeeze else out, denominator)


SEPARABLE_MIN = 7  # from 7×7 two 1-D passes beat one (2048²: 50 ms vs 77; 5×5: 65 vs 43)


def _single_plane(setup: ConvSetup) -> bool:
    """One input and one output channel, 2-D, stride 1, no dilation, no forced method."""
    return (
        setup.ndim == 2
        and setup.x.shape[0] == 1
        and setup.weight.shape[:2] == (1, 1)
        and setup.stride == (1, 1)
        and setup.dilation == (1, 1)
        and setup.x.dtype != object
        and algorithms.FORCED is None  # the tests of one method
    )


def _separable_conv(setup: ConvSetup) -> Array | None:
    """A rank-1 kernel u·vᵀ as a pass along rows by v, then one along columns by u.

    Integers stay exact: max|w| = max|u|·max|v|, so the row pass stays within the
    bound prepare_conv proved for the whole kernel. Floats round like any other order
    of the sums; a non-finite result (two passes can overflow where one sum does not)
    goes back to the direct sums.
    """
    weight = setup.weight
    if not _single_plane(setup) or min(weight.shape[2:]) < SEPARABLE_MIN:
        return None
    from convcli import engines

    factors = engines.rank_one(weight[0, 0])
    if factors is None:
        return None
    u, v = factors
    (out_h, out_w), padded = setup.spatial_output, setup.padded_input()
    one = (1, 1)
    rows = algorithms.conv(padded, v[None, None, None, :], 1, (padded.shape[1], out_w), one, one)
    out = algorithms.conv(rows, u[None, None, :, None], 1, (out_h, out_w), one, one)
    if out.dtype == np.float64 and not math.isfinite(float(out.sum())):
        return None
    return out


def _conv_numpy(setup: ConvSetup) -> Array:
    return algorithms.conv(
        setup.padded_input(),
        setup.weight,
        setup.params.groups,
        setup.spatial_output,
        setup.stride,
        setup.dilation,
    )


def _add_bias(out: Array, bias: list[Number] | None) -> None:
    if bias is not None:
        for channel, value in enumerate(bias):
            out[channel] += value


def _conv(ndim: int, x: Any, kernel: Any, bias: Any, options: dict[str, Any]) -> Array:
    geometry_keys = ("stride", "padding", "dilation")
    if ndim == 2:
        params = ConvParams.build(**options)
        geometry = None
    else:
        params = ConvParams.build(**{k: v for k, v in options.items() if k not in geometry_keys})
        geometry = Geometry.build(ndim, **{k: options[k] for k in geometry_keys})
    return run_conv(prepare_conv(x, kernel, params=params, bias=bias, geometry=geometry))


def conv1d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
) -> Array:
    """1-D cross-correlation as ``torch.nn.functional.conv1d`` (``flip=True``: convolution).

    ``x`` is ``[W]`` or ``[C][W]``; ``kernel`` is ``[k]``, ``[C][k]`` or ``[O][C/groups][k]``
    (then the result is ``[O][W']``). Padding: one number, or LEFT,RIGHT, or a word.

    >>> conv1d([1, 2, 3, 4], [1, -1], padding="same-lower", pad_value=9).tolist()
    [8, -1, -1, -1]
    """
    options = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": padding_mode,
        "pad_value": pad_value,
        "flip": flip,
    }
    return _conv(1, x, kernel, bias, options)


def conv2d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
) -> Array:
    """2-D cross-correlation as ``torch.nn.functional.conv2d`` (``flip=True``: convolution).

    ``x`` is ``[H][W]`` or ``[C][H][W]``; ``kernel`` is ``[kh][kw]``, ``[C][kh][kw]`` or
    ``[O][C/groups][kh][kw]`` (then the result is ``[O][H'][W']``).

    >>> conv2d([[1, 2], [3, 4]], [[1]], padding=1, pad_value=9).tolist()
    [[9, 9, 9, 9], [9, 1, 2, 9], [9, 3, 4, 9], [9, 9, 9, 9]]
    """
    numbers = (stride, dilation, groups, padding, pad_value)
    plain = all(type(v) is int for v in numbers) and (stride, dilation, groups) == (1, 1, 1)
    if plain and pad_value == 0 and padding >= 0 and bias is None and flip is False:
        quick = _plain_conv2d(x, kernel, padding, padding_mode)
        if quick is not None:
            return quick if isinstance(quick, np.ndarray) else _numpy_only(quick)
    options = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": padding_mode,
        "pad_value": pad_value,
        "flip": flip,
    }
    return _conv(2, x, kernel, bias, options)


class _Declined(NamedTuple):
    """A plain call the engine declined: what the numpy paths need to compute it."""

    x: Array
    kernel: Array
    padding: int
    padding_mode: str


def _numpy_only(call: _Declined) -> Array:
    """The general path where the engine has already declined the work."""
    params = ConvParams.build(padding=call.padding, padding_mode=call.padding_mode)
    setup = prepare_conv(call.x, call.kernel, params=params)
    with np.errstate(over="ignore", invalid="ignore"):  # as run_conv: IEEE, no warning
        out = _separable_conv(setup)
        out = _conv_numpy(setup) if out is None else out
    plane: Array = out[0]
    return plane


def _plain_conv2d(x: Any, kernel: Any, padding: int, mode: str) -> Array | _Declined | None:
    """``conv2d(x, w, padding=p, padding_mode=mode)`` of two float64 matrices, the other
    options at their defaults, when OpenCV is its engine: the checks of
    :func:`prepare_conv` that can apply there, without its generality, whose fixed
    ~0.1 ms per call is as long as OpenCV's whole filter of a 256² input. None: the
    general path decides (and words any error); _Declined: the engine declined the
    work, the numpy paths compute it."""
    if not (isinstance(x, np.ndarray) and isinstance(kernel, np.ndarray)):
        return None
    if x.dtype != np.float64 or kernel.dtype != np.float64 or x.ndim != 2 or kernel.ndim != 2:
        return None
    if mode not in ("zeros", "reflect", "replicate") or algorithms.FORCED is not None:
        return None
    (h, w), (kh, kw), p = x.shape, kernel.shape, padding
    if kh > h + 2 * p or kw > w + 2 * p or x.size == 0 or kernel.size == 0:
        return None
    if mode == "reflect" and p >= min(h, w):
        return None  # the general path words it
    outputs = (h + 2 * p - kh + 1) * (w + 2 * p - kw + 1)
    limits.check(cells=(h + 2 * p) * (w + 2 * p) + outputs, work=outputs * kh * kw,
                 exact_objects=False, what="this convolution")  # fmt: skip
    from convcli import engines

    with np.errstate(over="ignore", invalid="ignore"):
        out = engines.correlate(x, kernel, (p, p, p, p), mode, 0)
    return _Declined(x, kernel, p, mode) if out is None else out


def conv3d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
) -> Array:
    """3-D cross-correlation as ``torch.nn.functional.conv3d`` (``flip=True``: convolution).

    ``x`` is ``[D][H][W]`` or ``[C][D][H][W]``; ``kernel`` is ``[kd][kh][kw]``,
    ``[C][kd][kh][kw]`` or ``[O][C/groups][kd][kh][kw]``. Padding: one number, D,H,W, or
    FRONT,BACK,TOP,BOTTOM,LEFT,RIGHT, or a word.

    >>> conv3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [[[1]], [[-1]]]).tolist()
    [[[-4, -4], [-4, -4]]]
    """
    options = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": padding_mode,
        "pad_value": pad_value,
        "flip": flip,
    }
    return _conv(3, x, kernel, bias, options)


# --- transposed convolution: conv_transpose1d, 2d, 3d --------------------------------------


@dataclass(frozen=True)
class TransposeSetup:
    """A validated transposed convolution (weight ``[C_in][C_out/g][*kernel]``); N spatial
    axes as in :class:`ConvSetup`."""

    x: Array  # [C_in][*spatial]
    weight: Array
    bias: list[Number] | None
    params: ConvParams
    pads: tuple[int, ...]
    output_padding: tuple[int, ...]
    axes: tuple[TransposeAxis, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    squeeze: bool
    input_shape: tuple[int, ...] = ()  # as given
    kernel_shape: tuple[int, ...] = ()
    line: bool = False  # as ConvSetup's

    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def rows(self) -> TransposeAxis:
        return _plane(self.axes, "rows")[0]

    @property
    def cols(self) -> TransposeAxis:
        return _plane(self.axes, "cols")[1]

    @property
    def spatial_output(self) -> tuple[int, ...]:
        return tuple(axis.output for axis in self.axes)

    @property
    def output_shape(self) -> tuple[int, ...]:
        spatial = self.spatial_output
        return spatial if self.squeeze else (self.weight.shape[1] * self.params.groups, *spatial)

    @property
    def exact(self) -> bool:
        """Always: every input cell is scattered into the output (none is skipped)."""
        return True


def prepare_transpose(
    x: Any,
    kernel: Any,
    *,
    params: ConvParams,
    output_padding: Any = 0,
    bias: Any = None,
    geometry: Geometry | None = None,
) -> TransposeSetup:
    """Validate a transposed convolution; PyTorch allows only zero padding of whole cells."""
    geometry = geometry or Geometry.of(params)
    n = geometry.ndim
    padding = as_transpose_axis_padding(geometry.padding, n)
    if params.padding_mode != "zeros" or params.pad_value != 0:
        msg = "a transposed convolution supports only zero padding (as PyTorch)"
        raise ParameterError(msg)
    image = as_matrix(x, "the input", ndims=(n, n + 1))
    weight = as_matrix(kernel, "the kernel", ndims=(n, n + 1, n + 2))
    squeeze = weight.ndim < n + 2
    image_c = image if image.ndim == n + 1 else image[None]
    weight_full: Array = weight.reshape(
        (*weight.shape[:-n], *(1,) * (n + 2 - weight.ndim), *weight.shape[-n:])
    )
    _check_transpose_channels(image_c.shape[0], weight_full.shape, params.groups, n)
    if params.flip:
        weight_full = _flipped(weight_full, n)
    kernel_size, sizes = weight_full.shape[2:], image_c.shape[1:]
    out_pad = as_axes(output_padding, "output padding", n, minimum=0)
    stride, dilation = geometry.stride, geometry.dilation
    names = axis_names(n)
    axes = tuple(
        transpose_axis(sizes[a], kernel_size[a], stride[a], dilation[a],
                       padding[2 * a], padding[2 * a + 1], out_pad[a], axis=names[a])
        for a in range(n)
    )  # fmt: skip
    out_channels = weight_full.shape[1] * params.groups
    biases = _bias_vector(bias, out_channels)
    terms = image_c.shape[0] * math.prod(kernel_size)
    bound, _ = _int_bound(image_c, weight_full, [0, *(biases or [])], terms)
    dtype = _dtype_for([image_c, weight_full], biases or [], bound)
    biases = _in_arithmetic(biases, dtype) if biases is not None else None
    limits.check(
        cells=out_channels * math.prod(axis.full for axis in axes),
        work=image_c.shape[0] * math.prod(sizes) * weight_full.shape[1] * math.prod(kernel_size),
        exact_objects=dtype is object,
        what="this transposed convolution",
    )
    return TransposeSetup(
        x=_converted(image_c, dtype, "the input"),
        weight=_converted(weight_full, dtype, "the kernel"),
        bias=biases,
        params=params,
        pads=padding,
        output_padding=out_pad,
        axes=axes,
        stride=stride,
        dilation=dilation,
        squeeze=squeeze,
        input_shape=image.shape,
        kernel_shape=weight.shape,
    )


def _check_transpose_channels(
    channels: int, weight: tuple[int, ...], groups: int, ndim: int = 2
) -> None:
    if channels % groups:
        msg = f"groups {groups} must divide the input channels ({channels})"
        raise ShapeError(msg)
    if weight[0] != channels:
        msg = (
            f"the transposed kernel [C_in][C_out/groups]{_LAYOUT[ndim]} has C_in = {weight[0]}, "
            f"but the input has {_count(channels, 'channel')}"
        )
        raise ShapeError(msg)


@_ieee
def run_transpose(setup: TransposeSetup) -> Array:
    """Compute a prepared transposed convolution (output phases gathered as stride-1
    correlations; see :mod:`convcli.algorithms`), cropped by the padding."""
    out = algorithms.conv_transpose(
        setup.x,
        setup.weight,
        setup.params.groups,
        setup.pads[0::2],
        setup.spatial_output,
        setup.stride,
        setup.dilation,
    )
    _add_bias(out, setup.bias)
    return out[0] if setup.squeeze else out


def _options(stride: Any, padding: Any, dilation: Any, groups: Any, flip: bool) -> dict[str, Any]:
    return {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "flip": flip,
    }


def _transpose(
    ndim: int, x: Any, kernel: Any, output_padding: Any, bias: Any, options: dict[str, Any]
) -> Array:
    geometry_keys = ("stride", "padding", "dilation")
    if ndim == 2:
        params = ConvParams.build(**options)
        geometry = None
    else:
        params = ConvParams.build(**{k: v for k, v in options.items() if k not in geometry_keys})
        geometry = Geometry.build(ndim, **{k: options[k] for k in geometry_keys})
    setup = prepare_transpose(
        x, kernel, params=params, output_padding=output_padding, bias=bias, geometry=geometry
    )
    return run_transpose(setup)


def conv_transpose1d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    flip: bool = False,
) -> Array:
    """Transposed convolution as ``torch.nn.functional.conv_transpose1d``; ``x`` is ``[W]``
    or ``[C_in][W]``, ``kernel`` ``[k]``, ``[C_in][k]`` or ``[C_in][C_out/groups][k]``.

    >>> conv_transpose1d([1, 2], [1, 1, 1], stride=2).tolist()
    [1, 1, 3, 2, 2]
    """
    options = _options(stride, padding, dilation, groups, flip)
    return _transpose(1, x, kernel, output_padding, bias, options)


def conv_transpose2d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    flip: bool = False,
) -> Array:
    """Transposed convolution as ``torch.nn.functional.conv_transpose2d``.

    >>> conv_transpose2d([[1, 2], [3, 4]], [[1, 0], [0, 1]]).tolist()
    [[1, 2, 0], [3, 5, 2], [0, 3, 4]]
    """
    options = _options(stride, padding, dilation, groups, flip)
    return _transpose(2, x, kernel, output_padding, bias, options)


def conv_transpose3d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    flip: bool = False,
) -> Array:
    """Transposed convolution as ``torch.nn.functional.conv_transpose3d``; ``x`` is
    ``[D][H][W]`` or ``[C_in][D][H][W]``, ``kernel`` ``[kd][kh][kw]``, ``[C_in][…]`` or
    ``[C_in][C_out/groups][…]``.

    >>> conv_transpose3d([[[1]], [[2]]], [[[1]], [[1]]]).tolist()
    [[[1]], [[3]], [[2]]]
    """
    options = _options(stride, padding, dilation, groups, flip)
    return _transpose(3, x, kernel, output_padding, bias, options)


def transpose_as_direct(setup: TransposeSetup) -> tuple[Array, Array, Pads]:
    """The ordinary convolution equal to a 2-D transposed one.

    Returns the stretched input (s−1 zeros between cells, then padded by d·(k−1) − p on
    each side plus output_padding at the bottom/right; negative padding crops), the
    kernel in conv2d layout with each slice rotated 180°, and the (t, b, l, r) padding
    used. ``conv2d(stretched, kernel, dilation=d, groups=g)`` equals the transposed result.
    """
    x, (sh, sw), (dh, dw) = setup.x, setup.stride, setup.dilation
    kh, kw = setup.weight.shape[-2:]
    channels, height, width = x.shape
    stretched = np.zeros((channels, (height - 1) * sh + 1, (width - 1) * sw + 1), dtype=x.dtype)
    stretched[:, ::sh, ::sw] = x
    top, bottom, left, right = setup.pads
    oph, opw = setup.output_padding
    pads = (
        dh * (kh - 1) - top,
        dh * (kh - 1) - bottom + oph,
        dw * (kw - 1) - left,
        dw * (kw - 1) - right + opw,
    )
    grown = pad_input(
        stretched, (max(pads[0], 0), max(pads[1], 0), max(pads[2], 0), max(pads[3], 0))
    )
    h_end, w_end = grown.shape[1] - max(-pads[1], 0), grown.shape[2] - max(-pads[3], 0)
    cropped = grown[:, max(-pads[0], 0) : h_end, max(-pads[2], 0) : w_end]
    groups = setup.params.groups
    per_in, per_out = channels // groups, setup.weight.shape[1]
    kernel = np.empty((per_out * groups, per_in, kh, kw), dtype=setup.weight.dtype)
    for g in range(groups):
        block = setup.weight[g * per_in : (g + 1) * per_in]  # [C_in/g][C_out/g][kh][kw]
        kernel[g * per_out : (g + 1) * per_out] = block.transpose(1, 0, 2, 3)[..., ::-1, ::-1]
    return cropped, kernel, pads


def conv_matrix(setup: TransposeSetup) -> Array:
    """For one channel: the matrix C of the forward convolution, so that the transposed
    convolution is y = Cᵀ·vec(x) (rows: input cells of the transposed op, row-major)."""
    (sh, sw), (dh, dw) = setup.stride, setup.dilation
    top, _, left, _ = setup.pads
    height, width = setup.x.shape[-2:]
    out_h, out_w = setup.rows.output, setup.cols.output
    weight = setup.weight[0, 0]
    matrix = np.zeros((height * width, out_h * out_w), dtype=weight.dtype)
    for a in range(height):
        for b in range(width):
            for i, j in _taps(weight.shape):
                r, c = a * sh + i * dh - top, b * sw + j * dw - left
                if 0 <= r < out_h and 0 <= c < out_w:
                    matrix[a * width + b, r * out_w + c] += weight[i, j]
    return matrix


def forward_matrix(setup: ConvSetup) -> Array:
    """For one channel in and out: the matrix C with vec(y) = C·vec(x) + bias, where x is
    the padded input. Rows are output cells, columns padded-input cells, both row-major;
    the padding mode is already in x, so C holds only the kernel's weights."""
    (sh, sw), (dh, dw) = setup.stride, setup.dilation
    width = setup.padded.shape[-1]
    out_h, out_w = setup.rows.output, setup.cols.output
    weight = setup.weight[0, 0]
    matrix = np.zeros((out_h * out_w, setup.padded.shape[-2] * width), dtype=weight.dtype)
    for r in range(out_h):
        for c in range(out_w):
            for i, j in _taps(weight.shape):
                matrix[r * out_w + c, (r * sh + i * dh) * width + c * sw + j * dw] = weight[i, j]
    return matrix


def unstrided(setup: ConvSetup) -> ConvSetup:
    """The same convolution with stride 1: the same padding cells, dilation, kernel and
    bias. Its output, kept every s-th cell from the first, is the strided output."""
    axes = tuple(
        conv_axis(a.size, a.kernel, 1, a.dilation, a.pad_before, a.pad_after, axis=name)
        for a, name in zip(setup.axes, axis_names(setup.ndim), strict=True)
    )
    outputs = math.prod(axis.output for axis in axes)
    out_channels, terms = setup.weight.shape[0], setup.weight[0].size
    limits.check(
        cells=out_channels * outputs,
        work=out_channels * outputs * terms,
        exact_objects=setup.x.dtype == object,
        what="the stride-1 convolution",
    )
    params = setup.params
    if setup.ndim == 2:
        top, bottom, left, right = setup.pads
        params = params._replace(stride=(1, 1), padding=(top, bottom, left, right))
    ones = (1,) * setup.ndim
    return dataclasses.replace(setup, params=params, axes=axes, stride=ones)
