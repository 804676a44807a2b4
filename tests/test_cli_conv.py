"""`convcli conv` end to end: the worked examples, every format, options and errors."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from tests.conftest import EXAMPLES, SAMPLES, Run, assert_error, inline, json_out

VALID = EXAMPLES["valid-4x4-k3"]
SAME = EXAMPLES["same-4x4-k3-p1"]
RGB = EXAMPLES["rgb-3x4x4-one-kernel"]


def conv_json(run: Run, *args: str) -> dict:
    return json_out(run("conv", *args, "--format", "json"))


def test_worked_example_valid_padding(run: Run) -> None:
    out = conv_json(run, "-i", inline(VALID["input"]), "-k", inline(VALID["kernel"]))
    assert out["output"] == VALID["output"]
    assert json.dumps(out["output"]) == json.dumps(VALID["output"])  # ints, never 8.0
    assert out["command"] == "conv"
    assert out["output_shape"] == [2, 2]
    assert out["input_shape"] == [4, 4]
    assert out["kernel_shape"] == [3, 3]
    assert out["stride"] == [1, 1]
    assert out["padding"] == [0, 0, 0, 0]
    assert out["dilation"] == [1, 1]
    assert out["groups"] == 1
    assert out["exact"] is True


def test_worked_example_same_padding(run: Run) -> None:
    out = conv_json(run, "-i", inline(SAME["input"]), "-k", inline(SAME["kernel"]), "-p", "1")
    assert out["output"] == SAME["output"]
    same = conv_json(run, "-i", inline(SAME["input"]), "-k", inline(SAME["kernel"]), "-p", "same")
    assert same["output"] == SAME["output"]
    assert same["padding"] == [1, 1, 1, 1]


def test_worked_example_rgb_with_bias(run: Run) -> None:
    out = conv_json(run, "-i", inline(RGB["input"]), "-k", inline(RGB["kernel"]), "-b", "1")
    assert out["output"] == RGB["output"]
    assert out["input_shape"] == [3, 4, 4]


def test_rgb_from_files_and_stacked_channels(run: Run) -> None:
    from_files = conv_json(
        run, "-i", str(SAMPLES / "rgb.csv"), "-k", str(SAMPLES / "rgb_kernel.csv"), "-b", "1"
    )
    assert from_files["output"] == RGB["output"]
    stacked = [
        "-i",
        inline(RGB["input"][0]),
        "-i",
        inline(RGB["input"][1]),
        "-i",
        inline(RGB["input"][2]),
    ]
    out = conv_json(run, *stacked, "-k", str(SAMPLES / "rgb_kernel.json"), "-b", "1")
    assert out["output"] == RGB["output"]


def test_explain_reproduces_the_notes_arithmetic(run: Run) -> None:
    result = run(
        "conv",
        "-i",
        str(SAMPLES / "input.csv"),
        "-k",
        str(SAMPLES / "kernel.csv"),
        "-e",
        "-f",
        "table",
    )
    assert result.exit_code == 0, result.stderr
    for cell, line in VALID["arithmetic"].items():
        assert f"out[{cell}] = {line}" in result.stdout


def test_explain_json_steps_match_the_notes(run: Run) -> None:
    out = conv_json(
        run, "-i", str(SAMPLES / "input.json"), "-k", str(SAMPLES / "kernel.json"), "-e"
    )
    steps = {tuple(s["cell"]): s for s in out["steps"]}
    assert set(steps) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    first = steps[(0, 0)]
    assert first["terms"] == [
        [1, 0],
        [2, 1],
        [0, -1],
        [1, -1],
        [0, 0],
        [3, 1],
        [2, 1],
        [2, 0],
        [2, 1],
    ]
    assert first["bias"] == 0  # SPEC §4: the number added, 0 without a bias
    assert sum(x * w for x, w in first["terms"]) + first["bias"] == first["value"]
    assert first["value"] == 8
    for step in out["steps"]:
        assert sum(x * w for x, w in step["terms"]) == step["value"]


def test_explain_multichannel_groups_sums_by_channel(run: Run) -> None:
    result = run(
        "conv",
        "-i",
        str(SAMPLES / "rgb.csv"),
        "-k",
        str(SAMPLES / "rgb_kernel.csv"),
        "-b",
        "1",
        "--cell",
        "0,0",
        "-f",
        "table",
    )
    assert result.exit_code == 0, result.stderr
    per_channel = [RGB["per_channel"][c][0][0] for c in range(3)]  # 3, 1, 4 in the notes
    text = result.stdout
    for c, _value in enumerate(per_channel):
        assert f"ch{c}: " in text
    assert f"= {' + '.join(map(str, per_channel))} + 1 (bias) = 9" in text


def test_padding_terms_are_marked(run: Run) -> None:
    result = run(
        "conv", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-p", "1", "--cell", "0,0", "-f", "table"
    )
    assert "out[0,0] = 0ₚ×1 + 0ₚ×1 + 0ₚ×1 + 1×1 = 1" in result.stdout
    assert "marks a padding cell" in result.stdout


def test_explain_limits_cells_on_a_terminal_and_all_shows_every_one(run: Run) -> None:
    big = "; ".join(" ".join(str(r * 10 + c) for c in range(10)) for r in range(10))
    limited = run("conv", "-i", big, "-k", "1", "-e", "-f", "table")
    assert limited.stdout.count("out[") == 16
    assert "explained 16 of 100 cells" in limited.stdout
    everything = run("conv", "-i", big, "-k", "1", "-e", "--all", "-f", "table")
    assert everything.stdout.count("out[") == 100


def test_cell_picks_and_highlights(run: Run) -> None:
    result = run(
        "conv",
        "-i",
        inline(VALID["input"]),
        "-k",
        inline(VALID["kernel"]),
        "--cell",
        "1,1",
        "-f",
        "table",
    )
    assert result.stdout.count("out[") == 1
    assert "out[1,1] = " in result.stdout
    color = run(
        "conv",
        "-i",
        inline(VALID["input"]),
        "-k",
        inline(VALID["kernel"]),
        "--cell",
        "1,1",
        "-f",
        "table",
        env={"NO_COLOR": "", "FORCE_COLOR": "1", "TERM": "xterm-256color"},
    )
    assert "\x1b[" in color.stdout  # the window and the cell are coloured


def test_cell_outside_output_is_an_error(run: Run) -> None:
    assert_error(run("conv", "-i", "1 2; 3 4", "-k", "1", "--cell", "5,0"), 1, "--cell 5,0", "2×2")
    assert_error(run("conv", "-i", "1 2; 3 4", "-k", "1", "--cell", "a,b"), 2, "--cell")


def test_csv_is_the_default_in_a_pipe(run: Run) -> None:
    result = run("conv", "-i", inline(VALID["input"]), "-k", inline(VALID["kernel"]))
    assert result.stdout == "8,-1\n-2,3\n"


def test_several_kernels_give_channels(run: Run) -> None:
    result = run(
        "conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 0", "-k", "0 0; 0 1", "-f", "csv"
    )
    assert result.stdout == "1,2\n4,5\n\n5,6\n8,9\n"
    out = conv_json(
        run, "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 0", "-k", "0 0; 0 1", "-b", "10,20"
    )
    assert out["output"] == [[[11, 12], [14, 15]], [[25, 26], [28, 29]]]


def test_markdown_and_latex(run: Run) -> None:
    md = run(
        "conv", "-i", inline(VALID["input"]), "-k", inline(VALID["kernel"]), "-f", "markdown"
    ).stdout
    assert "| 0 | 8 | -1 |" in re.sub(" +", " ", md)
    tex = run("conv", "-i", "1 2; 3 4", "-k", "1/2", "-f", "latex").stdout
    assert "\\begin{bmatrix}" in tex
    assert "\\frac{1}{2}" in tex
    assert "\\end{bmatrix}" in tex
    md_explained = run("conv", "-i", "1 2; 3 4", "-k", "1", "-e", "-f", "markdown").stdout
    assert "out[1,1] = 4×1 = 4" in md_explained


def test_fractions_stay_exact(run: Run) -> None:
    out = conv_json(run, "-i", "1 2; 3 4", "-k", "1/3 1/6")
    assert out["output"] == [["2/3"], ["5/3"]]  # 1/3 + 2/6, 3/3 + 4/6


def test_presets_and_flip(run: Run) -> None:
    image = np.arange(25).reshape(5, 5) % 7
    out = conv_json(run, "-i", inline(image.tolist()), "-k", "sobel-x", "--flip")
    expected = signal.convolve2d(image, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], mode="valid")
    assert out["output"] == expected.tolist()
    gauss = conv_json(run, "-i", inline(image.tolist()), "-k", "gaussian-3")
    g = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    expected_g = [
        [Fraction(int(v), 16) for v in row] for row in signal.correlate2d(image, g, mode="valid")
    ]
    assert [[Fraction(v) for v in row] for row in gauss["output"]] == expected_g


def test_unread_rows_warn_and_json_says_inexact(run: Run) -> None:
    result = run(
        "conv",
        "-i",
        inline(np.ones((6, 6), int).tolist()),
        "-k",
        "1 1 1; 1 1 1; 1 1 1",
        "-s",
        "2",
        "-f",
        "json",
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["exact"] is False
    assert "note:" in result.stderr  # one line for both axes (issue 9, defect 16)
    assert len(result.stderr.splitlines()) == 1
    assert "never read" in result.stderr


@settings(max_examples=40, deadline=None)
@given(
    image=st.lists(st.lists(st.integers(-9, 9), min_size=5, max_size=5), min_size=4, max_size=6),
    kernel=st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=1, max_size=3),
    mode=st.sampled_from(["valid", "full"]),
)
def test_cli_matches_scipy(run: Run, image: list, kernel: list, mode: str) -> None:
    out = conv_json(run, "-i", inline(image), "-k", inline(kernel), "-p", mode)
    assert (
        out["output"] == signal.correlate2d(np.array(image), np.array(kernel), mode=mode).tolist()
    )


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["-i", "1 2; 3", "-k", "1"], 1, "line 1"),
        (["-i", "1 2; 3 4", "-k", "1 2 3"], 1, "larger than the padded input"),
        (["-i", "1 2; 3 4", "-k", "1", "-s", "0"], 2, "--stride"),
        (["-i", "1 2; 3 4", "-k", "1", "-s", "a,b"], 2, "--stride"),
        (["-i", "1 2; 3 4", "-k", "1", "-p", "-1"], 2, "--padding"),
        (["-i", "1 2; 3 4", "-k", "1", "-p", "2,1,3"], 2, "--padding"),
        (["-i", "1 2; 3 4", "-k", "1", "-d", ","], 2, "--dilation"),
        (["-i", "1 2; 3 4", "-k", "1", "-g", "0"], 2, "groups"),
        (["-i", "1 2; 3 4", "-k", "1", "-b", "x"], 2, "--bias"),
        (["-i", "1 2; 3 4", "-k", "1", "-b", "1,2"], 1, "bias has 2 values"),
        (["-i", "1 2; 3 4", "-k", "1", "--padding-mode", "mirror"], 2, "--padding-mode"),
        (
            ["-i", "1 2; 3 4", "-k", "1", "-p", "2", "--padding-mode", "reflect"],
            1,
            "reflect padding",
        ),
        (["-i", "1 2 | 3 4", "-k", "1 2; 3 4"], 1, "channel"),
        (["-i", "1 2; 3 4 | 5 6; 7 8", "-k", "1", "-g", "2"], 1, "groups 2"),
        (["-i", "1 2; 3 4", "-k", "nosuchkernel"], 1, "unknown kernel name"),
        (["-i", "-", "-k", "-"], 2, "stdin"),
        (["-i", "1 2; 3 4"], 2, "--kernel"),
        (["-i", "1", "-k", "1", "-p", "1000000000"], 1, "limit"),
    ],
)
def test_bad_input_is_one_clean_error(run: Run, args: list[str], code: int, needle: str) -> None:
    assert_error(run("conv", *args), code, needle)
