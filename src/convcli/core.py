"""The numpy core: pad, dilate, conv2d, conv_transpose2d, pool2d. No I/O, no printing.

Semantics are PyTorch's (cross-correlation; weight ``[O][C/g][kh][kw]`` for conv2d and
``[C_in][C_out/g][kh][kw]`` for conv_transpose2d); the arithmetic is exact for integers
and fractions (see :mod:`convcli.numbers`).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np

from convcli import algorithms, limits
from convcli.errors import ConvError, ParameterError, ShapeError
from convcli.numbers import (
    INT64_MAX,
    Array,
    Kind,
    Number,
    canonical,
    kind_of,
    kind_of_value,
    max_abs,
)
from convcli.params import (
    ConvParams,
    Pads,
    as_pair,
    as_transpose_padding,
    resolve_padding,
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
from convcli.shape import AxisArithmetic, TransposeAxis, conv_axis, transpose_axis

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


def _int_bound(x: Array, w: Array, extra: Sequence[Number], terms: int) -> Number:
    """An upper bound of |Σ x·w| + |bias| over any output cell (for the int64 decision).

    ``extra`` is the pad value followed by the biases.
    """
    if kind_of(x) is Kind.FLOAT or kind_of(w) is Kind.FLOAT:
        return 0
    # fractions and floats choose another arithmetic anyway: only integers matter here
    magnitudes = [abs(v) if isinstance(v, int) else 0 for v in extra]
    largest_x = max([int(max_abs(x)), *magnitudes[:1]])
    return largest_x * int(max_abs(w)) * terms + max(magnitudes[1:], default=0)


def pad_input(x: Array, pads: Pads, mode: str = "zeros", value: Number = 0) -> Array:
    """Pad the last two axes of ``x`` by (top, bottom, left, right) with a PyTorch mode."""
    top, bottom, left, right = pads
    height, width = x.shape[-2:]
    limits = {"reflect": (height - 1, width - 1), "circular": (height, width)}
    if mode in limits:
        max_h, max_w = limits[mode]
        if max(top, bottom) > max_h or max(left, right) > max_w:
            msg = (
                f"{mode} padding ({top},{bottom},{left},{right}) must be at most "
                f"{_count(max_h, 'row')} and {_count(max_w, 'column')} "
                f"for a {height}×{width} input"
            )
            raise ParameterError(msg)
    if not any(pads):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "zeros":
        # np.pad would store an object array's constant as a numpy int64, which then
        # overflows against Python ints: fill with the Python value itself
        out = np.full(
            (*x.shape[:-2], height + top + bottom, width + left + right), value, dtype=x.dtype
        )
        out[..., top : top + height, left : left + width] = x
        return out
    padded: Array = np.pad(x, widths, mode=_NP_PAD_MODES[mode])  # type: ignore[call-overload]
    return padded


def dilate_kernel(kernel: Array, dilation: tuple[int, int]) -> Array:
    """The kernel with d−1 zeros between taps on the last two axes (size d·(k−1)+1)."""
    dh, dw = dilation
    kh, kw = kernel.shape[-2:]
    shape = (*kernel.shape[:-2], dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    cells = 1
    for n in shape:
        cells *= n
    limits.check(cells=cells, work=0, exact_objects=False, what="this dilated kernel")
    out = np.zeros(shape, dtype=kernel.dtype)
    out[..., ::dh, ::dw] = kernel
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


# --- conv2d -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvSetup:
    """A validated convolution: normalised arrays in the computing dtype, and the geometry."""

    x: Array  # [C][H][W]
    weight: Array  # [O][C/g][kh][kw], already flipped when params.flip
    bias: list[Number] | None
    params: ConvParams
    pads: Pads
    rows: AxisArithmetic
    cols: AxisArithmetic
    squeeze: bool  # the result is 2-D (a 2-D or 3-D kernel)
    input_shape: tuple[int, ...] = ()  # as given
    kernel_shape: tuple[int, ...] = ()

    @property
    def output_shape(self) -> tuple[int, ...]:
        hw = (self.rows.output, self.cols.output)
        return hw if self.squeeze else (self.weight.shape[0], *hw)

    @property
    def exact(self) -> bool:
        return self.rows.exact and self.cols.exact

    @functools.cached_property
    def padded(self) -> Array:
        """The padded input, built once (the run, the traces and the views share it)."""
        return pad_input(self.x, self.pads, self.params.padding_mode, self.params.pad_value)

    def padded_input(self) -> Array:
        return self.padded


def prepare_conv(x: Any, kernel: Any, *, params: ConvParams, bias: Any = None) -> ConvSetup:
    """Validate shapes and parameters and pick the arithmetic; nothing is computed yet."""
    image = as_matrix(x, "the input", ndims=(2, 3))
    weight = as_matrix(kernel, "the kernel", ndims=(2, 3, 4))
    squeeze = weight.ndim < 4
    image3 = image if image.ndim == 3 else image[None]
    weight4 = weight.reshape((1,) * (4 - weight.ndim) + weight.shape)
    _check_conv_channels(image3.shape[0], weight4.shape, params.groups, weight.ndim)
    if params.flip:
        weight4 = weight4[..., ::-1, ::-1]
    kh, kw = weight4.shape[-2:]
    height, width = image3.shape[-2:]
    pads = resolve_padding(
        params.padding, (height, width), (kh, kw), params.stride, params.dilation
    )
    rows = conv_axis(
        height, kh, params.stride[0], params.dilation[0], pads[0], pads[1], axis="height"
    )
    cols = conv_axis(
        width, kw, params.stride[1], params.dilation[1], pads[2], pads[3], axis="width"
    )
    biases = _bias_vector(bias, weight4.shape[0])
    pad_value = _scalar(params.pad_value, "pad value")
    terms = weight4.shape[1] * kh * kw
    bound = _int_bound(image3, weight4, [pad_value, *(biases or [])], terms)
    dtype = _dtype_for([image3, weight4], [pad_value, *(biases or [])], bound)
    _in_arithmetic([pad_value], dtype)
    biases = _in_arithmetic(biases, dtype) if biases is not None else None
    limits.check(
        cells=image3.shape[0] * max(rows.padded * cols.padded, rows.output * cols.output)
        + weight4.shape[0] * rows.output * cols.output,
        work=weight4.shape[0] * rows.output * cols.output * terms,
        exact_objects=dtype is object,
        what="this convolution",
    )
    return ConvSetup(
        x=_converted(image3, dtype, "the input"),
        weight=_converted(weight4, dtype, "the kernel"),
        bias=biases,
        params=params,
        pads=pads,
        rows=rows,
        cols=cols,
        squeeze=squeeze,
        input_shape=image.shape,
        kernel_shape=weight.shape,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_conv_channels(channels: int, weight: tuple[int, ...], groups: int, ndim: int) -> None:
    out_channels, per_group = weight[0], weight[1]
    if channels % groups or out_channels % groups:
        msg = (
            f"groups {groups} must divide the input channels ({channels}) "
            f"and the output channels ({out_channels})"
        )
        raise ShapeError(msg)
    if per_group * groups != channels:
        layout = {2: "[kh][kw]", 3: "[C][kh][kw]", 4: "[O][C/groups][kh][kw]"}[ndim]
        msg = (
            f"the kernel {layout} reads {per_group} channel{'s' * (per_group != 1)}"
            f"{' per group' if groups > 1 else ''}, but the input has {channels}"
            f"{f' ({channels // groups} per group)' if groups > 1 else ''}"
        )
        hint = None
        if ndim == 2 and groups == 1:
            # --groups C alone does not do it: a 2-D kernel is one output channel, and
            # groups must divide the output channels too
            hint = (
                f"repeat --kernel {channels} times with --groups {channels} to filter each "
                f"channel alone, or give a 3-D kernel [{channels}][kh][kw] to sum them "
                "(in a text file, a blank line starts a new channel)"
            )
        raise ShapeError(msg, hint=hint)


@_ieee
def run_conv(setup: ConvSetup) -> Array:
    """Compute a prepared convolution; :mod:`convcli.algorithms` picks the algorithm."""
    out = algorithms.conv2d(
        setup.padded_input(),
        setup.weight,
        setup.params.groups,
        (setup.rows.output, setup.cols.output),
        setup.params.stride,
        setup.params.dilation,
    )
    _add_bias(out, setup.bias)
    return out[0] if setup.squeeze else out


def _add_bias(out: Array, bias: list[Number] | None) -> None:
    if bias is not None:
        for channel, value in enumerate(bias):
            out[channel] += value


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
    params = ConvParams.build(
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        pad_value=pad_value,
        flip=flip,
    )
    return run_conv(prepare_conv(x, kernel, params=params, bias=bias))


# --- conv_transpose2d ---------------------------------------------------------------------


@dataclass(frozen=True)
class TransposeSetup:
    """A validated transposed convolution (weight ``[C_in][C_out/g][kh][kw]``)."""

    x: Array  # [C_in][H][W]
    weight: Array
    bias: list[Number] | None
    params: ConvParams
    pads: Pads
    output_padding: tuple[int, int]
    rows: TransposeAxis
    cols: TransposeAxis
    squeeze: bool
    input_shape: tuple[int, ...] = ()  # as given
    kernel_shape: tuple[int, ...] = ()

    @property
    def output_shape(self) -> tuple[int, ...]:
        hw = (self.rows.output, self.cols.output)
        return hw if self.squeeze else (self.weight.shape[1] * self.params.groups, *hw)

    @property
    def exact(self) -> bool:
        """Always: every input cell is scattered into the output (none is skipped)."""
        return True


def prepare_transpose(
    x: Any, kernel: Any, *, params: ConvParams, output_padding: Any = 0, bias: Any = None
) -> TransposeSetup:
    """Validate a transposed convolution; PyTorch allows only zero padding of whole cells."""
    as_transpose_padding(params.padding)
    if params.padding_mode != "zeros" or params.pad_value != 0:
        msg = "a transposed convolution supports only zero padding (as PyTorch)"
        raise ParameterError(msg)
    image = as_matrix(x, "the input", ndims=(2, 3))
    weight = as_matrix(kernel, "the kernel", ndims=(2, 3, 4))
    squeeze = weight.ndim < 4
    image3 = image if image.ndim == 3 else image[None]
    weight4: Array = weight.reshape(
        (*weight.shape[:-2], *(1,) * (4 - weight.ndim), *weight.shape[-2:])
    )
    _check_transpose_channels(image3.shape[0], weight4.shape, params.groups)
    if params.flip:
        weight4 = weight4[..., ::-1, ::-1]
    kh, kw = weight4.shape[-2:]
    height, width = image3.shape[-2:]
    pads = resolve_padding(params.padding, (height, width), (kh, kw))
    out_pad = as_pair(output_padding, "output padding", minimum=0)
    (sh, sw), (dh, dw) = params.stride, params.dilation
    rows = transpose_axis(height, kh, sh, dh, pads[0], pads[1], out_pad[0], axis="height")
    cols = transpose_axis(width, kw, sw, dw, pads[2], pads[3], out_pad[1], axis="width")
    biases = _bias_vector(bias, weight4.shape[1] * params.groups)
    bound = _int_bound(image3, weight4, [0, *(biases or [])], image3.shape[0] * kh * kw)
    dtype = _dtype_for([image3, weight4], biases or [], bound)
    biases = _in_arithmetic(biases, dtype) if biases is not None else None
    limits.check(
        cells=weight4.shape[1] * params.groups * rows.full * cols.full,
        work=image3.shape[0] * height * width * weight4.shape[1] * kh * kw,
        exact_objects=dtype is object,
        what="this transposed convolution",
    )
    return TransposeSetup(
        _converted(image3, dtype, "the input"),
        _converted(weight4, dtype, "the kernel"),
        biases,
        params,
        pads,
        out_pad,
        rows,
        cols,
        squeeze,
        image.shape,
        weight.shape,
    )


def _check_transpose_channels(channels: int, weight: tuple[int, ...], groups: int) -> None:
    if channels % groups:
        msg = f"groups {groups} must divide the input channels ({channels})"
        raise ShapeError(msg)
    if weight[0] != channels:
        msg = (
            f"the transposed kernel [C_in][C_out/groups][kh][kw] has C_in = {weight[0]}, "
            f"but the input has {_count(channels, 'channel')}"
        )
        raise ShapeError(msg)


@_ieee
def run_transpose(setup: TransposeSetup) -> Array:
    """Compute a prepared transposed convolution (output phases gathered as stride-1
    correlations; see :mod:`convcli.algorithms`), cropped by the padding."""
    top, _, left, _ = setup.pads
    out = algorithms.conv_transpose2d(
        setup.x,
        setup.weight,
        setup.params.groups,
        (top, left),
        (setup.rows.output, setup.cols.output),
        setup.params.stride,
        setup.params.dilation,
    )
    _add_bias(out, setup.bias)
    return out[0] if setup.squeeze else out


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
    params = ConvParams.build(
        stride=stride, padding=padding, dilation=dilation, groups=groups, flip=flip
    )
    setup = prepare_transpose(x, kernel, params=params, output_padding=output_padding, bias=bias)
    return run_transpose(setup)


def transpose_as_direct(setup: TransposeSetup) -> tuple[Array, Array, Pads]:
    """The ordinary convolution equal to a transposed one.

    Returns the stretched input (s−1 zeros between cells, then padded by d·(k−1) − p on
    each side plus output_padding at the bottom/right; negative padding crops), the
    kernel in conv2d layout with each slice rotated 180°, and the (t, b, l, r) padding
    used. ``conv2d(stretched, kernel, dilation=d, groups=g)`` equals the transposed result.
    """
    x, (sh, sw), (dh, dw) = setup.x, setup.params.stride, setup.params.dilation
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
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
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
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
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
    (dh, dw), pads = setup.params.dilation, setup.pads
    height, width = setup.x.shape[-2:]
    kh, kw = setup.weight.shape[-2:]
    rows = conv_axis(height, kh, 1, dh, pads[0], pads[1], axis="height")
    cols = conv_axis(width, kw, 1, dw, pads[2], pads[3], axis="width")
    out_channels, terms = setup.weight.shape[0], setup.weight[0].size
    limits.check(
        cells=out_channels * rows.output * cols.output,
        work=out_channels * rows.output * cols.output * terms,
        exact_objects=setup.x.dtype == object,
        what="the stride-1 convolution",
    )
    params = setup.params._replace(stride=(1, 1), padding=pads)
    return dataclasses.replace(setup, params=params, rows=rows, cols=cols)
