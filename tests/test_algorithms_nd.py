"""The N-D paths of :mod:`convcli.algorithms` against independent oracles.

Banded (Toeplitz) matmuls, the FFT over the N spatial axes and the direct methods
writing 3-D tiles in place, in 1-D, 2-D and 3-D, strided, dilated, grouped, with
several channels, transposed, for integers (bit-for-bit) and floats. The oracles are
the naive loops of tests/reference.py (Python ints) and scipy.ndimage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi

from convcli import algorithms as alg
from convcli import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d

try:
    from reference import ref_conv_transposend, ref_convnd
except ImportError:  # pragma: no cover - run from the repository root
    from tests.reference import ref_conv_transposend, ref_convnd

CONV: dict[int, Callable[..., np.ndarray]] = {1: conv1d, 2: conv2d, 3: conv3d}
TRANSPOSE: dict[int, Callable[..., np.ndarray]] = {
    1: conv_transpose1d,
    2: conv_transpose2d,
    3: conv_transpose3d,
}
SIZES = {1: (70,), 2: (13, 17), 3: (5, 7, 8)}
KERNELS = {1: (7,), 2: (3, 4), 3: (3, 2, 3)}
SETTINGS = [  # stride, dilation, padding, groups
    (1, 1, 0, 1),
    (2, 1, 1, 2),
    (1, 2, "full", 1),
    (3, 2, 2, 2),
]


@pytest.fixture
def forced() -> Iterator[None]:
    yield
    alg.FORCED = None


@pytest.fixture
def small_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """One band row per matmul and tiny tiles: many tiles, row pieces and tails."""
    monkeypatch.setattr(alg, "BLAS_SINGLE_MACS", 64)
    monkeypatch.setattr(alg, "EINSUM_TILE", 48)
    monkeypatch.setattr(alg, "TILE_BYTES", 4000)
    monkeypatch.setattr(alg, "MIN_TILE", 16)


def leaves(v: Any) -> list[Any]:
    if isinstance(v, list):
        return [leaf for item in v for leaf in leaves(item)]
    return [v]


def exact(got: np.ndarray, want: Any) -> None:
    assert got.dtype == np.int64
    assert got.ravel().tolist() == leaves(want)
    assert got.shape == np.array(want, dtype=object).shape


def close(got: np.ndarray, want: Any, scale: float) -> None:
    assert got.dtype == np.float64
    expected = np.array(leaves(want), dtype=np.float64)
    np.testing.assert_allclose(got.ravel(), expected, rtol=1e-12, atol=1e-12 * scale)


def fft_close(got: np.ndarray, want: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
    """Within the FFT guarantee FFT_RTOL · max|x| · Σ|w| (per output channel)."""
    bound = alg.FFT_RTOL * float(np.abs(x).max()) * float(np.abs(w).sum())
    assert got.shape == want.shape
    assert float(np.abs(got - want).max()) <= bound


@pytest.mark.parametrize("method", ["banded", "fft", "einsum", "blocked"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_forced_methods_match_the_naive_loops(ndim: int, method: str, forced: None) -> None:
    """Every method in every dimension: ints exact (fft falls back to a direct method
    for them), floats to 1e-12 of the naive loop, plain and transposed."""
    rng = np.random.default_rng(ndim * 7 + len(method))
    x = rng.integers(-9, 10, (4, *SIZES[ndim]))
    w = rng.integers(-5, 6, (4, 2, *KERNELS[ndim]))
    wt = rng.integers(-5, 6, (4, 3, *KERNELS[ndim]))
    alg.FORCED = method
    for stride, dilation, padding, groups in SETTINGS:
        kw = {"stride": stride, "dilation": dilation, "groups": groups}
        w_g = w if groups == 2 else rng.integers(-5, 6, (3, 4, *KERNELS[ndim]))
        want = ref_convnd(x.tolist(), w_g.tolist(), ndim, padding=padding, bias=2, **kw)
        exact(CONV[ndim](x, w_g, padding=padding, bias=2, **kw), want)
        xf = x * 0.375
        want_f = ref_convnd(xf.tolist(), w_g.tolist(), ndim, padding=padding, **kw)
        close(CONV[ndim](xf, w_g, padding=padding, **kw), want_f, 1e3)
        crop = 0 if padding == "full" else padding
        wt_g = wt if groups == 2 else rng.integers(-5, 6, (4, 2, *KERNELS[ndim]))
        want_t = ref_conv_transposend(
            x.tolist(), wt_g.tolist(), ndim, padding=crop, output_padding=stride - 1, **kw
        )
        got_t = TRANSPOSE[ndim](x, wt_g, padding=crop, output_padding=stride - 1, **kw)
        exact(got_t, want_t)
        want_tf = ref_conv_transposend(
            xf.tolist(), wt_g.tolist(), ndim, padding=crop, output_padding=stride - 1, **kw
        )
        got_tf = TRANSPOSE[ndim](xf, wt_g, padding=crop, output_padding=stride - 1, **kw)
        close(got_tf, want_tf, 1e3)


@pytest.mark.parametrize("method", ["banded", "einsum", "blocked"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_direct_methods_with_tiny_tiles(
    ndim: int, method: str, forced: None, small_tiles: None
) -> None:
    """Tiles of a few cells: pieces of one row, partial band rows finished by einsum,
    3-D tiles within one depth slice; results still exact."""
    rng = np.random.default_rng(40 + ndim)
    x = rng.integers(-99, 100, (2, *{1: (70,), 2: (13, 17), 3: (8, 9, 10)}[ndim]))
    w = rng.integers(-9, 10, (3, 2, *KERNELS[ndim]))
    alg.FORCED = method
    for stride, dilation in [(1, 1), (2, 3)]:
        want = ref_convnd(x.tolist(), w.tolist(), ndim, stride=stride, dilation=dilation)
        exact(CONV[ndim](x, w, stride=stride, dilation=dilation), want)
        got_f = CONV[ndim](x / 8, w, stride=stride, dilation=dilation)
        close(got_f, ref_convnd((x / 8).tolist(), w.tolist(), ndim, stride=stride,
                                dilation=dilation), 1e4)  # fmt: skip


def test_banded_rows_and_their_band_matrices() -> None:
    """Each run of taps along the last kernel axis is one banded product: a row of
    ``band`` cells times ``near`` plus the next row's first ``reach`` cells times ``far``
    is the 1-D correlation (numpy's np.correlate as the oracle)."""
    rng = np.random.default_rng(5)
    taps = rng.standard_normal((2, 5))  # two outputs, 5 taps, every 3rd cell (dilation 3)
    line = alg.Line(0, 0, 0, 3, taps)
    assert line.reach == 12
    band = alg.band_width(line.reach)
    assert band == 16
    near, far = line.bands(band)
    signal = rng.standard_normal(4 * band)
    rows = signal.reshape(4, band)
    for o in range(2):
        got = rows[:3] @ near[o] + rows[1:, :12] @ far[o]
        holes = np.zeros(13)
        holes[::3] = taps[o]
        want = np.correlate(signal, holes, mode="valid")[: 3 * band]
        np.testing.assert_allclose(got.ravel(), want, rtol=1e-12, atol=1e-12)
    assert [alg.band_width(r) for r in (0, 1, 7, 8, 9, 30, 31, 32, 33)] == [
        8, 8, 8, 8, 16, 32, 32, 32, 64,
    ]  # fmt: skip
    for band in (8, 32, 128):  # every matmul stays on the calling thread
        assert alg.band_rows(band) * band * band <= alg.BLAS_SINGLE_MACS


def test_banded_lines_of_a_3d_kernel() -> None:
    """A 3×3×3 kernel on one channel is 9 lines of 3 taps, one per (i, j), each at the
    flat offset of its row (i·rows·width + j·width) in the unrolled volume."""
    shifts = alg.conv_shifts(np.zeros((1, 6, 7, 8)), np.ones((1, 1, 3, 3, 3)), (4, 5, 6),
                             (1, 1, 1), (1, 1, 1))  # fmt: skip
    lines = shifts.lines
    assert len(lines) == 9
    assert sorted(line.base for line in lines) == sorted(
        i * 7 * 8 + j * 8 for i in range(3) for j in range(3)
    )
    assert {line.reach for line in lines} == {2}
    work = alg.Work.of(shifts)
    assert (work.lines, work.reach) == (9, 2)
    assert shifts.line_count == len(lines)


def test_extent_is_the_span_of_every_tap_on_each_axis() -> None:
    """The FFT's dense kernel per axis, against every tap's offset unravelled, for
    strided, dilated, grouped-phase and transposed shifts in 1-D, 2-D and 3-D."""
    rng = np.random.default_rng(14)
    cases = []
    for ndim in (1, 2, 3):
        size, kernel = (9, 10, 11)[:ndim], (3, 2, 4)[:ndim]
        x, w = rng.standard_normal((2, *size)), rng.standard_normal((3, 2, *kernel))
        for stride, dilation in [(1, 1), (2, 1), (1, 2), (3, 2), (4, 1)]:
            s, d = (stride,) * ndim, (dilation,) * ndim
            out = tuple(
                (n - dilation * (k - 1) - 1) // stride + 1
                for n, k in zip(size, kernel, strict=True)
            )
            cases.append(alg.conv_shifts(x, w, out, s, d))
            crops, outs = (1,) * ndim, tuple(n * stride for n in size)
            wt = rng.standard_normal((2, 3, *kernel))
            cases += [sh for _, sh in alg.transpose_shifts(x, wt, crops, outs, s, d)]
    for shifts in cases:
        offsets = [off for b in shifts.blocks for _, off in b.offsets()]
        where = np.unravel_index(np.array(offsets), shifts.dims)
        assert shifts.extent == tuple(int(axis.max()) + 1 for axis in where)
        assert shifts.line_reach == max(line.reach for line in shifts.lines)
        assert shifts.line_count == len(shifts.lines)


def test_banded_integers_exact_up_to_and_past_two_to_53(forced: None) -> None:
    """Under 2**53 the band products run in float64 (exact); past it the banded method
    hands over to einsum's int64 sums, still exact."""
    rng = np.random.default_rng(6)
    alg.FORCED = "banded"
    w = rng.integers(-(2**10), 2**10, 31)
    for top in (2**37, 2**45):  # 2**37·2**10·31 < 2**53 < 2**45·2**10·31 < 2**63
        x = rng.integers(-top, top, 200)
        want = ref_convnd(x.tolist(), w.tolist(), 1, dilation=2)
        exact(conv1d(x, w, dilation=2), want)


def test_large_1d_takes_banded_and_agrees_with_scipy() -> None:
    """The benchmark's 1-D case, smaller: banded is chosen, and equals correlate1d."""
    rng = np.random.default_rng(7)
    signal, taps = rng.standard_normal(100_003), rng.standard_normal(31)
    want = ndi.correlate1d(signal, taps, mode="constant")[15:-15]
    np.testing.assert_allclose(conv1d(signal, taps), want, rtol=1e-12, atol=1e-12)
    shifts = alg.conv_shifts(signal[None], taps[None, None], want.shape, (1,), (1,))
    assert alg.choose(alg.Work.of(shifts), "float") == "banded"
    ints = rng.integers(-1000, 1000, 100_003)
    wi = rng.integers(-100, 100, 31)
    assert conv1d(ints, wi).tolist() == np.correlate(ints, wi, mode="valid").tolist()


def test_the_cost_model_for_the_nd_benchmark_sizes() -> None:
    """1-D 10⁶ ⋆ 31 → banded (measured ~2× einsum), 3-D 64³ ⋆ 3³ → einsum (banded's
    8 extra cells per 3-tap line lose there), 3-D 64³ ⋆ 9³ → the N-D FFT."""

    def chosen(size: tuple[int, ...], kernel: tuple[int, ...]) -> str:
        out = tuple(n - k + 1 for n, k in zip(size, kernel, strict=True))
        one = (1,) * len(size)
        shifts = alg.conv_shifts(np.zeros((1, *size)), np.zeros((1, 1, *kernel)), out, one, one)
        return alg.choose(alg.Work.of(shifts), "float")

    assert chosen((10**6,), (31,)) == "banded"
    assert chosen((64, 64, 64), (3, 3, 3)) == "einsum"
    assert chosen((64, 64, 64), (9, 9, 9)) == "fft"
    assert chosen((10**6,), (3,)) in ("banded", "einsum")


def test_the_fft_is_planned_over_the_n_spatial_axes() -> None:
    """The dense kernel of a 3-D FFT is k₁×k₂×k₃ (not the 2-D unfolding's rows) and the
    plan has one (length, block) per axis, each block n − k + 1 of a 5-smooth n."""
    shifts = alg.conv_shifts(np.zeros((1, 64, 64, 64)), np.zeros((1, 1, 3, 3, 3)), (62, 62, 62),
                             (1, 1, 1), (1, 1, 1))  # fmt: skip
    assert shifts.extent == (3, 3, 3)
    cost, plan = alg.fft_plan((62, 62, 62), (3, 3, 3), 1, 1)
    assert len(plan) == 3
    assert cost < float("inf")
    for n, t in plan:
        assert t == min(n - 2, 62)
        assert alg.next_fast_len(n) == n
    one_d = alg.conv_shifts(np.zeros((1, 1000)), np.zeros((1, 1, 31)), (970,), (1,), (1,))
    assert one_d.extent == (31,)
    assert len(alg.fft_plan((970,), (31,), 1, 1)[1]) == 1


@pytest.mark.parametrize("blocks", [False, True])
def test_nd_fft_matches_scipy(blocks: bool, forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """3-D and 1-D FFT results within the FFT bound of scipy.ndimage, in one block and
    (spectra budget cut down) in many overlap-save blocks per axis."""
    alg.fft_plan.cache_clear()
    if blocks:
        monkeypatch.setattr(alg, "FFT_SPECTRA_BYTES", 16 * 16 * 16 * 9 * 16)
    alg.FORCED = "fft"
    try:
        rng = np.random.default_rng(8)
        volume, cube = rng.standard_normal((30, 33, 35)), rng.standard_normal((5, 4, 3))
        want = ndi.correlate(volume, cube, mode="constant", origin=(0, -1, 0))[2:-2, 1:-2, 1:-1]
        fft_close(conv3d(volume, cube), want, volume, cube)
        signal, taps = rng.standard_normal(5000), rng.standard_normal(41)
        want1 = ndi.correlate1d(signal, taps, mode="constant")[20:-20]
        fft_close(conv1d(signal, taps), want1, signal, taps)
        if blocks:
            _, plan = alg.fft_plan((26, 30, 33), (5, 4, 3), 1, 1)
            assert any(t < o for (_, t), o in zip(plan, (26, 30, 33), strict=True))
    finally:
        alg.fft_plan.cache_clear()


def test_nd_fft_with_channels_strides_and_transposed(forced: None) -> None:
    """Several channels and outputs (the spectra summed over channels), strided phases
    and a transposed 3-D convolution, against the naive loops."""
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((3, 9, 10, 11)), rng.standard_normal((4, 3, 3, 3, 2))
    alg.FORCED = "fft"
    scale = float(np.abs(x).max()) * float(np.abs(w).sum())
    for stride, dilation in [(1, 1), (2, 1), (1, 2)]:
        got = conv3d(x, w, stride=stride, dilation=dilation, padding=1)
        want = ref_convnd(x.tolist(), w.tolist(), 3, stride=stride, dilation=dilation, padding=1)
        np.testing.assert_allclose(got.ravel(), leaves(want), atol=alg.FFT_RTOL * scale)
    wt = rng.standard_normal((3, 2, 2, 3, 3))
    got_t = conv_transpose3d(x, wt, stride=2, padding=1, output_padding=1)
    want_t = ref_conv_transposend(x.tolist(), wt.tolist(), 3, stride=2, padding=1,
                                  output_padding=1)  # fmt: skip
    np.testing.assert_allclose(got_t.ravel(), leaves(want_t), atol=alg.FFT_RTOL * scale)


def test_3d_direct_tiles_write_the_volume_in_place(forced: None) -> None:
    """Tiles of several whole depth slices and of part of one slice both land in the
    right cells (the rows dropped between slices never reach the output)."""
    rng = np.random.default_rng(10)
    x, w = rng.integers(-50, 50, (1, 12, 10, 9)), rng.integers(-9, 10, (2, 1, 3, 4, 2))
    want = ref_convnd(x.tolist(), w.tolist(), 3)
    for tile in (10 * 9 * 3, 10 * 9 - 1, 9, 5):  # 3 slices, rows of one slice, pieces
        for method in ("einsum", "blocked", "banded"):
            alg.FORCED = method
            try:
                alg.EINSUM_TILE = tile
                exact(conv3d(x, w), want)
            finally:
                alg.EINSUM_TILE = 1 << 15
    chunks = alg._chunks(
        alg.conv_shifts(x, w, (10, 7, 8), (1, 1, 1), (1, 1, 1)), 10 * 9 * 3, volume=True
    )
    assert [(row, rows) for row, rows, _, _ in chunks] == [(0, 27), (30, 27), (60, 27), (90, 7)]


def test_3d_integers_large_and_small_float_volume_agree_with_scipy() -> None:
    """A 3-D volume with the cost model's own choice: ints exact, floats as ndimage's."""
    rng = np.random.default_rng(11)
    volume, cube = rng.integers(-500, 500, (20, 24, 26)), rng.integers(-20, 20, (3, 3, 3))
    want = ndi.correlate(volume, cube, mode="constant")[1:-1, 1:-1, 1:-1]
    assert conv3d(volume, cube).tolist() == want.tolist()
    vf, cf = volume / 7, cube / 3
    wantf = ndi.correlate(vf, cf, mode="constant")[1:-1, 1:-1, 1:-1]
    np.testing.assert_allclose(conv3d(vf, cf), wantf, rtol=1e-12, atol=1e-12)


def test_threads_give_the_same_results(forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiles split between two threads (banded, 3-D in place, N-D FFT blocks) give the
    very same numbers as one thread: each tile is computed the same way."""
    rng = np.random.default_rng(12)
    signal, taps = rng.standard_normal(30_000), rng.standard_normal(31)
    volume, cube = rng.standard_normal((20, 22, 24)), rng.standard_normal((3, 3, 3))
    monkeypatch.setattr(alg, "PARALLEL_MIN_NS", 0.0)
    monkeypatch.setattr(alg, "EINSUM_TILE", 22 * 24 * 2)
    results = []
    for threads in ("1", "2"):
        monkeypatch.setenv("CONVCLI_THREADS", threads)
        row = []
        for method in ("banded", "einsum", "fft"):
            alg.FORCED = method
            row += [conv1d(signal, taps), conv3d(volume, cube)]
        results.append(row)
    for one, two in zip(*results, strict=True):
        assert one.tobytes() == two.tobytes()
    want = ndi.correlate(volume, cube, mode="constant")[1:-1, 1:-1, 1:-1]
    np.testing.assert_allclose(results[1][3], want, rtol=1e-12, atol=1e-12)


def test_banded_needs_a_line_of_taps() -> None:
    """A cost-model input without runs of taps (no line) never picks the banded method."""
    work = alg.Work(1, 1, 9, 100, 100, 102, (3, 3))
    assert alg.banded_cost(work) == float("inf")
    assert alg.choose(work, "float") != "banded"


def test_banded_leaves_non_finite_inputs_to_einsum(forced: None) -> None:
    """The band's zeros multiply every cell of a row: 0·inf would put a nan where only
    the taps that meet the inf should see it. Non-finite inputs take einsum, and every
    cell is the naive loop's (inf, -inf, nan as IEEE sums give them)."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal(120)
    x[[10, 50, 90]] = [np.inf, -np.inf, np.nan]
    w = rng.standard_normal(9)
    alg.FORCED = "banded"
    got = conv1d(x, w)
    want = np.array(leaves(ref_convnd(x.tolist(), w.tolist(), 1)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.isfinite(got).sum() == np.isfinite(want).sum() > 0
