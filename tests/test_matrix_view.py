"""`--view matrix` (conv and transpose) and `conv --view subsample` (issue 10, items 3
and 4): the matrices and products checked against the naive oracle in tests/reference.py,
the JSON keys, Markdown, LaTeX that compiles, the size limit, and the stride as
subsampling."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli import model as M
from convcli.core import (
    conv_matrix,
    forward_matrix,
    prepare_conv,
    prepare_transpose,
    run_conv,
)
from convcli.params import ConvParams
from convcli.reports import subsample_view
from convcli.typography import Typeset
from tests.conftest import Run, assert_error, json_out
from tests.reference import pad_matrix, ref_conv2d, ref_conv_transpose2d

small = st.integers(-4, 4)


def grid(h: int, w: int) -> st.SearchStrategy[list[list[int]]]:
    return st.lists(st.lists(small, min_size=w, max_size=w), min_size=h, max_size=h)


def flat(nested: list[Any]) -> list[Any]:
    return [v for row in nested for v in row]


def inline(rows: list[list[int]]) -> str:
    return "; ".join(" ".join(map(str, row)) for row in rows)


# --- the core: C against the oracle ----------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    x=grid(5, 6),
    k=st.sampled_from([(1, 1), (2, 2), (2, 3), (3, 2)]).flatmap(lambda s: grid(*s)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pads=st.tuples(*[st.integers(0, 2)] * 4),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
)
def test_c_times_the_padded_input_is_the_convolution(
    x: list[list[int]],
    k: list[list[int]],
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    mode: str,
) -> None:
    params = ConvParams.build(stride=stride, padding=pads, dilation=dilation, padding_mode=mode)
    setup = prepare_conv(x, k, params=params)
    expected = ref_conv2d(x, k, stride=stride, padding=pads, dilation=dilation, padding_mode=mode)
    padded = flat(pad_matrix(x, pads, mode))
    c = forward_matrix(setup)
    assert c.shape == (len(expected) * len(expected[0]), len(padded))
    assert (c @ np.array(padded)).tolist() == flat(expected)
    # each row holds the kernel's taps once each: the nonzero entries are the weights
    for row in c:
        assert sorted(v for v in row.tolist() if v) == sorted(v for v in flat(k) if v)


@settings(max_examples=80, deadline=None)
@given(
    x=grid(3, 3),
    k=grid(2, 3),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 2),
    pad=st.integers(0, 1),
    data=st.data(),
)
def test_c_transposed_times_the_input_is_the_transposed_convolution(
    x: list[list[int]],
    k: list[list[int]],
    stride: int,
    dilation: int,
    pad: int,
    data: st.DataObject,
) -> None:
    op = data.draw(st.integers(0, max(stride, dilation) - 1))
    params = ConvParams.build(stride=stride, padding=pad, dilation=dilation)
    setup = prepare_transpose(x, k, params=params, output_padding=op)
    expected = ref_conv_transpose2d(
        x, k, stride=stride, padding=pad, output_padding=op, dilation=dilation
    )
    c = conv_matrix(setup)
    assert (c.T @ np.array(flat(x))).tolist() == flat(expected)


# --- JSON ------------------------------------------------------------------------------------

X = [[1, 2, 0], [-1, 3, 1], [2, 0, 4]]
K = [[1, -1], [2, 0]]


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ([], {}),
        (["-s", "2", "-p", "1"], {"stride": 2, "padding": 1}),
        (["-p", "1", "--padding-mode", "reflect", "-d", "2"], {"padding": 1, "dilation": 2}),
        (["-p", "1", "--pad-value", "5", "--bias", "3"], {"padding": 1, "bias": [3]}),
    ],
)
def test_conv_json_matrix_is_c_x_and_y(run: Run, extra: list[str], options: dict[str, Any]) -> None:
    out = json_out(
        run(
            "conv", "-i", inline(X), "-k", inline(K), *extra, "-e", "--view", "matrix", "-f", "json"
        )
    )
    mode = "reflect" if "reflect" in extra else "zeros"
    value = 5 if "--pad-value" in extra else 0
    pad = options.get("padding", 0)
    expected = ref_conv2d(X, K, padding_mode=mode, pad_value=value, **options)
    matrix = out["matrix"]
    assert set(matrix) == {"C", "x", "y"}
    assert matrix["x"] == flat(pad_matrix(X, (pad,) * 4, mode, value))
    assert matrix["y"] == flat(expected) == flat(out["output"])
    bias = options.get("bias", [0])[0]
    assert (np.array(matrix["C"]) @ np.array(matrix["x"]) + bias).tolist() == matrix["y"]


def test_transpose_json_matrix_is_the_forward_c(run: Run) -> None:
    args = ["transpose", "-i", "1 2; 3 4", "-k", "1 0 1; 0 1 0; 1 0 1", "-s", "2", "-p", "1"]
    out = json_out(run(*args, "--output-padding", "1", "-e", "--view", "matrix", "-f", "json"))
    expected = ref_conv_transpose2d(
        [[1, 2], [3, 4]], [[1, 0, 1], [0, 1, 0], [1, 0, 1]], stride=2, padding=1, output_padding=1
    )
    matrix = out["matrix"]
    assert np.array(matrix["C"]).shape == (4, 16)
    assert matrix["x"] == [1, 2, 3, 4]
    assert matrix["y"] == flat(expected)
    assert (np.array(matrix["C"]).T @ np.array(matrix["x"])).tolist() == matrix["y"]


def test_json_has_no_matrix_without_view_matrix(run: Run) -> None:
    conv = json_out(run("conv", "-i", inline(X), "-k", inline(K), "-e", "-f", "json"))
    transpose = json_out(run("transpose", "-i", "1 2", "-k", "1 1", "-e", "-f", "json"))
    assert "matrix" not in conv
    assert "matrix" not in transpose


# --- terminal, Markdown, LaTeX -------------------------------------------------------------

CONV = ["conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 1", "-e", "--view", "matrix"]


def test_conv_matrix_view_table(run: Run) -> None:
    result = run(*CONV, "-f", "table")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    lines = [line.rstrip() for line in text.splitlines()]
    assert "matrix view: the convolution as one matrix product, vec(y) = C·vec(x)" in lines
    assert lines[
        lines.index("matrix view: the convolution as one matrix product, vec(y) = C·vec(x)") + 1
    ] == (
        "C is 4×9: a row per output cell and a column per cell of the input, both in row-major "
        "order; a row holds the kernel's weights where that cell's window reads and zeros (·) "
        "elsewhere. vec(x) is the input flattened row by row."
    )
    # C with its zeros as dots, vec(x) and C·vec(x) side by side
    assert "│ 0 │ 1 │ · │ · │ · │ 1 │ · │ · │ · │ · │   │ 0 │ 1 │   │ 0 │  6 │" in lines
    assert "│ 3 │ · │ · │ · │ · │ 1 │ · │ · │ · │ 1 │   │ 3 │ 4 │   │ 3 │ 14 │" in lines
    assert "vec(y) put back row by row into 2×2 is the feature map:" in lines
    assert "arithmetic" not in lines  # the matrix view replaces the cells' arithmetic


def test_conv_matrix_view_with_bias_padding_and_a_cell(run: Run) -> None:
    args = ["conv", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-p", "1", "--bias", "2"]
    text = run(*args, "--cell", "1,1", "--view", "matrix", "-f", "table").stdout
    assert (
        "matrix view: the convolution as one matrix product, "
        "vec(y) = C·vec(x) + b (the bias 2 in every row)"
    ) in text
    assert "a column per cell of the padded input" in text
    assert "C·vec(x) + b" in text
    lines = [line.rstrip() for line in text.splitlines()]
    # row 4 of C is out[1,1]: its weights lit, and its value in the product
    row = "│ 4 │ · │ · │ · │ · │ · │ [1] │ [1] │ · │ · │ [1] │ [1] │"
    assert any(line.startswith(row) for line in lines)
    assert any("│ 4 │ [12] │" in line for line in lines)
    assert "│  0 │ 0ₚ │" in text  # vec(x) marks padding cells as the input table does


def test_transpose_matrix_view_shows_c_transposed(run: Run) -> None:
    args = ["transpose", "-i", "1 2; 3 4", "-k", "1 2; 3 4", "-e", "--view", "matrix"]
    text = run(*args, "-f", "table").stdout
    lines = [line.rstrip() for line in text.splitlines()]
    assert "matrix view: the transposed convolution is vec(y) = Cᵀ·vec(x)" in lines
    assert any(
        line.startswith("Cᵀ ") and "vec(x)" in line and "Cᵀ·vec(x)" in line for line in lines
    )
    assert "│ 4 │ 4 │ 3 │ 2 │ 1 │   ╰───┴───╯   │ 4 │ 20 │" in lines
    assert "│ 8 │ · │ · │ · │ 4 │               │ 8 │ 16 │" in lines
    assert "vec(y) put back row by row into 3×3 is the output:" in lines


def test_matrix_view_in_chinese(run: Run) -> None:
    text = run(*CONV, "--lang", "zh", "-f", "table").stdout
    assert "矩阵视图：把卷积写成一次矩阵乘法，vec(y) = C·vec(x)" in text
    assert "把 vec(y) 逐行排回 2×2，就是特征图：" in text


def test_matrix_view_markdown(run: Run) -> None:
    text = run(*CONV, "-f", "markdown").stdout
    assert "*C*\n\n| | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 |\n" in text
    assert "| 0 | 1 | · | · | · | 1 | · | · | · | · |\n" in text
    assert "*vec(x)*\n\n| | 0 |\n|---:|---:|\n| 0 | 1 |\n" in text
    assert (
        "*C·vec(x)*\n\n| | 0 |\n|---:|---:|\n| 0 | 6 |\n| 1 | 8 |\n| 2 | 12 |\n| 3 | 14 |\n" in text
    )
    transposed = run(
        "transpose", "-i", "1 2", "-k", "1 1", "-e", "--view", "matrix", "-f", "markdown"
    )
    assert (
        "*Cᵀ*\n\n| | 0 | 1 |\n|---:|---:|---:|\n| 0 | 1 | · |\n| 1 | 1 | 1 |\n| 2 | · | 1 |\n"
        in (transposed.stdout)
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "args",
    [
        [*CONV, "-p", "1", "--bias", "-1/2", "-s", "2"],
        ["transpose", "-i", "1 2; 3 4", "-k", "1 2; 3 4", "-s", "2", "--bias", "1", "-e",
         "--view", "matrix"],
        ["conv", "-i", "1 2 3 4 5; 6 7 8 9 0", "-k", "1 2", "-s", "2", "-e", "--view", "subsample"],
    ],
)  # fmt: skip
def test_matrix_view_latex_compiles(run: Run, tmp_path: Path, args: list[str]) -> None:
    result = run(*args, "-f", "latex")
    assert result.exit_code == 0, result.stderr
    assert (r"\mathbf" if "subsample" in args else r"\cdot") in result.stdout
    (tmp_path / "doc.tex").write_text(result.stdout, encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert proc.returncode == 0, log[-2000:]
    assert "Missing character" not in log
    assert (tmp_path / "doc.pdf").stat().st_size > 0


# --- the limit and the options ------------------------------------------------------------


def test_a_matrix_over_the_limit_is_a_note_not_a_crash(run: Run) -> None:
    x = "; ".join(" ".join(["1"] * 8) for _ in range(8))
    result = run(
        "conv", "-i", x, "-k", "1 1; 1 1", "-p", "1", "-e", "--view", "matrix", "-f", "table"
    )
    assert result.exit_code == 0
    note = (
        "matrix view: C would be 81×100; it is shown up to 64 cells per side (try a smaller input)"
    )
    assert note in result.stdout
    assert "vec(x)" not in result.stdout
    as_json = run(
        "conv", "-i", x, "-k", "1 1; 1 1", "-p", "1", "-e", "--view", "matrix", "-f", "json"
    )
    assert json_out(as_json)["matrix"] is None
    assert f"note: {note}" in as_json.stderr.splitlines()


def test_the_limit_is_64_cells_per_side(run: Run) -> None:
    x8 = "; ".join(" ".join(["1"] * 8) for _ in range(8))  # 64 input cells: shown
    assert (
        json_out(run("conv", "-i", x8, "-k", "1", "-e", "--view", "matrix", "-f", "json"))[
            "matrix"
        ]["C"]
        == np.eye(64, dtype=int).tolist()
    )
    x9 = "1 " * 65  # 65 cells: refused
    out = run("conv", "-i", x9, "-k", "1", "-e", "--view", "matrix", "-f", "json")
    assert json_out(out)["matrix"] is None


def test_a_large_input_is_refused_before_c_is_built(run: Run) -> None:
    x = np.arange(400 * 400).reshape(400, 400) % 7
    text = "; ".join(" ".join(map(str, row)) for row in x.tolist())
    result = run(
        "conv", "-i", text, "-k", "1 1; 1 1", "--cell", "0,0", "--view", "matrix", "-f", "json"
    )
    assert json_out(result)["matrix"] is None
    assert "C would be 159201×160000" in result.stderr


def test_several_channels_are_refused_with_a_note(run: Run) -> None:
    result = run(
        "conv", "-i", "1 2; 3 4 | 5 6; 7 8", "-k", "1 | 1", "-e", "--view", "matrix", "-f", "table"
    )
    assert result.exit_code == 0
    assert (
        "matrix view: shown for one input and one output channel only (this has 2 in, 1 out)"
        in result.stdout
    )
    two_out = run(
        "transpose", "-i", "1 2;", "-k", "[[[[1]], [[2]]]]", "-e", "--view", "matrix", "-f", "table"
    )
    assert "(this has 1 in, 2 out)" in two_out.stdout


@pytest.mark.parametrize("view", ["matrix", "subsample", "cells"])
def test_conv_view_needs_an_explanation(run: Run, view: str) -> None:
    assert_error(run("conv", "-i", "1 2", "-k", "1", "--view", view), 2, "--view")


def test_conv_view_rejects_an_unknown_view(run: Run) -> None:
    assert_error(run("conv", "-i", "1 2", "-k", "1", "-e", "--view", "scatter"), 2, "--view")


def test_the_cells_view_is_the_default(run: Run) -> None:
    args = ["conv", "-i", inline(X), "-k", inline(K), "-e", "-f", "table"]
    assert run(*args).stdout == run(*args, "--view", "cells").stdout
    assert "out[0,0] = 1×1 + 2×(−1) + (−1)×2 + 3×0 = −3" in run(*args).stdout


# --- stride as subsampling ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    x=grid(6, 7),
    k=grid(2, 2),
    stride=st.tuples(st.integers(2, 3), st.integers(1, 3)),
    pad=st.integers(0, 2),
    dilation=st.integers(1, 2),
    bias=st.one_of(st.none(), small),
)
def test_the_lit_cells_of_the_stride_1_output_are_the_strided_output(
    x: list[list[int]],
    k: list[list[int]],
    stride: tuple[int, int],
    pad: int,
    dilation: int,
    bias: int | None,
) -> None:
    params = ConvParams.build(stride=stride, padding=pad, dilation=dilation)
    setup = prepare_conv(x, k, params=params, bias=bias)
    blocks = subsample_view(setup, run_conv(setup), Typeset(), "en")
    grids = [b for b in blocks if isinstance(b, M.Grids)]
    assert len(grids) == 1
    (full,) = grids[0].grids
    biases = None if bias is None else [bias]
    one = ref_conv2d(x, k, padding=pad, dilation=dilation, bias=biases)
    strided = ref_conv2d(x, k, stride=stride, padding=pad, dilation=dilation, bias=biases)
    assert full.values.tolist() == one
    lit = sorted(cell for cell, mark in full.marks.items() if mark == "current")
    rows, cols = len(strided), len(strided[0])
    assert len(lit) == rows * cols
    values = [full.values[r, c] for r, c in lit]
    assert values == flat(strided)


def test_subsample_view_table(run: Run) -> None:
    args = ["conv", "-i", "1 2 0 2 1; 1 0 3 -1 2; 2 2 2 0 1; 3 1 -2 0 0; 1 1 1 1 1"]
    result = run(*args, "-k", "0 1; -1 1", "-s", "2", "-e", "--view", "subsample", "-f", "table")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    start = lines.index("stride as subsampling")
    assert lines[start:] == [
        "stride as subsampling",
        "With stride 1 (the same padding and dilation) the output is 4×4. The stride-2 output "
        "is this grid subsampled: starting at [0,0], one row in 2 and one column in 2 are kept "
        "(the lit cells), which gives the 2×2 output.",
        "stride-1 output (4×4)",
        "╭───┬─────┬────┬──────┬───╮",
        "│   │   0 │  1 │    2 │ 3 │",
        "├───┼─────┼────┼──────┼───┤",
        "│ 0 │ [1] │  3 │ [−2] │ 4 │",
        "│ 1 │   0 │  3 │   −3 │ 3 │",
        "│ 2 │ [0] │ −1 │  [2] │ 1 │",
        "│ 3 │   1 │ −2 │    0 │ 0 │",
        "╰───┴─────┴────┴──────┴───╯",
    ]
    assert "arithmetic" not in lines


def test_subsample_view_in_chinese_and_at_stride_1(run: Run) -> None:
    args = ["conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 1; 1 1", "-e", "--view", "subsample"]
    zh = run(*args, "-s", "2", "--lang", "zh", "-f", "table").stdout
    assert "把步长看作下采样" in zh
    assert "每 2 行取一行、每 2 列取一列（高亮的格子），得到 1×1 的输出。" in zh
    assert "步长为 1 的输出 (2×2)" in zh
    one = run(*args, "-f", "table").stdout
    assert "stride 1: the output is already the stride-1 result; nothing is subsampled" in one


@pytest.mark.parametrize(
    ("command", "view", "counted"),
    [
        ("conv", "cells", True),
        ("conv", "matrix", False),
        ("conv", "subsample", False),
        ("transpose", "matrix", False),
        ("transpose", "direct", False),
        ("transpose", "scatter", True),
    ],
)
def test_only_a_view_with_arithmetic_counts_the_cells_explained(
    run: Run, command: str, view: str, counted: bool
) -> None:
    x = "; ".join(" ".join(str((r * 6 + c) % 5) for c in range(6)) for r in range(6))
    result = run(command, "-i", x, "-k", "1 2; 3 4", "-e", "--view", view, "-f", "table")
    assert result.exit_code == 0
    total = 25 if command == "conv" else 49
    note = f"explained 16 of {total} cells; pick others with --cell R,C or see them all with --all"
    assert (f"note: {note}" in result.stderr.splitlines()) is counted
    assert (note in result.stdout) is counted
