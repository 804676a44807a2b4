"""Every algorithm of :mod:`convcli.algorithms`, forced, against independent oracles.

The oracles are naive loops written here (Python ints for exact results) and
scipy where it computes the same thing. Integer results must be bit-for-bit
equal; float ones agree to rtol 1e-12 for the direct methods and within the FFT
guarantee ``FFT_RTOL · max|x| · Σ|w|`` for the FFT. The cost model is checked to
pick what benchmarks/README.md claims for the benchmark sizes.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.signal as sig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import algorithms as alg
from convcli import conv2d, conv_transpose2d, pool2d

SETTINGS = settings(
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DIRECT = ("blocked", "einsum", "taps")
ALL = (*DIRECT, "fft")


# --------------------------------------------------------------------------- oracles


def naive_conv(
    x: np.ndarray, w: np.ndarray, groups: int, stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """out[o, r, c] = Σ x[g·C/g + ci, r·s + i·d, c·s + j·d] · w[o, ci, i, j], cell by cell."""
    (sh, sw), (dh, dw) = stride, dilation
    _, height, width = x.shape
    outs, per_in, kh, kw = w.shape
    per_out = outs // groups
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
    xs, ws = x.astype(object), w.astype(object)
    out = np.empty((outs, out_h, out_w), dtype=object)
    for o in range(outs):
        g = o // per_out
        for r in range(out_h):
            for c in range(out_w):
                out[o, r, c] = sum(
                    xs[g * per_in + ci, r * sh + i * dh, c * sw + j * dw] * ws[o, ci, i, j]
                    for ci in range(per_in)
                    for i in range(kh)
                    for j in range(kw)
                )
    return out


def naive_transpose(
    x: np.ndarray,
    w: np.ndarray,
    groups: int,
    crop: tuple[int, int],
    out_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Scatter every input cell times the kernel, then keep ``out_hw`` cells from ``crop``."""
    (sh, sw), (dh, dw) = stride, dilation
    channels, height, width = x.shape
    _, per_out, kh, kw = w.shape
    per_in = channels // groups
    full_h = max((height - 1) * sh + dh * (kh - 1) + 1, crop[0] + out_hw[0])
    full_w = max((width - 1) * sw + dw * (kw - 1) + 1, crop[1] + out_hw[1])
    full = np.zeros((per_out * groups, full_h, full_w), dtype=object)
    xs, ws = x.astype(object), w.astype(object)
    for ci in range(channels):
        g = ci // per_in
        for a in range(height):
            for b in range(width):
                for o in range(per_out):
                    for i in range(kh):
                        for j in range(kw):
                            full[g * per_out + o, a * sh + i * dh, b * sw + j * dw] += (
                                xs[ci, a, b] * ws[ci, o, i, j]
                            )
    return full[:, crop[0] : crop[0] + out_hw[0], crop[1] : crop[1] + out_hw[1]]


def naive_pool(x: np.ndarray, op: str, k: tuple[int, int], s: tuple[int, int]) -> np.ndarray:
    reduce = {"max": max, "min": min, "sum": sum}[op]
    channels, height, width = x.shape
    out_h, out_w = (height - k[0]) // s[0] + 1, (width - k[1]) // s[1] + 1
    out = np.empty((channels, out_h, out_w), dtype=object)
    for ch in range(channels):
        for r in range(out_h):
            for c in range(out_w):
                window = x[ch, r * s[0] : r * s[0] + k[0], c * s[1] : c * s[1] + k[1]]
                out[ch, r, c] = reduce(window.astype(object).ravel().tolist())
    return out


def assert_exact(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == np.int64, got.dtype
    assert got.shape == want.shape
    assert got.tolist() == want.tolist()


def assert_close(got: np.ndarray, want: np.ndarray, scale: float, method: str) -> None:
    assert got.dtype == np.float64, got.dtype
    assert got.shape == want.shape
    expected = want.astype(np.float64)
    if method == "fft":  # the documented FFT guarantee
        assert np.abs(got - expected).max(initial=0) <= alg.FFT_RTOL * max(scale, 1e-300)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale)


def fft_scale(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.abs(x).max()) * float(np.abs(w).reshape(w.shape[0], -1).sum(axis=1).max())


@pytest.fixture
def forced() -> Iterator[None]:
    yield
    alg.FORCED = None


# --------------------------------------------------------------------------- strategies


@st.composite
def conv_cases(draw: st.DrawFn) -> dict[str, Any]:
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_in, per_out = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    height = draw(st.integers(dilation[0] * (kh - 1) + 1, 11))
    width = draw(st.integers(dilation[1] * (kw - 1) + 1, 11))
    kind = draw(st.sampled_from(["int", "float"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x_shape = (groups * per_in, height, width)
    w_shape = (groups * per_out, per_in, kh, kw)
    if kind == "int":
        x, w = rng.integers(-9, 10, x_shape), rng.integers(-9, 10, w_shape)
    else:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    return {"x": x, "w": w, "groups": groups, "stride": stride, "dilation": dilation}


@st.composite
def transpose_cases(draw: st.DrawFn) -> dict[str, Any]:
    case = draw(conv_cases())
    x, w, groups = case["x"], case["w"], case["groups"]
    per_out = w.shape[0] // groups
    # the transposed layout [C_in][C_out/g][kh][kw]
    weight = np.resize(w, (x.shape[0], per_out, *w.shape[2:]))
    (sh, sw), (dh, dw) = case["stride"], case["dilation"]
    kh, kw = w.shape[2:]
    full_h = (x.shape[1] - 1) * sh + dh * (kh - 1) + 1
    full_w = (x.shape[2] - 1) * sw + dw * (kw - 1) + 1
    top, left = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    extra_h, extra_w = draw(st.integers(-2, 2)), draw(st.integers(-2, 2))
    out_hw = (max(full_h - top + extra_h, 1), max(full_w - left + extra_w, 1))
    return case | {"w": weight, "crop": (top, left), "out_hw": out_hw}


def output_size(case: dict[str, Any]) -> tuple[int, int]:
    (sh, sw), (dh, dw) = case["stride"], case["dilation"]
    _, height, width = case["x"].shape
    kh, kw = case["w"].shape[2:]
    return (height - dh * (kh - 1) - 1) // sh + 1, (width - dw * (kw - 1) - 1) // sw + 1


# --------------------------------------------------------------------------- convolution


@SETTINGS
@given(case=conv_cases())
def test_every_method_matches_the_naive_convolution(case: dict[str, Any]) -> None:
    x, w, groups = case["x"], case["w"], case["groups"]
    want = naive_conv(x, w, groups, case["stride"], case["dilation"])
    for method in ALL:
        got = alg.conv2d(
            x, w, groups, output_size(case), case["stride"], case["dilation"], method=method
        )
        if x.dtype == np.int64:
            assert_exact(got, want)
        else:
            assert_close(got, want, fft_scale(x, w), method)


@SETTINGS
@given(case=transpose_cases())
def test_every_method_matches_the_naive_transposed_convolution(case: dict[str, Any]) -> None:
    x, w, groups = case["x"], case["w"], case["groups"]
    args = (groups, case["crop"], case["out_hw"], case["stride"], case["dilation"])
    want = naive_transpose(x, w, *args)
    for method in ALL:
        got = alg.conv_transpose2d(x, w, *args, method=method)
        if x.dtype == np.int64:
            assert_exact(got, want)
        else:
            assert_close(got, want, fft_scale(x, w.transpose(1, 0, 2, 3)), method)


@pytest.mark.parametrize("method", ALL)
def test_public_api_with_a_forced_method(method: str, forced: None) -> None:
    """Padding modes, bias and flips around every method, against the taps path."""
    rng = np.random.default_rng(7)
    x = rng.integers(-50, 50, (4, 23, 19))
    w = rng.integers(-5, 6, (6, 2, 3, 4))
    kwargs = {"padding": (1, 2, 0, 3), "padding_mode": "reflect", "groups": 2, "bias": 3}
    alg.FORCED = "taps"
    want_int = conv2d(x, w, stride=(2, 1), dilation=(1, 2), **kwargs)
    want_float = conv2d(x * 0.5, w, stride=(2, 1), dilation=(1, 2), **kwargs)
    w_t = rng.integers(-5, 6, (4, 3, 3, 4))  # [C_in][C_out/g][kh][kw]
    want_t = conv_transpose2d(x, w_t, stride=2, padding=1, groups=2)
    alg.FORCED = method
    assert_exact(conv2d(x, w, stride=(2, 1), dilation=(1, 2), **kwargs), want_int)
    got = conv2d(x * 0.5, w, stride=(2, 1), dilation=(1, 2), **kwargs)
    np.testing.assert_allclose(got, want_float, rtol=1e-10, atol=1e-9)
    got_t = conv_transpose2d(x, w_t, stride=2, padding=1, groups=2)
    assert_exact(got_t, want_t)


def test_objects_always_take_the_exact_taps_path(forced: None) -> None:
    x = np.array([[Fraction(1, 3), 2], [3, 4]], dtype=object)
    for method in ALL:
        alg.FORCED = method
        got = conv2d(x, [[1, Fraction(1, 2)]])
        assert got.tolist() == [[Fraction(4, 3)], [5]]
        assert conv2d([[2**70, 1]], [[1, 1]]).tolist() == [[2**70 + 1]]


# --------------------------------------------------------------------------- against scipy


def test_large_float_kernels_match_scipy_within_the_fft_bound() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((300, 280)), rng.standard_normal((21, 17))
    want = sig.correlate2d(x, w, mode="valid")
    for method in ("fft", "blocked"):
        got = alg.conv2d(x[None], w[None, None], 1, want.shape, (1, 1), (1, 1), method=method)[0]
        assert_close(got, want, fft_scale(x, w[None]), method)
    assert alg.choose(alg.Work.of(alg.conv_shifts(x[None], w[None, None], want.shape,
                                                  (1, 1), (1, 1))), "float") == "fft"  # fmt: skip


def test_integers_through_float64_are_exact_against_scipy() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(-(2**20), 2**20, (257, 300))
    w = rng.integers(-(2**20), 2**20, (5, 5))
    assert alg.EXACT_FLOAT_BOUND >= 2**20 * 2**20 * 25
    want = sig.correlate2d(x, w, mode="valid")  # int64 arithmetic, exact here
    assert_exact(conv2d(x, w), want)


def products(x: np.ndarray, w: np.ndarray) -> list[list[int]]:
    """The 1-row valid correlation in Python ints."""
    cols = x.shape[1] - w.shape[1] + 1
    return [[sum(int(a) * int(b) for a, b in zip(x[0, c : c + w.shape[1]], w[0], strict=True))
             for c in range(cols)]]  # fmt: skip


def test_the_float64_bound_is_exact_at_the_edge_and_int64_past_it() -> None:
    edge = 2**26  # |x|·|w|·terms = 2**53 with two taps: still exact in float64
    x = np.array([[edge, edge - 1, -edge, edge]])
    w = np.array([[edge, edge - 1]])
    shifts = alg.conv_shifts(x[None], w[None, None], (1, 3), (1, 1), (1, 1))
    assert alg.exact_in_float(shifts)
    over = x + np.sign(x)  # now 2**53 < bound: float64 could round, int64 is used
    assert not alg.exact_in_float(alg.conv_shifts(over[None], w[None, None], (1, 3), (1, 1),
                                                  (1, 1)))  # fmt: skip
    for data in (x, over, over * 64):  # the last is far past 2**53, still within int64
        for method in ALL:
            got = alg.conv2d(data[None], w[None, None], 1, (1, 3), (1, 1), (1, 1), method=method)
            assert got.dtype == np.int64
            assert got[0].tolist() == products(data, w), method


def test_einsum_decides_float64_or_int64_tile_by_tile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alg, "EINSUM_TILE", 16)
    rng = np.random.default_rng(10)
    x = rng.integers(-9, 10, (1, 12, 40))
    x[0, 5, 7] = 2**55 + 3  # one region past the float64 bound: its tiles use int64
    w = rng.integers(-9, 10, (2, 1, 3, 3))
    got = alg.conv2d(x, w, 1, (10, 38), (1, 1), (1, 1), method="einsum")
    assert_exact(got, naive_conv(x, w, 1, (1, 1), (1, 1)))


def test_non_finite_floats_never_take_the_fft() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 90, 90))
    x[0, 40, 50] = np.inf
    x[0, 10, 10] = np.nan
    w = rng.standard_normal((1, 1, 15, 15))
    shifts = alg.conv_shifts(x, w, (76, 76), (1, 1), (1, 1))
    assert not alg.fft_safe(shifts)
    got = alg.conv2d(x, w, 1, (76, 76), (1, 1), (1, 1), method="fft")
    want = alg.conv2d(x, w, 1, (76, 76), (1, 1), (1, 1), method="taps")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-10, atol=1e-9)


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 300, 310)), rng.standard_normal((3, 2, 9, 9))
    results = []
    monkeypatch.delenv("CONVCLI_THREADS", raising=False)
    assert alg.workers() == 1  # opt-in
    for threads in ("1", "3"):
        monkeypatch.setenv("CONVCLI_THREADS", threads)
        assert alg.workers() == int(threads)
        results.append([alg.conv2d(x, w, 1, (292, 302), (1, 1), (1, 1), method=m)
                        for m in ("blocked", "fft")])  # fmt: skip
    for one, three in zip(*results, strict=True):
        assert one.tobytes() == three.tobytes()


# --------------------------------------------------------------------------- pooling


@SETTINGS
@given(
    op=st.sampled_from(["max", "min", "sum"]),
    k=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    s=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    extra=st.tuples(st.integers(0, 12), st.integers(0, 12)),
    same=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_pool_reduce_matches_the_naive_windows(
    op: str,
    k: tuple[int, int],
    s: tuple[int, int],
    extra: tuple[int, int],
    same: bool,
    seed: int,
) -> None:
    """Direct, doubling (stride 1, big windows) and tiling (stride = window) reductions."""
    stride = k if same else s
    x = np.random.default_rng(seed).integers(-99, 100, (2, k[0] + extra[0], k[1] + extra[1]))
    want = naive_pool(x, op, k, stride)
    got = alg.pool_reduce(x, op, k, stride, want.shape[1:])
    assert got.tolist() == want.tolist()


def test_pool_strips_cover_large_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alg, "POOL_STRIP_BYTES", 4096)  # many strips,
    monkeypatch.setattr(alg, "POOL_PARALLEL_BYTES", 0)  # split over threads
    monkeypatch.setenv("CONVCLI_THREADS", "2")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 200))
    assert pool2d(x, 7, stride=1).tolist() == naive_pool(x[None], "max", (7, 7), (1, 1))[0].tolist()
    got = pool2d(x, 3, stride=3, op="avg")
    want = naive_pool(x[None], "sum", (3, 3), (3, 3))[0].astype(float) / 9
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


# --------------------------------------------------------------------------- the cost model


def work(channels: int, outputs: int, size: int, k: int, *, stride: int = 1) -> alg.Work:
    x = np.zeros((channels, size, size))
    w = np.zeros((outputs, channels, k, k))
    out = (size - k) // stride + 1
    return alg.Work.of(alg.conv_shifts(x, w, (out, out), (stride, stride), (1, 1)))


@pytest.mark.parametrize(
    ("channels", "outputs", "size", "k", "method"),
    [
        (1, 1, 2048, 3, "einsum"),  # target 1: fused multiply-add over cache-sized tiles
        (1, 1, 2048, 5, "einsum"),
        (1, 1, 2048, 11, "fft"),  # target 1: overlap-save FFT
        (1, 1, 2048, 31, "fft"),
        (3, 16, 512, 3, "blocked"),  # target 1: BLAS over channels and taps
        (1, 1, 512, 3, "einsum"),
        (1, 1, 512, 15, "fft"),
        (1, 1, 60, 7, "einsum"),  # too small for an FFT to pay
        (16, 16, 128, 3, "blocked"),
        (16, 32, 256, 3, "blocked"),
        (16, 16, 128, 21, "fft"),
    ],
)
def test_the_cost_model_picks_the_measured_winner(
    channels: int, outputs: int, size: int, k: int, method: str
) -> None:
    assert alg.choose(work(channels, outputs, size, k), "float") == method


def test_tiny_problems_take_the_plain_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(alg, "conv_taps", lambda *a: calls.append("taps") or np.zeros((1, 2, 2)))
    conv2d(np.ones((3, 3)), np.ones((2, 2)))
    assert calls == ["taps"]
    assert alg.tiny(alg.TINY_MACS - 1, None)
    assert not alg.tiny(alg.TINY_MACS - 1, "fft")  # a forced method is run as asked
    assert not alg.tiny(alg.TINY_MACS, None)


def test_the_cost_model_never_rounds_exact_data() -> None:
    big = work(1, 1, 2048, 31)
    assert alg.choose(big, "float") == "fft"
    # no FFT for integers: the best direct method, banded matmuls through float64 (exact
    # within 2**53; measured 29 ms against einsum's 56 on 512² ⋆ 31×31)
    assert alg.choose(big, "int") == "banded"
    assert "fft" not in alg.costs(big, "int")
    assert alg.choose(work(3, 16, 512, 3), "int") == "blocked"  # exact through float64
    assert alg.choose(big, "object") == "taps"
    assert alg.resolve("fft", "int") == "blocked"
    assert alg.resolve("fft", "object") == "taps"
    with pytest.raises(ValueError, match="unknown method"):
        alg.resolve("magic", "float")


def test_the_fft_never_plans_spectra_that_would_not_fit() -> None:
    # 128 → 128 channels of 31×31 on 1024²: the kernel spectra at any useful size would
    # take over FFT_SPECTRA_BYTES, so there is no FFT plan and the blocked method is chosen
    assert alg.fft_plan((994, 994), (31, 31), 128, 128)[0] == float("inf")
    many = alg.Work(128, 128, 128 * 961, 994, 994, 1024, (31, 31), (994, 994), 31 * 128, 30)
    assert alg.choose(many, "float") == "blocked"
    assert alg.fft_plan((994, 994), (31, 31), 1, 1)[0] < float("inf")


def test_strides_build_only_the_phases_that_taps_read() -> None:
    x = np.arange(64.0).reshape(1, 8, 8)
    shifts = alg.conv_shifts(x, np.ones((1, 1, 2, 2)), (2, 2), (4, 4), (1, 1))
    # stride 4 with a 2×2 kernel reads 4 of the 16 phases, each a 2×2 image (not 8×8);
    # each holds one tap at offset 0, so they merge into one image of 4 channels
    assert shifts.flat.shape == (1, 4, 4)
    assert len(shifts.blocks) == 1
    assert shifts.blocks[0].weight.shape == (1, 4, 1, 1)
    assert alg.Work.of(shifts).rows == 4
    # stride 2 with 3×3: phases of 2×2, 2×1, 1×2 and 1×1 taps stay apart (no padding work)
    shifts = alg.conv_shifts(np.zeros((1, 9, 9)), np.ones((1, 1, 3, 3)), (4, 4), (2, 2), (1, 1))
    assert [b.weight.shape[2:] for b in shifts.blocks] == [(2, 2), (2, 1), (1, 2), (1, 1)]
    assert alg.Work.of(shifts).rows == 9


def test_tiles_and_blas_calls_stay_bounded() -> None:
    for outputs, rows in [(1, 9), (1, 121), (16, 27), (32, 144), (16, 784), (64, 288)]:
        assert not alg.wide(outputs, rows)
        columns, group, depth = alg.blas_blocks(outputs, rows)
        assert columns >= alg.MIN_COLUMNS
        assert min(outputs, alg.MIN_OUTPUTS) <= group <= outputs
        assert min(rows, alg.MIN_ROWS) <= depth <= rows
        # every matmul call small enough for OpenBLAS to stay on the calling thread
        assert group * depth * columns <= alg.BLAS_SINGLE_MACS
        cells = alg.tile_cells(rows)
        assert cells >= alg.MIN_TILE
        assert cells * rows * 8 <= max(alg.TILE_BYTES, alg.MIN_TILE * rows * 8)
    # 4096² ⋆ 11×11: a full im2col would be 15 GiB; one tile is about TILE_BYTES
    assert alg.tile_cells(121) * 121 * 8 <= alg.TILE_BYTES


def test_wide_products_are_one_bounded_call_per_tile() -> None:
    """Many outputs × taps·channels: one matmul per tile, of at most WIDE_MACS (or a
    MIN_TILE tile), its im2col within WIDE_TILE_BYTES."""
    for outputs, rows in [(64, 576), (128, 1152), (512, 4608), (16, 2048), (1024, 32)]:
        assert alg.wide(outputs, rows)
        cells = alg.tile_cells(rows, outputs)
        assert alg.blas_blocks(outputs, rows) == (cells, outputs, rows)
        assert cells == alg.MIN_TILE or outputs * rows * cells <= alg.WIDE_MACS
        assert cells == alg.MIN_TILE or cells * rows * 8 <= alg.WIDE_TILE_BYTES
        assert cells * rows * 8 <= max(alg.WIDE_TILE_BYTES, alg.MIN_TILE * rows * 8)


def test_wide_tiles_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small wide tiles (rows of the grid and pieces of one row) against the naive loop,
    exact for integers, and the same bytes whatever CONVCLI_THREADS says."""
    monkeypatch.setattr(alg, "WIDE_PRODUCT", 8)
    monkeypatch.setattr(alg, "MIN_TILE", 8)
    rng = np.random.default_rng(12)
    x, w = rng.integers(-9, 10, (5, 30, 41)), rng.integers(-9, 10, (7, 5, 3, 2))
    want = naive_conv(x, w, 1, (2, 1), (1, 3))
    for macs in (7 * 30 * 20, 7 * 30 * 100):  # 20 cells (row pieces), 100 (whole rows)
        monkeypatch.setattr(alg, "WIDE_MACS", macs)
        assert alg.wide(7, 30)
        got = alg.conv2d(x, w, 1, want.shape[1:], (2, 1), (1, 3), method="blocked")
        assert_exact(got, want)
        floats = []
        for threads in ("1", "2"):
            monkeypatch.setenv("CONVCLI_THREADS", threads)
            floats.append(alg.conv2d(x * 0.25, w, 1, want.shape[1:], (2, 1), (1, 3),
                                     method="blocked"))  # fmt: skip
        np.testing.assert_allclose(floats[0], want.astype(float) * 0.25, rtol=1e-12)
        assert floats[0].tobytes() == floats[1].tobytes()


def test_deep_layers_take_the_weights_as_views() -> None:
    """A stride-1 layer's blocks read the caller's weights in place (a 512-channel 3×3
    layer's are 19 MB; copying them twice cost 4× the product)."""
    w = np.random.default_rng(13).standard_normal((8, 6, 3, 3))
    shifts = alg.conv_shifts(np.zeros((6, 10, 10)), w, (8, 8), (1, 1), (1, 1))
    assert np.shares_memory(shifts.blocks[0].weight, w)
    assert np.shares_memory(shifts.matrix(), w)
    assert shifts.matrix() is shifts.matrix()  # made once per shifts
    strided = alg.conv_shifts(np.zeros((6, 10, 10)), w, (4, 4), (2, 2), (1, 1))
    for block in strided.blocks:
        assert np.shares_memory(block.weight, w) or block.weight.size == 0


def smooth(n: int) -> bool:
    for p in (2, 3, 5):
        while n % p == 0:
            n //= p
    return n == 1


def test_split_tiles_and_calls_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny limits force every split: row pieces, column, output and row blocks."""
    for name, value in [("TILE_BYTES", 2000), ("MIN_TILE", 8), ("BLAS_SINGLE_MACS", 200),
                        ("MIN_COLUMNS", 8), ("MIN_OUTPUTS", 2), ("MIN_ROWS", 4)]:  # fmt: skip
        monkeypatch.setattr(alg, name, value)
    rng = np.random.default_rng(9)
    x, w = rng.integers(-9, 10, (5, 30, 41)), rng.integers(-9, 10, (7, 5, 3, 2))
    assert alg.tile_cells(30) < 41  # pieces of one row per tile
    assert alg.blas_blocks(7, 30) == (8, 2, 12)  # columns, output channels, im2col rows
    want = naive_conv(x, w, 1, (2, 1), (1, 3))
    got = alg.conv2d(x, w, 1, want.shape[1:], (2, 1), (1, 3), method="blocked")
    assert_exact(got, want)
    got = alg.conv2d(x * 0.25, w, 1, want.shape[1:], (2, 1), (1, 3), method="blocked")
    np.testing.assert_allclose(got, want.astype(float) * 0.25, rtol=1e-12)
    monkeypatch.setattr(alg, "EINSUM_TILE", 8)
    got = alg.conv2d(x, w, 1, want.shape[1:], (2, 1), (1, 3), method="einsum")
    assert_exact(got, want)


def test_fft_plan_and_fast_lengths() -> None:
    for n in range(1, 3000):
        fast = alg.next_fast_len(n)
        assert fast >= n
        assert smooth(fast)
        assert not any(smooth(m) for m in range(n, fast))
    _, ((n_h, t_h), (n_w, t_w)) = alg.fft_plan((2038, 2038), (11, 11), 1, 1)
    assert t_h == min(n_h - 10, 2038)
    assert t_w == min(n_w - 10, 2038)
