"""`convcli explain`: the lesson on the notes' example (golden text, both languages), its
steps for every operation, the single-step and animated modes, and the documents."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, SAMPLES, Run, assert_error

GOLDEN = Path(__file__).parent / "golden"
VALID = EXAMPLES["valid-4x4-k3"]
RGB = EXAMPLES["rgb-3x4x4-one-kernel"]


def lesson(run: Run, *args: str) -> str:
    result = run("explain", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def step_titles(text: str) -> list[str]:
    return re.findall(r"(?:Step \d+ of \d+|第\d+步（共\d+步）) · ([^─]*?) ─", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_builtin_lesson_matches_the_golden_text(run: Run, lang: str) -> None:
    text = lesson(run, "--lang", lang)
    golden = GOLDEN / f"explain_{lang}.txt"
    if os.environ.get("CONVCLI_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_builtin_lesson_has_the_notes_four_cell_expansions(run: Run, lang: str) -> None:
    text = lesson(run, "--lang", lang)
    for cell, line in VALID["arithmetic"].items():
        assert f"out[{cell}] = {line}" in text
    titles = step_titles(text)
    assert len(titles) == 7  # kernel, align, four cells, result
    if lang == "zh":
        for term in ("卷积核", "输入图像", "特征图", "VALID", "计算过程"):
            assert term in text


def test_steps_of_a_padded_strided_lesson(run: Run) -> None:
    text = lesson(run, "-p", "1", "-s", "2")
    assert len(step_titles(text)) == 2 + 4 + 1  # (4 + 2 − 3)/2 + 1 = 2 per axis
    assert "padding cells are shown dim" in text
    assert "h' = ⌊(h + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(4 + 2 − 2 − 1) / 2⌋ + 1 = 2" in text
    assert "Stride 2: the kernel moves 2 cells at a time" in text
    assert "2th" not in text  # issue 9, defect 13
    assert "(s)" not in text
    assert "0ₚ×" in text  # padding terms in the corner cell


def test_steps_of_a_multichannel_lesson_reproduce_the_rgb_example(run: Run) -> None:
    text = lesson(
        run, "-i", str(SAMPLES / "rgb.csv"), "-k", str(SAMPLES / "rgb_kernel.csv"), "-b", "1"
    )
    assert len(step_titles(text)) == 2 + 4 + 1
    per_channel = [RGB["per_channel"][c][0][0] for c in range(3)]
    assert f"= {' + '.join(map(str, per_channel))} + 1 (bias) = 9" in text
    assert text.count("input channel") >= 3


def test_steps_of_a_transposed_lesson(run: Run) -> None:
    text = lesson(run, "--op", "transpose", "-s", "2")
    titles = step_titles(text)
    # kernel, align, 4 scatters, the direct view, 16 of its 25 cells, result
    assert len(titles) == 2 + 4 + 1 + 16 + 1
    assert sum(t.startswith("Scatter") for t in titles) == 4
    assert sum(t.startswith("As a convolution: out[") for t in titles) == 16
    assert "The same thing as an ordinary convolution" in titles


def test_transposed_direct_steps_equal_conv_on_the_printed_stretched_input(run: Run) -> None:
    """Issue 10: each direct-view step's value is the naive convolution of the stretched
    input and rotated kernel it prints, at that cell (and the transposed oracle's value)."""
    from tests.reference import ref_conv2d, ref_conv_transpose2d

    x, k = [[1, -2], [3, 4]], [[1, 0, -1], [2, 1, 0], [0, 1, 1]]
    args = ["--op", "transpose", "-s", "2", "-p", "1", "--output-padding", "1", "--all"]
    out = json.loads(
        run("explain", "-i", "1 -2; 3 4", "-k", "1 0 -1; 2 1 0; 0 1 1", *args, "-f", "json").stdout
    )
    expected = ref_conv_transpose2d(x, k, stride=2, padding=1, output_padding=1)
    steps = [s for s in out["steps"] if s["kind"] == "direct_cell"]
    assert len(steps) == len(expected) * len(expected[0])
    for step in steps:
        stretched, kernel = step["grids"][0]["values"], step["grids"][1]["values"]
        direct = ref_conv2d(stretched, kernel)
        r, c = map(int, re.findall(r"out\[(\d+),(\d+)\]", step["title"])[0])
        value = int(step["lines"][1].rsplit("= ", 1)[1].replace("−", "-"))
        assert value == direct[r][c] == expected[r][c]


def test_steps_of_pool_and_dilate_lessons(run: Run) -> None:
    pool = lesson(run, "--op", "pool", "--pool", "avg")
    assert len(step_titles(pool)) == 2 + 4 + 1
    assert "out[1,0] = (2 + 1 + 3 + 4)/4 = 5/2" in pool
    dilate = lesson(run, "--op", "dilate")
    assert "dilated kernel" in dilate
    assert "Dilation 2: the taps are spread 2 cells apart" in dilate


def test_one_step_and_its_number(run: Run) -> None:
    text = lesson(run, "--step", "3")
    assert step_titles(text) == ["Multiply and add: out[0,0]"]
    assert "Step 3 of 7" in text
    assert_error(run("explain", "--step", "9"), 2, "7 steps")


def test_many_cells_are_capped_with_a_note(run: Run) -> None:
    big = "; ".join(" ".join(str((r * 7 + c) % 5) for c in range(8)) for r in range(8))
    text = lesson(run, "-i", big, "-k", "1 0; 0 1")
    assert len(step_titles(text)) == 2 + 16 + 1
    assert "33 more cells" in text
    assert len(step_titles(lesson(run, "-i", big, "-k", "1 0; 0 1", "--all"))) == 2 + 49 + 1


def test_markdown_document(run: Run) -> None:
    md = lesson(run, "--format", "markdown")
    assert md.startswith("# Convolution, step by step\n")
    assert len(re.findall(r"^## Step \d of 7 · ", md, re.MULTILINE)) == 7
    for cell, line in VALID["arithmetic"].items():
        assert f"`out[{cell}] = {line}`" in md
    for table in re.findall(r"(?:^\|.*\|\n)+", md, re.MULTILINE):
        widths = {row.count("|") for row in table.strip().splitlines()}
        assert len(widths) == 1  # every row of a table has the same number of cells
    assert "| 0 | **1** | **2** | **0** | 2 |" in md  # the window in bold


def latex_ok(tex: str) -> None:
    assert tex.startswith("\\documentclass{article}")
    assert tex.rstrip().endswith("\\end{document}")
    for env in ("bmatrix", "align*", "document"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\\end{{{env}}}")
    assert tex.count("{") == tex.count("}")
    assert "\\left\\lfloor" in tex
    assert "\\times" in tex


def test_latex_document(run: Run, tmp_path: Path) -> None:
    tex = lesson(run, "--format", "latex", "-p", "1", "-b", "1/2")
    latex_ok(tex)
    assert "\\frac{1}{2}" in tex
    latex_ok(lesson(run, "--format", "latex", "--lang", "zh"))
    engine = shutil.which("pdflatex")
    if engine:  # compile too where a TeX engine is installed
        (tmp_path / "lesson.tex").write_text(tex, encoding="utf-8")
        proc = subprocess.run(
            [engine, "-interaction=nonstopmode", "-halt-on-error", "lesson.tex"],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-2000:]


def test_json_lesson(run: Run) -> None:
    data = json.loads(lesson(run, "--format", "json"))
    assert data["command"] == "explain"
    assert [s["kind"] for s in data["steps"]] == [
        "kernel",
        "align",
        "cell",
        "cell",
        "cell",
        "cell",
        "result",
    ]
    assert data["steps"][2]["grids"][-1]["values"] == [[8, -1], [-2, 3]]


def test_csv_is_not_a_lesson_format(run: Run) -> None:
    assert_error(run("explain", "--format", "csv"), 2, "--format")


def test_animate_off_a_terminal_prints_every_panel_plainly(run: Run) -> None:
    text = lesson(run, "--animate", "--delay", "0")
    assert "\x1b[" not in text
    assert len(step_titles(text)) == 7
    assert lesson(run, "--animate") == text  # no delay: still every step, at once


def _run_in_pty(args: list[str], interrupt_after: float | None = None) -> tuple[int, str]:
    """Run convcli with a terminal as stdout (stdin is no terminal: the steps move on a
    timer); optionally send Ctrl-C."""
    import select
    import signal
    import time

    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "convcli", *args],
        stdout=secondary,
        stderr=secondary,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    os.close(secondary)
    chunks, start = [], time.monotonic()
    sent = False
    while True:
        if interrupt_after is not None and not sent and time.monotonic() - start > interrupt_after:
            proc.send_signal(signal.SIGINT)
            sent = True
        ready, _, _ = select.select([primary], [], [], 0.1)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(primary)
    return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")


ALT_SCREEN, NORMAL_SCREEN, SHOW_CURSOR = "\x1b[?1049h", "\x1b[?1049l", "\x1b[?25h"


def test_animate_on_a_terminal_plays_in_place() -> None:
    code, screen = _run_in_pty(["explain", "--animate", "--delay", "0.05"])
    assert code == 0
    played, left = screen.split(ALT_SCREEN, 1)[1].split(NORMAL_SCREEN, 1)
    assert re.findall(r"Step (\d) of 7", played) == list("1234567")
    assert left.startswith(SHOW_CURSOR)
    assert re.findall(r"Step \d of 7", left) == ["Step 7 of 7"]  # the last step stays, once


def test_ctrl_c_stops_the_animation_cleanly() -> None:
    code, screen = _run_in_pty(["explain", "--animate", "--delay", "5"], interrupt_after=2.0)
    assert code == 130
    assert "Traceback" not in screen
    assert screen.count(ALT_SCREEN) == screen.count(NORMAL_SCREEN) == 1
    left = screen.split(NORMAL_SCREEN, 1)[1]
    assert left.startswith(SHOW_CURSOR)  # the cursor is given back
    assert re.findall(r"Step \d of 7", left) == ["Step 1 of 7"]  # one frame, no doubled border
