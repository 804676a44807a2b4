"""`convcli shape`'s reported defects, each pinned: sizes, formats, notes, refusals, --target.

Expected values come from the reference formulas (tests/reference.py) or from the rules
written out here (PyTorch's ConvTranspose2d: one symmetric padding per axis, an output
padding below max(stride, dilation)), never from convcli's own code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Run, json_out
from tests.reference import ref_output_size

FORMATS = ["table", "plain", "csv", "json", "markdown", "latex", "svg", "html"]


def usage_error(result: Any, last_line: str) -> None:
    """Exit 2, nothing on stdout, and this exact last line on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip("\n").splitlines()[-1] == last_line, result.stderr


# --- 1. sizes: -h is help, -w takes one number, --size takes H,W --------------------------


@pytest.mark.parametrize("args", [["-w", "224", "-h", "160"], ["-h", "160", "-w", "224"]])
def test_a_value_after_h_is_a_usage_error_pointing_at_capital_h(run: Run, args: list[str]) -> None:
    usage_error(
        run("shape", *args, "-f", "plain"),
        "Error: -h is the help flag; give the height with -H/--height (-H 160)",
    )


def test_h_glued_to_its_value_is_a_usage_error_too(run: Run) -> None:
    usage_error(
        run("shape", "-w", "224", "-h160"),
        "Error: -h is the help flag; give the height with -H/--height (-H 160)",
    )


def test_h_alone_is_still_help(run: Run) -> None:
    for args in (["-h"], ["-w", "224", "-h"]):
        result = run("shape", *args)
        assert result.exit_code == 0
        assert result.stdout.startswith("Usage: convcli shape [OPTIONS]")


@pytest.mark.parametrize("option", ["-w", "--width", "-H", "--height"])
def test_a_pair_for_one_side_points_at_size(run: Run, option: str) -> None:
    name = "width" if option in ("-w", "--width") else "height"
    extra = [] if name == "width" else ["-w", "4"]
    hint = "'--width' / '-w'" if name == "width" else "'--height' / '-H'"
    usage_error(
        run("shape", option, "224,160", *extra),
        f"Error: Invalid value for {hint}: {name} takes one number; "
        "for two, use --size H,W or -H H -w W",
    )


@pytest.mark.parametrize(("option", "value"), [("--size", "160,224"), ("-n", "160,224")])
def test_size_is_height_then_width(run: Run, option: str, value: str) -> None:
    out = json_out(run("shape", option, value, "-k", "7", "-s", "2", "-p", "3", "-f", "json"))
    assert out["input"] == [160, 224]
    assert out["output"] == [ref_output_size(160, 7, 2, 3), ref_output_size(224, 7, 2, 3)]
    plain = run("shape", option, value, "-k", "7", "-s", "2", "-p", "3", "-f", "plain", "-q")
    assert plain.stdout == "80 112\n"


def test_size_with_one_number_is_a_square(run: Run) -> None:
    assert json_out(run("shape", "--size", "9", "-k", "3", "-f", "json"))["input"] == [9, 9]


@pytest.mark.parametrize("extra", [["-w", "4"], ["-H", "4"]])
def test_size_and_width_or_height_together_are_refused(run: Run, extra: list[str]) -> None:
    result = run("shape", "--size", "4,5", *extra)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "give the input size once: --size H,W or -H H -w W" in result.stderr


@pytest.mark.parametrize("args", [["-k", "3"], ["-H", "4"], ["-q"]])
def test_no_width_and_no_size_is_a_usage_error(run: Run, args: list[str]) -> None:
    usage_error(run("shape", *args), "Error: Missing option '--width' (or '--size H,W').")


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["--size", "0,4"], "Error: Invalid value for '--size' / '-n': "
         "size must be 1 or more, got 0"),
        (["--size", "1,2,3"], "Error: Invalid value for '--size' / '-n': "
         "size takes one number or an H,W pair, got 3 numbers"),
        (["-w", "0"], "Error: Invalid value for '--width' / '-w': width must be 1 or more, got 0"),
    ],
)  # fmt: skip
def test_malformed_sizes_are_usage_errors(run: Run, args: list[str], last: str) -> None:
    usage_error(run("shape", *args), last)


# --- 2. formats: LaTeX that compiles, markdown and LaTeX for --target ---------------------

LATEX_CONV = r"""\begin{align*}
\text{input} &= 7 \times 6, \quad \text{kernel } 3 \times 3 \\
\text{same padding (h):} \max((\left\lceil 7/2 \right\rceil - 1) \cdot 2 + 3 - 7, 0) &= 2 \to 1\text{ top}, 1\text{ bottom} \\
\text{same padding (w):} \max((\left\lceil 6/2 \right\rceil - 1) \cdot 2 + 3 - 6, 0) &= 1 \to 0\text{ left}, 1\text{ right} \\
h' &= \left\lfloor (h + 2p - d \cdot (k-1) - 1) / s \right\rfloor + 1 = \left\lfloor (7 + 2 - 2 - 1) / 2 \right\rfloor + 1 = 4 \\
w' &= \left\lfloor (w + p_1 + p_2 - d \cdot (k-1) - 1) / s \right\rfloor + 1 = \left\lfloor (6 + 0 + 1 - 2 - 1) / 2 \right\rfloor + 1 = 3 \\
\text{output} &= 4 \times 3
\end{align*}
"""  # noqa: E501  (one formula per line, as LaTeX reads it)

LATEX_TRANSPOSE = r"""\begin{align*}
\text{input} &= 3 \times 3, \quad \text{kernel } 3 \times 3 \\
h' &= (h - 1) \cdot s - p_1 - p_2 + d \cdot (k-1) + \mathrm{op} + 1 = (3 - 1) \cdot 2 - 1 - 1 + 1 \cdot (3-1) + 1 + 1 = 6 \\
w' &= (w - 1) \cdot s - p_1 - p_2 + d \cdot (k-1) + \mathrm{op} + 1 = (3 - 1) \cdot 2 - 1 - 1 + 1 \cdot (3-1) + 1 + 1 = 6 \\
\text{output} &= 6 \times 6
\end{align*}
"""  # noqa: E501

LATEX_POOL = r"""\begin{align*}
\text{input} &= 5 \times 5, \quad \text{window } 2 \times 2 \\
h' &= \left\lceil (h + 2p - k) / s \right\rceil + 1 = \left\lceil (5 + 2 \cdot 1 - 2) / 2 \right\rceil + 1 = 4 - 1 = 3 \text{(the last window would start in the right padding)} \\
w' &= \left\lceil (w + 2p - k) / s \right\rceil + 1 = \left\lceil (5 + 2 \cdot 1 - 2) / 2 \right\rceil + 1 = 4 - 1 = 3 \text{(the last window would start in the right padding)} \\
\text{output} &= 3 \times 3
\end{align*}
"""  # noqa: E501

LATEX_CASES = {
    "conv": (["-w", "6", "-H", "7", "-k", "3", "-s", "2", "-p", "same"], LATEX_CONV),
    "transpose": (
        ["-w", "3", "-k", "3", "-s", "2", "-p", "1", "--transpose", "--output-padding", "1"],
        LATEX_TRANSPOSE,
    ),
    "pool": (["-w", "5", "-k", "2", "-p", "1", "--pool", "--ceil-mode"], LATEX_POOL),
}


@pytest.mark.parametrize("case", sorted(LATEX_CASES))
def test_latex_is_an_align_block_of_math(run: Run, case: str) -> None:
    args, expected = LATEX_CASES[case]
    result = run("shape", *args, "-f", "latex")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    for unicode_sign in "⌊⌋⌈⌉−·₁₂→×":
        assert unicode_sign not in result.stdout


def test_pool_latex_output_size_is_pytorchs(run: Run) -> None:
    """The pool case above: 5 + 2·1 − 2 = 5, ⌈5/2⌉ + 1 = 4, but PyTorch drops the last
    window, which would start at padded column 6, in the right padding: (4 − 1)·2 ≥ 5 + 1."""
    args = ["-w", "5", "-k", "2", "-p", "1", "--pool", "--ceil-mode", "-f", "json"]
    assert json_out(run("shape", *args))["output"] == [3, 3]


TARGET_MARKDOWN = """\
| axis | target | padding before | padding after | output padding | PyTorch |
| --- | ---: | ---: | ---: | ---: | --- |
| height | 6 | 1 | 1 | 1 | yes |
| height | 6 | 0 | 1 | 0 | no |
| width | 6 | 1 | 1 | 1 | yes |
| width | 6 | 0 | 1 | 0 | no |

PyTorch: whether ConvTranspose2d takes the padding as it is (the same before and after).
Use: `--padding 1,1,1,1 --output-padding 1,1`
"""

TARGET_LATEX = r"""\begin{tabular}{lrrr}
axis & target & padding before & padding after \\
\hline
height & 16 & 2 & 2 \\
height & 16 & 1 & 2 \\
\hline
width & 8 & 2 & 2 \\
width & 8 & 1 & 2 \\
\end{tabular}
% use: --padding 2,2,2,2
"""


def test_target_markdown_is_a_table_of_solutions(run: Run) -> None:
    result = run("shape", "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6",
                 "-f", "markdown")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == TARGET_MARKDOWN


def test_target_markdown_for_a_convolution_names_the_input_range(run: Run) -> None:
    result = run("shape", "-w", "32", "-k", "5", "-s", "2", "--target", "16", "-f", "markdown")
    assert result.stdout.splitlines()[:4] == [
        "| axis | target | padding before | padding after |",
        "| --- | ---: | ---: | ---: |",
        "| height | 16 | 2 | 2 |",
        "| height | 16 | 1 | 2 |",
    ]
    # (31 + 4 − 5) // 2 + 1 = 16 and (32 + 4 − 5) // 2 + 1 = 16; 30 and 33 give 15 and 17
    assert "With 2,2, every input height from 31 to 32 gives 16." in result.stdout


def test_target_latex_is_a_tabular(run: Run) -> None:
    result = run("shape", "-H", "32", "-w", "16", "-k", "5", "-s", "2", "--target", "16,8",
                 "-f", "latex", "-q")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == TARGET_LATEX
    for before, after in ((2, 2), (1, 2)):
        assert ref_output_size(32, 5, 2, (before, after)) == 16
        assert ref_output_size(16, 5, 2, (before, after)) == 8


DOCUMENT = (
    "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n%s\n\\end{document}\n"
)


@pytest.mark.parametrize(
    "args",
    [
        LATEX_CASES["conv"][0],
        LATEX_CASES["transpose"][0],
        LATEX_CASES["pool"][0],
        ["-w", "32", "-k", "5", "-s", "2", "--target", "16"],
        ["-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6"],
        ["-w", "1000000000000", "-k", "3", "-s", "7", "-d", "2", "-p", "2,1,0,3"],
    ],
    ids=["conv", "transpose", "pool", "target", "transpose-target", "huge"],
)
def test_latex_compiles_in_a_document(run: Run, tmp_path: Path, args: list[str]) -> None:
    result = run("shape", *args, "-f", "latex", "-q")
    assert result.exit_code == 0, result.stderr
    fragment = result.stdout
    # the structure holds whether or not LaTeX is installed
    env = "tabular" if "--target" in args else "align*"
    assert fragment.startswith(f"\\begin{{{env}}}")
    assert f"\\end{{{env}}}\n" in fragment
    assert fragment.isascii()
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: the fragment was not compiled")
    (tmp_path / "doc.tex").write_text(DOCUMENT % fragment, encoding="ascii")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 0
    assert "Undefined control sequence" not in proc.stdout


# --- 3. notes go to stderr, in every format; -q silences them ------------------------------

NOTES = [
    "note: h: 3 / 2 is not whole (remainder 1): row 5 of the padded input is never read; "
    "w: 3 / 2 is not whole (remainder 1): column 5 of the padded input is never read",
]  # (6 + 0 − 3) = 3 = 1·2 + 1: the window starts at 0 and 2, reads rows 0–4, never row 5;
# one line for both axes (issue 9, defect 16)


def test_unread_rows_are_indexed_as_the_tables_index_the_padded_input(run: Run) -> None:
    # 4 + 2·1 − 3 = 3 = 1·2 + 1: padded rows −1…4 (as the lesson labels them); 4 is unread
    result = run("shape", "-w", "4", "-k", "3", "-s", "2", "-p", "1", "-f", "plain")
    assert "row 4 of the padded input" in result.stderr
    lesson = run("explain", "-p", "1", "-s", "2").stdout
    assert "│ −1 │" in lesson


@pytest.mark.parametrize("fmt", FORMATS)
def test_notes_go_to_stderr_in_every_format(run: Run, fmt: str) -> None:
    result = run("shape", "-w", "6", "-k", "3", "-s", "2", "-f", fmt)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == NOTES
    assert "note:" not in result.stdout
    assert "never read" not in result.stdout or fmt == "json"  # json keeps them as data


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("quiet", ["-q", "--quiet"])
def test_quiet_silences_the_notes(run: Run, fmt: str, quiet: str) -> None:
    loud = run("shape", "-w", "6", "-k", "3", "-s", "2", "-f", fmt)
    result = run("shape", "-w", "6", "-k", "3", "-s", "2", "-f", fmt, quiet)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == loud.stdout


def test_table_stdout_keeps_formulas_and_output_size(run: Run) -> None:
    result = run("shape", "-w", "6", "-k", "3", "-s", "2", "-f", "table")
    assert result.stdout.splitlines() == [
        "input 6×6  kernel 3×3",
        "h' = ⌊(h + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(6 + 0 − 2 − 1) / 2⌋ + 1 = 2",
        "w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(6 + 0 − 2 − 1) / 2⌋ + 1 = 2",
        "h, w: no padding, stride 2 (relationship 5): o = ⌊(i − k) / s⌋ + 1 = ⌊(6 − 3) / 2⌋ + 1 "
        "= 2; the remainder (i + 2p − k) mod s = 1 is padded input that no window reaches",
        "output 2×2",
    ]


def test_pooling_notes_go_to_stderr(run: Run) -> None:
    # 7 − 2 = 5 = 2·2 + 1: windows start at 0, 2, 4 and read columns 0–5; column 6 is not read
    result = run("shape", "-w", "7", "-H", "6", "-k", "2", "--pool", "-f", "plain")
    assert result.stdout == "3 3\n"
    assert result.stderr.splitlines() == [
        "note: w: 5 / 2 is not whole (remainder 1): column 6 of the padded input is never read"
    ]


def test_target_notes_the_unread_rows_of_the_recommended_padding(run: Run) -> None:
    # padding 2,2 on 32 with k 5, s 2: 32 + 4 − 5 = 31 = 15·2 + 1, so the last padded column
    # (index 33, the input's columns being 0–31 and the padding −2, −1, 32, 33) is never read
    result = run("shape", "-w", "32", "-H", "31", "-k", "5", "-s", "2", "--target", "16")
    assert result.stdout == "2 2 2 2\n"
    assert result.stderr.splitlines() == [
        "note: w: 31 / 2 is not whole (remainder 1): column 33 of the padded input is never read"
    ]


def test_notes_on_an_ascii_stderr_fall_back_to_ascii() -> None:
    import os
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "convcli", "shape", "-w", "12", "-k", "2", "-s", "4"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # 12 − 2 = 10 = 2·4 + 2: windows at 0, 4, 8 read columns 0–9; 10 and 11 are never read
    assert proc.stderr.decode("ascii").splitlines()[-1] == (
        "note: h: 10 / 4 is not whole (remainder 2): rows 10-11 of the padded input are never "
        "read; w: 10 / 4 is not whole (remainder 2): columns 10-11 of the padded input are "
        "never read"
    )


# --- 3. --target's JSON and PyTorch's ConvTranspose2d ---------------------------------------


def test_target_json_has_the_contract_keys(run: Run) -> None:
    out = json_out(run("shape", "-H", "32", "-w", "16", "-k", "5", "-s", "2", "--target", "16,8",
                       "-f", "json"))  # fmt: skip
    assert out["command"] == "shape"
    assert out["input"] == [32, 16]
    assert out["target"] == [16, 8]
    assert out["padding"] == [2, 2, 2, 2]
    assert out["output"] == [ref_output_size(32, 5, 2, 2), ref_output_size(16, 5, 2, 2)]
    assert out["output"] == [16, 8]
    assert out["solutions"]["height"]["paddings"] == [[2, 2], [1, 2]]
    assert "output_padding" not in out


def test_transposed_target_json_has_output_padding_and_pytorch_marks(run: Run) -> None:
    out = json_out(run("shape", "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6",
                       "-f", "json"))  # fmt: skip
    assert out["padding"] == [1, 1, 1, 1]
    assert out["output_padding"] == [1, 1]
    assert out["output"] == [ref_output_size(3, 3, 2, 1, 1, True, 1)] * 2 == [6, 6]
    for axis in ("height", "width"):
        sol = out["solutions"][axis]
        assert sol["paddings"] == [[1, 1], [0, 1]]
        assert sol["output_paddings"] == [1, 0]
        assert sol["pytorch"] == [True, False]


def test_transposed_target_with_no_symmetric_padding_says_so(run: Run) -> None:
    # (3 − 1)·1 − P + 2 + 0 + 1 = 4 needs P = 1: an odd total cannot be split evenly, and
    # stride 1 leaves no output padding to make it even
    result = run("shape", "-w", "3", "-k", "3", "--transpose", "--target", "4", "-f", "json")
    out = json_out(result)
    assert out["solutions"]["height"]["pytorch"] == [False]
    assert result.stderr.splitlines() == [
        f"note: {axis}: no padding listed is the same before and after, which PyTorch's "
        "ConvTranspose2d needs (crop the output by hand)"
        for axis in ("height", "width")
    ]
    assert run("shape", "-w", "3", "-k", "3", "--transpose", "--target", "4", "-q").stderr == ""


def test_transposed_target_table_marks_pytorch_paddings(run: Run) -> None:
    result = run("shape", "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6",
                 "-f", "table")  # fmt: skip
    assert result.stdout.splitlines() == [
        "height 6: padding before,after = 1,1 (output padding 1) [PyTorch], 0,1 (output padding 0)",
        "width 6: padding before,after = 1,1 (output padding 1) [PyTorch], 0,1 (output padding 0)",
        "[PyTorch]: ConvTranspose2d takes the padding as it is (the same before and after)",
        "use: --padding 1,1,1,1 --output-padding 1,1",
    ]


def pytorch_can_take(before: int, after: int, op: int, stride: int, dilation: int) -> bool:
    """nn.ConvTranspose2d(padding=p, output_padding=op): p on both sides, op < max(s, d)."""
    return before == after and 0 <= op < max(stride, dilation)


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 5),
    dilation=st.integers(1, 3),
    target=st.integers(1, 60),
)
def test_transposed_target_marks_and_recommends_what_pytorch_takes(
    run: Run, size: int, kernel: int, stride: int, dilation: int, target: int
) -> None:
    args = ["-w", str(size), "-k", str(kernel), "-s", str(stride), "-d", str(dilation)]
    result = run("shape", *args, "--transpose", "--target", str(target), "-f", "json", "-q")
    # brute force: every (total padding, output padding) PyTorch's formula accepts
    brute = {
        (p, op)
        for op in range(max(stride, dilation))
        for p in range(0, size * stride + dilation * kernel + 2)
        if (size - 1) * stride - p + dilation * (kernel - 1) + op + 1 == target
    }
    if not brute:
        assert result.exit_code == 1
        assert "no padding gives a height of" in result.stderr
        return
    out = json_out(result)
    sol = out["solutions"]["height"]
    listed = list(zip(sol["paddings"], sol["output_paddings"], sol["pytorch"], strict=True))
    for (before, after), op, mark in listed:
        assert (before + after, op) in brute
        assert mark is pytorch_can_take(before, after, op, stride, dilation)
    symmetric_exists = any(p % 2 == 0 for p, _ in brute)
    assert listed[0][2] is symmetric_exists
    (before, after), op, _ = listed[0]
    assert out["padding"][:2] == [before, after]
    assert out["output_padding"][0] == op
    assert out["output"][0] == target


# --- 4. options that do not apply are refused by name ---------------------------------------


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["--transpose", "--pool"], "Error: Invalid value for '--pool': a pooling layer has no "
         "transposed form; drop --transpose or --pool"),
        (["--ceil-mode"], "Error: Invalid value for '--ceil-mode': --ceil-mode applies only with "
         "--pool"),
        (["--transpose", "--ceil-mode"], "Error: Invalid value for '--ceil-mode': --ceil-mode "
         "applies only with --pool"),
        (["--output-padding", "1"], "Error: Invalid value for '--output-padding': "
         "--output-padding applies only with --transpose"),
        (["--pool", "--output-padding", "0"], "Error: Invalid value for '--output-padding': "
         "--output-padding applies only with --transpose"),
        (["--transpose", "-p", "same"], "Error: Invalid value for '--padding': a transposed "
         "convolution takes a number of padding cells, not 'same' or 'full'"),
        (["--transpose", "-p", "full"], "Error: Invalid value for '--padding': a transposed "
         "convolution takes a number of padding cells, not 'same' or 'full'"),
        (["--pool", "-p", "same"], "Error: Invalid value for '--padding': pooling padding is "
         "a number of cells (1, 2 or 4 numbers), not 'same'"),
        (["--target", "4", "-p", "1"], "Error: Invalid value for '--padding': --target solves "
         "for the padding; give one or the other"),
        (["--transpose", "--target", "4", "--output-padding", "1"], "Error: Invalid value for "
         "'--output-padding': --target solves for the output padding too; give one or the other"),
        (["--pool", "--target", "4"], "Error: Invalid value for '--target': --target solves a "
         "convolution's padding, not a pool's"),
        (["--target", "0"], "Error: Invalid value for '--target': target must be 1 or more, "
         "got 0"),
        (["--target", "4,-1"], "Error: Invalid value for '--target': target must be 1 or more, "
         "got -1"),
        (["-f", "pdf"], "Error: Invalid value for '--format' / '-f': 'pdf' is not one of "
         "'table', 'plain', 'csv', 'json', 'markdown', 'latex', 'svg', 'html'."),
    ],
)  # fmt: skip
def test_options_that_do_not_apply_are_refused(run: Run, args: list[str], last: str) -> None:
    usage_error(run("shape", "-w", "8", "-k", "2", *args), last)


def test_transpose_with_valid_padding_still_works(run: Run) -> None:
    out = json_out(run("shape", "-w", "3", "-k", "3", "-s", "2", "--transpose", "-p", "valid",
                       "-f", "json"))  # fmt: skip
    assert out["output"] == [ref_output_size(3, 3, 2, "valid", 1, True)] * 2 == [7, 7]


def test_impossible_target_keeps_its_message(run: Run) -> None:
    result = run("shape", "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "9")
    # with no padding: (3 − 1)·2 + 2 + op + 1 = 7 + op, at most 8 (op < 2)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: no padding gives a height of 9 from 3: even with no padding the output is smaller",
        "hint: use a larger stride or kernel",
    ]


# --- 5. --help offers exactly what shape takes ---------------------------------------------


def help_text(run: Run) -> str:
    result = run("shape", "--help")
    assert result.exit_code == 0
    return result.stdout


def test_help_lists_exactly_the_eight_formats(run: Run) -> None:
    choices = re.search(r"--format <([a-z|]+)>", help_text(run))
    assert choices is not None
    assert choices.group(1).split("|") == FORMATS


def test_every_format_the_help_lists_works(run: Run) -> None:
    for fmt in FORMATS:
        result = run("shape", "-w", "4", "-k", "3", "-f", fmt)
        assert result.exit_code == 0, (fmt, result.stderr)
        assert result.stdout


def test_padding_help_offers_no_word_to_transpose_or_pool(run: Run) -> None:
    text = " ".join(help_text(run).split())  # the help wraps at 80 columns
    line = text.split("--padding P", 1)[1].split("--stride", 1)[0]
    assert "with --transpose (cells cropped) N, H,W or TOP,BOTTOM,LEFT,RIGHT;" in line
    assert "with --pool N or H,W [default: 0]." in line
    # and each mode accepts what the help offers it
    for mode, values in (
        (["--transpose"], ["1", "1,0", "1,0,0,1"]),
        (["--pool", "-k", "2"], ["1", "1,0"]),
        ([], ["1", "1,0", "1,0,0,1", "valid", "same", "full"]),
    ):
        for value in values:
            result = run("shape", "-w", "8", *mode, "-p", value, "-f", "plain")
            assert result.exit_code == 0, (mode, value, result.stderr)


def test_json_on_stdout_parses_even_with_notes(run: Run) -> None:
    result = run("shape", "-w", "6", "-k", "3", "-s", "2", "-f", "json")
    out: dict[str, Any] = json.loads(result.stdout)
    assert out["exact"] is False
    assert [f"note: {n}" for n in out["notes"]] == NOTES
