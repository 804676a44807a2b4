"""`convcli shape`: the formula, the formats, the inverse problem and its errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, Run, assert_error
from tests.reference import ref_output_size

EXAMPLE = EXAMPLES["shape-formula"]["shape"]


def shape_json(run: Run, *args: str) -> dict:
    result = run("shape", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_worked_example(run: Run) -> None:
    s = EXAMPLE
    out = shape_json(
        run,
        "-w",
        str(s["width"]),
        "-H",
        str(s["height"]),
        "-k",
        str(s["kernel_size"]),
        "-p",
        str(s["padding"]),
        "-s",
        str(s["stride"]),
    )
    assert out["output"] == EXAMPLES["shape-formula"]["output_size"]
    assert out["command"] == "shape"
    assert out["input"] == [4, 4]
    assert out["padding"] == [1, 1, 1, 1]
    assert out["exact"] is True


def test_plain_is_the_pipe_default_and_table_shows_the_formula(run: Run) -> None:
    assert run("shape", "-w", "4", "-k", "3", "-p", "1", "-s", "1").stdout == "4 4\n"
    table = run("shape", "-w", "4", "-k", "3", "-p", "1", "-s", "1", "-f", "table").stdout
    assert "w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(4 + 2 − 2 − 1) / 1⌋ + 1 = 4" in table
    assert run("shape", "-w", "4", "-k", "3", "-f", "csv").stdout == "height,width\n2,2\n"


def test_height_defaults_to_width_and_pairs_work(run: Run) -> None:
    out = shape_json(run, "-w", "10", "-H", "7", "-k", "3,1", "-s", "2,1", "-d", "2,1")
    assert out["output"] == [ref_output_size(7, 3, 2, 0, 2), ref_output_size(10, 1, 1, 0, 1)]


def test_inexact_division_names_the_unread_rows(run: Run) -> None:
    out = shape_json(run, "-w", "6", "-k", "3", "-s", "2")
    assert out["exact"] is False
    assert any("row 5 of the padded input" in n for n in out["notes"])


def test_same_shows_the_split(run: Run) -> None:
    out = shape_json(run, "-w", "6", "-k", "4", "-s", "1", "-p", "same")
    assert out["padding"] == [1, 2, 1, 2]
    assert out["output"] == [6, 6]
    assert "→ 1 top, 2 bottom" in " ".join(out["formulas"])


def test_huge_sizes_are_exact(run: Run) -> None:
    out = shape_json(run, "-w", str(10**12), "-k", "3", "-s", "7", "-p", "same")
    assert out["output"] == [-(-(10**12) // 7)] * 2


def test_transposed_and_pooled(run: Run) -> None:
    t = shape_json(
        run, "-w", "3", "-k", "3", "-s", "2", "-p", "1", "--transpose", "--output-padding", "1"
    )
    assert t["output"] == [6, 6]
    p = shape_json(run, "-w", "7", "-k", "2", "--pool", "--ceil-mode")
    assert p["output"] == [4, 4]
    p_floor = shape_json(run, "-w", "7", "-k", "2", "--pool")
    assert p_floor["output"] == [3, 3]


def test_target_solves_for_padding(run: Run) -> None:
    out = shape_json(run, "-w", "32", "-k", "5", "-s", "2", "--target", "16")
    for axis in ("height", "width"):
        paddings = out["solutions"][axis]["paddings"]
        assert paddings[0] == [2, 2]
        for before, after in paddings:
            assert ref_output_size(32, 5, 2, (before, after), 1) == 16
        assert out["solutions"][axis]["inputs"] == [31, 32]
    plain = run("shape", "-w", "32", "-k", "5", "-s", "2", "--target", "16", "-f", "plain")
    assert plain.stdout == "2 2 2 2\n"


def test_target_for_transposed(run: Run) -> None:
    out = shape_json(run, "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6")
    sol = out["solutions"]["height"]
    for (before, after), op in zip(sol["paddings"], sol["output_paddings"], strict=True):
        assert (3 - 1) * 2 - before - after + 2 + op + 1 == 6


def test_target_impossible_says_so(run: Run) -> None:
    assert_error(run("shape", "-w", "32", "-k", "3", "--target", "8"), 1, "no padding gives")


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 60),
    kernel=st.integers(1, 9),
    stride=st.integers(1, 5),
    dilation=st.integers(1, 3),
    target=st.integers(1, 40),
)
def test_every_target_solution_is_right(
    size: int, kernel: int, stride: int, dilation: int, target: int
) -> None:
    from convcli.shape import solve_conv_padding

    solution = solve_conv_padding(size, kernel, stride, dilation, target)
    for before, after in solution.paddings:
        assert ref_output_size(size, kernel, stride, (before, after), dilation) == target
    brute = [
        p
        for p in range(0, 3 * (size + kernel * dilation + stride * target))
        if (size + p - dilation * (kernel - 1) - 1) >= 0
        and ref_output_size(size, kernel, stride, (p // 2, p - p // 2), dilation) == target
    ]
    assert sorted(sum(p) for p in solution.paddings) == brute


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["-w", "4", "-k", "9"], 1, "larger than the padded input"),
        (["-w", "0", "-k", "3"], 2, "1 or more"),
        (["-w", "4", "-k", "3", "-s", "0"], 2, "--stride"),
        (["-w", "4", "-k", "3", "-p", "-1"], 2, "--padding"),
        (["-w", "4", "-k", "3", "-p", "a,b"], 2, "--padding"),
        (["-w", "4", "-k", "3", "--transpose", "--output-padding", "1"], 1, "output padding 1"),
        (["-w", "4", "-k", "3", "--transpose", "-p", "same"], 2, "transposed"),
        (["-w", "4", "-k", "2", "--pool", "-p", "2"], 1, "half the window"),
        (["-w", "4"], 0, ""),
        (["-k", "3"], 2, "--width"),
    ],
)
def test_errors(run: Run, args: list[str], code: int, needle: str) -> None:
    result = run("shape", *args)
    if code == 0:
        assert result.exit_code == 0
        return
    assert_error(result, code, needle)
