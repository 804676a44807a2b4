"""`transpose`, `dilate`, `pool` and `kernels` on the command line, and the explanations'
arithmetic checked against independent oracles."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcli.core import (
    conv2d,
    conv_matrix,
    prepare_conv,
    prepare_pool,
    prepare_transpose,
    run_conv,
    run_pool,
    run_transpose,
    transpose_as_direct,
)
from convcli.errors import ConvError
from convcli.params import ConvParams
from convcli.trace import all_cells, trace_conv, trace_pool, trace_transpose
from tests.conftest import EXAMPLES, SAMPLES, Run, assert_error, inline, json_out
from tests.reference import RefInvalid, ref_conv2d, ref_conv_transpose2d, ref_pool2d

POOL = EXAMPLES["pool-4x4-k2-s2"]
small = st.integers(-4, 4)


def matrix(h: int, w: int) -> st.SearchStrategy[list[list[int]]]:
    return st.lists(st.lists(small, min_size=w, max_size=w), min_size=h, max_size=h)


# --- transpose ---------------------------------------------------------------------------


def test_transpose_matches_the_naive_scatter(run: Run) -> None:
    x, k = [[1, 2], [3, 4]], [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    out = json_out(
        run(
            "transpose",
            "-i",
            inline(x),
            "-k",
            inline(k),
            "-s",
            "2",
            "-p",
            "1",
            "--output-padding",
            "1",
            "-f",
            "json",
        )
    )
    assert out["output"] == ref_conv_transpose2d(x, k, stride=2, padding=1, output_padding=1)
    assert out["command"] == "transpose"
    assert out["output_shape"] == [4, 4]
    assert out["output_padding"] == [1, 1]


def test_transpose_explain_views(run: Run) -> None:
    args = ["transpose", "-i", "1 2; 3 4", "-k", "1 2; 3 4", "-s", "2", "--explain", "-f", "table"]
    text = run(*args).stdout
    assert "scatter view" in text
    assert "x[1,1] = 4: 4·kernel added at rows 2…3, columns 2…3" in text
    assert "direct view" in text
    assert "stretched input" in text
    assert "matrix view" in text
    only_matrix = run(*args, "--view", "matrix").stdout
    assert "scatter view" not in only_matrix
    assert "matrix view" in only_matrix
    steps = json_out(run(*args[:-2], "-f", "json"))["steps"]
    for step in steps:
        assert sum(x * w for x, w in step["terms"]) == step["value"]


def test_transpose_errors(run: Run) -> None:
    assert_error(
        run("transpose", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "--output-padding", "1"),
        1,
        "output padding 1",
    )
    assert_error(
        run("transpose", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-p", "same"), 2, "transposed"
    )
    assert_error(run("transpose", "-i", "1 2 | 3 4", "-k", "1 1; 1 1"), 1, "C_in")


@settings(max_examples=80, deadline=None)
@given(
    x=matrix(3, 3),
    k=matrix(2, 3),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 2),
    pad=st.integers(0, 1),
    data=st.data(),
)
def test_transpose_views_agree(
    x: list, k: list, stride: int, dilation: int, pad: int, data: st.DataObject
) -> None:
    """scatter = direct = Cᵀ·x = the naive oracle, and the trace sums to every cell."""
    op = data.draw(st.integers(0, max(stride, dilation) - 1))
    params = ConvParams.build(stride=stride, padding=pad, dilation=dilation)
    setup = prepare_transpose(x, k, params=params, output_padding=op)  # always valid here
    expected = np.array(
        ref_conv_transpose2d(x, k, stride=stride, padding=pad, output_padding=op, dilation=dilation)
    )
    assert (run_transpose(setup) == expected).all()
    stretched, kernel, _ = transpose_as_direct(setup)
    assert (conv2d(stretched, kernel, dilation=dilation) == expected).all()
    c = conv_matrix(setup)
    assert (c.T @ np.array(x).reshape(-1) == expected.reshape(-1)).all()
    for trace in trace_transpose(setup, run_transpose(setup), all_cells(expected.shape)):
        assert sum(t.x * t.w for t in trace.terms) == trace.value == expected[trace.cell]


# --- conv traces --------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    x=st.lists(matrix(4, 5), min_size=2, max_size=2),
    k=matrix(2, 2),
    stride=st.integers(1, 2),
    pad=st.integers(0, 2),
    dilation=st.integers(1, 2),
    pad_value=small,
    bias=small,
)
def test_conv_trace_sums_to_the_reference(
    x: list, k: list, stride: int, pad: int, dilation: int, pad_value: int, bias: int
) -> None:
    kernel = [k, k]  # one kernel over two channels
    params = ConvParams.build(stride=stride, padding=pad, dilation=dilation, pad_value=pad_value)
    try:
        setup = prepare_conv(x, kernel, params=params, bias=bias)
    except ConvError:
        assume(False)
    expected = ref_conv2d(
        x, kernel, stride=stride, padding=pad, dilation=dilation, pad_value=pad_value, bias=bias
    )
    output = run_conv(setup)
    assert output.tolist() == expected
    for trace in trace_conv(setup, output, all_cells(output.shape)):
        assert sum(t.x * t.w for t in trace.terms) + bias == trace.value
        assert {t.channel for t in trace.terms} == {0, 1}
        for term in trace.terms:
            if term.source is None:
                assert term.x == pad_value
            else:
                assert term.x == x[term.channel][term.source[0]][term.source[1]]


# --- dilate -------------------------------------------------------------------------------


def test_dilate_shows_holes_and_effective_size(run: Run) -> None:
    out = json_out(run("dilate", "-k", "1 2; 3 4", "-d", "3,2", "-f", "json"))
    assert out["kernel"] == [[1, 0, 2], [0, 0, 0], [0, 0, 0], [3, 0, 4]]
    assert out["effective_size"] == [4, 3]
    assert out["receptive_field"] == [4, 3]
    table = run("dilate", "-k", "1 2; 3 4", "-d", "2", "-f", "table").stdout
    assert "dilated kernel" in table
    assert "0ₕ" in table  # holes marked apart from padding without colour
    assert "height 2·(2−1)+1 = 3" in table
    assert run("dilate", "-k", "1 2; 3 4", "-d", "2").stdout == "1,0,2\n0,0,0\n3,0,4\n"


@settings(max_examples=30, deadline=None)
@given(x=matrix(7, 7), k=matrix(2, 3), d=st.integers(1, 3))
def test_dilated_conv_equals_conv_with_the_dilated_kernel(
    run: Run, x: list, k: list, d: int
) -> None:
    out = json_out(run("dilate", "-k", inline(k), "-d", str(d), "-i", inline(x), "-f", "json"))
    assert out["output"] == ref_conv2d(x, k, dilation=d)
    dilated = np.zeros((d * 1 + 1, d * 2 + 1), dtype=int)
    dilated[::d, ::d] = k
    assert out["kernel"] == dilated.tolist()
    assert out["output"] == ref_conv2d(x, dilated.tolist())


def test_dilate_explain_terms_read_the_right_cells(run: Run) -> None:
    x = [[r * 10 + c for c in range(5)] for r in range(5)]
    out = json_out(
        run("dilate", "-k", "1 1; 1 1", "-d", "2", "-i", inline(x), "--cell", "1,2", "-f", "json")
    )
    (step,) = out["steps"]
    assert [t[0] for t in step["terms"]] == [x[1][2], x[1][4], x[3][2], x[3][4]]


# --- pool ---------------------------------------------------------------------------------


def test_pool_worked_example(run: Run) -> None:
    for op in ("max", "avg"):
        out = json_out(
            run(
                "pool",
                "-i",
                str(SAMPLES / "pool.csv"),
                "--op",
                op,
                "-k",
                "2",
                "-s",
                "2",
                "-f",
                "json",
            )
        )
        assert out["output"] == POOL[op]
        assert out["command"] == "pool"
        assert out["output_shape"] == [2, 2]


def test_pool_explain(run: Run) -> None:
    text = run("pool", "-i", inline(POOL["input"]), "--op", "avg", "-e", "-f", "table").stdout
    assert "out[0,0] = (2 + 5 + 2 + 3)/4 = 3" in text
    assert "out[1,0] = (2 + 1 + 3 + 4)/4 = 5/2" in text
    text = run("pool", "-i", inline(POOL["input"]), "--op", "max", "-e", "-f", "table").stdout
    assert "out[0,0] = max(2, 5, 2, 3) = 5" in text
    steps = json_out(run("pool", "-i", inline(POOL["input"]), "--op", "min", "-e", "-f", "json"))[
        "steps"
    ]
    assert steps[0] == {"cell": [0, 0], "window": [2, 5, 2, 3], "divisor": 4, "value": 2}


@settings(max_examples=120, deadline=None)
@given(
    x=st.lists(st.lists(st.integers(-9, 9), min_size=5, max_size=5), min_size=4, max_size=6),
    window=st.integers(1, 3),
    stride=st.integers(1, 3),
    data=st.data(),
    op=st.sampled_from(["max", "avg", "min"]),
    ceil_mode=st.booleans(),
    include=st.booleans(),
)
def test_pool_and_its_trace_match_the_reference(
    x: list, window: int, stride: int, data: st.DataObject, op: str, ceil_mode: bool, include: bool
) -> None:
    pad = data.draw(st.integers(0, window // 2))
    try:
        expected = ref_pool2d(
            x,
            window,
            stride=stride,
            padding=pad,
            op=op,
            ceil_mode=ceil_mode,
            count_include_pad=include,
        )
    except RefInvalid:
        assume(False)
    setup = prepare_pool(
        x, window, stride=stride, padding=pad, op=op, ceil_mode=ceil_mode, count_include_pad=include
    )
    for trace in trace_pool(setup, run_pool(setup), all_cells(setup.output_shape)):
        values = [v for v in trace.values if v is not None]
        if op == "avg":
            assert Fraction(sum(values), trace.divisor) == trace.value
        else:
            assert (max if op == "max" else min)(values) == trace.value
        assert trace.value == expected[trace.cell[0]][trace.cell[1]]


def test_pool_errors(run: Run) -> None:
    assert_error(run("pool", "-i", "1 2; 3 4", "-k", "3"), 1, "larger than the padded input")
    assert_error(run("pool", "-i", "1 2; 3 4", "-k", "2", "-p", "2"), 1, "half the window")
    assert_error(run("pool", "-i", "1 2; 3 4", "--op", "median"), 2, "--op")
    assert_error(run("pool", "-i", "1 2; 3 4", "-k", "0"), 2, "--window")


# --- kernels ------------------------------------------------------------------------------

TEXTBOOK = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "scharr-x": [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
    "scharr-y": [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "laplacian-4": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "laplacian-8": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "gaussian-3": [["1/16", "1/8", "1/16"], ["1/8", "1/4", "1/8"], ["1/16", "1/8", "1/16"]],
    "box-3": [["1/9"] * 3] * 3,
    "box-2": [["1/4"] * 2] * 2,
}


@pytest.mark.parametrize(("name", "values"), TEXTBOOK.items())
def test_kernel_presets_are_the_textbook_ones(run: Run, name: str, values: list) -> None:
    assert json_out(run("kernels", name, "-f", "json"))["kernel"] == values


def test_gaussian_5_and_sampled_gaussian(run: Run) -> None:
    g5 = json_out(run("kernels", "gaussian-5", "-f", "json"))["kernel"]
    row = [1, 4, 6, 4, 1]
    assert [[Fraction(v) for v in r] for r in g5] == [
        [Fraction(a * b, 256) for b in row] for a in row
    ]
    sampled = np.array(json_out(run("kernels", "gaussian:5,1.5", "-f", "json"))["kernel"])
    assert sampled.sum() == pytest.approx(1.0)
    assert sampled[2, 2] == sampled.max()
    assert sampled[0, 1] == pytest.approx(sampled[0, 1] / sampled[2, 2] * sampled[2, 2])


def test_kernel_list_and_errors(run: Run) -> None:
    listing = run("kernels").stdout
    assert "sobel-x,3x3," in listing
    names = {k["name"] for k in json_out(run("kernels", "-f", "json"))["kernels"]}
    assert {"gaussian-5", "laplacian-8", "box-N"} <= names
    assert_error(run("kernels", "sobelx"), 1, "sobel-x")
    assert_error(run("kernels", "box-0"), 1, "size")
    latex = run("kernels", "gaussian-3", "-f", "latex").stdout
    assert "\\frac{1}{16}" in latex


def test_kernel_names_work_as_kernels(run: Run) -> None:
    out = json_out(run("conv", "-i", inline([[1, 2, 3]] * 3), "-k", "box-3", "-f", "json"))
    assert out["output"] == [[2]]
    assert json.dumps(out["output"]) == "[[2]]"
