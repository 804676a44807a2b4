"""The numba integer engine: exact int64 correlation in every padding mode, against
per-tap sums in Python integers; when it is used, when not, and its one-pass bound."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")  # the test extra installs it

from convcli import conv2d, numba_engine
from convcli.numbers import max_abs

NP_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.fixture(autouse=True)
def engine_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(numba_engine.DISABLE, raising=False)
    assert numba_engine.load()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The (top, left) of every call of the engine's loop."""
    seen: list[tuple[int, int]] = []
    real = numba_engine.correlate

    def spy(x: Any, w: Any, top: int, left: int, shape: tuple[int, int], *rest: Any) -> Any:
        seen.append((top, left))
        return real(x, w, top, left, shape, *rest)

    monkeypatch.setattr(numba_engine, "correlate", spy)
    return seen


def direct(x: np.ndarray, w: np.ndarray, pad: int, mode: str, value: int = 0) -> list[Any]:
    """Valid correlation of the numpy-padded input, in Python integers."""
    if mode == "zeros":
        xp = np.pad(x.astype(object), pad, mode="constant", constant_values=value)
    else:
        xp = np.pad(x.astype(object), pad, mode=NP_MODES[mode])  # type: ignore[call-overload]
    kh, kw = w.shape
    rows, cols = xp.shape[0] - kh + 1, xp.shape[1] - kw + 1
    return [
        [sum(int(xp[i + a, j + b]) * int(w[a, b]) for a in range(kh) for b in range(kw))
         for j in range(cols)]
        for i in range(rows)
    ]  # fmt: skip


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    kernel=st.tuples(st.integers(1, 6), st.integers(1, 8)),
    pad=st.integers(0, 7),
    mode=st.sampled_from(sorted(NP_MODES)),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_padding_mode_is_exact(
    shape: tuple[int, int],
    kernel: tuple[int, int],
    pad: int,
    mode: str,
    seed: int,
    calls: list[tuple[int, int]],
) -> None:
    most = {"reflect": min(shape) - 1, "circular": min(shape)}.get(mode, pad)
    pad = min(pad, most)
    if kernel[0] > shape[0] + 2 * pad or kernel[1] > shape[1] + 2 * pad:
        return
    rng = np.random.default_rng(seed)
    x = rng.integers(-1000, 1000, shape)
    w = rng.integers(-9, 10, kernel) * rng.integers(0, 2, kernel)  # zero taps: skipped when alone
    calls.clear()
    got = conv2d(x, w, padding=pad, padding_mode=mode)
    assert got.dtype == np.int64
    assert got.tolist() == direct(x, w, pad, mode)
    assert calls == [(pad, pad) if mode == "zeros" else (0, 0)]


def test_pad_values_and_large_magnitudes(calls: list[tuple[int, int]]) -> None:
    rng = np.random.default_rng(3)
    x, w = rng.integers(-50, 50, (9, 11)), rng.integers(-4, 5, (3, 5))
    got = conv2d(x, w, padding=2, pad_value=7)  # another pad value: padded first
    assert got.tolist() == direct(x, w, 2, "zeros", 7)
    # sums far beyond 2**53 (where float64 engines would round) are exact in int64
    big = rng.integers(2**54, 2**55, (20, 20))
    wide = rng.integers(-1, 2, (9, 9))  # 81 taps: past OpenCV's DFT threshold too
    got, want = conv2d(big, wide, padding=1), direct(big, wide, 1, "zeros")
    assert got.tolist() == want
    assert max(abs(v) for row in want for v in row) > 2**53
    assert calls == [(0, 0), (1, 1)]


@pytest.mark.parametrize("edge", [2**31 - 1, 2**31])
def test_products_at_the_edge_of_int32(edge: int, calls: list[tuple[int, int]]) -> None:
    """Values within int32 take 32-bit products, one past it the 64-bit ones: both
    exact (the largest sums come within 2**33 of int64's limit)."""
    x = np.array([[edge, -edge, 5, edge - 1], [-7, edge, -edge + 1, 0]])
    w = np.array([[2**31 - 1, -(2**31 - 1)]])
    assert numba_engine.narrow(edge, w) is (edge < 2**31)
    assert not numba_engine.narrow(None, w)  # unknown: the 64-bit products
    assert not numba_engine.narrow(5, np.array([[2**31]]))
    got = conv2d(x, w, padding=(0, 1))
    assert got.dtype == np.int64
    assert got.tolist() == direct(np.pad(x, ((0, 0), (1, 1))), w, 0, "zeros")
    assert calls == [(0, 1)]


@pytest.mark.parametrize("kernel", [(2, 2), (4, 3), (1, 6)])
def test_same_padding_of_even_kernels(kernel: tuple[int, int], calls: list[Any]) -> None:
    """'same' pads an even kernel unevenly (one more after): the loop is given the top
    and left padding, the output size implies the rest."""
    rng = np.random.default_rng(8)
    x, w = rng.integers(-99, 99, (9, 10)), rng.integers(-5, 6, kernel)
    got = conv2d(x, w, padding="same")
    (kh, kw) = kernel
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(x, ((top, kh - 1 - top), (left, kw - 1 - left)))
    assert got.shape == x.shape
    assert got.tolist() == direct(padded, w, 0, "zeros")
    assert calls == [(top, left)]


def test_large_image_equals_numpy_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    x, w = rng.integers(0, 256, (700, 900)), rng.integers(-5, 6, (11, 11))
    got = conv2d(x, w, padding=5)
    monkeypatch.setenv(numba_engine.DISABLE, "1")
    assert np.array_equal(got, conv2d(x, w, padding=5))


def test_other_work_is_left_to_the_other_paths(calls: list[tuple[int, int]]) -> None:
    rng = np.random.default_rng(5)
    x, w = rng.integers(-9, 10, (2, 8, 8)), rng.integers(-9, 10, (3, 2, 3, 3))
    conv2d(x, w)  # several channels
    conv2d(x[0], w[0, 0], stride=2)  # a stride
    conv2d(x[0], w[0, 0], dilation=2)  # a dilation
    conv2d(x[0] * 0.5, w[0, 0])  # floats
    assert calls == []


def test_concurrent_calls_share_the_engine() -> None:
    rng = np.random.default_rng(6)
    pairs = [(rng.integers(-99, 99, (300, 200)), rng.integers(-3, 4, (5, 5))) for _ in range(4)]
    want = [direct(x[:12, :12], w, 0, "zeros") for x, w in pairs]
    got: list[Any] = [None] * len(pairs)

    def work(n: int) -> None:
        for _ in range(5):
            got[n] = conv2d(pairs[n][0], pairs[n][1])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(pairs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for out, expected in zip(got, want, strict=True):
        assert out[:8, :8].tolist() == [row[:8] for row in expected[:8]]


@pytest.mark.parametrize("size", [1, 63, 64, 65, 1 << 20, (1 << 20) + 7, 3_000_001])
def test_extremes_in_one_pass(size: int) -> None:
    rng = np.random.default_rng(size)
    x = rng.integers(-(2**62), 2**62, size)
    ends = numba_engine.extremes(x)
    if size < numba_engine.EXTREMES_CELLS:
        assert ends is None  # numpy's min and max
    else:
        assert ends == (int(x.min()), int(x.max()))
    assert max_abs(x) == max(-int(x.min()), int(x.max()))
    assert numba_engine.extremes(x[::2]) is None  # not contiguous: numpy measures it


def test_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert numba_engine.wanted(1)  # loaded (by the fixture): everything uses it
    monkeypatch.setenv(numba_engine.DISABLE, "1")
    assert not numba_engine.wanted(10**12)
    assert not numba_engine.load()


def test_a_fresh_process_loads_it_only_when_the_work_pays() -> None:
    """Small integer work never imports numba (0.5 s); work past IMPORT_MACS does, and
    ``load()`` makes all later work use it."""
    code = (
        "import sys, numpy as np\n"
        "from convcli import conv2d, numba_engine\n"
        "x = np.arange(400 * 400).reshape(400, 400) % 7\n"
        "conv2d(x, np.ones((3, 3), dtype=np.int64))\n"
        "print('numba' in sys.modules)\n"
        "numba_engine.IMPORT_MACS = 1000\n"
        "conv2d(x, np.ones((3, 3), dtype=np.int64))\n"
        "print(numba_engine.LOOPS in sys.modules)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != numba_engine.DISABLE}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.split() == ["False", "True"]


def test_streamed_integers_load_it_for_the_whole_work(tmp_path: Any) -> None:
    """Each row block alone is under IMPORT_MACS: the whole streamed work loads the
    engine, every block uses it, and the file equals the in-memory result."""
    source, target = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(source, np.random.default_rng(7).integers(-99, 99, (400, 300)))
    code = (
        "import sys, numpy as np\n"
        "from convcli import conv2d, numba_engine, stream\n"
        "numba_engine.IMPORT_MACS = 398 * 300 * 9\n"  # the whole work, not one block
        "calls = []\n"
        "real = numba_engine.correlate\n"
        "numba_engine.correlate = lambda *a: calls.append(a[0].shape) or real(*a)\n"
        "w = np.arange(9).reshape(3, 3) - 4\n"
        f"stream.conv_npy({str(source)!r}, w, {str(target)!r}, padding=(0, 1), block_rows=50)\n"
        f"x = np.load({str(source)!r})\n"
        "print(numba_engine.LOOPS in sys.modules, len(calls))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != numba_engine.DISABLE}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    loaded, blocks = done.stdout.split()
    assert loaded == "True"
    assert int(blocks) >= 8
    x = np.load(source)
    want = direct(np.pad(x, ((0, 0), (1, 1))), np.arange(9).reshape(3, 3) - 4, 0, "zeros")
    assert np.load(target).tolist() == want


def test_a_numba_that_cannot_load_leaves_the_work_to_the_other_paths(tmp_path: Any) -> None:
    """numba installed but unable to load (here: one that refuses this numpy, as a numba
    release older than numpy does): no error, the work runs on the other paths."""
    fake = tmp_path / "numba"
    fake.mkdir()
    (fake / "__init__.py").write_text('raise ImportError("Numba needs NumPy 2.3 or less")\n')
    code = (
        "import numpy as np\n"
        "from convcli import conv2d, numba_engine\n"
        "numba_engine.IMPORT_MACS = 0\n"
        "x = np.arange(30).reshape(5, 6) - 12\n"
        "print(numba_engine.load(), conv2d(x, np.array([[1, -2], [3, 0]])).tolist())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != numba_engine.DISABLE}
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    x = np.arange(30).reshape(5, 6) - 12
    want = direct(x, np.array([[1, -2], [3, 0]]), 0, "zeros")
    assert done.stdout == f"False {want}\n"
    assert done.stderr == ""
