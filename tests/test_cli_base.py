"""The top level of the command line and the `kernels` command: help, completion, a full
stdout, and the preset list in every format (checked by independent readers)."""

from __future__ import annotations

import csv
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import ROOT, Run, assert_error, json_out

PYTHON = sys.executable
MAIN_COMMANDS = (
    "conv", "explain", "shape", "transpose", "dilate", "pool", "kernels", "net", "frameworks",
)  # fmt: skip


def convcli(
    *args: str, env: dict[str, str] | None = None, stdout: int | None = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    """A real ``convcli`` process (the console entry point, as a user runs it)."""
    return subprocess.run(
        [PYTHON, "-m", "convcli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def _section(help_text: str, title: str) -> list[str]:
    """The indented lines under ``title`` in Click's help, up to the next blank line."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    section = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        section.append(line)
    return section


# --- top-level help --------------------------------------------------------------------------


def test_top_level_help_shows_one_working_example_per_main_command(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    examples = [line.strip() for line in _section(result.stdout, "Examples:")]
    shown = [shlex.split(example)[1] for example in examples]
    assert sorted(shown) == sorted(MAIN_COMMANDS)
    for example in examples:
        args = shlex.split(example)
        assert args[0] == "convcli"
        outcome = run(*args[1:], "--format", "json")
        assert outcome.exit_code == 0, (example, outcome.stderr)
        assert json_out(outcome)["command"] == args[1]


SUMMARIES = {
    "conv": "Convolve an input with one or more kernels.",
    "transpose": "Transposed convolution (conv_transpose2d).",
    "dilate": "Dilate a kernel; with --input, convolve.",
    "explain": "Walk through a convolution step by step.",
    "kernels": "List the named kernel presets, or show one.",
    "pool": "Max, average or min pooling.",
    "shape": "Output size of a layer, formula written out.",
    "quiz": "Questions on convolution arithmetic, checked exactly.",
    "net": "Shapes, receptive field, params and multiply-adds of a network.",
    "frameworks": "The same layer in PyTorch, TensorFlow, JAX, ONNX, SciPy, OpenCV.",
    "figure": "Draw the sliding window as SVG, PNG or GIF.",
}


@pytest.mark.parametrize("columns", ["100", "40"])
def test_command_summaries_are_whole_at_any_width(run: Run, columns: str) -> None:
    result = run("--help", env={"COLUMNS": columns})
    assert result.exit_code == 0
    listing = _section(result.stdout, "Commands:")
    assert "..." not in "\n".join(listing)
    summaries: dict[str, str] = {}
    name = ""
    for line in listing:  # a narrow terminal wraps a summary onto indented lines
        first, *rest = line.split(maxsplit=1)
        if line.startswith("  ") and not line.startswith("   "):
            name = first
            summaries[name] = rest[0] if rest else ""
        else:
            summaries[name] += " " + line.strip()
    assert summaries == SUMMARIES


def test_completion_descriptions_are_whole() -> None:
    # zsh completion shows each command's summary; Click would cut it at 45 characters
    proc = convcli(env={"_CONVCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "convcli "})
    assert proc.returncode == 0, proc.stderr
    described = dict(re.findall(r'"([a-z]+)":"([^"]*)"', proc.stdout.decode()))
    assert described == SUMMARIES


# --- shell completion ------------------------------------------------------------------------


def test_completion_options_are_offered(run: Run) -> None:
    options = "\n".join(_section(run("--help").stdout, "Options:"))
    assert "--install-completion" in options
    assert "--show-completion" in options


def test_show_completion_prints_the_bash_script() -> None:
    # run under bash (the trailing `true` keeps bash as the parent) so the shell is detected
    proc = subprocess.run(
        ["bash", "-c", f"{shlex.quote(PYTHON)} -m convcli --show-completion; true"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.stderr == b""
    assert b"complete -o default -F _convcli_completion convcli" in proc.stdout


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("convcli sh", 1, ["shape"]),
        ("convcli kernels --fo", 2, ["--format"]),
        ("convcli kernels -f ", 3, ["table", "csv", "json", "markdown", "latex", "svg", "html"]),
    ],
)
def test_bash_completion_completes_commands_options_and_values(
    words: str, cword: int, expected: list[str]
) -> None:
    env = {"_CONVCLI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    proc = convcli(env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().split() == expected


# --- a full stdout ---------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["-V"], ["shape", "--help"], ["kernels", "-h"]],
    ids=" ".join,
)
def test_help_and_version_into_a_full_disk_are_one_error_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = convcli(*args, stdout=full.fileno())
    assert proc.returncode == 1
    assert proc.stderr.decode() == "Error: cannot write output: No space left on device\n"


# --- kernels: the list -----------------------------------------------------------------------

# Written out by hand from the preset table (the ones whose purpose has a comma, and one
# whose purpose has a × sign).
KNOWN_ROWS = [
    ("scharr-x", "3x3", "horizontal gradient, rotation-exact"),
    ("prewitt-y", "3x3", "vertical gradient, unweighted"),
    ("laplacian-4", "3x3", "second derivative, 4-neighbour"),
    ("gaussian:SIZE,SIGMA", "SIZExSIZE", "sampled Gaussian (floats, sums to 1)"),
    ("box-5", "5x5", "5×5 mean blur"),
]


def _listing(run: Run) -> list[tuple[str, str, str]]:
    """The preset list as the JSON output gives it (another writer: the reference here)."""
    listing = json_out(run("kernels", "-f", "json"))["kernels"]
    return [(k["name"], k["size"], k["purpose"]) for k in listing]


def test_kernel_list_in_a_pipe_is_csv_quoted(run: Run) -> None:
    out = run("kernels").stdout  # the runner's stdout is not a terminal: csv
    assert out == run("kernels", "-f", "csv").stdout
    assert out.startswith("name,size,purpose\n")
    assert 'scharr-x,3x3,"horizontal gradient, rotation-exact"\n' in out
    assert '"gaussian:SIZE,SIGMA",SIZExSIZE,"sampled Gaussian (floats, sums to 1)"\n' in out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == ["name", "size", "purpose"]
    assert all(len(row) == 3 for row in rows)
    for known in KNOWN_ROWS:
        assert list(known) in rows
    expected = [[n, s.replace("×", "x"), p] for n, s, p in _listing(run)]
    assert rows[1:] == expected


def test_kernel_list_in_markdown_is_a_pipe_table(run: Run) -> None:
    out = run("kernels", "-f", "markdown").stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    cells: list[str] = []
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            cells = []
        elif token.type == "inline":
            cells.append(token.content)
        elif token.type == "tr_close":
            rows.append(cells)
    assert rows[0] == ["name", "size", "purpose"]
    assert rows[1:] == [list(row) for row in _listing(run)]
    assert ["scharr-x", "3×3", "horizontal gradient, rotation-exact"] in rows


LATEX_HEAD = [
    r"\begin{tabular}{lll}",
    r"\hline",
    r"name & size & purpose \\",
    r"\hline",
    r"identity & 3$\times$3 & returns the input unchanged \\",
    r"box-3 & 3$\times$3 & 3$\times$3 mean blur \\",
]
LATEX_TAIL = [
    r"gaussian:SIZE,SIGMA & SIZE$\times$SIZE & sampled Gaussian (floats, sums to 1) \\",
    r"\hline",
    r"\end{tabular}",
]


def test_kernel_list_in_latex_is_a_tabular(run: Run) -> None:
    lines = run("kernels", "-f", "latex").stdout.splitlines()
    assert lines[:6] == LATEX_HEAD
    assert lines[-3:] == LATEX_TAIL
    assert r"scharr-x & 3$\times$3 & horizontal gradient, rotation-exact \\" in lines
    assert len(lines) == 4 + len(_listing(run)) + 2


def test_latex_text_escapes_every_special_character() -> None:
    from convcli.docs import tex_escape as latex_text

    assert latex_text("# $ % & ~ _ ^ \\ { } 3×3") == (
        r"\# \$ \% \& \textasciitilde{} \_ \textasciicircum{} \textbackslash{} \{ \} 3$\times$3"
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex here")
def test_latex_output_compiles(run: Run, tmp_path: Path) -> None:
    from convcli.listing import catalogue_latex

    specials = [("a_b#1", "2×2", "50% & $5 ~ ^ \\ {x}")]
    (tmp_path / "list.tex").write_text(run("kernels", "-f", "latex").stdout, encoding="utf-8")
    (tmp_path / "specials.tex").write_text(catalogue_latex(specials), encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n"
        "\\input{list.tex}\n\\input{specials.tex}\n\\end{document}\n",
        encoding="utf-8",
    )
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


# --- kernels: one kernel, and the formats offered -------------------------------------------


def test_one_kernel_in_markdown(run: Run) -> None:
    result = run("kernels", "gaussian-3", "-f", "markdown")
    assert result.exit_code == 0
    assert result.stdout == (
        "|     |    0 |   1 |    2 |\n"
        "| --: | ---: | --: | ---: |\n"
        "|   0 | 1/16 | 1/8 | 1/16 |\n"
        "|   1 |  1/8 | 1/4 |  1/8 |\n"
        "|   2 | 1/16 | 1/8 | 1/16 |\n"
    )


def test_one_kernel_in_latex(run: Run) -> None:
    result = run("kernels", "sobel-x", "-f", "latex")
    assert result.exit_code == 0
    assert result.stdout == (
        "\\begin{bmatrix}\n-1 & 0 & 1 \\\\\n-2 & 0 & 2 \\\\\n-1 & 0 & 1\n\\end{bmatrix}\n"
    )


@pytest.mark.parametrize("args", [["kernels"], ["kernels", "sobel-x"]])
def test_plain_is_refused_naming_the_format_option(run: Run, args: list[str]) -> None:
    assert_error(run(*args, "-f", "plain"), 2, "--format", "'plain'")


def test_kernels_help_lists_only_the_formats_it_writes(run: Run) -> None:
    out = run("kernels", "--help").stdout
    assert "<table|csv|json|markdown|latex|svg|html>" in out
    assert "plain" not in out
