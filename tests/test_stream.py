"""convcli.stream: a memory-mapped .npy convolved in row blocks with halos.

Oracles: the loop-by-loop reference (tests/reference.py) for exact data, scipy.ndimage
for floats, and the in-memory ``conv2d`` for the promise that streaming changes nothing
(bit for bit where the core sums directly).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi

from convcli import algorithms, conv2d
from convcli.errors import ConvError, LimitError, ParameterError, ParseError, ShapeError
from convcli.matrix_io.sources import load_matrix
from convcli.matrix_io.writers import format_csv, format_json
from convcli.stream import block_bounds, conv_npy, open_npy, write_csv
from tests.conftest import ROOT
from tests.reference import ref_conv2d

MODES = ("zeros", "reflect", "replicate", "circular")
SCIPY_MODES = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}


def _saved(tmp_path: Path, array: Any, name: str = "x.npy") -> Path:
    path = tmp_path / name
    np.save(path, np.asarray(array))
    return path


# --- exact data against the reference, every geometry --------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("stride", "dilation", "padding"),
    [(1, 1, 1), (2, 1, (3, 1, 0, 2)), (3, 2, 2), (1, 2, "same"), (2, 1, 0), (1, 1, (0, 4, 1, 1))],
)
@pytest.mark.parametrize("block_rows", [1, 2, 5])
def test_integers_equal_the_reference_whatever_the_blocks(
    tmp_path: Path, mode: str, stride: int, dilation: int, padding: Any, block_rows: int
) -> None:
    rng = np.random.default_rng([MODES.index(mode), stride, dilation, block_rows])
    x = rng.integers(-9, 10, size=(2, 13, 11))
    k = rng.integers(-3, 4, size=(3, 2, 3, 2))
    options = {"stride": stride, "dilation": dilation, "padding": padding, "padding_mode": mode}
    want = ref_conv2d(x.tolist(), k.tolist(), bias=[1, -2, 3], **options)
    out = tmp_path / "y.npy"
    result = conv_npy(
        _saved(tmp_path, x), k, out, bias=[1, -2, 3], block_rows=block_rows, **options
    )
    got = np.load(out)
    assert got.dtype == np.int64
    assert got.tolist() == want
    assert result.shape == got.shape
    assert result.format == "npy"
    assert result.block_rows == block_rows


def test_a_two_d_input_and_kernel_give_a_two_d_result(tmp_path: Path) -> None:
    x = np.arange(7 * 6).reshape(7, 6) % 5
    k = [[1, 2], [0, -1], [3, 1]]
    out = tmp_path / "y.npy"
    conv_npy(
        _saved(tmp_path, x), k, out, padding=1, padding_mode="reflect", flip=True, block_rows=2
    )
    want = ref_conv2d(x.tolist(), k, padding=1, padding_mode="reflect", flip=True)
    assert np.load(out).tolist() == want


def test_groups_pad_value_and_a_one_channel_kernel(tmp_path: Path) -> None:
    x = np.arange(4 * 9 * 8).reshape(4, 9, 8) % 7 - 3
    k = np.arange(4 * 2 * 2 * 2).reshape(4, 2, 2, 2) % 5 - 2
    out = tmp_path / "y.npy"
    conv_npy(_saved(tmp_path, x), k, out, groups=2, padding=2, pad_value=5, block_rows=3)
    want = ref_conv2d(x.tolist(), k.tolist(), groups=2, padding=2, pad_value=5)
    assert np.load(out).tolist() == want


def test_padding_wider_than_a_block_is_merged_into_its_neighbour(tmp_path: Path) -> None:
    """Output rows that read only constant padding have no input rows of their own."""
    x = np.arange(12).reshape(3, 4)
    out = tmp_path / "y.npy"
    conv_npy(_saved(tmp_path, x), [[1, 1], [1, 1]], out, padding=(6, 5, 1, 0), block_rows=1)
    want = ref_conv2d(x.tolist(), [[1, 1], [1, 1]], padding=(6, 5, 1, 0))
    assert np.load(out).tolist() == want


def test_block_bounds_merge_blocks_that_read_nothing() -> None:
    assert block_bounds(6, 2, lambda a, b: (a, b) != (0, 2)) == [0, 4, 6]
    assert block_bounds(6, 2, lambda a, b: (a, b) != (4, 6)) == [0, 2, 6]
    assert block_bounds(6, 2, lambda a, b: b - a > 2 or a == 2) == [0, 6]
    assert block_bounds(5, 2, lambda a, b: True) == [0, 2, 4, 5]
    assert block_bounds(5, 9, lambda a, b: False) == [0, 5]


# --- floats: the brief's 3000 × 2000 with tiny blocks ------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    x = np.random.default_rng(15).standard_normal((3000, 2000))
    path = tmp_path_factory.mktemp("stream") / "big.npy"
    np.save(path, x)
    return path, x


@pytest.mark.parametrize("mode", MODES)
def test_3000_by_2000_in_blocks_of_7_rows_is_the_in_memory_result_bit_for_bit(
    big: tuple[Path, Any], tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one engine for the blocks and the whole: OpenCV takes large work, and small work too
    # once a test before has imported it, so the same summation needs it kept out
    monkeypatch.setenv("CONVCLI_NO_OPENCV", "1")
    path, x = big
    k = np.random.default_rng(3).standard_normal((3, 3))
    out = tmp_path / "y.npy"
    result = conv_npy(path, k, out, padding=1, padding_mode=mode, block_rows=7)
    assert result.blocks == 429  # 3000 rows, 7 a block: nothing loaded whole
    got = np.load(out)
    assert np.array_equal(got, conv2d(x, k, padding=1, padding_mode=mode))
    oracle = ndi.correlate(x, k, mode=SCIPY_MODES[mode])
    np.testing.assert_allclose(got, oracle, rtol=0, atol=1e-12)


def test_a_large_kernel_stays_within_the_fft_bound_of_the_in_memory_result(
    big: tuple[Path, Any], tmp_path: Path
) -> None:
    """The core may take its FFT (overlap-save) there, whose blocks then differ: within its
    guarantee FFT_RTOL · max|x| · Σ|w|, not bit for bit."""
    path, x = big
    k = np.random.default_rng(4).standard_normal((11, 11))
    out = tmp_path / "y.npy"
    conv_npy(path, k, out, padding=5, padding_mode="reflect", block_rows=64)
    bound = algorithms.FFT_RTOL * float(np.abs(x).max()) * float(np.abs(k).sum())
    got = np.load(out)
    np.testing.assert_allclose(got, conv2d(x, k, padding=5, padding_mode="reflect"), atol=bound)
    np.testing.assert_allclose(got, ndi.correlate(x, k, mode="mirror"), rtol=0, atol=bound)


def test_strided_multi_channel_floats_are_the_in_memory_result(tmp_path: Path) -> None:
    """Within float64 rounding: the core's BLAS products may group a block's sums
    differently from the whole array's."""
    x = np.random.default_rng(5).standard_normal((3, 301, 207))
    k = np.random.default_rng(6).standard_normal((4, 3, 3, 3))
    bias = [0.5, 0, -1, 2]
    out = tmp_path / "y.npy"
    options = {"stride": 2, "padding": 1, "padding_mode": "circular"}
    conv_npy(_saved(tmp_path, x), k, out, block_rows=5, bias=bias, **options)
    got = np.load(out)
    np.testing.assert_allclose(got, conv2d(x, k, bias=bias, **options), rtol=0, atol=1e-13)
    for o in range(4):
        oracle = sum(ndi.correlate(x[c], k[o, c], mode="wrap") for c in range(3)) + bias[o]
        np.testing.assert_allclose(got[o], oracle[::2, ::2], rtol=0, atol=1e-12)


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [[[1, -1], [2, 0]], [[[[1, 0]]], [[[0, 2]]], [[[-1, 1]]]]])
def test_csv_is_the_in_memory_csv_byte_for_byte(tmp_path: Path, kernel: Any) -> None:
    x = np.arange(11 * 7).reshape(11, 7) * 3 - 40
    want = format_csv(conv2d(x, kernel, padding=1)).encode()
    stream = io.BytesIO()
    result = conv_npy(_saved(tmp_path, x), kernel, stream, padding=1, block_rows=3)
    assert stream.getvalue() == want
    assert result.format == "csv"
    out = tmp_path / "y.csv"
    conv_npy(_saved(tmp_path, x), kernel, out, padding=1, block_rows=4)
    assert out.read_bytes() == want


def test_csv_of_floats_reads_back_to_the_same_numbers(tmp_path: Path) -> None:
    x = np.random.default_rng(7).standard_normal((40, 30))
    stream = io.BytesIO()
    conv_npy(_saved(tmp_path, x), [[0.25, 0.5], [1.0, -3.0]], stream, block_rows=6)
    want = conv2d(x, [[0.25, 0.5], [1.0, -3.0]])
    assert stream.getvalue() == format_csv(want).encode()
    back = np.loadtxt(io.BytesIO(stream.getvalue()), delimiter=",")
    assert np.array_equal(back, want)


def test_exact_fractions_stream_to_csv_and_are_refused_for_npy(tmp_path: Path) -> None:
    x = np.arange(30).reshape(6, 5)
    k = [[Fraction(1, 16), Fraction(1, 8)], [Fraction(1, 3), 1]]
    stream = io.BytesIO()
    result = conv_npy(_saved(tmp_path, x), k, stream, block_rows=2)
    want = ref_conv2d(x.tolist(), k)
    assert stream.getvalue().decode().splitlines()[0] == ",".join(str(v) for v in want[0])
    assert stream.getvalue() == format_csv(np.array(want, dtype=object)).encode()
    assert result.dtype == "object"
    with pytest.raises(ConvError) as caught:
        conv_npy(_saved(tmp_path, x), k, tmp_path / "y.npy")
    assert str(caught.value) == (
        "an .npy file holds int64 or float64 numbers, and this result has exact fractions"
    )
    assert caught.value.hint == "write CSV instead, or give the kernel as decimals"
    assert not (tmp_path / "y.npy").exists()


def test_a_result_beyond_int64_streams_to_csv_but_not_to_npy(tmp_path: Path) -> None:
    x = np.full((4, 3), 2**62, dtype=np.int64)
    x[0, 0] = 1
    stream = io.BytesIO()
    conv_npy(_saved(tmp_path, x), [[1], [1]], stream, block_rows=1)
    assert stream.getvalue().decode().splitlines()[1] == ",".join([str(2**63)] * 3)
    out = tmp_path / "y.npy"
    with pytest.raises(ConvError, match=r"beyond int64, which an \.npy file cannot hold"):
        conv_npy(_saved(tmp_path, x), [[1], [1]], out, block_rows=1)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]  # no partial file left


def test_write_csv_streams_any_array_as_format_csv_does() -> None:
    for array in (
        np.arange(24).reshape(2, 3, 4) - 7,
        np.random.default_rng(8).standard_normal((9, 4)),
        np.array([[Fraction(1, 3), 2], [-1, Fraction(-5, 2)]], dtype=object),
        np.arange(5),
    ):
        stream = io.BytesIO()
        write_csv(array, stream, rows=2)
        assert stream.getvalue() == format_csv(array).encode()


# --- what is checked, and when -----------------------------------------------------------


def test_a_nan_is_refused_with_the_in_memory_loader_message(tmp_path: Path) -> None:
    x = np.ones((20, 4))
    x[13, 2] = np.nan
    path = _saved(tmp_path, x)
    with pytest.raises(ParseError) as loading:
        load_matrix(str(path))
    label = f"--input {str(path)!r}"
    with pytest.raises(ParseError) as streaming:
        conv_npy(path, [[1]], tmp_path / "y.npy", block_rows=3, label=label)
    assert str(streaming.value) == str(loading.value)
    assert str(streaming.value).endswith(
        ": [13][2]: 'nan' is not a finite number (pass --allow-nan to accept it)"
    )
    assert not (tmp_path / "y.npy").exists()
    conv_npy(path, [[1]], tmp_path / "y.npy", block_rows=3, allow_nan=True)
    assert np.isnan(np.load(tmp_path / "y.npy")[13, 2])


@pytest.mark.parametrize(
    ("options", "kernel"),
    [
        ({"padding": 5, "padding_mode": "reflect"}, [[1]]),
        ({"padding": (0, 0, 4, 4), "padding_mode": "circular"}, [[1]]),
        ({}, np.ones((9, 2))),
        ({"stride": 0}, [[1]]),
        ({"padding_mode": "mirror"}, [[1]]),
        ({"groups": 2}, np.ones((2, 2, 1, 1))),
    ],
)
def test_errors_are_those_of_the_in_memory_path(
    tmp_path: Path, options: dict[str, Any], kernel: Any
) -> None:
    x = np.arange(5 * 3).reshape(5, 3)
    with pytest.raises(ConvError) as memory:
        conv2d(x, kernel, **options)
    with pytest.raises(type(memory.value)) as streamed:
        conv_npy(_saved(tmp_path, x), kernel, tmp_path / "y.npy", **options)
    assert str(streamed.value) == str(memory.value)
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(4), "a 1-D array; a streamed input is [H][W] or [C][H][W]"),
        (np.zeros((2, 2), dtype=bool), "an array of bool, not of numbers"),
        (np.zeros((0, 3)), "no numbers in"),
    ],
)
def test_open_npy_refuses_what_cannot_be_streamed(tmp_path: Path, array: Any, message: str) -> None:
    path = _saved(tmp_path, array)
    with pytest.raises((ParseError, ShapeError), match=message.replace("[", r"\[")):
        open_npy(path)


def test_open_npy_refuses_a_file_that_is_not_npy(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    path.write_text("1,2\n3,4\n")
    with pytest.raises(ParseError, match=r"x\.npy: not a readable \.npy file"):
        open_npy(path)
    with pytest.raises(ParseError, match=r"nothing\.npy: no such file"):
        open_npy(tmp_path / "nothing.npy")


@pytest.mark.parametrize("dtype", [np.float32, ">f8", np.uint8, np.int16, ">i4"])
def test_other_dtypes_are_converted_as_the_loader_does(tmp_path: Path, dtype: Any) -> None:
    x = (np.arange(8 * 6).reshape(8, 6) % 11).astype(dtype)
    out = tmp_path / "y.npy"
    conv_npy(_saved(tmp_path, x), [[1, 2], [3, 4]], out, block_rows=2)
    want = conv2d(load_matrix(str(tmp_path / "x.npy")), [[1, 2], [3, 4]])
    got = np.load(out)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_the_cell_guard_applies_to_one_block_not_to_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.arange(300 * 200).reshape(300, 200) % 13
    path = _saved(tmp_path, x)
    want = conv2d(x, np.ones((3, 3), dtype=np.int64))
    monkeypatch.setenv("CONVCLI_MAX_CELLS", "20000")
    with pytest.raises(LimitError, match="needs 119,004 cells in memory"):
        conv2d(x, np.ones((3, 3), dtype=np.int64))
    out = tmp_path / "y.npy"
    result = conv_npy(path, np.ones((3, 3), dtype=np.int64), out)  # blocks sized to the guard
    assert result.blocks > 1
    assert np.array_equal(np.load(out), want)
    monkeypatch.setenv("CONVCLI_MAX_CELLS", "500")  # not even one row of 200 fits
    with pytest.raises(LimitError, match="over the limit of 500"):
        conv_npy(path, np.ones((3, 3), dtype=np.int64), out)


def test_progress_is_reported_after_every_block(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    record: Callable[[int, int], None] = lambda done, total: seen.append((done, total))  # noqa: E731
    conv_npy(
        _saved(tmp_path, np.ones((10, 3))), [[1], [1]], io.BytesIO(), block_rows=4, progress=record
    )
    assert seen == [(4, 9), (8, 9), (9, 9)]


def test_bad_block_rows_and_formats_are_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path, np.ones((4, 4)))
    with pytest.raises(ConvError, match="block rows must be 1 or more, got 0"):
        conv_npy(path, [[1]], io.BytesIO(), block_rows=0)
    with pytest.raises(ConvError, match="a streamed output is npy, csv or json, not 'xml'"):
        conv_npy(path, [[1]], io.BytesIO(), fmt="xml")
    with pytest.raises(ConvError, match=r"an \.npy output must be a file path"):
        conv_npy(path, [[1]], io.BytesIO(), fmt="npy")
    with pytest.raises(ParameterError):
        conv_npy(path, [[1]], io.BytesIO(), padding_mode="reflect", pad_value=1)


# --- memory -------------------------------------------------------------------------------

_PEAK = """
import sys
import numpy as np
from convcli.stream import conv_npy
conv_npy(sys.argv[1], np.ones((3, 3)) / 9, sys.argv[2], padding=1, padding_mode="reflect",
         block_rows=128)
# VmHWM, not ru_maxrss: that one keeps the high-water mark of the parent forked from
print(next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM")) // 1024)
"""


def test_peak_memory_stays_far_below_the_input_and_output(tmp_path: Path) -> None:
    """A 6000 × 6000 float64 input (275 MiB) and as much output: the process peaks near
    its import footprint plus a few blocks (measured ~70 MiB), not the 550 MiB of both."""
    x = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float64,
                                  shape=(6000, 6000))  # fmt: skip
    x[:] = np.arange(6000, dtype=np.float64)[:, None] % 17
    x.flush()
    del x
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PEAK), str(tmp_path / "x.npy"),
         str(tmp_path / "y.npy")],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    peak_mib = int(done.stdout)
    assert peak_mib < 120, peak_mib
    y = np.load(tmp_path / "y.npy", mmap_mode="r")
    crop = np.arange(2990, 3010, dtype=np.float64)[:, None] % 17 * np.ones((1, 8))
    options = {"padding": (0, 0, 1, 0), "padding_mode": "reflect"}
    want = conv2d(crop, np.ones((3, 3)) / 9, **options)[:, :6]
    np.testing.assert_allclose(y[2991:3009, :6], want, rtol=0, atol=1e-13)


def test_the_whole_work_loads_the_opencv_engine(tmp_path: Path) -> None:
    # each block alone is under the import threshold; the whole is over it, so the
    # engine is loaded once and every block of enough work goes through it
    pytest.importorskip("cv2")
    script = textwrap.dedent(
        """
        import io, sys
        import numpy as np
        from convcli import engines
        from convcli.stream import conv_npy
        engines.IMPORT_MACS = 100_000
        x = np.random.default_rng(3).standard_normal((200, 200))
        k = np.random.default_rng(4).standard_normal((3, 3))
        assert "cv2" not in sys.modules
        used = []
        real = engines.correlate
        def spy(*args):
            out = real(*args)
            used.append(out is not None)
            return out
        engines.correlate = spy
        out = io.BytesIO()
        conv_npy(x, k, out, block_rows=20)
        print("cv2" in sys.modules, used.count(True), len(used))
        np.save(sys.argv[1], np.loadtxt(io.StringIO(out.getvalue().decode()), delimiter=","))
        """
    )
    path = tmp_path / "out.npy"
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout.split() == ["True", "10", "10"]
    x = np.random.default_rng(3).standard_normal((200, 200))
    k = np.random.default_rng(4).standard_normal((3, 3))
    want = np.array(ref_conv2d(x.tolist(), k.tolist()), dtype=np.float64)
    np.testing.assert_allclose(np.load(path), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_rows", [1, 3, 100])
@pytest.mark.parametrize(
    ("shape", "kernel_shape"),
    [((13, 11), (3, 3)), ((2, 13, 11), (3, 2, 3, 3)), ((2, 9, 8), (2, 2, 2))],
)
def test_json_text_of_every_block_split(
    block_rows: int, shape: tuple[int, ...], kernel_shape: tuple[int, ...]
) -> None:
    # the nested lists format_json writes for the whole result, inside the default
    # {"data": …} or a caller's envelope, whatever the blocks
    rng = np.random.default_rng(16)
    x, k = rng.integers(-9, 10, shape), rng.integers(-3, 4, kernel_shape)
    want = ref_conv2d(x.tolist(), k.tolist(), padding=1)
    out = io.BytesIO()
    done = conv_npy(x, k, out, fmt="json", padding=1, block_rows=block_rows)
    assert done.format == "json"
    assert out.getvalue().decode() == format_json({"data": np.array(want)})
    assert json.loads(out.getvalue()) == {"data": want}
    wrapped = io.BytesIO()
    conv_npy(x, k, wrapped, fmt="json", padding=1, envelope=lambda s: ("<", f"|{s.output_shape}>"))
    shape_text = str(tuple(np.array(want).shape))
    assert wrapped.getvalue().decode() == "<" + json.dumps(want) + f"|{shape_text}>"
