"""The independent oracle for convcli's numerical core.

The API (``conv2d``, ``conv_transpose2d``, ``pool2d``, ``output_size``) is compared
with the naive loops of ``reference.py`` (written from the definitions), with
scipy where scipy computes the same thing, and with algebraic properties
(identity, linearity, adjointness, stride = subsampling, dilation = a kernel
with holes).  Integer and Fraction results must be exact, with the documented
dtypes; floats agree to rtol 1e-12.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal as sig
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli import ConvError, conv2d, conv_transpose2d, output_size, pool2d

try:
    from reference import (
        PADDING_MODES,
        RefInvalid,
        ref_conv2d,
        ref_conv_transpose2d,
        ref_output_size,
        ref_pool2d,
        resolve_padding,
    )
except ImportError:  # pragma: no cover - when tests/ is a package
    from tests.reference import (
        PADDING_MODES,
        RefInvalid,
        ref_conv2d,
        ref_conv_transpose2d,
        ref_output_size,
        ref_pool2d,
        resolve_padding,
    )

SETTINGS = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=60)
MANY = settings(SETTINGS, max_examples=300)

INT = "int"
FRAC = "frac"
FLOAT = "float"
KINDS = (INT, FRAC, FLOAT)
NP_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# --------------------------------------------------------------------------- helpers


def flat(v: Any) -> list[Any]:
    """All leaves of a nested list."""
    if isinstance(v, list):
        return [leaf for e in v for leaf in flat(e)]
    return [v]


def shape_of(v: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0]
    return tuple(shape)


def result_kind(*kinds: str) -> str:
    return max(kinds, key=KINDS.index)


def as_array(v: Any, kind: str) -> np.ndarray:
    """The numpy array a user would pass for a nested list of this kind."""
    if kind == INT:
        return np.array(v, dtype=np.int64)
    if kind == FLOAT:
        return np.array(v, dtype=np.float64)
    return np.array(v, dtype=object)


def assert_matches(got: Any, expected: Any, kind: str) -> None:
    """``got`` (from the API) equals ``expected`` (nested lists), with ``kind``'s dtype rules."""
    assert isinstance(got, np.ndarray), type(got)
    assert got.shape == shape_of(expected), (got.shape, shape_of(expected))
    leaves = flat(got.tolist())
    if kind == INT:
        assert got.dtype in (np.dtype(np.int64), np.dtype(object)), got.dtype
        bad = [v for v in leaves if type(v) is not int]
        assert not bad, f"non-int results for integer inputs: {bad[:3]}"
        assert got.tolist() == expected
    elif kind == FRAC:
        assert got.dtype == np.dtype(object), got.dtype
        bad = [v for v in leaves if type(v) not in (int, Fraction)]
        assert not bad, f"non-exact results for rational inputs: {bad[:3]}"
        assert got.tolist() == expected
    else:
        assert got.dtype == np.dtype(np.float64), got.dtype
        want = np.array(expected, dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def nest(values: list[Any], shape: tuple[int, ...]) -> Any:
    """A flat list reshaped to nested lists of ``shape``."""
    if len(shape) == 1:
        return list(values)
    step = len(values) // shape[0]
    return [nest(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def matrix(elem: st.SearchStrategy[Any], *shape: int) -> st.SearchStrategy[Any]:
    """Nested lists of exactly this shape (drawn flat: nested strategies are slow)."""
    n = math.prod(shape)
    return st.lists(elem, min_size=n, max_size=n).map(lambda v: nest(v, shape))


@functools.cache
def elements(kind: str) -> st.SearchStrategy[Any]:
    if kind == INT:
        return st.integers(-9, 9)
    if kind == FRAC:
        return st.fractions(min_value=-5, max_value=5, max_denominator=8)
    return st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@functools.cache
def cached_matrix(kind: str, shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    return matrix(elements(kind), *shape)


@st.composite
def tensors(draw: st.DrawFn, kind: str, shape: tuple[int, ...]) -> Any:
    """A nested list of ``kind`` numbers of this shape.

    A rational tensor always holds at least one non-integral Fraction.
    """
    v = draw(cached_matrix(kind, shape))
    if kind == FRAC:
        cell = v
        for _ in shape[:-1]:
            cell = cell[0]
        cell[0] = Fraction(2 * draw(st.integers(-5, 5)) + 1, 2 * draw(st.integers(1, 4)))
    return v


def maybe_array(draw: st.DrawFn, v: Any, kind: str) -> Any:
    return as_array(v, kind) if draw(st.booleans()) else v


@functools.cache
def small_pairs(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@functools.cache
def output_paddings(stride: Any, dilation: Any) -> st.SearchStrategy[Any]:
    """Mostly valid output paddings (below max(stride, dilation)); now and then any 0..2."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    valid = st.tuples(st.integers(0, max(sh, dh) - 1), st.integers(0, max(sw, dw) - 1))
    anything = st.one_of(st.just(0), small_pairs(0, 2))
    return st.one_of(valid, valid, valid, anything)


@functools.cache
def dilations() -> st.SearchStrategy[Any]:
    return st.one_of(st.just(1), small_pairs(1, 3))


@functools.cache
def paddings(words: bool = True) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [
        st.integers(0, 3),
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        st.tuples(*[st.integers(0, 3)] * 4),
    ]
    if words:
        options.append(st.sampled_from(["valid", "same", "full"]))
    return st.one_of(options)


def axis_padding(padding: Any, axis: int) -> Any:
    """The one-axis padding argument of ``output_size`` for a 2-D padding argument."""
    if isinstance(padding, (str, int)):
        return padding
    if len(padding) == 2:
        return padding[axis]
    return (padding[2 * axis], padding[2 * axis + 1])


def axis(v: Any, i: int) -> int:
    return v if isinstance(v, int) else v[i]


# --------------------------------------------------------------------------- case strategies


@st.composite
def conv_cases(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = KINDS,
    modes: tuple[str, ...] = PADDING_MODES,
    bias: bool = True,
    pad_value: bool = True,
    kernel_ndims: tuple[int, ...] = (2, 3, 4),
    words: bool = True,
) -> dict[str, Any]:
    """x, kernel and conv2d keyword arguments (valid or not: the reference decides)."""
    kx, kk = draw(st.sampled_from(kinds)), draw(st.sampled_from(kinds))
    kernel_ndim = draw(st.sampled_from(kernel_ndims))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    groups = 1
    if kernel_ndim == 2:
        x_shape: tuple[int, ...] = (h, w)
        k_shape: tuple[int, ...] = (kh, kw)
        n_out = 1
    elif kernel_ndim == 3:
        c = draw(st.integers(1, 3))
        x_shape, k_shape, n_out = (c, h, w), (c, kh, kw), 1
    else:
        groups = draw(st.sampled_from([1, 1, 2, 3]))
        cg = draw(st.integers(1, 3 if groups == 1 else 4 // groups or 1))
        og = draw(st.integers(1, 3 if groups == 1 else 4 // groups or 1))
        x_shape, k_shape, n_out = (groups * cg, h, w), (groups * og, cg, kh, kw), groups * og
    x = draw(tensors(kx, x_shape))
    k = draw(tensors(kk, k_shape))
    kwargs: dict[str, Any] = {
        "stride": draw(small_pairs(1, 3)),
        "padding": draw(paddings(words)),
        "dilation": draw(dilations()),
        "padding_mode": draw(st.sampled_from(modes)),
        "flip": draw(st.booleans()),
    }
    if groups != 1 or draw(st.booleans()):
        kwargs["groups"] = groups
    if pad_value and kwargs["padding_mode"] == "zeros" and draw(st.booleans()):
        kwargs["pad_value"] = draw(st.integers(-3, 3))
    if bias:
        choice = draw(st.sampled_from(["none", "scalar", "list"]))
        if choice == "scalar":
            kwargs["bias"] = draw(st.integers(-5, 5))
        elif choice == "list" and kernel_ndim == 4:
            kwargs["bias"] = draw(matrix(st.integers(-5, 5), n_out))
    return {
        "x": maybe_array(draw, x, kx),
        "kernel": maybe_array(draw, k, kk),
        "x_list": x,
        "k_list": k,
        "kwargs": kwargs,
        "kind": result_kind(kx, kk),
    }


@st.composite
def transpose_cases(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """x, kernel (PyTorch transpose layout) and conv_transpose2d keyword arguments."""
    kx, kk = draw(st.sampled_from(kinds)), draw(st.sampled_from(kinds))
    kernel_ndim = draw(st.sampled_from([2, 3, 4]))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    groups = 1
    if kernel_ndim == 2:
        x_shape: tuple[int, ...] = (h, w)
        k_shape: tuple[int, ...] = (kh, kw)
        n_out = 1
    elif kernel_ndim == 3:
        c = draw(st.integers(1, 3))
        x_shape, k_shape, n_out = (c, h, w), (c, kh, kw), 1
    else:
        groups = draw(st.sampled_from([1, 1, 2, 3]))
        cg = draw(st.integers(1, 3 if groups == 1 else 4 // groups or 1))
        og = draw(st.integers(1, 3 if groups == 1 else 4 // groups or 1))
        x_shape, k_shape, n_out = (groups * cg, h, w), (groups * cg, og, kh, kw), groups * og
    x = draw(tensors(kx, x_shape))
    k = draw(tensors(kk, k_shape))
    kwargs: dict[str, Any] = {
        "stride": draw(small_pairs(1, 3)),
        "padding": draw(st.one_of(paddings(words=False), st.just("valid"))),
        "dilation": draw(st.one_of(st.just(1), small_pairs(1, 3))),
        "flip": draw(st.booleans()),
    }
    kwargs["output_padding"] = draw(output_paddings(kwargs["stride"], kwargs["dilation"]))
    if groups != 1:
        kwargs["groups"] = groups
    choice = draw(st.sampled_from(["none", "scalar", "list"]))
    if choice == "scalar":
        kwargs["bias"] = draw(st.integers(-5, 5))
    elif choice == "list" and kernel_ndim == 4:
        kwargs["bias"] = draw(matrix(st.integers(-5, 5), n_out))
    return {
        "x": maybe_array(draw, x, kx),
        "kernel": maybe_array(draw, k, kk),
        "x_list": x,
        "k_list": k,
        "kwargs": kwargs,
        "kind": result_kind(kx, kk),
    }


# ------------------------------------------------------------------------- conv2d vs the reference


@MANY
@given(conv_cases())
def test_conv2d_matches_reference(case: dict[str, Any]) -> None:
    kwargs = case["kwargs"]
    try:
        want = ref_conv2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        event("invalid parameters: ConvError expected")
        with pytest.raises(ConvError):
            conv2d(case["x"], case["kernel"], **kwargs)
        return
    got = conv2d(case["x"], case["kernel"], **kwargs)
    assert_matches(got, want, case["kind"])
    # the result's shape is output_size() on each axis
    kshape = np.shape(case["k_list"])
    for i in (0, 1):
        n = output_size(
            np.shape(case["x_list"])[-2 + i],
            kshape[-2 + i],
            stride=axis(kwargs["stride"], i),
            padding=axis_padding(kwargs["padding"], i),
            dilation=axis(kwargs["dilation"], i),
        )
        assert type(n) is int
        assert n == got.shape[-2 + i]


# The worked examples of the course notes (tests/data/worked_examples.json).
NOTES_INPUT = [[1, 2, 0, 2], [1, 0, 3, -1], [2, 2, 2, 0], [3, 1, -2, 0]]
NOTES_KERNEL = [[0, 1, -1], [-1, 0, 1], [1, 0, 1]]
NOTES_RGB = [
    [[0, 1, -1, 0], [2, 0, 1, 1], [0, 1, 1, 0], [0, 2, -1, 1]],
    [[1, 0, 0, 2], [2, 0, 1, -1], [0, 2, 1, 0], [1, 1, -1, 0]],
    [[1, 2, 0, 2], [1, 0, 3, -1], [0, 2, 0, 0], [3, 1, -2, 0]],
]
NOTES_RGB_KERNEL = [
    [[0, 1, 0], [0, 0, 1], [1, 1, 0]],
    [[-1, 1, 0], [-1, 0, 1], [-1, 1, 1]],
    [[0, 1, -1], [-1, 0, 1], [1, 0, 1]],
]
NOTES_POOL = [[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]]


@pytest.mark.parametrize(
    ("x", "kernel", "kwargs", "want"),
    [
        (NOTES_INPUT, NOTES_KERNEL, {"padding": "valid", "bias": 0}, [[8, -1], [-2, 3]]),
        (
            NOTES_INPUT,
            NOTES_KERNEL,
            {"padding": 1},
            [[2, 3, -1, 3], [1, 8, -1, 1], [4, -2, 3, -5], [1, -5, 1, 2]],
        ),
        (NOTES_RGB, NOTES_RGB_KERNEL, {"bias": 1}, [[9, 0], [0, 3]]),
        (NOTES_RGB, [NOTES_RGB_KERNEL], {"bias": [1]}, [[[9, 0], [0, 3]]]),
    ],
)
def test_worked_examples(x: Any, kernel: Any, kwargs: dict[str, Any], want: Any) -> None:
    assert ref_conv2d(x, kernel, **kwargs) == want
    assert_matches(conv2d(x, kernel, **kwargs), want, INT)


def test_worked_example_pooling_and_shape() -> None:
    assert_matches(pool2d(NOTES_POOL, 2, stride=2, op="max"), [[5, 9], [4, 8]], INT)
    avg = pool2d(NOTES_POOL, 2, stride=2, op="avg")
    assert avg.tolist() == [[3, 6], [Fraction(5, 2), 2]]
    assert not [v for v in flat(avg.tolist()) if isinstance(v, float)]
    assert output_size(4, 3, stride=1, padding=1) == 4


# --------------------------------------------------------------------------- output_size


@MANY
@given(
    size=st.integers(1, 20),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
    padding=st.one_of(
        st.integers(0, 4),
        st.tuples(st.integers(0, 4), st.integers(0, 4)),
        st.sampled_from(["valid", "same", "full"]),
    ),
    transposed=st.booleans(),
    output_padding=st.integers(0, 3),
)
def test_output_size_matches_reference(
    size: int,
    kernel: int,
    stride: int,
    dilation: int,
    padding: Any,
    transposed: bool,
    output_padding: int,
) -> None:
    kwargs: dict[str, Any] = {"stride": stride, "padding": padding, "dilation": dilation}
    if transposed:
        if padding in ("same", "full"):
            return  # transposed padding words other than 'valid' are tested elsewhere
        kwargs |= {"transposed": True, "output_padding": output_padding}
    try:
        want = ref_output_size(size, kernel, **kwargs)
    except RefInvalid:
        event("invalid: ConvError expected")
        with pytest.raises(ConvError):
            output_size(size, kernel, **kwargs)
        return
    got = output_size(size, kernel, **kwargs)
    assert type(got) is int
    assert got == want


@pytest.mark.parametrize(
    ("args", "kwargs", "want"),
    [
        ((4, 3), {"padding": 1}, 4),
        ((5, 3), {"stride": 2}, 2),
        ((7, 3), {"stride": 2, "padding": "same"}, 4),
        ((6, 4), {"stride": 2, "padding": "same"}, 3),
        ((5, 3), {"padding": "full"}, 7),
        ((5, 3), {"padding": "full", "dilation": 2}, 9),
        ((5, 3), {"padding": "valid", "dilation": 2}, 1),
        ((5, 3), {"padding": (0, 2)}, 5),
        ((10, 3), {"stride": 3, "padding": (1, 0)}, 3),
        ((3, 3), {"stride": 2, "padding": 1, "transposed": True, "output_padding": 1}, 6),
        ((4, 4), {"stride": 2, "padding": 1, "transposed": True}, 8),
        ((2, 3), {"stride": 1, "dilation": 2, "transposed": True, "output_padding": 1}, 7),
        ((3, 2), {"padding": (1, 0), "stride": 3, "transposed": True}, 7),
    ],
)
def test_output_size_known_values(args: tuple[int, int], kwargs: dict[str, Any], want: int) -> None:
    assert ref_output_size(*args, **kwargs) == want
    assert output_size(*args, **kwargs) == want


# --------------------------------------------------------------------------- algebraic properties


@SETTINGS
@given(
    data=st.data(),
    kh=st.sampled_from([1, 3, 5]),
    kw=st.sampled_from([1, 3, 5]),
    mode=st.sampled_from(PADDING_MODES),
    kind=st.sampled_from(KINDS),
    multichannel=st.sampled_from(["2d", "3d", "4d", "depthwise"]),
)
def test_identity_kernel_returns_the_input(
    data: st.DataObject, kh: int, kw: int, mode: str, kind: str, multichannel: str
) -> None:
    h = data.draw(st.integers(max(1, kh // 2 + (mode == "reflect")), 9))
    w = data.draw(st.integers(max(1, kw // 2 + (mode == "reflect")), 9))
    c = 1 if multichannel == "2d" else data.draw(st.integers(1, 3))
    eye = [[int(i == kh // 2 and j == kw // 2) for j in range(kw)] for i in range(kh)]
    zero = [[0] * kw for _ in range(kh)]
    x = data.draw(tensors(kind, (h, w) if multichannel == "2d" else (c, h, w)))
    kwargs: dict[str, Any] = {"padding": "same", "padding_mode": mode}
    if multichannel == "2d":
        kernel: Any = eye
    elif multichannel == "3d":
        kernel = [eye if i == 0 else zero for i in range(c)]
    elif multichannel == "4d":
        kernel = [[eye if i == o else zero for i in range(c)] for o in range(c)]
    else:
        kernel = [[eye] for _ in range(c)]
        kwargs["groups"] = c
    got = conv2d(x, kernel, **kwargs)
    want = x[0] if multichannel == "3d" else x
    assert_matches(got, want, kind)
    if h < kh or w < kw:
        return
    # with 'valid' padding the identity crops the input
    got = conv2d(x, kernel, **(kwargs | {"padding": "valid"}))
    plane = want if got.ndim == 2 else want[0]
    crop = [row[kw // 2 : w - kw // 2] for row in plane[kh // 2 : h - kh // 2]]
    assert (got if got.ndim == 2 else got[0]).tolist() == crop


@SETTINGS
@given(
    case=conv_cases(kinds=(INT,), bias=False, pad_value=False),
    a=st.integers(-5, 5),
    b=st.integers(-5, 5),
    data=st.data(),
)
def test_linearity_is_exact_on_ints(
    case: dict[str, Any], a: int, b: int, data: st.DataObject
) -> None:
    x = np.array(case["x_list"], dtype=np.int64)
    y = np.array(data.draw(cached_matrix(INT, x.shape)), dtype=np.int64)
    k, kwargs = case["kernel"], case["kwargs"]
    try:
        ref_conv2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        return
    lhs = conv2d(a * x + b * y, k, **kwargs)
    rhs = a * conv2d(x, k, **kwargs) + b * conv2d(y, k, **kwargs)
    assert lhs.tolist() == rhs.tolist()


def _inner(u: Any, v: Any) -> int:
    return sum(int(p) * int(q) for p, q in zip(flat(u), flat(v), strict=True))


@MANY
@given(case=conv_cases(kinds=(INT,), modes=("zeros",), bias=False, pad_value=False), data=st.data())
def test_adjointness_is_exact(case: dict[str, Any], data: st.DataObject) -> None:
    """<conv2d(x, k), y> == <x, conv_transpose2d(y, k)>, the same weight array in both layouts."""
    kwargs = case["kwargs"]
    x, k = case["x_list"], case["k_list"]
    try:
        y_shape = shape_of(ref_conv2d(x, k, **kwargs))
    except RefInvalid:
        return
    h, w = np.shape(x)[-2:]
    kh, kw = np.shape(k)[-2:]
    s = (axis(kwargs["stride"], 0), axis(kwargs["stride"], 1))
    d = (axis(kwargs["dilation"], 0), axis(kwargs["dilation"], 1))
    pads = resolve_padding(kwargs["padding"], (h, w), (kh, kw), s, d)
    # output_padding so that the transposed result has x's shape
    op = tuple(
        (n + pads[2 * i] + pads[2 * i + 1] - d[i] * (kk - 1) - 1) % s[i]
        for i, (n, kk) in enumerate(((h, kh), (w, kw)))
    )
    y = data.draw(cached_matrix(INT, y_shape))
    forward = conv2d(case["x"], case["kernel"], **kwargs)
    t_kwargs = {
        "stride": kwargs["stride"],
        "padding": pads,
        "output_padding": op,
        "dilation": kwargs["dilation"],
        "groups": kwargs.get("groups", 1),
        "flip": kwargs["flip"],
    }
    if np.ndim(k) == 3:  # [C][kh][kw]: C channels to one; its adjoint maps one to C
        back = conv_transpose2d([y], [k], **t_kwargs)
    else:
        back = conv_transpose2d(y, case["kernel"], **t_kwargs)
    assert back.shape == np.shape(x)
    assert _inner(forward.tolist(), y) == _inner(x, back.tolist())


@SETTINGS
@given(case=conv_cases(kinds=(INT,), words=False))
def test_stride_is_subsampling(case: dict[str, Any]) -> None:
    kwargs = case["kwargs"]
    try:
        ref_conv2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        return
    sh, sw = axis(kwargs["stride"], 0), axis(kwargs["stride"], 1)
    strided = conv2d(case["x"], case["kernel"], **kwargs)
    dense = conv2d(case["x"], case["kernel"], **(kwargs | {"stride": 1}))
    assert strided.tolist() == dense[..., ::sh, ::sw].tolist()


@SETTINGS
@given(case=conv_cases(kinds=(INT,)))
def test_explicit_pre_padding_equals_padding(case: dict[str, Any]) -> None:
    """np.pad first, then conv2d without padding: the same as the padding parameter."""
    kwargs = case["kwargs"]
    try:
        ref_conv2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        return
    x = np.array(case["x_list"], dtype=np.int64)
    h, w = x.shape[-2:]
    kh, kw = np.shape(case["k_list"])[-2:]
    s = (axis(kwargs["stride"], 0), axis(kwargs["stride"], 1))
    d = (axis(kwargs["dilation"], 0), axis(kwargs["dilation"], 1))
    t, b, left, r = resolve_padding(kwargs["padding"], (h, w), (kh, kw), s, d)
    widths = [(0, 0)] * (x.ndim - 2) + [(t, b), (left, r)]
    mode = kwargs["padding_mode"]
    if mode == "zeros":
        padded = np.pad(x, widths, mode="constant", constant_values=kwargs.get("pad_value", 0))
    else:
        padded = np.pad(x, widths, mode=NP_MODE[mode])
    plain = {k: v for k, v in kwargs.items() if k not in ("padding_mode", "pad_value")}
    got = conv2d(padded, case["kernel"], **(plain | {"padding": 0}))
    assert got.tolist() == conv2d(case["x"], case["kernel"], **kwargs).tolist()


def dilate_kernel(k: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """The kernel with (d - 1) zeros inserted between its taps."""
    kh, kw = k.shape[-2:]
    out = np.zeros((*k.shape[:-2], dh * (kh - 1) + 1, dw * (kw - 1) + 1), dtype=k.dtype)
    out[..., ::dh, ::dw] = k
    return out


@SETTINGS
@given(case=conv_cases(kinds=(INT,)))
def test_dilation_equals_kernel_with_holes(case: dict[str, Any]) -> None:
    kwargs = case["kwargs"]
    try:
        ref_conv2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        return
    dh, dw = axis(kwargs["dilation"], 0), axis(kwargs["dilation"], 1)
    holes = dilate_kernel(np.array(case["k_list"], dtype=np.int64), dh, dw)
    got = conv2d(case["x"], case["kernel"], **kwargs)
    assert got.tolist() == conv2d(case["x"], holes, **(kwargs | {"dilation": 1})).tolist()


# --------------------------------------------------------------------------- scipy


@st.composite
def single_channel(draw: st.DrawFn, max_k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, min(max_k, h))), draw(st.integers(1, min(max_k, w)))
    x = np.array(draw(cached_matrix(INT, (h, w))), dtype=np.int64)
    k = np.array(draw(cached_matrix(INT, (kh, kw))), dtype=np.int64)
    return x, k


@SETTINGS
@given(xk=single_channel(), fill=st.integers(-3, 3))
def test_scipy_signal_modes(xk: tuple[np.ndarray, np.ndarray], fill: int) -> None:
    x, k = xk
    kh, kw = k.shape
    conv_same = (kh // 2, (kh - 1) // 2, kw // 2, (kw - 1) // 2)  # convolve2d's centring
    checks: list[tuple[Any, np.ndarray]] = [
        (conv2d(x, k), sig.correlate2d(x, k, mode="valid")),
        (conv2d(x, k, flip=True), sig.convolve2d(x, k, mode="valid")),
        (conv2d(x, k, padding="full"), sig.correlate2d(x, k, mode="full")),
        (conv2d(x, k, padding="full", flip=True), sig.convolve2d(x, k, mode="full")),
        (conv2d(x, k, padding="same"), sig.correlate2d(x, k, mode="same")),
        (conv2d(x, k, padding=conv_same, flip=True), sig.convolve2d(x, k, mode="same")),
        (
            conv2d(x, k, padding="full", pad_value=fill),
            sig.correlate2d(x, k, mode="full", boundary="fill", fillvalue=fill),
        ),
        (
            conv2d(x, k, padding="same", padding_mode="circular"),
            sig.correlate2d(x, k, mode="same", boundary="wrap"),
        ),
        (
            conv2d(x, k, padding=conv_same, padding_mode="circular", flip=True),
            sig.convolve2d(x, k, mode="same", boundary="wrap"),
        ),
    ]
    for got, want in checks:
        assert got.dtype == np.int64
        assert got.tolist() == want.tolist()


@SETTINGS
@given(xk=single_channel(), mode=st.sampled_from(PADDING_MODES), cval=st.integers(-3, 3))
def test_scipy_ndimage_modes(xk: tuple[np.ndarray, np.ndarray], mode: str, cval: int) -> None:
    """ndimage.correlate centres the kernel at k // 2: mirror = reflect, nearest = replicate."""
    x, k = xk
    kh, kw = k.shape
    h, w = x.shape
    pads = (kh // 2, (kh - 1) // 2, kw // 2, (kw - 1) // 2)
    if mode == "reflect" and (kh // 2 >= h or kw // 2 >= w):
        return
    nd_mode = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}
    want = ndi.correlate(x.astype(np.float64), k.astype(np.float64), mode=nd_mode[mode], cval=cval)
    kwargs: dict[str, Any] = {"padding": pads, "padding_mode": mode}
    if mode == "zeros":
        kwargs["pad_value"] = cval
    got = conv2d(x, k, **kwargs)
    assert got.tolist() == np.rint(want).astype(np.int64).tolist()


@FEW
@given(xk=single_channel(max_k=3), op=st.sampled_from(["max", "min"]))
def test_pool_against_ndimage_filters(xk: tuple[np.ndarray, np.ndarray], op: str) -> None:
    """Stride-1 max/min pooling is ndimage's maximum/minimum filter, cropped."""
    x, k = xk
    kh, kw = k.shape
    filt = ndi.maximum_filter if op == "max" else ndi.minimum_filter
    full = filt(x, size=(kh, kw), mode="nearest")  # window of cell i: x[i - k // 2 : ...]
    want = full[kh // 2 : kh // 2 + x.shape[0] - kh + 1, kw // 2 : kw // 2 + x.shape[1] - kw + 1]
    got = pool2d(x, (kh, kw), stride=1, op=op)
    assert got.tolist() == want.tolist()


# --------------------------------------------------------------------------- conv_transpose2d


@MANY
@given(transpose_cases())
def test_conv_transpose2d_matches_reference(case: dict[str, Any]) -> None:
    kwargs = case["kwargs"]
    try:
        want = ref_conv_transpose2d(case["x_list"], case["k_list"], **kwargs)
    except RefInvalid:
        event("invalid parameters: ConvError expected")
        with pytest.raises(ConvError):
            conv_transpose2d(case["x"], case["kernel"], **kwargs)
        return
    got = conv_transpose2d(case["x"], case["kernel"], **kwargs)
    assert_matches(got, want, case["kind"])
    pad = kwargs["padding"]
    if not isinstance(pad, str) and (isinstance(pad, int) or len(pad) != 4):
        for i in (0, 1):
            n = output_size(
                np.shape(case["x_list"])[-2 + i],
                np.shape(case["k_list"])[-2 + i],
                stride=axis(kwargs["stride"], i),
                padding=axis(pad, i),
                dilation=axis(kwargs["dilation"], i),
                transposed=True,
                output_padding=axis(kwargs["output_padding"], i),
            )
            assert n == got.shape[-2 + i]


@FEW
@given(xk=single_channel(), s=small_pairs(1, 3))
def test_transpose_is_full_convolution_of_stuffed_input(
    xk: tuple[np.ndarray, np.ndarray], s: Any
) -> None:
    """The scatter is scipy's full true convolution of the zero-stuffed input."""
    x, k = xk
    sh, sw = axis(s, 0), axis(s, 1)
    stuffed = np.zeros(((x.shape[0] - 1) * sh + 1, (x.shape[1] - 1) * sw + 1), dtype=np.int64)
    stuffed[::sh, ::sw] = x
    got = conv_transpose2d(x, k, stride=s)
    assert got.tolist() == sig.convolve2d(stuffed, k, mode="full").tolist()


# --------------------------------------------------------------------------- pooling


@st.composite
def pool_cases(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    kind = draw(st.sampled_from(kinds))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    shape: tuple[int, ...] = (h, w) if draw(st.booleans()) else (draw(st.integers(1, 3)), h, w)
    x = draw(tensors(kind, shape))
    window = draw(small_pairs(1, 4))
    wh, ww = axis(window, 0), axis(window, 1)
    if draw(st.integers(0, 4)) == 0:  # sometimes more than half the window: a ConvError
        padding = draw(
            st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)))
        )
    elif wh == ww and draw(st.booleans()):
        padding = draw(st.integers(0, wh // 2))
    else:
        padding = (draw(st.integers(0, wh // 2)), draw(st.integers(0, ww // 2)))
    kwargs: dict[str, Any] = {
        "op": draw(st.sampled_from(["max", "avg", "min"])),
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
    }
    stride = draw(st.one_of(st.none(), small_pairs(1, 4)))
    if stride is not None:
        kwargs["stride"] = stride
    return {
        "x": maybe_array(draw, x, kind),
        "x_list": x,
        "window": window,
        "kwargs": kwargs,
        "kind": kind,
    }


@MANY
@given(pool_cases())
def test_pool2d_matches_reference(case: dict[str, Any]) -> None:
    kwargs = case["kwargs"]
    try:
        want = ref_pool2d(case["x_list"], case["window"], **kwargs)
    except RefInvalid:
        event("invalid parameters: ConvError expected")
        with pytest.raises(ConvError):
            pool2d(case["x"], case["window"], **kwargs)
        return
    got = pool2d(case["x"], case["window"], **kwargs)
    kind = case["kind"]
    if kind == INT and kwargs["op"] == "avg":
        # averages of integers are exact fractions (an int where the mean is integral)
        assert got.shape == shape_of(want)
        assert got.dtype in (np.dtype(object), np.dtype(np.int64))
        assert all(type(v) in (int, Fraction) for v in flat(got.tolist()))
        assert got.tolist() == want
    else:
        assert_matches(got, want, kind)
    if "stride" not in kwargs:  # the stride defaults to the window
        again = pool2d(case["x"], case["window"], stride=case["window"], **kwargs)
        assert again.tolist() == got.tolist()


# --------------------------------------------------------------------------- exactness and dtypes

BIG = 2**62
HUGE = 2**63


@pytest.mark.parametrize(
    ("x", "kernel", "kwargs"),
    [
        ([[BIG, BIG]], [[1, 1]], {}),
        ([[BIG, BIG, BIG, BIG]], [[1, 1, 1, 1]], {}),
        ([[-BIG, -BIG, -1]], [[1, 1, 1]], {}),
        ([[BIG, BIG, -BIG]], [[1, 1, 1]], {}),
        ([[HUGE + 5, 1]], [[1, -1]], {}),
        ([[-HUGE - 7, 3], [2, 1]], [[2]], {}),
        ([[2**40, 3]], [[2**40]], {}),
        ([[2**31, 2**31]], [[2**33, 2**33]], {}),
        ([[1, 2], [3, 4]], [[1]], {"bias": HUGE}),
        ([[HUGE - 1, 1]], [[1, 1]], {"bias": -1}),
        ([[1, 2], [3, 4]], [[BIG, BIG], [BIG, BIG]], {"padding": 1}),
        ([[1, 2], [3, 4]], [[3, 3]], {"padding": 1, "pad_value": BIG}),
        ([[BIG, 1], [2, BIG]], [[2, 2], [2, 2]], {"padding": 1, "padding_mode": "circular"}),
        (
            [[[BIG, 1]], [[BIG, 2]], [[BIG, 3]]],
            [[[[1]], [[1]], [[1]]], [[[-1]], [[1]], [[-1]]]],
            {"bias": [HUGE, -HUGE]},
        ),
        ([[10**30, -(10**30)]], [[10**30, 10**30]], {}),
    ],
)
def test_int64_overflow_is_exact(x: Any, kernel: Any, kwargs: dict[str, Any]) -> None:
    want = ref_conv2d(x, kernel, **kwargs)
    for xx in (x, np.array(x, dtype=object)):
        got = conv2d(xx, kernel, **kwargs)
        assert_matches(got, want, INT)


@pytest.mark.parametrize(
    ("x", "kernel", "kwargs"),
    [
        ([[BIG, BIG]], [[1, 1]], {}),
        ([[BIG, BIG]], [[1, 1, 1]], {"stride": 2}),
        ([[BIG], [BIG]], [[1], [1]], {"stride": 1}),
        ([[HUGE + 1]], [[1, -3]], {}),
        ([[[1, 2]], [[3, 4]]], [[[[BIG]], [[BIG]]], [[[BIG]], [[-BIG]]]], {"bias": [HUGE, 0]}),
    ],
)
def test_int64_overflow_transpose_is_exact(x: Any, kernel: Any, kwargs: dict[str, Any]) -> None:
    want = ref_conv_transpose2d(x, kernel, **kwargs)
    assert_matches(conv_transpose2d(x, kernel, **kwargs), want, INT)


@pytest.mark.parametrize("op", ["max", "min", "avg"])
@pytest.mark.parametrize(
    "x",
    [
        [[BIG, BIG], [BIG, BIG]],
        [[HUGE - 1, HUGE - 1], [HUGE - 1, HUGE - 3]],
        [[HUGE + 1, 5], [-HUGE - 1, 0]],
        [[-(2**70), 2**70], [3, 2**70 + 1]],
    ],
)
def test_int64_overflow_pool_is_exact(x: Any, op: str) -> None:
    want = ref_pool2d(x, 2, op=op)
    got = pool2d(x, 2, op=op)
    assert got.tolist() == want
    assert all(type(v) in (int, Fraction) for v in flat(got.tolist()))


@SETTINGS
@given(data=st.data())
def test_big_integers_are_exact(data: st.DataObject) -> None:
    big = st.one_of(
        st.integers(-9, 9),
        st.integers(-(2**64), 2**64),
        st.sampled_from([BIG, -BIG, HUGE - 1, -HUGE, HUGE, 2**64 + 1]),
    )
    h, w = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    x = data.draw(matrix(big, h, w))
    k = data.draw(matrix(big, kh, kw))
    kwargs = {"padding": data.draw(st.integers(0, 1)), "bias": data.draw(big)}
    assert_matches(conv2d(x, k, **kwargs), ref_conv2d(x, k, **kwargs), INT)
    assert_matches(conv_transpose2d(x, k), ref_conv_transpose2d(x, k), INT)


def test_small_ints_give_int64() -> None:
    got = conv2d([[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[1, 0], [0, 1]])
    assert got.dtype == np.int64
    assert got.tolist() == [[2, 5], [2, 2]]
    assert conv_transpose2d([[1, 2]], [[1, 1]], stride=2).dtype == np.int64
    assert pool2d([[1, 2], [3, 4]], 2).dtype == np.int64
    assert pool2d([[1, 2], [3, 4]], 2, op="min").dtype == np.int64


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64])
def test_narrow_integer_arrays_do_not_wrap(dtype: Any) -> None:
    info = np.iinfo(dtype)
    x = np.array([[info.max, info.min, info.max], [info.min, info.max, 0]], dtype=dtype)
    k = np.array([[1, -1], [3, 2]], dtype=dtype if info.min < 0 else np.int64)
    want = ref_conv2d(x.tolist(), k.tolist(), padding=1)
    assert_matches(conv2d(x, k, padding=1), want, INT)
    want_t = ref_conv_transpose2d(x.tolist(), k.tolist())
    assert_matches(conv_transpose2d(x, k), want_t, INT)
    got = pool2d(x, 2, stride=1, op="avg")
    assert got.tolist() == ref_pool2d(x.tolist(), 2, stride=1, op="avg")


def test_uint64_beyond_int64() -> None:
    x = np.array([[2**64 - 1, 2**63 + 1]], dtype=np.uint64)
    got = conv2d(x, [[1, -1]])
    assert_matches(got, [[2**64 - 1 - 2**63 - 1]], INT)


def test_fractions_are_exact() -> None:
    x = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
    k = [[Fraction(1, 16), Fraction(1, 8)], [Fraction(1, 8), Fraction(1, 3)]]
    want = ref_conv2d(x, k)
    for kk in (k, np.array(k, dtype=object)):
        got = conv2d(x, kk)
        assert_matches(got, want, FRAC)
        assert got.tolist()[0][0] == Fraction(1, 16) + Fraction(2, 8) + Fraction(1, 3)
    got = conv2d(x, [[1, 1]], bias=Fraction(1, 3))
    assert_matches(got, ref_conv2d(x, [[1, 1]], bias=Fraction(1, 3)), FRAC)
    got_t = conv_transpose2d(x, k, stride=2)
    assert_matches(got_t, ref_conv_transpose2d(x, k, stride=2), FRAC)


def test_any_float_gives_float64() -> None:
    x = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
    k = [[1, 0], [0, 1]]
    cases: list[tuple[Any, Any, dict[str, Any]]] = [
        ([[1.0, 2, 0], [0, 1, 3], [2, 2, 1]], k, {}),
        (x, [[0.5, 0], [0, 1]], {}),
        (x, k, {"bias": 0.5}),
        (x, [[Fraction(1, 3), 0.5], [0, 1]], {}),
        (np.array(x, dtype=np.float32), k, {}),
    ]
    for xx, kk, kwargs in cases:
        got = conv2d(xx, kk, **kwargs)
        assert got.dtype == np.float64
        want = ref_conv2d(np.asarray(xx).tolist(), kk, **kwargs)
        np.testing.assert_allclose(got, np.array(want, dtype=float), rtol=1e-12)
    assert conv_transpose2d(x, [[0.5]]).dtype == np.float64
    assert pool2d([[1.5, 2], [3, 4]], 2, op="avg").tolist() == [[2.625]]
    assert pool2d([[1.5, 2], [3, 4]], 2, op="max").dtype == np.float64


def test_avg_pool_of_ints_is_a_fraction() -> None:
    got = pool2d([[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]], 2, op="avg")
    assert got.tolist() == [[3, 6], [Fraction(5, 2), 2]]
    assert type(got.tolist()[1][0]) is Fraction
    got = pool2d([[1, 2], [3, 5]], 2, padding=1, op="avg", count_include_pad=True)
    assert got.tolist() == ref_pool2d([[1, 2], [3, 5]], 2, padding=1, op="avg")
    assert got.tolist() == [[Fraction(1, 4), Fraction(1, 2)], [Fraction(3, 4), Fraction(5, 4)]]


@pytest.mark.parametrize("bias", [[1, -2], (1, -2), np.array([1, -2]), 3, np.int64(3)])
def test_bias_containers(bias: Any) -> None:
    x = [[[1, 2, 0], [0, 1, 3]], [[2, 2, 1], [1, 0, 1]]]
    kernel = [[[[1, 0]], [[0, 1]]], [[[1, 1]], [[-1, 2]]]]
    plain = bias.tolist() if isinstance(bias, np.ndarray) else bias
    want = ref_conv2d(x, kernel, bias=plain if np.ndim(plain) else int(plain))
    assert_matches(conv2d(x, kernel, bias=bias), want, INT)
    want_t = ref_conv_transpose2d(x, kernel, bias=plain if np.ndim(plain) else int(plain))
    assert_matches(conv_transpose2d(x, kernel, bias=bias), want_t, INT)


# --------------------------------------------------------------------------- errors

X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
K = [[1, 0], [0, 1]]
X2 = [X, X]
K4 = [[K, K], [K, K]]

# name: (the function, a call of it given the API's or the reference's version)
ERRORS: dict[str, tuple[str, Callable[[Callable[..., Any]], Any]]] = {
    "stride 0": ("conv2d", lambda f: f(X, K, stride=0)),
    "stride -1": ("conv2d", lambda f: f(X, K, stride=-1)),
    "stride (1, 0)": ("conv2d", lambda f: f(X, K, stride=(1, 0))),
    "dilation 0": ("conv2d", lambda f: f(X, K, dilation=0)),
    "dilation (0, 1)": ("conv2d", lambda f: f(X, K, dilation=(0, 1))),
    "padding -1": ("conv2d", lambda f: f(X, K, padding=-1)),
    "padding (0, -1)": ("conv2d", lambda f: f(X, K, padding=(0, -1))),
    "padding (1, 1, -1, 0)": ("conv2d", lambda f: f(X, K, padding=(1, 1, -1, 0))),
    "padding word": ("conv2d", lambda f: f(X, K, padding="bogus")),
    "padding 3-tuple": ("conv2d", lambda f: f(X, K, padding=(1, 1, 1))),
    "kernel too large": ("conv2d", lambda f: f(X, [[1] * 4] * 4)),
    "kernel too large tall": ("conv2d", lambda f: f(X, [[1]] * 4, padding=(0, 0, 1, 1))),
    "dilated kernel too large": ("conv2d", lambda f: f(X, K, dilation=3)),
    "channels 3-D": ("conv2d", lambda f: f(X2, [K, K, K])),
    "channels 4-D": ("conv2d", lambda f: f(X2, [[K, K, K]])),
    "2-D kernel on 2 channels": ("conv2d", lambda f: f(X2, K)),
    "groups not dividing C": ("conv2d", lambda f: f([X, X, X], [[K], [K]], groups=2)),
    "groups not dividing O": ("conv2d", lambda f: f(X2, [[K], [K], [K]], groups=2)),
    "groups 0": ("conv2d", lambda f: f(X2, K4, groups=0)),
    "groups with wrong C/g": ("conv2d", lambda f: f(X2, K4, groups=2)),
    "bias length": ("conv2d", lambda f: f(X2, K4, bias=[1, 2, 3])),
    "reflect pad == size": ("conv2d", lambda f: f(X, K, padding=3, padding_mode="reflect")),
    "reflect pad one side": (
        "conv2d",
        lambda f: f(X, K, padding=(0, 0, 0, 3), padding_mode="reflect"),
    ),
    "circular pad > size": ("conv2d", lambda f: f(X, K, padding=4, padding_mode="circular")),
    "padding mode": ("conv2d", lambda f: f(X, K, padding=1, padding_mode="mirror")),
    "input 4-D": ("conv2d", lambda f: f([X2], K4)),
    "kernel 5-D": ("conv2d", lambda f: f(X2, [K4])),
    "ragged input": ("conv2d", lambda f: f([[1, 2], [3]], K)),
    "empty input": ("conv2d", lambda f: f([], K)),
    "transpose output_padding >= stride": (
        "conv_transpose2d",
        lambda f: f(X, K, stride=2, output_padding=2),
    ),
    "transpose output_padding >= dilation": (
        "conv_transpose2d",
        lambda f: f(X, K, dilation=2, output_padding=(0, 2)),
    ),
    "transpose output_padding at stride 1": (
        "conv_transpose2d",
        lambda f: f(X, K, output_padding=1),
    ),
    "transpose same": ("conv_transpose2d", lambda f: f(X, K, padding="same")),
    "transpose full": ("conv_transpose2d", lambda f: f(X, K, padding="full")),
    "transpose negative padding": ("conv_transpose2d", lambda f: f(X, K, padding=-1)),
    "transpose output < 1": ("conv_transpose2d", lambda f: f([[1]], [[1]], padding=1)),
    "transpose channels": ("conv_transpose2d", lambda f: f(X2, [K, K, K])),
    "transpose stride 0": ("conv_transpose2d", lambda f: f(X, K, stride=0)),
    "transpose groups": ("conv_transpose2d", lambda f: f([X, X, X], [[K], [K], [K]], groups=2)),
    "transpose bias length": ("conv_transpose2d", lambda f: f(X2, K4, bias=[1, 2, 3])),
    "pool op": ("pool2d", lambda f: f(X, 2, op="median")),
    "pool padding > window/2": ("pool2d", lambda f: f(X, 2, padding=2)),
    "pool padding > window/2 one axis": ("pool2d", lambda f: f(X, (3, 1), padding=(1, 1))),
    "pool window too large": ("pool2d", lambda f: f(X, 4)),
    "pool window 0": ("pool2d", lambda f: f(X, 0)),
    "pool stride 0": ("pool2d", lambda f: f(X, 2, stride=0)),
    "pool negative padding": ("pool2d", lambda f: f(X, 2, padding=-1)),
    "output_size below 1": ("output_size", lambda f: f(3, 4)),
    "output_size stride 0": ("output_size", lambda f: f(5, 3, stride=0)),
    "output_size negative padding": ("output_size", lambda f: f(5, 3, padding=-1)),
    "output_size word": ("output_size", lambda f: f(5, 3, padding="bogus")),
    "output_size output_padding": (
        "output_size",
        lambda f: f(3, 3, stride=2, transposed=True, output_padding=2),
    ),
    "output_size transposed below 1": (
        "output_size",
        lambda f: f(1, 1, padding=1, transposed=True),
    ),
}


API: dict[str, Callable[..., Any]] = {
    "conv2d": conv2d,
    "conv_transpose2d": conv_transpose2d,
    "pool2d": pool2d,
    "output_size": output_size,
}
REF: dict[str, Callable[..., Any]] = {
    "conv2d": ref_conv2d,
    "conv_transpose2d": ref_conv_transpose2d,
    "pool2d": ref_pool2d,
    "output_size": ref_output_size,
}


@pytest.mark.parametrize("name", ERRORS)
def test_conv_error(name: str) -> None:
    function, call = ERRORS[name]
    with pytest.raises(ConvError):
        call(API[function])


@pytest.mark.parametrize("name", ERRORS)
def test_reference_agrees_on_errors(name: str) -> None:
    """The reference rejects the same calls (a check of the oracle itself)."""
    function, call = ERRORS[name]
    with pytest.raises(RefInvalid):
        call(REF[function])
