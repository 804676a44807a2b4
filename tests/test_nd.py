"""conv1d/2d/3d and conv_transpose1d/2d/3d against the naive N-D oracle of reference.py.

One implementation serves every N (conv2d is its N = 2 case), so 2-D runs through the
same properties. Every padding form (1, N or 2N numbers, valid, same, same-lower,
full), every padding mode, strides, dilations, groups, bias and flips; integers and
fractions exact with the documented dtypes, floats to 1e-12 relative. Where the oracle
finds the parameters invalid, the API must raise ConvError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli import (
    ConvError,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    output_size,
)
from convcli import algorithms as alg
from convcli.core import ConvParams, Geometry, prepare_conv, prepare_transpose
from convcli.params import as_axis_padding, parse_axis_padding, parse_padding

try:
    from reference import ND_WORDS, RefInvalid, ref_conv_transposend, ref_convnd
except ImportError:  # pragma: no cover - when tests/ is a package
    from tests.reference import ND_WORDS, RefInvalid, ref_conv_transposend, ref_convnd

SETTINGS = settings(
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CONV: dict[int, Callable[..., np.ndarray]] = {1: conv1d, 2: conv2d, 3: conv3d}
TRANSPOSE: dict[int, Callable[..., np.ndarray]] = {
    1: conv_transpose1d,
    2: conv_transpose2d,
    3: conv_transpose3d,
}
MAX_SIZE = {1: 12, 2: 6, 3: 4}
MODES = ("zeros", "reflect", "replicate", "circular")


# --------------------------------------------------------------------------- helpers


def number(kind: str, draw: Any) -> Any:
    if kind == "int":
        return draw(st.integers(-9, 9))
    if kind == "frac":
        return Fraction(draw(st.integers(-9, 9)), draw(st.integers(1, 4)))
    return draw(st.floats(-4, 4, allow_nan=False, width=64))


def nested(shape: tuple[int, ...], kind: str, draw: Any) -> Any:
    if not shape:
        return number(kind, draw)
    return [nested(shape[1:], kind, draw) for _ in range(shape[0])]


def leaves(v: Any) -> list[Any]:
    if isinstance(v, list):
        return [leaf for e in v for leaf in leaves(e)]
    return [v]


def shape_of(v: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0]
    return tuple(shape)


def check(got: np.ndarray, want: Any, kind: str, scale: float) -> None:
    """Exact for integers (numpy or Python ints) and fractions; floats to 1e-12."""
    assert tuple(got.shape) == shape_of(want)
    values, wanted = got.ravel().tolist(), leaves(want)
    if kind == "int":
        assert got.dtype in (np.dtype(np.int64), np.dtype(object))
        assert all(type(v) is int for v in values)
        assert values == wanted
    elif kind == "frac":
        assert got.dtype in (np.dtype(np.int64), np.dtype(object))
        assert all(isinstance(v, int | Fraction) for v in values)
        assert values == wanted
    else:
        assert got.dtype == np.float64
        np.testing.assert_allclose(
            values, [float(w) for w in wanted], rtol=1e-12, atol=1e-12 * scale
        )


def magnitude(*items: Any) -> float:
    """A scale for the absolute tolerance near cancellations: Σ|x| · Σ|w| + 1."""
    total = 1.0
    for item in items:
        total *= sum(abs(float(v)) for v in leaves(item)) + 1
    return total


@st.composite
def axis_values(draw: Any, ndim: int, low: int, high: int) -> Any:
    """One int, a one-item list or N ints (the forms the API accepts)."""
    form = draw(st.sampled_from(["int", "list", "one"]))
    if form == "int":
        return draw(st.integers(low, high))
    if form == "one":
        return [draw(st.integers(low, high))]
    return [draw(st.integers(low, high)) for _ in range(ndim)]


@st.composite
def paddings(draw: Any, ndim: int, words: bool = True, most: int = 3) -> Any:
    forms = ["int", "n", "2n", *(["word"] if words else [])]
    form = draw(st.sampled_from(forms))
    event(f"padding {form}")
    if form == "word":
        return draw(st.sampled_from(ND_WORDS))
    if form == "int":
        return draw(st.integers(0, most))
    count = ndim if form == "n" else 2 * ndim
    return tuple(draw(st.integers(0, most)) for _ in range(count))


@st.composite
def conv_cases(draw: Any, ndim: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "frac", "float"]))
    groups = draw(st.sampled_from([1, 1, 2]))
    layout = draw(st.sampled_from(["plain", "channels", "full"])) if groups == 1 else "full"
    per_group = draw(st.integers(1, 2))
    channels = per_group * groups if layout != "plain" else 1
    out_channels = groups * draw(st.integers(1, 2)) if layout == "full" else 1
    size = tuple(draw(st.integers(1, MAX_SIZE[ndim])) for _ in range(ndim))
    ksize = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    x_shape = size if layout == "plain" else (channels, *size)
    k_shape = {
        "plain": ksize,
        "channels": (channels, *ksize),
        "full": (out_channels, channels // groups, *ksize),
    }[layout]
    mode = draw(st.sampled_from(MODES))
    bias = draw(st.sampled_from(["none", "one", "each"]))
    event(f"{ndim}-D {kind} {layout} {mode}")
    return {
        "kind": kind,
        "x": nested(x_shape, kind, draw),
        "kernel": nested(k_shape, kind, draw),
        "stride": draw(axis_values(ndim, 1, 3)),
        "dilation": draw(axis_values(ndim, 1, 2)),
        "padding": draw(paddings(ndim, most=2)),
        "groups": groups,
        "padding_mode": mode,
        "pad_value": number(kind, draw) if mode == "zeros" and draw(st.booleans()) else 0,
        "bias": {
            "none": None,
            "one": number(kind, draw),
            "each": [number(kind, draw) for _ in range(out_channels)],
        }[bias],
        "flip": draw(st.booleans()),
    }


@st.composite
def transpose_cases(draw: Any, ndim: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "frac", "float"]))
    groups = draw(st.sampled_from([1, 1, 2]))
    layout = draw(st.sampled_from(["plain", "channels", "full"])) if groups == 1 else "full"
    channels = groups * draw(st.integers(1, 2)) if layout != "plain" else 1
    per_out = draw(st.integers(1, 2)) if layout == "full" else 1
    size = tuple(draw(st.integers(1, MAX_SIZE[ndim] - 1)) for _ in range(ndim))
    ksize = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    x_shape = size if layout == "plain" else (channels, *size)
    k_shape = {
        "plain": ksize,
        "channels": (channels, *ksize),
        "full": (channels, per_out, *ksize),
    }[layout]
    out_channels = per_out * groups
    stride = draw(axis_values(ndim, 1, 3))
    event(f"{ndim}-D transposed {kind} {layout}")
    return {
        "kind": kind,
        "x": nested(x_shape, kind, draw),
        "kernel": nested(k_shape, kind, draw),
        "stride": stride,
        "padding": draw(st.one_of(paddings(ndim, words=False, most=1), st.just("valid"))),
        "output_padding": draw(axis_values(ndim, 0, 1)),
        "dilation": draw(axis_values(ndim, 1, 2)),
        "groups": groups,
        "bias": draw(st.sampled_from([None, number(kind, draw)]))
        if draw(st.booleans())
        else [number(kind, draw) for _ in range(out_channels)],
        "flip": draw(st.booleans()),
    }


def run_both(api: Callable[..., np.ndarray], oracle: Callable[..., Any], ndim: int,
             case: dict[str, Any]) -> tuple[np.ndarray, Any] | None:  # fmt: skip
    """(ours, the oracle's), or None when both call the case invalid."""
    args = {k: v for k, v in case.items() if k != "kind"}
    x, kernel = args.pop("x"), args.pop("kernel")
    try:
        want = oracle(x, kernel, ndim, **args)
    except RefInvalid:
        event("invalid")
        with pytest.raises(ConvError):
            api(x, kernel, **args)
        return None
    return api(x, kernel, **args), want


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("ndim", [1, 2, 3])
@SETTINGS
@given(data=st.data())
def test_conv_matches_the_naive_oracle(ndim: int, data: st.DataObject) -> None:
    case = data.draw(conv_cases(ndim))
    both = run_both(CONV[ndim], ref_convnd, ndim, case)
    if both is not None:
        check(*both, case["kind"], magnitude(case["x"], case["kernel"], case["pad_value"]))


@pytest.mark.parametrize("ndim", [1, 2, 3])
@SETTINGS
@given(data=st.data())
def test_conv_transpose_matches_the_naive_oracle(ndim: int, data: st.DataObject) -> None:
    case = data.draw(transpose_cases(ndim))
    both = run_both(TRANSPOSE[ndim], ref_conv_transposend, ndim, case)
    if both is not None:
        check(*both, case["kind"], magnitude(case["x"], case["kernel"]))


@pytest.fixture
def forced() -> Iterator[None]:
    yield
    alg.FORCED = None


METHODS_ND = ("taps", "einsum", "blocked", "fft", "banded")


@pytest.mark.parametrize("method", METHODS_ND)
@pytest.mark.parametrize("ndim", [1, 3])
def test_every_method_runs_1d_and_3d(ndim: int, method: str, forced: None) -> None:
    """Inputs large enough for the fast methods, strided and dilated, grouped."""
    rng = np.random.default_rng(ndim * 10 + len(method))
    size = {1: (40,), 3: (7, 6, 8)}[ndim]
    ksize = {1: (5,), 3: (3, 2, 3)}[ndim]
    x = rng.integers(-9, 10, (4, *size))
    w = rng.integers(-5, 6, (4, 2, *ksize))
    wt = rng.integers(-5, 6, (4, 3, *ksize))
    alg.FORCED = method
    for stride, dilation, padding in [(1, 1, 0), (2, 1, "same-lower"), (1, 2, "full"), (3, 2, 1)]:
        kwargs = {"stride": stride, "dilation": dilation, "groups": 2}
        got = CONV[ndim](x, w, padding=padding, padding_mode="replicate", bias=1, **kwargs)
        want = ref_convnd(x.tolist(), w.tolist(), ndim, padding=padding,
                          padding_mode="replicate", bias=1, **kwargs)  # fmt: skip
        check(got, want, "int", 1)
        check(CONV[ndim](x * 0.25, w, padding=padding, **kwargs),
              ref_convnd((x * 0.25).tolist(), w.tolist(), ndim, padding=padding, **kwargs),
              "float", magnitude(x.tolist(), w.tolist()))  # fmt: skip
        crop = 0 if padding in ("same-lower", "full") else padding
        got_t = TRANSPOSE[ndim](x, wt, padding=crop, output_padding=stride - 1, **kwargs)
        want_t = ref_conv_transposend(x.tolist(), wt.tolist(), ndim, padding=crop,
                                      output_padding=stride - 1, **kwargs)  # fmt: skip
        check(got_t, want_t, "int", 1)


def test_large_1d_and_3d_floats_take_a_fast_method_and_agree() -> None:
    """The sizes of the benchmark, smaller: no Python loop per cell, results as scipy's."""
    import scipy.ndimage as ndi

    rng = np.random.default_rng(11)
    signal, taps = rng.standard_normal(20_000), rng.standard_normal(31)
    want = ndi.correlate1d(signal, taps, mode="constant", origin=0)[15:-15]
    np.testing.assert_allclose(conv1d(signal, taps), want, rtol=1e-9, atol=1e-11)
    volume, cube = rng.standard_normal((20, 21, 22)), rng.standard_normal((3, 3, 3))
    want3 = ndi.correlate(volume, cube, mode="constant")[1:-1, 1:-1, 1:-1]
    np.testing.assert_allclose(conv3d(volume, cube), want3, rtol=1e-9, atol=1e-11)
    shifts = alg.conv_shifts(volume[None], cube[None, None], want3.shape, (1, 1, 1), (1, 1, 1))
    assert alg.choose(alg.Work.of(shifts), "float") in ("einsum", "blocked")


def test_integers_past_int64_stay_exact_in_1d_and_3d() -> None:
    big = 2**62
    assert conv1d([big, big, 1], [2, 2]).tolist() == [4 * big, 2 * big + 2]
    got = conv3d([[[big]], [[big]]], [[[3]], [[1]]])
    assert got.tolist() == [[[4 * big]]]
    assert got.dtype == object
    assert conv_transpose3d([[[big]]], [[[2, 1]]]).tolist() == [[[2 * big, big]]]


# --------------------------------------------------------------------------- parameters


def test_padding_forms_for_every_n() -> None:
    assert as_axis_padding(2, 1) == (2, 2)
    assert as_axis_padding((1, 2), 1) == (1, 2)
    assert as_axis_padding((1, 2, 3), 3) == (1, 1, 2, 2, 3, 3)
    assert as_axis_padding((1, 2, 3, 4, 5, 6), 3) == (1, 2, 3, 4, 5, 6)
    assert parse_axis_padding("SAME-LOWER", 3) == "same-lower"
    assert parse_padding("same-lower") == "same-lower"
    assert parse_padding("1,2") == (1, 1, 2, 2)
    with pytest.raises(ConvError, match=r"padding takes 1, 3 \(D,H,W\) or 6 \(front,back,"):
        as_axis_padding((1, 2), 3)
    with pytest.raises(ConvError, match=r"padding takes 1 or 2 \(left,right\) numbers, got 3"):
        conv1d([1, 2, 3], [1], padding=(1, 2, 3))
    with pytest.raises(ConvError, match=r"FRONT,BACK,TOP,BOTTOM,LEFT,RIGHT or one of valid, same"):
        parse_axis_padding("samelow", 3)
    with pytest.raises(ConvError, match=r"stride takes one number or 3 \(D,H,W\), got 2"):
        conv3d([[[1]]], [[[1]]], stride=(1, 2))


def test_same_lower_puts_the_extra_cell_before() -> None:
    assert output_size(4, 4, padding="same-lower") == 4
    # total padding 3: same is (1, 2), same-lower (2, 1)
    assert conv1d([1, 2, 3, 4], [1, 1, 1, 1], padding="same").tolist() == [6, 10, 9, 7]
    assert conv1d([1, 2, 3, 4], [1, 1, 1, 1], padding="same-lower").tolist() == [3, 6, 10, 9]
    assert conv2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], padding="same-lower").tolist() == [
        [1, 3],
        [4, 10],
    ]


def test_setups_keep_the_2d_attributes_and_have_n_axes() -> None:
    params = ConvParams.build(stride=(2, 1), padding=(1, 0, 2, 3))
    setup = prepare_conv(np.ones((5, 6)), np.ones((2, 2)), params=params)
    assert setup.pads == (1, 0, 2, 3)
    assert (setup.rows.output, setup.cols.output) == (3, 10)
    assert setup.axes == (setup.rows, setup.cols)
    assert setup.output_shape == (3, 10)
    assert (setup.stride, setup.dilation) == ((2, 1), (1, 1))
    geometry = Geometry.build(3, stride=2, padding=(0, 1, 1, 0, 2, 2))
    setup3 = prepare_conv(np.ones((2, 4, 5, 6)), np.ones((3, 2, 1, 2, 3)), params=ConvParams(),
                          geometry=geometry)  # fmt: skip
    assert setup3.pads == (0, 1, 1, 0, 2, 2)
    assert setup3.output_shape == (3, 3, 3, 4)
    assert [a.output for a in setup3.axes] == [3, 3, 4]
    with pytest.raises(AttributeError, match="2-D setups"):
        _ = setup3.rows
    geometry1 = Geometry.build(1, stride=2, padding=1, dilation=2)
    t = prepare_transpose(np.ones((3,)), np.ones((2,)), params=ConvParams(), output_padding=1,
                          geometry=geometry1)  # fmt: skip
    assert t.output_shape == ((3 - 1) * 2 - 1 - 1 + 2 * (2 - 1) + 1 + 1,)
    assert t.output_padding == (1,)


def test_shape_errors_name_the_n_d_layout() -> None:
    with pytest.raises(ConvError, match=r"the input must be 1-D or 2-D, got a 3-D array"):
        conv1d(np.ones((1, 2, 3)), [1])
    with pytest.raises(ConvError, match=r"the kernel \[C\]\[kd\]\[kh\]\[kw\] reads 2 channels"):
        conv3d(np.ones((3, 2, 2, 2)), np.ones((2, 1, 1, 1)))
    with pytest.raises(ConvError, match=r"the transposed kernel \[C_in\]\[C_out/groups\]\[k\]"):
        conv_transpose1d(np.ones((2, 3)), np.ones((3, 1, 2)))
    with pytest.raises(ConvError, match=r"reflect padding \(2,2\) must be at most 1 cell"):
        conv1d([1, 2], [1], padding=2, padding_mode="reflect")
    with pytest.raises(ConvError, match=r"at most 1 slice, 1 row and 2 columns for a 2×2×3"):
        conv3d(np.ones((2, 2, 3)), np.ones((1, 1, 1)), padding=2, padding_mode="reflect")
    with pytest.raises(ConvError, match=r"not 'same' or 'full'"):
        conv_transpose3d(np.ones((2, 2, 2)), np.ones((1, 1, 1)), padding="same-lower")


def test_3d_cost_counts_the_unrolled_grid() -> None:
    """A 3-D grid computes the rows between depth slices too: few of them."""
    x = np.zeros((1, 10, 12, 14))
    shifts = alg.conv_shifts(x, np.zeros((1, 1, 3, 3, 3)), (8, 10, 12), (1, 1, 1), (1, 1, 1))
    assert (shifts.out_h, shifts.out_w, shifts.width) == (7 * 12 + 10, 12, 14)
    useful = 8 * 10 * 12
    computed = (shifts.out_h - 1) * shifts.width + shifts.out_w
    assert computed < 1.5 * useful
    assert math.prod(shifts.shape) == shifts.flat.shape[2]
