"""`pool`'s dilation, one-sided padding, Lp pooling and indices on the command line, each
checked against a naive window loop written here (not the core's code)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tests.conftest import SAMPLES, Run, assert_error, inline, json_out

GRID = [[2, 5, 4, 4, -1], [2, 3, 9, 7, 6], [-2, 1, 0, 0, 3], [3, 4, 0, 8, -5]]
SIGNED = [[1, -2, 3], [-4, 5, -6], [7, -8, 9]]


def naive_pool(
    x: list[list[int]],
    k: tuple[int, int],
    s: tuple[int, int],
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    d: tuple[int, int] = (1, 1),
    op: str = "max",
    p: int | float = 2,
) -> tuple[list[list[Any]], list[list[int]]]:
    """Values and flat input indices, one window at a time; padding cells are skipped for
    max/min (they never win) and add nothing to an Lp sum."""
    top, bottom, left, right = pads
    height, width = len(x), len(x[0])
    out_h = (height + top + bottom - d[0] * (k[0] - 1) - 1) // s[0] + 1
    out_w = (width + left + right - d[1] * (k[1] - 1) - 1) // s[1] + 1
    values: list[list[Any]] = []
    indices: list[list[int]] = []
    for r in range(out_h):
        value_row, index_row = [], []
        for c in range(out_w):
            cells = []  # (value, flat index) of the window's input cells, row-major
            for i in range(k[0]):
                for j in range(k[1]):
                    a, b = r * s[0] - top + i * d[0], c * s[1] - left + j * d[1]
                    if 0 <= a < height and 0 <= b < width:
                        cells.append((x[a][b], a * width + b))
            if op == "lp":
                total = sum(abs(v) ** p for v, _ in cells)
                value_row.append(total if p == 1 else total ** (1 / p))
                index_row.append(-1)
                continue
            best = max(v for v, _ in cells) if op == "max" else min(v for v, _ in cells)
            value_row.append(best)
            index_row.append(next(i for v, i in cells if v == best))
        values.append(value_row)
        indices.append(index_row)
    return values, indices


def csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


# --- dilation and padding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "s", "d", "op"),
    [
        ((2, 2), (1, 1), (2, 2), "max"),
        ((2, 3), (1, 1), (2, 1), "min"),
        ((2, 2), (1, 2), (1, 2), "max"),
    ],
)
def test_dilation_matches_a_naive_window_loop(
    run: Run, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], op: str
) -> None:
    args = ["-k", f"{k[0]},{k[1]}", "-s", f"{s[0]},{s[1]}", "-d", f"{d[0]},{d[1]}"]
    out = json_out(run("pool", "-i", inline(GRID), "--op", op, *args, "-f", "json"))
    expected, _ = naive_pool(GRID, k, s, d=d, op=op)
    assert out["output"] == expected
    assert out["dilation"] == list(d)


def test_one_sided_padding_up_to_the_window_minus_one(run: Run) -> None:
    # a 3×3 window padded 2 on top and left only: beyond PyTorch's half-window limit,
    # within ONNX's window-minus-one
    pads = (2, 0, 0, 2)
    result = run("pool", "-i", inline(GRID), "-k", "3", "-s", "2", "-p", "2,0,0,2", "-f", "json")
    out = json_out(result)
    expected, _ = naive_pool(GRID, (3, 3), (2, 2), pads)
    assert out["output"] == expected
    assert out["padding"] == list(pads)
    csv = run("pool", "-i", inline(GRID), "-k", "3", "-s", "2", "-p", "2,0,0,2", "-f", "csv")
    assert csv_rows(csv.stdout) == [[str(v) for v in row] for row in expected]


def test_dilation_with_padding_and_the_summary_line(run: Run) -> None:
    args = ["-k", "2", "-s", "1", "-d", "2", "-p", "1,0,0,1", "--op", "min"]
    out = json_out(run("pool", "-i", inline(GRID), *args, "-f", "json"))
    expected, _ = naive_pool(GRID, (2, 2), (1, 1), (1, 0, 0, 1), (2, 2), "min")
    assert out["output"] == expected
    table = run("pool", "-i", inline(GRID), *args, "-f", "table").stdout
    assert "min pooling  input 4×5  window 2×2  stride 1  padding 1,0,0,1  dilation 2" in table


def test_no_dilation_keeps_the_summary_line(run: Run) -> None:
    table = run("pool", "-i", inline(GRID), "-k", "2", "-f", "table").stdout
    assert "max pooling  input 4×5  window 2×2  stride 2  padding 0\n" in table.replace(" │", "")
    assert "dilation" not in table


# --- Lp pooling ------------------------------------------------------------------------------


def test_lp_with_p_1_is_the_exact_sum_of_magnitudes(run: Run) -> None:
    args = ["--op", "lp", "--norm-type", "1", "-k", "2", "-s", "1", "-p", "0,1,1,0"]
    out = json_out(run("pool", "-i", inline(SIGNED), *args, "-f", "json"))
    expected, _ = naive_pool(SIGNED, (2, 2), (1, 1), (0, 1, 1, 0), op="lp", p=1)
    assert out["output"] == expected
    assert all(isinstance(v, int) for row in out["output"] for v in row)
    assert out["norm_type"] == 1
    assert out["op"] == "lp"


def test_lp_with_p_1_of_fractions_stays_exact(run: Run) -> None:
    out = json_out(
        run("pool", "-i", "1/2 -1/3; 1/4 -1/6", "--op", "lp", "--norm-type", "1", "-f", "json")
    )
    assert out["output"] == [
        [str(Fraction(1, 2) + Fraction(1, 3) + Fraction(1, 4) + Fraction(1, 6))]
    ]


@pytest.mark.parametrize("p", [2, 3, 2.5])
def test_lp_is_the_norm_of_each_window(run: Run, p: float) -> None:
    # odd P on negative inputs: the norm of |x|, where PyTorch's lp_pool would raise x itself
    args = ["--op", "lp", "--norm-type", str(p), "-k", "2", "-s", "1", "-d", "2,1"]
    out = json_out(run("pool", "-i", inline(SIGNED), *args, "-f", "json"))
    expected, _ = naive_pool(SIGNED, (2, 2), (1, 1), d=(2, 1), op="lp", p=p)
    assert len(out["output"]) == len(expected)
    for got, want in zip(out["output"], expected, strict=True):
        assert got == pytest.approx(want, rel=1e-12)
    assert out["norm_type"] == p


def test_lp_default_norm_is_2(run: Run) -> None:
    out = json_out(run("pool", "-i", "3 -4; 0 0", "--op", "lp", "-f", "json"))
    assert out["output"] == [[5.0]]
    assert out["norm_type"] == 2


def test_lp_explanation_writes_the_norm(run: Run) -> None:
    args = ["--op", "lp", "-k", "2", "-p", "0,1,0,0", "-e", "-f", "table"]
    text = run("pool", "-i", "3 -4; 0 0", *args).stdout
    assert "L2 pooling  input 2×2  window 2×2  stride 2  padding 0,1,0,0" in text
    assert "out[0,0] = (|3|^2 + |−4|^2 + |0|^2 + |0|^2)^(1/2) = 5" in text
    text = run(
        "pool", "-i", "3 -4; 0 0", "--op", "lp", "--norm-type", "1", "-e", "-f", "table"
    ).stdout
    assert "L1 pooling" in text
    assert "out[0,0] = |3| + |−4| + |0| + |0| = 7" in text


def test_lp_explanation_marks_padding(run: Run) -> None:
    args = ["--op", "lp", "-k", "2", "-p", "1,0,0,0", "-s", "1", "--cell", "0,0", "-f", "table"]
    text = run("pool", "-i", "3 -4; 1 0", *args).stdout
    assert "out[0,0] = (0ₚ + 0ₚ + |3|^2 + |−4|^2)^(1/2) = 5" in text


# --- indices ---------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["max", "min"])
def test_indices_in_json(run: Run, op: str) -> None:
    # ties (the 4s, the 0s) pick the first cell of the window in row-major order
    args = ["--op", op, "-k", "2", "-s", "1", "-d", "1,2", "-p", "1,0,0,1", "--indices"]
    out = json_out(run("pool", "-i", inline(GRID), *args, "-f", "json"))
    values, indices = naive_pool(GRID, (2, 2), (1, 1), (1, 0, 0, 1), (1, 2), op)
    assert out["output"] == values
    assert out["indices"] == indices


def test_indices_replace_the_values_in_csv(run: Run) -> None:
    args = ["-k", "2", "-s", "1", "-d", "2", "--indices"]
    result = run("pool", "-i", str(SAMPLES / "pool.csv"), *args, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    grid = [[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]]
    _, indices = naive_pool(grid, (2, 2), (1, 1), d=(2, 2))
    assert result.stdout == "2,1\n6,15\n"
    assert csv_rows(result.stdout) == [[str(i) for i in row] for row in indices]


def test_indices_grid_in_the_table(run: Run) -> None:
    text = run("pool", "-i", "1 9; 7 3", "-k", "2", "--indices", "-f", "table").stdout
    assert "indices (1×1)" in text
    assert "│ 0 │ 1 │" in text  # the 9 sits at flat index 1


def test_no_indices_key_without_the_option(run: Run) -> None:
    out = json_out(run("pool", "-i", "1 9; 7 3", "-k", "2", "-f", "json"))
    assert "indices" not in out
    assert "norm_type" not in out
    assert out["dilation"] == [1, 1]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--norm-type", "2"], "--norm-type"),
        (["--op", "max", "--norm-type", "3"], "--norm-type"),
        (["--op", "avg", "--norm-type", "1"], "--norm-type"),
        (["--op", "lp", "--norm-type", "0"], "--norm-type"),
        (["--op", "lp", "--norm-type", "-2"], "--norm-type"),
        (["--op", "lp", "--norm-type", "inf"], "--norm-type"),
        (["--op", "avg", "--indices"], "--indices"),
        (["--op", "lp", "--indices"], "--indices"),
        (["-d", "0"], "--dilation"),
        (["-d", "1,2,3"], "--dilation"),
    ],
)
def test_refusals_are_usage_errors_naming_the_option(
    run: Run, args: list[str], option: str
) -> None:
    assert_error(run("pool", "-i", inline(GRID), *args), 2, option)


def test_padding_of_the_window_or_more_is_a_data_error(run: Run) -> None:
    result = run("pool", "-i", inline(GRID), "-k", "2", "-p", "2,0,0,0")
    assert_error(result, 1, "window minus one (1)")


def test_a_window_of_only_padding_is_a_data_error(run: Run) -> None:
    # two rows padded by one on each side, dilation 3: the only window's taps are rows -1
    # and 2, both padding
    result = run("pool", "-i", "1 2; 3 4", "-k", "2,1", "-d", "3,1", "-p", "1,1,0,0")
    assert_error(result, 1, "reads only padding")


def test_lp_help_says_how_it_differs_from_pytorch(run: Run) -> None:
    text = " ".join(run("pool", "--help").stdout.split())
    assert "lp_pool" in text
    assert "odd P" in text
