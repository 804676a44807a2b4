"""Issue 9's presentation defects, each pinned: the behaviour a new user reported, fixed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import Run, assert_error, inline

WIDE = inline([[(r * 7 + c) % 5 for c in range(200)] for r in range(3)])


def test_explain_on_an_output_wider_than_160_columns_shows_a_window(run: Run) -> None:
    result = run("explain", "-i", WIDE, "-k", "1 1", "--cell", "0,180")
    assert result.exit_code == 0, result.stderr
    assert "showing rows" in result.stdout
    assert "--format markdown" in result.stdout  # formats explain writes, not csv
    assert "--format csv" not in result.stdout
    # the window around the chosen cell: its column label is on screen
    assert re.search(r"│\s+180\s+│", result.stdout)


def test_pool_lesson_on_a_wide_input_does_not_crash(run: Run) -> None:
    result = run("explain", "--op", "pool", "-i", WIDE, "--window", "1", "--cell", "0,170")
    assert result.exit_code == 0, result.stderr
    assert "out[0,170]" in result.stdout


def test_explain_pool_stride_1_is_a_stride_of_1(run: Run) -> None:
    out = json.loads(run("explain", "--op", "pool", "-s", "1", "-f", "json").stdout)
    cells = [s["title"] for s in out["steps"] if s["kind"] == "cell"]
    assert len(cells) == 9  # 4×4 input, window 2, stride 1: 3×3 windows


def test_no_color_on_a_terminal_keeps_the_marks(run: Run) -> None:
    args = ("conv", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-p", "1", "--cell", "0,0", "-f", "table")
    text = run(*args, env={"NO_COLOR": "1", "TERM": "xterm-256color", "FORCE_COLOR": "1"}).stdout
    assert "0ₚ" in text
    assert "[1]" in text


def test_dilation_holes_are_marked_apart_from_padding(run: Run) -> None:
    text = run("dilate", "-k", "1 2; 3 4", "-d", "2", "-f", "table").stdout
    assert "0ₕ" in text
    assert "0ₚ" not in text


@pytest.mark.parametrize("command", [["conv", "-k", "1 1; 1 1"], ["pool", "--op", "avg"]])
def test_explained_latex_is_a_document_without_verbatim(run: Run, command: list[str]) -> None:
    text = run(*command, "-i", "1 2 3; 4 5 6", "-p", "1", "-e", "-f", "latex").stdout
    assert text.startswith("\\documentclass")
    assert "verbatim" not in text
    assert "−" not in text
    assert "ₚ" not in text
    # every matrix sits in math mode
    assert text.count("$\\begin{bmatrix}") == text.count("\\begin{bmatrix}") > 0
    assert text.count("\\end{bmatrix}$") == text.count("\\end{bmatrix}")
    if shutil.which("pdflatex"):
        _compiles(text)


def _compiles(text: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "doc.tex").write_text(text, encoding="utf-8")
        done = subprocess.run(
            ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
            cwd=folder,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:]


def test_pool_explain_markdown_has_one_line_per_window(run: Run) -> None:
    text = run("pool", "-i", "1 2; 3 4", "-k", "1", "-e", "-f", "markdown").stdout
    lines = [line for line in text.splitlines() if line.startswith("`out[")]
    assert len(lines) == 4


def test_pad_value_with_reflect_is_reported_against_pad_value(run: Run) -> None:
    result = run("conv", "-i", "1 2; 3 4", "-k", "1", "--padding-mode", "reflect",
                 "--pad-value", "3")  # fmt: skip
    assert_error(result, 2, "--pad-value")
    assert "--groups" not in result.stderr


def test_float_overflow_warns_and_json_stays_strict(run: Run) -> None:
    result = run("conv", "-i", "1e308 1e308", "-k", "1 1", "-f", "json")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: 1 output cell overflowed float64")
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(c))


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["explain", "--pool", "avg"], "--pool"),
        (["explain", "--ceil-mode"], "--ceil-mode"),
        (["explain", "--op", "pool", "--bias", "1"], "--bias"),
        (["explain", "--op", "pool", "--flip"], "--flip"),
        (["explain", "--output-padding", "1"], "--output-padding"),
        (["explain", "-i", "1 2; 3 4"], "--kernel"),
        (["explain", "--delay", "1"], "--delay"),
        (["pool", "-i", "1 2; 3 4", "--no-count-include-pad"], "--count-include-pad"),
        (["dilate", "-k", "1 2", "--bias", "1"], "--bias"),
        (["transpose", "-i", "1", "-k", "1", "--view", "matrix"], "--view"),
    ],
)
def test_options_that_do_not_apply_are_refused(run: Run, args: list[str], option: str) -> None:
    assert_error(run(*args), 2, option)


def test_help_lists_only_the_formats_a_command_writes(run: Run) -> None:
    explain_help = run("explain", "--help").stdout
    assert "csv" not in explain_help.split("--format")[1].split("\n")[0]
    assert_error(run("explain", "-f", "csv"), 2, "--format")
    assert_error(run("conv", "-i", "1", "-k", "1", "-f", "plain"), 2, "--format")
    assert "same or full" not in run("transpose", "--help").stdout


def test_cell_in_a_pipe_points_to_the_formats_that_show_it(run: Run) -> None:
    result = run("conv", "-i", "1 2; 3 4", "-k", "1", "--cell", "1,1")
    assert result.stdout == "1,2\n3,4\n"  # a pipe gets data: csv by default
    assert "--format table" in result.stderr
    table = run("conv", "-i", "1 2; 3 4", "-k", "1", "--cell", "1,1", "-f", "table").stdout
    assert "out[1,1] = 4×1 = 4" in table


def test_cell_in_a_pipe_writes_the_explanation_as_asked(run: Run) -> None:
    text = run("conv", "-i", "1 2; 3 4", "-k", "1", "--cell", "1,1", "-f", "markdown").stdout
    assert "`out[1,1] = 4×1 = 4`" in text


def test_a_large_table_shows_the_page_with_the_chosen_cell(run: Run) -> None:
    big = inline([[r + c for c in range(60)] for r in range(60)])
    text = run("conv", "-i", big, "-k", "1", "--cell", "50,55", "-f", "table").stdout
    assert re.search(r"│\s+55\s+│", text)
    assert "out[50,55] = 105×1 = 105" in text


def test_counted_nouns_and_the_pool_window_step(run: Run) -> None:
    text = run("explain", "-p", "1").stdout
    assert "(s)" not in text
    assert "1 row on top" in text
    pool = run("explain", "--op", "pool").stdout
    assert "Define the window" in pool
    assert "Define the kernel" not in pool


def test_the_locale_picks_chinese(run: Run) -> None:
    text = run("explain", "--step", "1", env={"LANG": "zh_CN.UTF-8"}).stdout
    assert "定义卷积核" in text
    text = run(
        "conv", "-i", "1 2; 3 4", "-k", "1", "-e", "-f", "table", env={"LANG": "zh_CN.UTF-8"}
    )
    assert "计算过程" in text.stdout


def test_chinese_uses_full_width_punctuation(run: Run) -> None:
    text = run("explain", "--lang", "zh").stdout
    assert "卷积：逐步讲解" in text
    assert not re.search(r"[\u4e00-\u9fff][:,(;]", text)


def test_precision_rounds_tables_and_leaves_csv_exact_unless_given(run: Run) -> None:
    args = ("conv", "-i", "0.1 0.2", "-k", "0.1 0.2")
    assert run(*args, "-f", "csv").stdout == "0.05000000000000001\n"
    assert run(*args, "-f", "csv", "--precision", "3").stdout == "0.05\n"
    table = run(*args, "-f", "table").stdout
    assert "0.05000000000000001" not in table
    assert "0.05" in table


def test_one_note_for_both_axes_and_quiet_silences_it(run: Run) -> None:
    args = ("conv", "-i", inline([[1] * 4] * 4), "-k", inline([[1] * 3] * 3), "-s", "2",
            "-p", "1", "-f", "csv")  # fmt: skip
    result = run(*args)
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("note: ")
    assert run(*args, "-q").stderr == ""


def test_missing_matrix_says_the_option_is_missing(run: Run) -> None:
    assert_error(run("conv", "-k", "1"), 2, "--input", "missing")


def test_step_out_of_range_names_the_lesson_length(run: Run) -> None:
    result = run("explain", "--step", "9")
    assert_error(result, 2, "--step", "this lesson has 7 steps")
    assert "--step 9" not in result.stderr  # the value is not repeated after its option


def test_shape_speaks_chinese_with_the_locale_or_lang(run: Run) -> None:
    args = ("shape", "-w", "6", "-k", "3", "-s", "2", "-f", "table")
    by_lang = run(*args, "--lang", "zh")
    by_locale = run(*args, env={"LANG": "zh_CN.UTF-8"})
    for result in (by_lang, by_locale):
        assert result.stdout.splitlines()[0] == "输入图像 6×6  卷积核 3×3"
        assert result.stdout.splitlines()[-1] == "输出 2×2"
        assert "填充后输入图像的第5行没有被读取" in result.stderr
    assert run(*args).stdout.startswith("input 6×6  kernel 3×3")


def test_every_phrase_exists_in_both_languages_and_fills_the_same_values() -> None:
    import string

    from convcli.phrases import EN, ZH

    assert set(EN) == set(ZH)
    grammar = {"verb", "cells"}  # English agreement that Chinese has no use for
    for key, text in EN.items():
        english = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        chinese = {f for _, f, _, _ in string.Formatter().parse(ZH[key]) if f}
        assert chinese <= english, key
        assert english - chinese <= grammar, key
