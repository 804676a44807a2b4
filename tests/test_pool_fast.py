"""The fast paths for large pooling windows and large convolution strides (issue 15).

Pooling: windows that tile an axis (stride = window) reduce a view of it, a float64
sum by a product with ones; overlapping windows made of whole stride-sized blocks
(window a multiple of the stride) reduce the blocks once, then windows of blocks.
Convolution: one channel in and out per group at strides ≥ 4 reads the sampled windows
in place (``algorithms.conv_sampled``). Every case is checked against a naive Python
loop written here (and scipy where it applies): integers and fractions exactly, floats
to rtol 1e-12.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi

from convcli import algorithms, conv1d, conv2d, conv3d, pool1d, pool2d, pool3d

RTOL = 1e-12


# --------------------------------------------------------------------------- oracles


def out_size(n: int, k: int, s: int, before: int, after: int, d: int, ceil: bool) -> int:
    """PyTorch's output size, with its rule that the last window starts inside the input
    or the padding before it."""
    span = (k - 1) * d + 1
    room = n + before + after - span
    count = (-(-room // s) if ceil else room // s) + 1
    if ceil and (count - 1) * s >= n + before:
        count -= 1
    return count


def naive_pool(
    x: np.ndarray,
    k: tuple[int, ...],
    s: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    op: str,
    ceil: bool = False,
    include_pad: bool = True,
    d: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Pooling by the definition, cell by cell in Python numbers (ints and Fractions
    exact), on one plane of any number of axes."""
    d = d or (1,) * len(k)
    sizes = x.shape
    outs = [
        out_size(n, kk, ss, b, a, dd, ceil)
        for n, kk, ss, (b, a), dd in zip(sizes, k, s, pads, d, strict=True)
    ]
    result = np.empty(outs, dtype=object)
    for o in itertools.product(*(range(n) for n in outs)):
        values, counted = [], 0
        for t in itertools.product(*(range(kk) for kk in k)):
            cell = [
                oo * ss - b + tt * dd
                for oo, ss, (b, _), tt, dd in zip(o, s, pads, t, d, strict=True)
            ]
            inside = all(0 <= c < n for c, n in zip(cell, sizes, strict=True))
            in_padded = all(-b <= c < n + a for c, n, (b, a) in zip(cell, sizes, pads, strict=True))
            if inside:
                value = x[tuple(cell)]
                values.append(value.item() if isinstance(value, np.generic) else value)
            if in_padded if include_pad else inside:
                counted += 1
        if op == "max":
            result[o] = max(values)
        elif op == "min":
            result[o] = min(values)
        elif x.dtype == np.float64:
            result[o] = math.fsum(values) / counted
        else:
            result[o] = Fraction(sum(values), counted)
    return result


def naive_conv(
    x: np.ndarray,
    w: np.ndarray,
    s: tuple[int, int],
    pad: tuple[int, int] = (0, 0),
    d: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """Valid cross-correlation of one plane by one kernel with zero padding, in Python
    numbers (floats summed exactly with fsum, then rounded once)."""
    (h, wd), (kh, kw) = x.shape, w.shape
    hp, wp = h + 2 * pad[0], wd + 2 * pad[1]
    padded = np.zeros((hp, wp), dtype=object)
    padded[pad[0] : pad[0] + h, pad[1] : pad[1] + wd] = x.astype(object)
    oh = (hp - (kh - 1) * d[0] - 1) // s[0] + 1
    ow = (wp - (kw - 1) * d[1] - 1) // s[1] + 1
    out = np.empty((oh, ow), dtype=object)
    for i in range(oh):
        for j in range(ow):
            terms = [
                padded[i * s[0] + a * d[0], j * s[1] + b * d[1]] * w[a, b].item()
                for a in range(kh)
                for b in range(kw)
            ]
            out[i, j] = math.fsum(terms) if x.dtype == np.float64 else sum(terms)
    return out


def assert_same(got: Any, want: np.ndarray, exact: bool) -> None:
    got = np.asarray(got)
    assert got.shape == want.shape
    if exact:
        assert got.tolist() == want.tolist()
    else:
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=RTOL)


def data(kind: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "float":
        return rng.standard_normal(shape) * 10 + 3  # an offset: sums that do not cancel
    return rng.integers(-50, 50, shape)


# --------------------------------------------------------------------------- pooling, 2-D

TILING = [(2, 2), (4, 4), (5, 5), (8, 8), (9, 9), (16, 16)]  # stride = window: tiles
BLOCKS = [(4, 2), (6, 3), (8, 4), (12, 4), (16, 4), (24, 4)]  # window a multiple of stride


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize("op", ["max", "min", "avg"])
@pytest.mark.parametrize(("k", "s"), TILING + BLOCKS)
def test_2d_windows_match_the_naive_loop_on_sizes_that_do_not_divide(
    kind: str, op: str, k: int, s: int
) -> None:
    x = data(kind, (2 * k + 7, 3 * k + 5), k * 10 + s)  # odd sizes, a ragged last tile
    want = naive_pool(x, (k, k), (s, s), ((0, 0), (0, 0)), op)
    assert_same(pool2d(x, k, stride=s, op=op), want, exact=kind == "int" or op != "avg")


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize(("k", "s"), [(4, 4), (8, 8), (8, 4), (12, 4)])
@pytest.mark.parametrize("ceil", [False, True])
@pytest.mark.parametrize("include_pad", [False, True])
def test_2d_averages_with_padding_ceil_mode_and_count_include_pad(
    kind: str, k: int, s: int, ceil: bool, include_pad: bool
) -> None:
    x = data(kind, (3 * k + 3, 2 * k + 5), k + s)
    pads = ((1, 2), (3, 0))  # ONNX's separate padding before and after each axis
    want = naive_pool(x, (k, k), (s, s), pads, "avg", ceil, include_pad)
    got = pool2d(
        x, k, stride=s, padding=(1, 2, 3, 0), op="avg", ceil_mode=ceil,
        count_include_pad=include_pad,
    )  # fmt: skip
    assert_same(got, want, exact=kind == "int")


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize(("k", "s"), [(8, 8), (8, 4)])
def test_2d_max_and_min_with_padding_and_ceil_mode(op: str, k: int, s: int) -> None:
    x = data("int", (3 * k + 1, 2 * k + 3), 7)
    want = naive_pool(x, (k, k), (s, s), ((2, 2), (3, 3)), op, ceil=True)
    assert_same(pool2d(x, k, stride=s, padding=(2, 3), op=op, ceil_mode=True), want, exact=True)


@pytest.mark.parametrize(("k", "s"), [(8, 8), (8, 4), (16, 16)])
def test_2d_non_overlapping_and_overlapping_windows_match_scipy(k: int, s: int) -> None:
    x = data("float", (5 * k + 3, 4 * k + 1), 3)
    m, n = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    start = k // 2  # ndimage centres its window: the first full one is centred there
    rows = slice(start, start + s * (m - 1) + 1, s)
    cols = slice(start, start + s * (n - 1) + 1, s)
    np.testing.assert_allclose(
        pool2d(x, k, stride=s, op="avg"), ndi.uniform_filter(x, size=k)[rows, cols], rtol=RTOL
    )
    assert np.array_equal(
        pool2d(x, k, stride=s, op="max"), ndi.maximum_filter(x, size=k)[rows, cols]
    )


def test_channels_and_a_rectangular_window_tile_each_axis_apart() -> None:
    x = data("int", (3, 21, 34), 11)
    got = pool2d(x, (4, 8), stride=(4, 8), op="avg")
    for c in range(3):
        want = naive_pool(x[c], (4, 8), (4, 8), ((0, 0), (0, 0)), "avg")
        assert_same(got[c], want, exact=True)


def test_a_float_sum_keeps_infinities_and_nans_as_the_additions_do() -> None:
    x = np.arange(64.0).reshape(8, 8)
    x[0, 1], x[5, 5], x[6, 6] = np.inf, np.nan, -np.inf
    got = pool2d(x, 4, op="avg")
    assert got[0, 0] == np.inf
    assert np.isnan(got[1, 1])
    assert np.isfinite(got[0, 1])
    assert got[1, 0] == np.mean(x[4:, :4])


def test_integer_averages_near_int64_stay_exact() -> None:
    big = 2**62
    x = np.full((8, 16), big, dtype=np.int64)
    x[0, 0] = big - 3
    got = pool2d(x, 8, op="avg")
    assert got.tolist() == [[Fraction(64 * big - 3, 64), Fraction(big)]]


def test_fractions_take_the_tiling_and_block_paths_exactly() -> None:
    x = np.array([[Fraction(i * j + 1, 7 + j) for j in range(13)] for i in range(11)], object)
    for k, s in [(4, 4), (6, 3)]:
        want = naive_pool(x, (k, k), (s, s), ((0, 0), (0, 0)), "avg")
        assert pool2d(x, k, stride=s, op="avg").tolist() == want.tolist()


# --------------------------------------------------------------------------- pooling, 1-D and 3-D


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize(("k", "s"), [(4, 4), (9, 9), (16, 16), (8, 4), (15, 5)])
def test_1d_windows_match_the_naive_loop(kind: str, op: str, k: int, s: int) -> None:
    x = data(kind, (2, 5 * k + 3), k)
    for c in range(2):
        want = naive_pool(x[c], (k,), (s,), ((1, 2),), op, ceil=True)
        got = pool1d(x, k, stride=s, padding=(1, 2), op=op, ceil_mode=True)[c]
        assert_same(got, want, exact=kind == "int" or op != "avg")


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize("op", ["min", "avg"])
@pytest.mark.parametrize(("k", "s"), [(4, 4), (8, 8), (4, 2), (6, 3)])
def test_3d_windows_match_the_naive_loop(kind: str, op: str, k: int, s: int) -> None:
    x = data(kind, (k + 3, 2 * k + 1, 2 * k + 5), 2 * k)
    want = naive_pool(x, (k, k, k), (s, s, s), ((0, 1), (1, 0), (0, 0)), op, False, False)
    got = pool3d(x, k, stride=s, padding=(0, 1, 1, 0, 0, 0), op=op, count_include_pad=False)
    assert_same(got, want, exact=kind == "int" or op != "avg")


def test_dilated_windows_keep_their_own_path() -> None:
    x = data("int", (29, 31), 5)
    want = naive_pool(x, (4, 4), (4, 4), ((0, 0), (0, 0)), "avg", d=(2, 2))
    assert_same(pool2d(x, 4, stride=4, dilation=2, op="avg"), want, exact=True)


def test_the_tiling_view_of_a_row_strip_is_the_cells_it_tiles() -> None:
    """A strip narrower than its rows (the last tile cut) is viewed with strides."""
    a = np.arange(3 * 2 * 23, dtype=np.int64).reshape(3, 2, 23)[:, :, 1:]
    got = algorithms._tiling_last(a, 5, 4, np.add)
    want = [
        [[sum(row[j * 5 : j * 5 + 5]) for j in range(4)] for row in plane] for plane in a.tolist()
    ]
    assert got.tolist() == want


# --------------------------------------------------------------------------- convolution


STRIDED = [((4, 4), (4, 4)), ((4, 4), (8, 8)), ((3, 5), (4, 6)), ((8, 8), (4, 4)), ((5, 5), (4, 4))]


def sized(kernel: tuple[int, int], stride: tuple[int, int], taps: int) -> tuple[int, int]:
    """An input whose convolution is past TINY_MACS (smaller ones take the plain taps
    loop, not the path under test), with 3 cells past the last window per axis."""
    side = math.isqrt(algorithms.TINY_MACS // taps) + 2
    return tuple((side - 1) * s + k + 3 for k, s in zip(kernel, stride, strict=True))  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize(("kernel", "stride"), STRIDED)
def test_strided_conv_matches_the_naive_loop(
    kind: str, kernel: tuple[int, int], stride: tuple[int, int]
) -> None:
    x = data(kind, sized(kernel, stride, math.prod(kernel)), sum(kernel) + sum(stride))
    w = data(kind, kernel, 1)
    want = naive_conv(x, w, stride)
    got = conv2d(x, w, stride=stride)
    assert got.dtype == x.dtype
    assert_same(got, want, exact=kind == "int")


@pytest.mark.parametrize("kind", ["float", "int"])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 2), (1, 3)])  # spans within, then past
def test_strided_conv_with_padding_and_dilation(kind: str, dilation: tuple[int, int]) -> None:
    x, w = data(kind, sized((7, 10), (4, 5), 12), 2), data(kind, (3, 4), 3)
    want = naive_conv(x, w, (4, 5), (2, 1), dilation)
    got = conv2d(x, w, stride=(4, 5), padding=(2, 1), dilation=dilation)
    assert_same(got, want, kind == "int")


def test_strided_conv_per_group_one_channel_each() -> None:
    h, wd = sized((4, 4), (4, 4), 3 * 16)
    x, w = data("int", (3, h, wd), 4), data("int", (3, 1, 4, 4), 5)
    got = conv2d(x, w, stride=4, groups=3)
    for g in range(3):
        assert_same(got[g], naive_conv(x[g], w[g, 0], (4, 4)), exact=True)


def test_strided_conv_with_channels_keeps_the_phases_and_agrees() -> None:
    h, wd = sized((4, 4), (4, 4), 3 * 2 * 16)
    x, w = data("float", (2, h, wd), 6), data("float", (3, 2, 4, 4), 7)
    got = conv2d(x, w, stride=4)
    for o in range(3):
        want = naive_conv(x[0], w[o, 0], (4, 4)) + naive_conv(x[1], w[o, 1], (4, 4))
        assert_same(got[o], want, exact=False)


def test_strided_conv_integers_past_2_53_stay_exact_in_int64() -> None:
    """max|x|·max|w|·taps is over 2**53 (float64 would round) but within int64."""
    x = np.full(sized((2, 2), (4, 4), 4), 2**50, dtype=np.int64)
    x[::3, ::2] = 2**50 - 1
    w = np.array([[3, -1], [1, 5]], dtype=np.int64)
    got = conv2d(x, w, stride=4)
    assert got.dtype == np.int64
    assert got.tolist() == naive_conv(x, w, (4, 4)).tolist()


def test_strided_conv_with_non_finite_floats() -> None:
    x = np.ones(sized((2, 2), (4, 4), 4))
    x[0, 0], x[4, 5] = np.inf, np.nan
    got = conv2d(x, np.ones((2, 2)), stride=4)
    assert got[0, 0] == np.inf
    assert np.isnan(got[1, 1])
    assert got[2, 2] == 4.0


@pytest.mark.parametrize("kind", ["float", "int"])
def test_strided_1d_and_3d_convolutions_are_unchanged(kind: str) -> None:
    signal, taps = data(kind, (50,), 8), data(kind, (3,), 9)
    want1 = [sum(signal[i * 4 + t].item() * taps[t].item() for t in range(3)) for i in range(12)]
    np.testing.assert_allclose(conv1d(signal, taps, stride=4).astype(float), want1, rtol=RTOL)
    volume, cube = data(kind, (9, 10, 11), 10), data(kind, (2, 2, 2), 11)
    got = conv3d(volume, cube, stride=4)
    for i, j, k in itertools.product(range(2), range(3), range(3)):
        cell = volume[i * 4 : i * 4 + 2, j * 4 : j * 4 + 2, k * 4 : k * 4 + 2]
        assert math.isclose(float(got[i, j, k]), float((cell * cube).sum()), rel_tol=RTOL)


def test_single_channel_strides_of_4_read_in_place_without_phases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The path is taken (no phase images), and channels still take the phases."""

    def no_phases(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("phases built")

    x, w = data("float", (120, 120), 12), data("float", (8, 8), 13)  # not tiny: 29²·64
    want = conv2d(x, w, stride=4)
    monkeypatch.setattr(algorithms, "conv_shifts", no_phases)
    assert_same(conv2d(x, w, stride=4), naive_conv(x, w, (4, 4)), exact=False)
    assert np.array_equal(conv2d(x, w, stride=4), want)
    big = np.stack([x, x])
    with pytest.raises(AssertionError, match="phases built"):
        conv2d(big, np.stack([w, w])[None], stride=4)


def test_tiling_windows_reduce_a_view_of_the_last_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    original = algorithms._tiling_last

    def spy(a: np.ndarray, k: int, n: int, ufunc: Any) -> np.ndarray:
        seen.append(k)
        return original(a, k, n, ufunc)

    monkeypatch.setattr(algorithms, "_tiling_last", spy)
    x = data("float", (20, 20), 14)
    assert_same(
        pool2d(x, 8, op="avg"), naive_pool(x, (8, 8), (8, 8), ((0, 0), (0, 0)), "avg"), False
    )
    pool2d(x, 8, stride=4, op="max")  # blocks of 4 that tile the axis, then pairs of them
    assert seen == [8, 4]
