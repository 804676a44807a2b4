"""Issue 9: inline syntax in files and stdin, full-width characters, a file that shadows a
preset, non-finite floats in JSON, plurals and hints. Expected values are written out by
hand (the oracle), never computed by convcli."""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convcli import conv2d, conv_transpose2d
from convcli import matrix_io as mio
from convcli.errors import ConvError, ParameterError
from convcli.matrix_io import fast as mio_fast
from convcli.numbers import count_nonfinite, json_number, parse_number
from tests.conftest import Run


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in an empty directory, so that file labels are short and exact."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def put(directory: Path, name: str, text: str) -> str:
    (directory / name).write_bytes(text.encode("utf-8"))
    return name


def stdin(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def failure(result: Any, code: int = 1) -> list[str]:
    """The stderr lines of a failed run, after checking the exit code and an empty stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines: list[str] = result.stderr.splitlines()
    return lines


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and -Infinity (which are not JSON)."""

    def refuse(constant: str) -> None:
        msg = f"not JSON: {constant}"
        raise ValueError(msg)

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------- 1. inline syntax in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 2; 3 4\n", [[1, 2], [3, 4]]),
        ("1 2; 3 4", [[1, 2], [3, 4]]),
        ("1, 2; 3, 4\n", [[1, 2], [3, 4]]),
        ("1 2 0; -1 3/4 2;\n", [[1, 2, 0], [-1, Fraction(3, 4), 2]]),
        ("1 2; 3 4\n5 6; 7 8\n", [[1, 2], [3, 4], [5, 6], [7, 8]]),
        ("1 2 | 3 4\n", [[[1, 2]], [[3, 4]]]),
        ("1 2; 3 4 | 5 6; 7 8\n", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
        ("1,2 | 3,4\n", [[[1, 2]], [[3, 4]]]),
        ("1 2; 3 4  # a comment; with | in it\n", [[1, 2], [3, 4]]),
        ("1\t2; 3\t4\n", [[1, 2], [3, 4]]),
    ],
)
@pytest.mark.parametrize("name", ["m.txt", "m.csv", "m.tsv", "-"])
def test_text_files_and_stdin_accept_the_inline_syntax(
    here: Path, name: str, text: str, expected: list[Any]
) -> None:
    if name == "-":
        array = mio.load_matrix("-", stdin=stdin(text))
    else:
        array = mio.load_matrix(put(here, name, text))
    assert array.tolist() == expected
    assert array.dtype == (object if "/" in text else np.int64)


def test_inline_syntax_in_a_file_reads_like_the_same_text_inline(here: Path) -> None:
    for text in ("1 2; 3 4 | 5 6; 7 8", "1, 2; 3, 4", "0.5 1; 2 3e2", "1 2\n3 4 | 5 6\n7 8"):
        from_file = mio.load_matrix(put(here, "m.txt", text))
        assert from_file.tolist() == mio.load_matrix(text).tolist()


def test_a_blank_line_still_separates_channels_in_inline_syntax(here: Path) -> None:
    path = put(here, "m.txt", "1 2; 3 4\n\n5 6; 7 8\n\n")
    assert mio.load_matrix(path).tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    # a '|' and a blank line together make one break, not an empty channel
    path = put(here, "m.txt", "1 2; 3 4 |\n\n5 6; 7 8\n")
    assert mio.load_matrix(path).tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1;2\n3;4\n", [[1, 2], [3, 4]]),  # a semicolon CSV stays one
        ("1 ; 2\n3 ;4\n", [[1, 2], [3, 4]]),
        ("1;2;3\n", [[1, 2, 3]]),
        ("1;2\n|\n3;4\n", [[[1, 2]], [[3, 4]]]),  # a line of '|' alone separates channels
    ],
)
def test_semicolon_between_single_values_is_still_a_delimiter(
    here: Path, text: str, expected: list[Any]
) -> None:
    assert mio.load_matrix(put(here, "m.csv", text)).tolist() == expected


def test_the_fast_path_keeps_ordinary_csv_and_leaves_inline_syntax_alone() -> None:
    fast = mio_fast._parse_fast("1,2\n3,4\n")
    assert fast is not None
    assert fast.tolist() == [[1, 2], [3, 4]]
    for text in ("1 2; 3 4\n", "1,2;3,4\n", "1 2 | 3 4\n", "1, 2; 3, 4\n"):
        assert mio_fast._parse_fast(text) is None, text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1 2; 3\n", "line 1, column 7: row 2 has 1 value, row 1 has 2"),
        ("1 2; 3 4\n5 6; 7 x\n", "line 2, column 8: 'x' is not a number"),
        ("1 2 |\n| 3 4\n", "line 1, column 5: channel 2 is empty (after a '|')"),
        ("1 2; 3 4 | 5 6\n", "line 1, column 12: channel 2 is 1×2, channel 1 is 2×2; "),
        ("1, 2;, 3\n", "line 1, column 6: empty field 1 (nothing before the first ',')"),
        # a decimal comma is never read: 1,5;2,5 is no inline matrix
        ("1,5;2,5\n", "line 1, column 3: '5;2' is not a number"),
    ],
)
def test_inline_syntax_errors_name_line_and_column(
    run: Run, here: Path, text: str, line: str
) -> None:
    put(here, "m.txt", text)
    lines = failure(run("conv", "-i", "m.txt", "-k", "1"))
    assert lines[0].startswith(f"Error: --input 'm.txt': {line}"), lines
    assert len(lines) == 1 or lines[1].startswith("hint: ")
    piped = failure(run("conv", "-i", "-", "-k", "1", input=text))
    assert piped[0].startswith(f"Error: --input <stdin>: {line}"), piped


def test_inline_syntax_on_stdin_through_the_command(run: Run) -> None:
    result = run("conv", "-i", "-", "-k", "1 0; 0 1", "-f", "csv", input="1 2 0; 1 0 3; 4 4 4\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1,5\n5,4\n"  # 1+0, 2+3; 1+4, 0+4
    assert result.stderr == ""


# --------------------------------------------------------------- 2. full-width characters


FULL_WIDTH = [
    ("1\uff0c2", 2, "full-width comma '\uff0c' (U+FF0C); use ','"),
    ("1\uff1b2", 2, "full-width semicolon '\uff1b' (U+FF1B); use ';'"),
    ("1\u30002", 2, "ideographic space (U+3000); use a space"),
    ("1 \uff0d2", 3, "full-width hyphen-minus '\uff0d' (U+FF0D); use '-'"),
    ("1 \uff12", 3, "full-width digit two '\uff12' (U+FF12); use '2'"),
    ("1 2\uff0e5", 4, "full-width full stop '\uff0e' (U+FF0E); use '.'"),
    ("1 1\uff0f2", 4, "full-width solidus '\uff0f' (U+FF0F); use '/'"),
    ("1 2 \uff5c 3 4", 5, "full-width vertical line '\uff5c' (U+FF5C); use '|'"),
    ("1\u30012", 2, "ideographic comma '\u3001' (U+3001); use ','"),
]


@pytest.mark.parametrize(("text", "column", "problem"), FULL_WIDTH)
def test_full_width_characters_are_named_in_files_stdin_and_inline(
    run: Run, here: Path, text: str, column: int, problem: str
) -> None:
    put(here, "m.csv", f"0 0 0 0 0\n{text}\n")
    assert failure(run("conv", "-i", "m.csv", "-k", "1")) == [
        f"Error: --input 'm.csv': line 2, column {column}: {problem}"
    ]
    assert failure(run("conv", "-i", "-", "-k", "1", input=f"{text}\n")) == [
        f"Error: --input <stdin>: line 1, column {column}: {problem}"
    ]
    assert failure(run("conv", "-i", text, "-k", "1")) == [
        f"Error: --input (inline): line 1, column {column}: {problem}"
    ]


def test_full_width_characters_in_comments_are_fine(here: Path) -> None:
    path = put(here, "m.csv", "# \u8bf4\u660e\uff0c\u4e00\u3000\u4e8c\n1,2  # \uff11\uff0c\uff12\n")
    assert mio.load_matrix(path).tolist() == [[1, 2]]


def test_full_width_characters_in_json_are_named(run: Run) -> None:
    assert failure(run("conv", "-i", "[[1\uff0c 2]]", "-k", "1")) == [
        "Error: --input (inline): line 1, column 4: full-width comma '\uff0c' (U+FF0C); use ','"
    ]
    assert failure(run("conv", "-i", '[["\uff0d1"]]', "-k", "1")) == [
        "Error: --input (inline): [0][0]: '\uff0d1' has a full-width hyphen-minus "
        "'\uff0d' (U+FF0D); use '-'"
    ]


def test_the_full_width_minus_is_no_longer_read_silently() -> None:
    with pytest.raises(ValueError, match=r"full-width hyphen-minus .*U\+FF0D"):
        parse_number("\uff0d1")
    assert parse_number("\u22121") == -1  # the Unicode minus sign still is one


# --------------------------------------------------------------- 3. a file shadows a preset


SHADOW_NOTE = "--kernel sobel-x: read the file ./sobel-x, not the preset of that name"


def test_a_file_named_like_a_preset_is_used_and_a_note_says_so(here: Path) -> None:
    put(here, "sobel-x", "1 2\n3 4\n")
    notes: list[str] = []
    kernel = mio.load_matrix("sobel-x", option="--kernel", notes=notes)
    assert kernel.tolist() == [[1, 2], [3, 4]]
    assert notes == [SHADOW_NOTE]
    # without a list nothing is collected, and nothing is printed
    assert mio.load_matrix("sobel-x", option="--kernel").tolist() == [[1, 2], [3, 4]]


def test_load_stack_collects_the_notes_of_every_source_once(here: Path) -> None:
    put(here, "sobel-x", "1 2 3\n4 5 6\n7 8 9\n")
    put(here, "box-3", "0 0 0\n0 1 0\n0 0 0\n")
    notes: list[str] = []
    kernels = mio.load_stack(["sobel-x", "box-3", "sobel-x"], option="--kernel", notes=notes)
    assert kernels.shape == (3, 1, 3, 3)
    assert notes == [
        SHADOW_NOTE,
        "--kernel box-3: read the file ./box-3, not the preset of that name",
    ]


@pytest.mark.parametrize(
    ("files", "source", "option"),
    [
        ([], "sobel-x", "--kernel"),  # the preset itself
        (["mykernel"], "mykernel", "--kernel"),  # a file, but no preset has its name
        (["sobel-x"], "./sobel-x", "--kernel"),  # a path that is plainly a file
        (["sobel-x"], "sobel-x", "--input"),  # presets are for --kernel only
    ],
)
def test_no_note_without_a_shadowed_preset(
    here: Path, files: list[str], source: str, option: str
) -> None:
    for name in files:
        put(here, name, "1 2\n3 4\n")
    notes: list[str] = []
    mio.load_stack([source], option=option, notes=notes)
    assert notes == []


def test_the_command_uses_the_file_not_the_preset(run: Run, here: Path) -> None:
    put(here, "sobel-x", "0 0 0\n0 1 0\n0 0 0\n")  # the identity, unlike the preset
    result = run("conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "sobel-x", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "5\n"  # the preset would give 8


# --------------------------------------------------------------- 4. non-finite floats


def test_json_output_of_overflow_is_valid_json(run: Run) -> None:
    result = run("conv", "-i", "1e308 -1e308; 1 1", "-k", "10 10", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = strict_json(result.stdout)
    assert document["output"] == [["NaN"], [20]]  # 1e309 − 1e309: inf − inf
    result = run("conv", "-i", "1e308 -1e308", "-k", "10", "-f", "json")
    assert strict_json(result.stdout)["output"] == ["Infinity", "-Infinity"]


def test_json_explain_steps_of_non_finite_values_are_valid_json(run: Run) -> None:
    result = run("conv", "-i", "1e308 nan", "-k", "10", "--allow-nan", "--all", "-f", "json")
    assert result.exit_code == 0, result.stderr
    steps = strict_json(result.stdout)["steps"]
    assert [step["value"] for step in steps] == ["Infinity", "NaN"]
    assert steps[1]["terms"] == [["NaN", 10]]


def test_json_output_reads_back_with_allow_nan(run: Run, here: Path) -> None:
    out = run("conv", "-i", "1e308 -1e308 nan 2", "-k", "10", "--allow-nan", "-f", "json")
    assert out.exit_code == 0, out.stderr
    # the reader takes a nested list, or an object whose "data" is one
    (here / "out.json").write_text(json.dumps({"data": strict_json(out.stdout)["output"]}))
    again = run("conv", "-i", "out.json", "-k", "1", "--allow-nan", "-f", "json")
    assert strict_json(again.stdout)["output"] == ["Infinity", "-Infinity", "NaN", 20]
    assert failure(run("conv", "-i", "out.json", "-k", "1")) == [
        "Error: --input 'out.json': data[0]: 'Infinity' is not a finite number "
        "(pass --allow-nan to accept it)"
    ]


def test_format_json_never_writes_nan_or_infinity() -> None:
    document = mio.format_json(
        {
            "floats": np.array([[np.inf, -np.inf, np.nan, 0.5]]),
            "float32": np.float32("inf"),
            "python": [math.nan, (math.inf,)],
            "fraction": Fraction(1, 3),
        }
    )
    assert strict_json(document) == {
        "floats": [["Infinity", "-Infinity", "NaN", 0.5]],
        "float32": "Infinity",
        "python": ["NaN", ["Infinity"]],
        "fraction": "1/3",
    }
    assert [json_number(v) for v in (np.float64("-inf"), 2.5, np.int64(3))] == ["-Infinity", 2.5, 3]


def test_csv_spells_non_finite_floats_inf_and_nan_and_reads_them_back(run: Run) -> None:
    result = run("conv", "-i", "1e308 -1e308 nan 2", "-k", "10", "--allow-nan", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "inf,-inf,nan,20.0\n"
    again = run("conv", "-i", "-", "-k", "1", "--allow-nan", "-f", "csv", input=result.stdout)
    assert again.stdout == "inf,-inf,nan,20.0\n"


def test_count_nonfinite() -> None:
    assert count_nonfinite(np.array([[1.0, np.inf], [np.nan, -np.inf]])) == 3
    assert count_nonfinite(np.array([1.0, 2.0])) == 0
    assert count_nonfinite(np.array([np.inf], dtype=np.float32)) == 1
    assert count_nonfinite(np.array([[1, 2]], dtype=np.int64)) == 0
    mixed = np.array([1, Fraction(1, 2), 2**80, math.nan, math.inf, 0.5], dtype=object)
    assert count_nonfinite(mixed) == 2
    assert count_nonfinite(np.empty((0, 3))) == 0


# --------------------------------------------------------------- 5. wording and hints


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["conv", "-i", "1 2; 3 4", "-k", "1", "-b", "1,2"],
            "Error: bias has 2 values but there is 1 output channel",
        ),
        (
            ["conv", "-i", "1 2; 3 4", "-k", "1", "--padding-mode", "reflect", "-p", "1,1,1,3"],
            "Error: reflect padding (1,1,1,3) must be at most 1 row and 1 column for a 2×2 input",
        ),
        (
            ["transpose", "-i", "1 2; 3 4", "-k", "1", "-k", "1"],
            "Error: the transposed kernel [C_in][C_out/groups][kh][kw] has C_in = 2, "
            "but the input has 1 channel",
        ),
    ],
)
def test_counts_are_pluralised(run: Run, args: list[str], line: str) -> None:
    assert failure(run(*args)) == [line]


def test_output_padding_is_written_without_an_underscore_in_the_api() -> None:
    with pytest.raises(ParameterError) as caught:
        conv_transpose2d([[1]], [[1]], output_padding=-1)
    assert str(caught.value) == "output padding must be 0 or more, got -1"


def test_a_header_row_gets_a_hint(run: Run, here: Path) -> None:
    put(here, "m.csv", "x,y\n1,2\n")
    assert failure(run("conv", "-i", "m.csv", "-k", "1")) == [
        "Error: --input 'm.csv': line 1, column 1: 'x' is not a number",
        "hint: line 1 looks like a header row, and header rows are not read: "
        "delete it, or start it with '#' to make it a comment",
    ]
    # after comments the header is on line 2; and on stdin as well
    lines = failure(run("conv", "-i", "-", "-k", "1", input="# data\nwidth height\n1 2\n"))
    assert lines == [
        "Error: --input <stdin>: line 2, column 1: 'width' is not a number",
        "hint: line 2 looks like a header row, and header rows are not read: "
        "delete it, or start it with '#' to make it a comment",
    ]


@pytest.mark.parametrize("text", ["1,x\n", "1,2\n3,x\n", "nan,inf\n"])
def test_no_header_hint_for_a_row_that_is_not_all_words(run: Run, here: Path, text: str) -> None:
    put(here, "m.csv", text)
    lines = failure(run("conv", "-i", "m.csv", "-k", "1"))
    assert len(lines) == 1, lines


def test_a_blank_line_inside_a_matrix_gets_a_hint(run: Run, here: Path) -> None:
    put(here, "m.csv", "1,2\n3,4\n\n5,6\n")
    assert failure(run("conv", "-i", "m.csv", "-k", "1")) == [
        "Error: --input 'm.csv': line 4, column 1: channel 2 is 1×2, channel 1 is 2×2; "
        "channels must have the same shape",
        "hint: a blank line starts a new channel (line 3); delete it if this is one matrix",
    ]
    # a '|' line is a deliberate break: no hint
    put(here, "m.csv", "1,2\n3,4\n|\n5,6\n")
    assert len(failure(run("conv", "-i", "m.csv", "-k", "1"))) == 1


def test_several_channels_with_a_2d_kernel_get_a_hint(run: Run) -> None:
    rgb = "1 2; 3 4 | 5 6; 7 8 | 9 10; 11 12"
    assert failure(run("conv", "-i", rgb, "-k", "1 0; 0 1")) == [
        "Error: the kernel [kh][kw] reads 1 channel, but the input has 3",
        "hint: repeat --kernel 3 times with --groups 3 to filter each channel alone, "
        "or give a 3-D kernel [3][kh][kw] to sum them "
        "(in a text file, a blank line starts a new channel)",
    ]
    # both remedies the hint names work
    kernel = "1 0; 0 1"
    grouped = run("conv", "-i", rgb, *["-k", kernel] * 3, "-g", "3", "-f", "csv")
    assert grouped.stdout == "5\n\n13\n\n21\n"  # 1+4, 5+8, 9+12
    summed = run("conv", "-i", rgb, "-k", f"{kernel} | {kernel} | {kernel}", "-f", "csv")
    assert summed.stdout == "39\n"


def test_a_3d_kernel_mismatch_gets_no_groups_hint() -> None:
    with pytest.raises(ConvError) as caught:
        conv2d(np.ones((3, 2, 2), dtype=np.int64), np.ones((2, 1, 1), dtype=np.int64))
    assert str(caught.value) == "the kernel [C][kh][kw] reads 2 channels, but the input has 3"
    assert caught.value.hint is None
