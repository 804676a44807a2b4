"""``--dims`` on conv, transpose, dilate, pool and explain (SPEC §7), against the naive
N-D loops of tests/reference.py: 1-D work (inferred from a flat input, or asked for),
3-D work from .npy and JSON volumes, JSON with N spatial entries, cells named by their
N indices, 3-D tables as depth slices, and the errors that name the layouts expected."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Run
from tests.reference import RefInvalid, ref_conv_transposend, ref_convnd, ref_pool_nd


def payload(run: Run, *args: str) -> dict[str, Any]:
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def text(values: list[int]) -> str:
    return " ".join(map(str, values))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    x=st.lists(st.integers(-9, 9), min_size=1, max_size=12),
    k=st.lists(st.integers(-3, 3), min_size=1, max_size=4),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    left=st.integers(0, 2),
    right=st.integers(0, 2),
)
def test_conv_of_a_flat_input_is_1d(
    run: Run, x: list[int], k: list[int], s: int, d: int, left: int, right: int
) -> None:
    """A one-line input infers --dims 1: every option has one number per axis."""
    try:
        expected = ref_convnd(x, k, 1, stride=s, padding=(left, right), dilation=d)
    except RefInvalid:
        result = run("conv", "-i", text(x), "-k", text(k), "-s", str(s), "-d", str(d),
                     "-p", f"{left},{right}")  # fmt: skip
        assert result.exit_code == 1
        assert result.stdout == ""
        return
    out = payload(
        run, "conv", "-i", text(x), "-k", text(k), "-s", str(s), "-d", str(d),
        "-p", f"{left},{right}", "--all",
    )  # fmt: skip
    assert out["output"] == expected
    assert out["output_shape"] == [len(expected)]
    assert (out["stride"], out["dilation"], out["padding"]) == ([s], [d], [left, right])
    assert [step["cell"] for step in out["steps"]] == [[i] for i in range(len(expected))]
    for step in out["steps"]:
        assert sum(a * b for a, b in step["terms"]) == step["value"]


@pytest.mark.parametrize(
    ("s", "p", "op", "d"), [(1, 0, 0, 1), (2, 1, 1, 1), (3, 0, 2, 2), (2, 2, 0, 3)]
)
def test_transpose_1d(run: Run, s: int, p: int, op: int, d: int) -> None:
    x, k = [1, -2, 3, 4], [2, 0, -1]
    expected = ref_conv_transposend(x, k, 1, stride=s, padding=p, output_padding=op, dilation=d)
    out = payload(
        run, "transpose", "-i", text(x), "-k", text(k), "-s", str(s), "-p", str(p),
        "--output-padding", str(op), "-d", str(d),
    )  # fmt: skip
    assert out["output"] == expected
    assert out["output_padding"] == [op]


def test_1d_channels_and_kernels(run: Run) -> None:
    """[C][W] inputs from several one-line inputs, [O][C][k] kernels, groups and bias."""
    x = [[1, 2, 3, 4, 5], [0, -1, 2, 1, 1]]
    w = [[[1, 0]], [[2, -1]]]
    out = payload(
        run, "conv", "-i", text(x[0]), "-i", text(x[1]), "-k", json.dumps(w), "-g", "2",
        "-b", "1,-1", "--dims", "1",
    )  # fmt: skip
    assert out["output"] == ref_convnd(x, w, 1, groups=2, bias=[1, -1])
    assert out["input_shape"] == [2, 5]
    assert out["kernel_shape"] == [2, 1, 2]


def test_1d_pool_with_indices_and_cells(run: Run) -> None:
    x = [3, 1, 4, 1, 5, 9, 2, 6, 5]
    out = payload(run, "pool", "-i", text(x), "-k", "3", "-s", "2", "-p", "1", "--indices",
                  "--cell", "2")  # fmt: skip
    values, indices = ref_pool_nd(x, 3, 2, 1, return_indices=True, dims=1)
    assert out["output"] == values
    assert out["indices"] == indices
    assert out["steps"][0]["cell"] == [2]
    avg = payload(run, "pool", "-i", text(x), "--op", "avg", "-k", "2", "-d", "2", "--ceil-mode")
    assert avg["output"] == [
        str(v) if not isinstance(v, int) and v.denominator != 1 else int(v)
        for v in ref_pool_nd(x, 2, dilation=2, op="avg", ceil_mode=True, dims=1)
    ]


def test_1d_tables_name_cells_with_one_index(run: Run) -> None:
    result = run("conv", "-i", "1 2 3 4", "-k", "1 -1", "-e", "-f", "table")
    assert "out[2] = 3×1 + 4×(−1) = −1" in result.stdout
    assert not re.search(r"out\[0,\d\]", result.stdout)
    lesson = run("explain", "-i", "1 2 3 4", "-k", "1 -1", "--step", "3")
    assert "out[0] = 1×1 + 2×(−1) = −1" in lesson.stdout, lesson.stdout


def test_1d_dilate_and_the_1xw_trap_is_gone(run: Run) -> None:
    """-p 1 pads a signal left and right only: the old 1×W reading gave 3 rows."""
    out = payload(run, "conv", "-i", "1 2 3", "-k", "1", "-p", "1")
    assert out["output"] == [0, 1, 2, 3, 0]
    row = payload(run, "conv", "-i", "1 2 3;", "-k", "1", "-p", "1")  # a 1×3 matrix
    assert row["output_shape"] == [3, 5]
    spread = payload(run, "dilate", "-k", "1 2 3", "-d", "3")
    assert spread["kernel"] == [1, 0, 0, 2, 0, 0, 3]
    assert spread["effective_size"] == [7]


def random_volume(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-5, 6, size=shape)


@pytest.mark.parametrize("seed", range(6))
def test_conv_and_transpose_3d_from_npy(run: Run, tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    c, o = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    x = random_volume(rng, (c, *rng.integers(3, 6, size=3)))
    w = random_volume(rng, (o, c, *rng.integers(1, 3, size=3)))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "w.npy", w)
    s = ",".join(map(str, rng.integers(1, 3, size=3)))
    p = ",".join(map(str, rng.integers(0, 2, size=6)))
    out = payload(run, "conv", "--dims", "3", "-i", str(tmp_path / "x.npy"), "-k",
                  str(tmp_path / "w.npy"), "-s", s, "-p", p, "--cell", "0,0,0,0")  # fmt: skip
    strides = tuple(map(int, s.split(",")))
    pads = tuple(map(int, p.split(",")))
    assert out["output"] == ref_convnd(x.tolist(), w.tolist(), 3, stride=strides, padding=pads)
    assert out["stride"] == list(strides)
    assert out["padding"] == list(pads)
    step = out["steps"][0]
    assert step["cell"] == [0, 0, 0, 0]
    assert sum(a * b for a, b in step["terms"]) == step["value"]
    tw = random_volume(rng, (c, o, *rng.integers(1, 3, size=3)))
    np.save(tmp_path / "tw.npy", tw)
    back = payload(run, "transpose", "--dims", "3", "-i", str(tmp_path / "x.npy"), "-k",
                   str(tmp_path / "tw.npy"), "-s", s, "--all")  # fmt: skip
    assert back["output"] == ref_conv_transposend(x.tolist(), tw.tolist(), 3, stride=strides)
    for step in back["steps"]:
        assert sum(a * b for a, b in step["terms"]) == step["value"]


def test_pool_3d_and_dilate_3d(run: Run, tmp_path: Path) -> None:
    x = random_volume(np.random.default_rng(7), (2, 4, 5, 5))
    np.save(tmp_path / "v.npy", x)
    out = payload(run, "pool", "--dims", "3", "-i", str(tmp_path / "v.npy"), "-k", "2,3,3",
                  "-s", "1,2,2", "-p", "0,1,1", "--indices")  # fmt: skip
    values, indices = ref_pool_nd(x.tolist(), (2, 3, 3), (1, 2, 2), (0, 1, 1),
                                  return_indices=True, dims=3)  # fmt: skip
    assert out["output"] == values
    assert out["indices"] == indices
    assert out["window"] == [2, 3, 3]
    spread = payload(run, "dilate", "--dims", "3", "-k", "[[[1, 2]], [[3, 4]]]", "-d", "2,1,2")
    assert spread["kernel"] == [[[1, 0, 2]], [[0, 0, 0]], [[3, 0, 4]]]
    assert spread["effective_size"] == [3, 1, 3]


def test_3d_tables_show_depth_slices(run: Run) -> None:
    volume = json.dumps([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 1], [2, 3]]])
    result = run("conv", "--dims", "3", "-i", volume, "-k", "[[[1]], [[1]]]", "-p", "1,0,0",
                 "-e", "--cell", "1,0,1", "-f", "table")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for d in ("−1", "0", "1", "2", "3"):
        assert f"padded input d={d}" in result.stdout
    assert "feature map d=3" in result.stdout
    assert "out[1,0,1] = 2×1 + 6×1 = 8" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["conv", "--dims", "1", "-i", "1 2; 3 4 | 5 6; 7 8", "-k", "1"],
         "with --dims 1 --input takes [W] or [C][W]; give --dims 3 for a volume"),
        (["conv", "--dims", "3", "-i", "1 2; 3 4", "-k", "1"],
         "with --dims 3 --input takes [D][H][W] or [C][D][H][W]"),
        (["conv", "-i", "1 2 3", "-k", "1 1; 1 1"], "give --dims 2 for a 1×W matrix"),
    ],
)  # fmt: skip
def test_layout_errors_name_the_dims(run: Run, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["conv", "-i", "1 2 3", "-k", "1", "-s", "1,2"], "--stride"),
        (["conv", "--dims", "3", "-i", "[[[1]]]", "-k", "[[[1]]]", "-p", "1,1,1,1"], "--padding"),
        (["conv", "-i", "1 2 3", "-k", "1", "--cell", "0,0,0"], "--cell"),
        (["pool", "-i", "1 2 3", "-k", "2,2"], "--window"),
    ],
)
def test_per_axis_counts_are_usage_errors(run: Run, args: list[str], option: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert option in result.stderr


def test_1d_summaries_speak_of_one_axis(run: Run) -> None:
    """The summary box of 1-D work gives the signal's sizes, not the plane's 1×W."""
    conv = run("conv", "-i", "1 2 3 4 5 6", "-k", "1 0 -1", "-s", "2", "-p", "1", "-f", "table")
    assert "input 6  kernel 3  stride 2  padding 1,1" in conv.stdout
    assert "output 3 " in conv.stdout
    pool = run("pool", "-i", "3 1 4 1 5 9 2 6", "-k", "3", "-s", "2", "-p", "1", "-f", "table")
    assert "max pooling  input 8  window 3  stride 2  padding 1" in pool.stdout
    back = run("transpose", "-i", "1 2 3", "-k", "1 1", "-s", "2", "-f", "table")
    assert "input 3  kernel 2  stride 2  padding 0,0  output padding 0" in back.stdout
    assert "h' =" not in back.stdout
    spread = run("dilate", "-k", "1 2 3", "-d", "3", "-f", "table")
    assert "3·(3−1)+1 = 7" in spread.stdout
    assert "height" not in spread.stdout


@pytest.mark.parametrize(
    ("args", "symbols"),
    [
        (["-i", "1 2 3 4 5 6", "-k", "1 0 -1", "-s", "2"], "O·(C/g)·k = 1·1·3"),
        (["--dims", "3", "-i", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", "-k", "[[[1, 1]]]"],
         "O·D′·H′·W′·(C/g)·kd·kh·kw"),
    ],
)  # fmt: skip
def test_cost_counts_the_products_of_every_cell(run: Run, args: list[str], symbols: str) -> None:
    """The multiply-adds equal the products in --all's steps; the formula names the axes."""
    out = payload(run, "conv", *args, "--all")
    assert out["cost"]["macs"] == sum(len(step["terms"]) for step in out["steps"])
    assert symbols in run("conv", *args, "-f", "table").stdout


def test_3d_markdown_titles_each_depth_slice(run: Run) -> None:
    volume = "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]"
    conv = run("conv", "--dims", "3", "-i", volume, "-k", "[[[1, 1]]]", "-f", "markdown")
    assert "*feature map d=1*" in conv.stdout
    assert "channel" not in conv.stdout
    pool = run("pool", "--dims", "3", "-i", volume, "-k", "1,2,2", "-f", "latex")
    assert "pooled d=1" in pool.stdout


def _cell_value(line: str) -> tuple[tuple[int, ...], str]:
    match = re.match(r"out\[([\d,]+)\] = .* = (\S+)$", line)
    assert match, line
    return tuple(map(int, match.group(1).split(","))), match.group(2).replace("−", "-")


@pytest.mark.parametrize(
    ("args", "oracle"),
    [
        ([], lambda x, w: ref_convnd(x, w, 3)),
        (["-s", "2", "-p", "1"], lambda x, w: ref_convnd(x, w, 3, stride=2, padding=1)),
        (["--op", "transpose", "-s", "2"], lambda x, w: ref_conv_transposend(x, w, 3, stride=2)),
        (["--op", "pool", "--pool", "max", "--window", "2", "-s", "1"],
         lambda x, w: ref_pool_nd(x, 2, 1, dims=3)),
    ],
)  # fmt: skip
def test_explain_dims_3_teaches_on_depth_slices(run: Run, args: list[str], oracle: Any) -> None:
    """Every cell step of the 3-D lesson names out[d,r,c] and gives the oracle's value;
    its grids are depth slices."""
    x = [[[1, 2, 0], [1, 0, 3], [2, 2, 2]], [[0, 1, 1], [3, -1, 0], [1, 2, 0]],
         [[2, 0, 1], [1, 1, -2], [0, 3, 1]]]  # fmt: skip
    w = [[[1, 0], [0, -1]], [[0, 1], [1, 0]]]
    kernel = [] if "pool" in args else ["-k", json.dumps(w)]
    lesson = payload(run, "explain", "--dims", "3", "-i", json.dumps(x), *kernel, *args, "--all")
    expected = oracle(x, w)
    cells = [s for s in lesson["steps"] if s["kind"] == "cell"]
    assert len(cells) == np.asarray(expected).size
    for step in cells:
        (d, r, c), value = _cell_value(step["lines"][-1])
        assert value == str(expected[d][r][c])
        assert any(g["label"].endswith(f"d={d}") for g in step["grids"])


def test_1d_errors_name_1d_layouts_and_channels_of_one_row(run: Run) -> None:
    """Channel errors of 1-D work name [C][k], not the plane's [C][kh][kw]; with --dims 1,
    inline channels of one row each ("1 2 3 | 4 5 6") are [C][W]."""
    wrong = run("conv", "-i", "1 2 3", "-k", "1 1; 1 1")
    assert "the kernel [C][k] reads 2 channels, but the input has 1" in wrong.stderr
    back = run("transpose", "-i", "1 2 3", "-k", "[[[1, 1]], [[1, 1]]]")
    assert "[C_in][C_out/groups][k] has C_in = 2" in back.stderr
    out = payload(run, "conv", "--dims", "1", "-i", "1 2 3 | 4 5 6", "-k", "[[1, 1], [1, -1]]")
    assert out["output"] == ref_convnd([[1, 2, 3], [4, 5, 6]], [[1, 1], [1, -1]], 1)
