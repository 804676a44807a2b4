"""The OpenCV engine: the same results as direct sums in every padding mode, integers
exact, and the cases it must leave to numpy. Oracles: scipy.ndimage / numpy padding and
plain per-tap sums in Python integers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")  # the test extra installs it; loaded: small work uses it

from convcli import conv2d, engines  # noqa: E402
from convcli.errors import ShapeError  # noqa: E402

NP_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each conv went through OpenCV (True) or was left to numpy (False)."""
    seen: list[bool] = []
    real = engines.correlate

    def spy(*args: Any) -> Any:
        out = real(*args)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(engines, "correlate", spy)
    return seen


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The arguments of every call of core.prepare_conv (the general checks)."""
    from convcli import core

    seen: list[object] = []
    real = core.prepare_conv
    monkeypatch.setattr(core, "prepare_conv", lambda *a, **k: seen.append(a) or real(*a, **k))
    return seen


def direct(x: np.ndarray, w: np.ndarray, pads: tuple[int, int, int, int], mode: str) -> Any:
    """Valid correlation of the numpy-padded input, one tap at a time (object: exact ints)."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((top, bottom), (left, right)), mode=NP_MODES[mode])  # type: ignore[call-overload]
    kh, kw = w.shape
    oh, ow = xp.shape[0] - kh + 1, xp.shape[1] - kw + 1
    dtype = object if x.dtype.kind == "i" else np.float64
    out = np.zeros((oh, ow), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            out += xp[i : i + oh, j : j + ow].astype(dtype) * w[i, j].item()
    return out


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("separable", [False, True])
def test_float_modes_match_direct_sums(mode: str, separable: bool, calls: list[bool]) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 70))
    for kh, kw, padding in [(3, 3, 1), (5, 3, (2, 1)), (4, 6, (1, 2)), (9, 9, 4), (3, 5, 0)]:
        if separable:
            w = np.outer(rng.standard_normal(kh), rng.standard_normal(kw))
        else:
            w = rng.standard_normal((kh, kw))
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        got = conv2d(x, w, padding=padding, padding_mode=mode)
        want = direct(x, w, (ph, ph, pw, pw), mode)
        scale = float(np.abs(x).max() * np.abs(w).sum())
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14 * scale)
    # circular has no OpenCV border: only its unpadded (valid) case may use the engine
    assert calls.count(True) == (1 if mode == "circular" else len(calls))


def test_integers_exact_and_int64(calls: list[bool]) -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(-(10**6), 10**6, (90, 80))
    for w in (
        rng.integers(-9, 10, (3, 3)),
        np.outer([1, 2, 1], [-1, 0, 1]),
        np.ones((11, 11), int),
    ):
        got = conv2d(x, w, padding=1, padding_mode="replicate")
        assert got.dtype == np.int64
        assert got.tolist() == direct(x, w, (1, 1, 1, 1), "replicate").tolist()
    # the 3×3 direct, the rank-1 Sobel and the rank-1 11×11 box (two exact passes)
    assert calls == [True, True, True]


def test_integers_past_the_float_bound_stay_exact(calls: list[bool]) -> None:
    # max|x|·max|w|·taps > 2**53: float64 sums could round, so numpy's exact path runs
    x = np.full((40, 40), 2**50, dtype=np.int64)
    x[::3, ::2] = 2**50 - 1
    w = np.array([[1, 3, 1], [3, 7, 3], [1, 3, 1]])
    got = conv2d(x, w)
    assert got.tolist() == direct(x, w, (0, 0, 0, 0), "zeros").tolist()
    assert calls == [False]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_large_integer_kernels_stay_on_numpy(mode: str, calls: list[bool]) -> None:
    # 11×11 = 121 taps would make filter2D work through a DFT (not exact): numpy's int64
    # paths compute it (faster than bands of direct filters), exactly
    rng = np.random.default_rng(5)
    x, w = rng.integers(-(10**9), 10**9, (80, 70)), rng.integers(-99, 100, (11, 11))
    for pads in [(0, 0), (5, 5), (3, 7)]:
        got = conv2d(x, w, padding=pads, padding_mode=mode)
        assert got.dtype == np.int64
        want = direct(x, w, (pads[0], pads[0], pads[1], pads[1]), mode)
        assert got.tolist() == want.tolist()
    assert calls == [False, False, False]


def test_large_integer_kernel_with_a_pad_value() -> None:
    rng = np.random.default_rng(12)
    x, w = rng.integers(-99, 99, (70, 60)), rng.integers(-9, 9, (9, 9))
    got = conv2d(x, w, padding=4, pad_value=-7)
    xp = np.pad(x, 4, constant_values=-7)
    assert got.tolist() == direct(xp, w, (0, 0, 0, 0), "zeros").tolist()


def test_integer_kernels_with_a_row_past_the_dft_go_to_numpy(calls: list[bool]) -> None:
    rng = np.random.default_rng(6)
    x, w = rng.integers(-50, 50, (60, 120)), rng.integers(-5, 6, (2, 50))
    assert conv2d(x, w).tolist() == direct(x, w, (0, 0, 0, 0), "zeros").tolist()
    assert calls == [False]


def test_nan_and_inf_as_direct_sums(calls: list[bool]) -> None:
    # through a DFT a NaN would spread to every cell: the engine hands such work back
    x = np.random.default_rng(6).standard_normal((64, 64))
    x[10, 20], x[40, 5] = np.nan, np.inf
    w = np.random.default_rng(7).standard_normal((9, 9))
    got = conv2d(x, w)
    want = direct(x, w, (0, 0, 0, 0), "zeros")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-12, atol=1e-12)
    assert calls == [False]


def test_pad_value_and_bias() -> None:
    x = np.arange(30.0).reshape(5, 6)
    w = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0], [1.0, 1.0, -1.0]])
    got = conv2d(x, w, padding=1, pad_value=2.5, bias=0.25)
    xp = np.pad(x, 1, constant_values=2.5)
    want = direct(xp, w, (0, 0, 0, 0), "zeros") + 0.25
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_rank_one_factors() -> None:
    u, v = engines.rank_one(np.array([[2, 4, 2], [-1, -2, -1], [0, 0, 0]]))  # type: ignore[misc]
    assert np.outer(u, v).tolist() == [[2, 4, 2], [-1, -2, -1], [0, 0, 0]]
    assert engines.rank_one(np.array([[1, 2], [3, 4]])) is None
    assert engines.rank_one(np.eye(3)) is None
    floats = engines.rank_one(np.outer([0.5, 1.0, 3.0], [1.0, -2.0]))
    assert floats is not None
    np.testing.assert_allclose(np.outer(*floats), [[0.5, -1], [1, -2], [3, -6]], rtol=1e-15)


def test_disabled_by_environment(monkeypatch: pytest.MonkeyPatch, calls: list[bool]) -> None:
    monkeypatch.setenv(engines.DISABLE, "1")
    x = np.random.default_rng(8).standard_normal((100, 100))
    w = np.ones((3, 3))
    want = direct(x, w, (0, 0, 0, 0), "zeros")
    np.testing.assert_allclose(conv2d(x, w), want, rtol=0, atol=1e-13)
    assert calls == [False]


def test_import_only_when_work_pays() -> None:
    # a fresh process: small work never loads cv2, work past IMPORT_MACS does
    script = (
        "import sys, numpy as np\n"
        "from convcli import conv2d\n"
        "conv2d(np.ones((200, 200)), np.ones((3, 3)))\n"
        "print('cv2' in sys.modules)\n"
        "conv2d(np.ones((1600, 1600)), np.ones((3, 3)))\n"
        "print('cv2' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "True"], done.stderr


@pytest.mark.parametrize("separable", [False, True])
def test_integers_in_blocks_of_rows(
    separable: bool, calls: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    # zero-padded integers go through OpenCV a block of rows at a time (cast, filtered and
    # cast back in cache): small blocks here, so every block edge and both borders show
    monkeypatch.setattr(engines, "BLOCK_BYTES", 8 * 70 * 16)  # 16 output rows a block
    rng = np.random.default_rng(13)
    x = rng.integers(-(10**5), 10**5, (101, 70))
    cases = [((3, 3), (1, 1)), ((5, 4), (2, 1)), ((4, 3), (1, 0)), ((7, 5), (3, 2)), ((3, 3), 0)]
    for (kh, kw), padding in cases:
        if separable:
            w = np.outer(rng.integers(-9, 10, kh), rng.integers(-9, 10, kw))
        else:
            w = rng.integers(-9, 10, (kh, kw))
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        got = conv2d(x, w, padding=padding)
        assert got.dtype == np.int64
        assert got.tolist() == direct(x, w, (ph, ph, pw, pw), "zeros").tolist()
    assert calls == [True] * len(cases)


def test_a_plain_float_call_takes_the_engine_once(
    calls: list[bool], prepared: list[object]
) -> None:
    # conv2d(x, w) with every option at its default skips the general checks
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((50, 40)), rng.standard_normal((4, 3))
    got = conv2d(x, w)
    assert prepared == []
    np.testing.assert_allclose(got, direct(x, w, (0, 0, 0, 0), "zeros"), rtol=0, atol=1e-13)
    assert got.shape == (47, 38)
    # a kernel larger than the input: the general path words the error
    with pytest.raises(ShapeError, match="kernel height 4 is larger than the padded input"):
        conv2d(x[:2], w)
    # work under the engine's threshold: numpy alone, the engine asked once
    small = conv2d(x[:4, :4], w[:2, :2])
    np.testing.assert_allclose(small, direct(x[:4, :4], w[:2, :2], (0, 0, 0, 0), "zeros"))
    assert calls == [True, False]


def test_a_plain_call_keeps_the_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    from convcli.errors import LimitError

    monkeypatch.setenv("CONVCLI_MAX_WORK", "1000")
    with pytest.raises(LimitError, match="CONVCLI_MAX_WORK"):
        conv2d(np.ones((40, 40)), np.ones((3, 3)))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate"])
def test_a_plain_padded_call_skips_the_general_checks(
    mode: str, calls: list[bool], prepared: list[object]
) -> None:
    rng = np.random.default_rng(15)
    x, w = rng.standard_normal((40, 50)), rng.standard_normal((5, 5))
    got = conv2d(x, w, padding=2, padding_mode=mode)
    np.testing.assert_allclose(got, direct(x, w, (2, 2, 2, 2), mode), rtol=0, atol=1e-13)
    assert prepared == []
    assert calls == [True]
    # what the engine declines (padding past the kernel's reach) the numpy paths compute
    got = conv2d(x, w, padding=4, padding_mode=mode)
    np.testing.assert_allclose(got, direct(x, w, (4, 4, 4, 4), mode), rtol=0, atol=1e-13)
    assert len(prepared) == 1
    assert calls == [True, False]
