"""Every input convcli must survive, through the command line: a correct result or one
clean error (the policies are in the README).

A failure is: the documented exit status (1 for data, 2 for usage), nothing on stdout, no
traceback, and exactly one ``Error:`` line on stderr naming what, where and why (an optional
``hint:`` line may follow; usage errors also carry Click's ``Usage:``/``Try`` lines). Where
the policy is a result, the result is compared with a value computed here independently.

Cases already covered through the CLI elsewhere (and therefore not repeated here):
``test_streams.py`` (terminal on ``conv -i -``, closed pipe and ``head``, ``/dev/full`` on
``conv`` csv, Ctrl-C of a long ``conv``, ``PYTHONIOENCODING=ascii`` for ``conv``/``shape``
tables, colours and ``COLUMNS=40`` for ``conv``, markup in a path and ``--pad-value``),
``test_cli_conv.py`` (``-s 0``, ``-s a,b``, ``-p 2,1,3``, ``-d ,``, groups 0, ``-i - -k -``,
``--cell 5,0``/``a,b``), ``test_cli_ops.py``, ``test_cli_shape.py`` and ``test_explain.py``
(Ctrl-C of ``--animate``). ``test_matrix_io.py`` tests the reader's policies below the CLI;
here the same policies are checked end to end (exit status, stdout, the single line).
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.cells import cell_len
from scipy import signal as sp_signal

from convcli.model import STEP_WINDOW
from tests.conftest import ROOT, Run

PYTHON = sys.executable
SQUARE = "1 2; 3 4"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- helpers ----------------------------------------------------------------------------


def outcome(result: Any) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a CliRunner result or a finished subprocess."""
    if isinstance(result, subprocess.CompletedProcess):
        out = result.stdout.decode("utf-8", "replace") if result.stdout is not None else ""
        err = result.stderr.decode("utf-8", "replace") if result.stderr is not None else ""
        return result.returncode, out, err
    return result.exit_code, result.stdout, result.stderr


def check_error(result: Any, code: int, *needles: str) -> str:
    """One clean failure: the exit status, empty stdout, one ``Error:`` line naming the needles.

    Returns the Error line (with the hint, if any) for further checks.
    """
    status, out, err = outcome(result)
    assert status == code, (status, out, err)
    assert out == "", out
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, err
    hints = [line for line in lines if line.startswith("hint: ")]
    assert len(hints) <= 1, err
    if hints:
        assert lines.index(hints[0]) == lines.index(errors[0]) + 1, err
    others = [line for line in lines if line not in errors and line not in hints]
    if code == 2:  # Click's usage line and the "Try ... -h" line
        assert all(line.startswith(("Usage: ", "Try ")) for line in others), err
    else:
        assert others == [], err
    said = "\n".join(errors + hints)
    for needle in needles:
        assert needle in said, (needle, err)
    return said


def ok(result: Any) -> str:
    status, out, err = outcome(result)
    assert status == 0, (status, err)
    assert "Traceback" not in err
    return out


def json_result(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(result))
    return data


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return str(path)


def convcli(
    *args: str,
    stdin: bytes | int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    memory_cap: int | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """convcli in a real process (NO_COLOR unless env says otherwise)."""

    def cap() -> None:  # pragma: no cover - runs in the child
        if memory_cap is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    return subprocess.run(
        [PYTHON, "-m", "convcli", *args],
        input=stdin if isinstance(stdin, bytes) else None,
        stdin=stdin if isinstance(stdin, int) else None,
        capture_output=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", "OPENBLAS_NUM_THREADS": "1", **(env or {})},
        check=False,
        preexec_fn=cap if memory_cap is not None else None,
    )


def correlate(x: list[list[Any]], k: list[list[Any]], stride: int = 1) -> list[list[Any]]:
    """A plain valid cross-correlation with Python numbers (exact for ints and Fractions)."""
    kh, kw = len(k), len(k[0])
    rows = (len(x) - kh) // stride + 1
    cols = (len(x[0]) - kw) // stride + 1
    return [
        [
            sum(x[r * stride + i][c * stride + j] * k[i][j] for i in range(kh) for j in range(kw))
            for c in range(cols)
        ]
        for r in range(rows)
    ]


def read_exact(values: list[list[Any]]) -> list[list[Any]]:
    """convcli JSON values as Python numbers: "a/b" strings become Fractions."""
    return [[Fraction(v) if isinstance(v, str) else v for v in row] for row in values]


# --- matrix text: empty and malformed ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "needles"),
    [
        ("ragged.csv", "1,2\n3\n", ["ragged.csv", "line 2", "row 2 has 1 value, row 1 has 2"]),
        ("empty.csv", "", ["no numbers", "empty.csv", "empty"]),
        ("blank.txt", "  \n\t\n\n", ["no numbers", "blank.txt", "blank space"]),
        ("comments.csv", "# a comment\n  # another\n", ["no numbers", "only comments"]),
        ("word.csv", "1,2\n3,four\n", ["word.csv", "line 2, column 3", "'four' is not a number"]),
        ("empty-field.csv", "1,,2\n", ["line 1, column 3", "empty field"]),
        ("trailing.csv", "1,2,\n3,4,\n", ["line 1, column 4", "empty field after the last ','"]),
        ("mixed.csv", "1,2\n3\t4\n", ["mixed.csv", "line 2, column 1", "'3\\t4'"]),
        ("nan.csv", "1,nan\n", ["line 1, column 3", "'nan'", "--allow-nan"]),
        ("inf.tsv", "inf\t1\n", ["line 1, column 1", "'inf'", "--allow-nan"]),
        ("infinity.txt", "1 -Infinity\n", ["line 1, column 3", "'-Infinity'", "--allow-nan"]),
        ("big.csv", "1,1e400\n", ["line 1, column 3", "'1e400'", "out of the float64 range"]),
        ("tiny.csv", "1e-400,1\n", ["line 1, column 1", "'1e-400'", "round to 0"]),
        ("fullwidth.csv", "1,\uff12\n", ["line 1, column 3", "full-width digit two '\uff12'"]),
        ("arabic.csv", "\u0663,1\n", ["line 1, column 1", "non-ASCII digit", "'\u0663'"]),
        ("zero.csv", "1/0\n", ["line 1, column 1", "'1/0'", "divides by zero"]),
    ],
)
def test_bad_text_file(run: Run, tmp_path: Path, name: str, data: str, needles: list[str]) -> None:
    path = write(tmp_path, name, data)
    check_error(run("conv", "-i", path, "-k", "1"), 1, "--input", *needles)


@pytest.mark.parametrize(
    ("source", "needles"),
    [
        ("1 2; 3", ["(inline)", "line 1, column 7", "row 2 has 1 value"]),
        ("", ["no numbers", "--input"]),
        ("   ", ["no numbers", "--input"]),
        ("# only a comment", ["no numbers", "--input"]),
        ("1 2; 3 word", ["(inline)", "line 1, column 8", "'word'"]),
        ("1,,2", ["(inline)", "line 1, column 3", "empty field"]),
        ("1,2,", ["(inline)", "line 1, column 4", "empty field after the last ','"]),
        ("1 nan", ["(inline)", "column 3", "'nan'", "--allow-nan"]),
        ("inf 1", ["(inline)", "column 1", "'inf'", "--allow-nan"]),
        ("Infinity", ["--input", "'Infinity'", "--allow-nan"]),
        ("1e400 1", ["(inline)", "column 1", "out of the float64 range"]),
        ("1 1e-400", ["(inline)", "column 3", "round to 0"]),
        ("\uff11 2", ["(inline)", "column 1", "full-width digit one '\uff11' (U+FF11)"]),
        ("1 \u0662", ["(inline)", "column 3", "non-ASCII digit '\u0662'"]),
        ("1 2 | 3", ["(inline)", "channel"]),
        ("1 2 |", ["(inline)", "channel"]),
    ],
)
def test_bad_inline_text(run: Run, source: str, needles: list[str]) -> None:
    check_error(run("conv", "-i", source, "-k", "1"), 1, *needles)


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        (b"", ["<stdin>", "no numbers", "empty"]),
        (b" \n \n", ["<stdin>", "no numbers"]),
        (b"# nothing\n", ["<stdin>", "no numbers"]),
        (b"1 2\n3 4 5\n", ["<stdin>", "line 2", "row 2 has 3 values"]),
        (b"1,2\n3,x\n", ["<stdin>", "line 2, column 3", "'x'"]),
        (b"1,NaN\n", ["<stdin>", "'NaN'", "--allow-nan"]),
    ],
)
def test_bad_text_on_stdin(run: Run, data: bytes, needles: list[str]) -> None:
    check_error(run("conv", "-i", "-", "-k", "1", input=data), 1, *needles)


def test_dev_null_is_an_empty_input(run: Run) -> None:
    check_error(run("conv", "-i", "/dev/null", "-k", "1"), 1, "'/dev/null'", "no numbers")
    check_error(run("conv", "-i", "1", "-k", "/dev/null"), 1, "--kernel", "no numbers")


def test_non_finite_values_are_read_with_allow_nan(run: Run) -> None:
    out = json_result(
        run("conv", "-i", "nan 1; inf -Infinity", "-k", "1", "--allow-nan", "-f", "json")
    )
    # JSON has no NaN or Infinity: the non-finite floats are strings, which read back
    assert out["output"] == [["NaN", 1.0], ["Infinity", "-Infinity"]]


def test_integers_beyond_int64_are_exact(run: Run) -> None:
    big = 123456789012345678901234567890
    x = [[big, -5], [2**63, 2**64 + 1]]
    k = [[2, 3]]
    out = json_result(
        run("conv", "-i", f"{big} -5; {2**63} {2**64 + 1}", "-k", "2 3", "-f", "json")
    )
    assert out["output"] == correlate(x, k)
    assert out["output"] == [[2 * big - 15], [2 * 2**63 + 3 * (2**64 + 1)]]
    csv = ok(run("conv", "-i", f"{big} -5", "-k", "2 3"))
    assert csv == f"{2 * big - 15}\n"


def test_fractions_are_exact(run: Run) -> None:
    x = [[Fraction(1, 9), Fraction(2, 9)], [Fraction(1, 3), Fraction(5)]]
    k = [[1, 1]]
    out = json_result(run("conv", "-i", "1/9 2/9; 1/3 5", "-k", "1 1", "-f", "json"))
    assert read_exact(out["output"]) == correlate(x, k) == [[Fraction(1, 3)], [Fraction(16, 3)]]
    assert ok(run("conv", "-i", "1/9 2/9; 1/3 5", "-k", "1 1")) == "1/3\n16/3\n"
    assert ok(run("conv", "-i", "1/9", "-k", "9")) == "1\n"


def test_unicode_minus_is_a_minus(run: Run) -> None:
    out = json_result(run("conv", "-i", "\u22121 2; 3 \u22124", "-k", "1 \u22121", "-f", "json"))
    assert out["output"] == correlate([[-1, 2], [3, -4]], [[1, -1]]) == [[-3], [7]]


def test_utf8_bom_crlf_and_lone_cr_read_as_clean_input(run: Run, tmp_path: Path) -> None:
    clean = ok(run("conv", "-i", "1 2 3; 4 5 6", "-k", "1 -1"))
    assert clean == "-1,-1\n-1,-1\n"
    for name, data in [
        ("bom.csv", b"\xef\xbb\xbf1,2,3\r\n4,5,6\r\n"),
        ("cr.csv", b"1,2,3\r4,5,6\r"),
        ("bom-cr.txt", b"\xef\xbb\xbf1 2 3\r4 5 6"),
        ("bom.json", b"\xef\xbb\xbf[[1,2,3],\r\n[4,5,6]]\r\n"),
    ]:
        assert ok(run("conv", "-i", write(tmp_path, name, data), "-k", "1 -1")) == clean, name
    piped = b"\xef\xbb\xbf1,2,3\r\n4,5,6\r\n"
    assert ok(run("conv", "-i", "-", "-k", "1 -1", input=piped)) == clean


@pytest.mark.parametrize(
    ("name", "data", "needles"),
    [
        ("u16.csv", "1,2\n3,4\n".encode("utf-16"), ["u16.csv", "UTF-16", "UTF-8"]),
        ("u16le.csv", "1,2\n3,4\n".encode("utf-16-le"), ["u16le.csv", "UTF-16"]),
        ("u16.json", "[[1,2],[3,4]]".encode("utf-16"), ["u16.json", "UTF-16"]),
        ("latin1.csv", "1,2\n3,\xe9\n".encode("latin-1"), ["line 2, column 3", "0xE9"]),
        ("nul.csv", b"1,2\n3,4\x005\n", ["nul.csv", "line 2, column 4", "NUL"]),
        ("binary.dat", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary.dat", "line 1"]),
    ],
)
def test_encodings_and_binary_files(
    run: Run, tmp_path: Path, name: str, data: bytes, needles: list[str]
) -> None:
    check_error(run("conv", "-i", write(tmp_path, name, data), "-k", "1"), 1, *needles)


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        ("1 2\n3 4\n".encode("utf-16"), ["<stdin>", "UTF-16"]),
        ("1,2\n3,\xe9\n".encode("latin-1"), ["<stdin>", "line 2, column 3", "0xE9"]),
        (b"1,2\x00\n", ["<stdin>", "line 1, column 4", "NUL"]),
    ],
)
def test_encodings_on_stdin(run: Run, data: bytes, needles: list[str]) -> None:
    check_error(run("conv", "-i", "-", "-k", "1", input=data), 1, *needles)


@pytest.mark.parametrize(
    "array",
    [
        np.array(np.nan),
        np.array(-np.inf, dtype="<f4"),
        np.array(np.nan, dtype=">f8"),
        np.array([1.0, np.nan]),
        np.array([[np.inf]]),
    ],
    ids=["0-d nan", "0-d -inf f4", "0-d nan big-endian", "1-d", "2-d"],
)
def test_npy_nan_and_inf_need_allow_nan(run: Run, tmp_path: Path, array: Any) -> None:
    path = tmp_path / "m.npy"
    np.save(path, array)
    check_error(run("conv", "-i", str(path), "-k", "1"), 1, "m.npy", "--allow-nan")
    piped = path.read_bytes()
    check_error(run("conv", "-i", "-", "-k", "1", input=piped), 1, "<stdin>", "--allow-nan")
    allowed = json_result(run("conv", "-i", str(path), "-k", "1", "--allow-nan", "-f", "json"))
    expected = np.asarray(array, dtype=np.float64).reshape(allowed["output_shape"])
    got = np.array(allowed["output"], dtype=np.float64)  # float("NaN"), float("-Infinity")
    assert np.array_equal(got, expected, equal_nan=True)


def test_mixed_delimiters_single_column_and_single_value(run: Run, tmp_path: Path) -> None:
    # inline: cells by spaces and/or one comma; a file sniffs one delimiter (see above)
    assert ok(run("conv", "-i", "1,2 3; 4 5,6", "-k", "1")) == "1,2,3\n4,5,6\n"
    column = write(tmp_path, "column.csv", "1\n2\n3\n")
    assert ok(run("conv", "-i", column, "-k", "2; 1")) == "4\n7\n"  # [1*2+2*1], [2*2+3*1]
    single = write(tmp_path, "single.csv", "7\n")
    out = json_result(run("conv", "-i", single, "-k", "3", "-f", "json"))
    assert out["output"] == [[21]]
    assert out["input_shape"] == [1, 1]


# --- JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "needles"),
    [
        ("[[1,2],[3]]", 1, ["(inline)", "[1]", "1 item", "[0] has 2"]),
        ('[[1,"a"]]', 1, ["(inline)", "[0][1]", "'a' is not a number"]),
        ("[[1,true]]", 1, ["(inline)", "[0][1]", "true"]),
        ("[[null]]", 1, ["(inline)", "[0][0]", "null"]),
        ("[]", 1, ["(inline)", "empty list"]),
        ("[[]]", 1, ["(inline)", "[0]", "empty list"]),
        ("{}", 1, ["(inline)", "empty object"]),
        ('{"data": 3}', 1, ["(inline)", "data"]),
        ("[[1,2],", 1, ["(inline)", "line 1, column 8", "invalid JSON"]),
        ("[[NaN]]", 1, ["(inline)", "[0][0]", "'NaN'", "--allow-nan"]),
        ("[[1, Infinity]]", 1, ["(inline)", "[0][1]", "--allow-nan"]),
        ("[[1e400]]", 1, ["(inline)", "[0][0]", "out of the float64 range"]),
        ("[[[[1]]]]", 1, ["--input", "4-D", "stack of kernels"]),
    ],
)
def test_bad_json_inline(run: Run, source: str, code: int, needles: list[str]) -> None:
    check_error(run("conv", "-i", source, "-k", "1"), code, *needles)


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        ("3", ["scalar.json", "got a number"]),
        ('"3"', ["scalar.json", "string"]),
        ("true", ["scalar.json", "got true"]),
        ("null", ["scalar.json", "got null"]),
        ("{}", ["scalar.json", "empty object"]),
        ("", ["scalar.json"]),
        ("[[1, 2],\n [3, 4],\n [5, x]]", ["scalar.json", "line 3, column 6", "invalid JSON"]),
        ('{"data": [[1, 2], [3]]}', ["scalar.json", "[1]", "1 item"]),
        ('[[1, "1/0"]]', ["scalar.json", "[0][1]", "divides by zero"]),
    ],
)
def test_bad_json_file(run: Run, tmp_path: Path, data: str, needles: list[str]) -> None:
    path = write(tmp_path, "scalar.json", data)
    check_error(run("conv", "-i", path, "-k", "1"), 1, *needles)


def test_json_nan_is_read_with_allow_nan(run: Run) -> None:
    out = json_result(run("conv", "-i", "[[NaN, 2]]", "-k", "3", "--allow-nan", "-f", "json"))
    assert out["output"] == [["NaN", 6]]


def test_json_numbers_as_strings_and_data_object_read_exactly(run: Run) -> None:
    out = json_result(
        run("conv", "-i", '{"data": [["1/3", "\u22122"], [4, 5]]}', "-k", "3", "-f", "json")
    )
    assert read_exact(out["output"]) == [[1, -6], [12, 15]]


def test_json_3d_where_2d_is_wanted(run: Run) -> None:
    two_channels = "[[[1,2],[3,4]],[[5,6],[7,8]]]"
    check_error(
        run("conv", "-i", two_channels, "-k", "1 0; 0 1"), 1, "kernel", "1 channel", "input has 2"
    )
    check_error(run("transpose", "-i", two_channels, "-k", "1 1; 1 1"), 1, "C_in", "2")
    check_error(run("conv", "-i", "1 2; 3 4", "-k", "[[[1]],[[2]]]"), 1, "2 channels", "has 1")


@pytest.mark.parametrize("where", ["inline", "file", "stdin"])
def test_json_nested_100000_deep(run: Run, tmp_path: Path, where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    start = time.monotonic()
    if where == "inline":
        result = run("conv", "-i", deep, "-k", "1")
        label = "(inline)"
    elif where == "file":
        result = run("conv", "-i", write(tmp_path, "deep.json", deep), "-k", "1")
        label = "deep.json"
    else:
        result = run("conv", "-i", "-", "-k", "1", input=deep.encode())
        label = "<stdin>"
    check_error(result, 1, label, "nested too deeply")
    assert time.monotonic() - start < 5


def test_json_deep_kernel_too(run: Run) -> None:
    deep = "[" * 100_000 + "1" + "]" * 100_000
    check_error(run("conv", "-i", "1", "-k", deep), 1, "--kernel", "deep")


# --- input size limit ---------------------------------------------------------------------


def test_input_over_the_size_limit_is_refused(run: Run, tmp_path: Path) -> None:
    env = {"CONVCLI_MAX_INPUT_BYTES": "16"}
    path = write(tmp_path, "big.csv", "1,2,3,4,5,6,7,8,9\n" * 4)
    check_error(
        run("conv", "-i", path, "-k", "1", env=env),
        1,
        "big.csv",
        "input limit of 16 bytes",
        "CONVCLI_MAX_INPUT_BYTES",
    )
    piped = ("1 " * 100 + "\n").encode()
    check_error(
        run("conv", "-i", "-", "-k", "1", input=piped, env=env), 1, "<stdin>", "input limit"
    )
    check_error(run("conv", "-i", "1", "-k", path, env=env), 1, "--kernel", "input limit")
    small = write(tmp_path, "small.csv", "1,2\n")  # 4 bytes: under the limit
    assert ok(run("conv", "-i", small, "-k", "1", env=env)) == "1,2\n"


def test_bad_size_limit_value_is_an_error(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "1,2\n")
    for value in ("abc", "-5", "0", "1.5"):
        check_error(
            run("conv", "-i", path, "-k", "1", env={"CONVCLI_MAX_INPUT_BYTES": value}),
            1,
            "CONVCLI_MAX_INPUT_BYTES",
            repr(value),
        )


def test_huge_stdin_is_refused_without_reading_it_all() -> None:
    """A real pipe larger than the limit: refused after reading limit + 1 bytes."""
    payload = b"1 2 3 4 5 6 7 8 9\n" * 200_000  # 3.6 MB
    start = time.monotonic()
    proc = convcli(
        "conv", "-i", "-", "-k", "1", stdin=payload, env={"CONVCLI_MAX_INPUT_BYTES": "1000"}
    )
    check_error(proc, 1, "<stdin>", "input limit of 1000 bytes")
    assert time.monotonic() - start < 10


# --- geometry and options -----------------------------------------------------------------


def test_kernel_larger_than_the_padded_input_names_both_sizes(run: Run) -> None:
    check_error(
        run("conv", "-i", SQUARE, "-k", "1 2 3"),
        1,
        "kernel width 3",
        "padded input width 2 (2 + 0 + 0)",
    )
    check_error(
        run("conv", "-i", SQUARE, "-k", "1; 2; 3; 4; 5"),
        1,
        "kernel height 5",
        "padded input height 2",
    )
    # a kernel exactly as tall as the padded input (2 + 1 + 1) gives one row
    out = json_result(run("conv", "-i", SQUARE, "-k", "1; 2; 3; 4", "-p", "1,0", "-f", "json"))
    assert out["output"] == [[1 * 0 + 2 * 1 + 3 * 3 + 4 * 0, 1 * 0 + 2 * 2 + 3 * 4 + 4 * 0]]
    check_error(
        run("conv", "-i", SQUARE, "-k", "1 1; 1 1", "-d", "2"),
        1,
        "kernel height 2 (dilated to 3)",
        "padded input height 2",
    )
    check_error(run("pool", "-i", SQUARE, "-k", "3,1"), 1, "3", "padded input height 2")


@pytest.mark.parametrize("command", ["conv", "transpose", "dilate", "explain"])
@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--stride", "0", "stride must be 1 or more, got 0"),
        ("--stride", "-2", "stride must be 1 or more, got -2"),
        ("--stride", "2,1,3", "got 3 numbers"),
        ("--stride", "a,b", "whole numbers"),
        ("--stride", ",", "whole numbers"),
        ("--stride", "", "whole numbers"),
        ("--stride", "1.5", "whole numbers"),
        ("--dilation", "0", "dilation must be 1 or more, got 0"),
        ("--dilation", "-1", "dilation must be 1 or more, got -1"),
        ("--dilation", "2,1,3", "got 3 numbers"),
        ("--dilation", "a,b", "whole numbers"),
        ("--dilation", ",", "whole numbers"),
        ("--padding", "-1", "padding must be 0 or more, got -1"),
        ("--padding", "1,-1", "padding must be 0 or more, got -1"),
        ("--padding", "2,1,3", "1, 2 (H,W) or 4"),
        ("--padding", "1,1,1,1,1", "1, 2 (H,W) or 4"),
        ("--padding", "a,b", "valid, same, full"),
        ("--padding", ",", "whole numbers"),
        ("--padding", "samee", "valid, same, full"),
    ],
)
def test_malformed_geometry_is_a_usage_error(
    run: Run, command: str, option: str, value: str, needle: str
) -> None:
    args = {
        "conv": ["conv", "-i", SQUARE, "-k", "1"],
        "transpose": ["transpose", "-i", SQUARE, "-k", "1"],
        "dilate": ["dilate", "-k", SQUARE, "-i", SQUARE],
        "explain": ["explain"],
    }[command]
    err = check_error(run(*args, option, value), 2, f"'{option}'", needle)
    assert "No such option" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-s", "0"], "stride must be 1 or more"),
        (["-s", "2,1,3"], "got 3 numbers"),
        (["-s", "a,b"], "whole numbers"),
        (["-s", ","], "whole numbers"),
        (["-p", "-1"], "padding must be 0 or more"),
        (["-p", "2,1,3"], "1, 2 (H,W) or 4"),
        (["-p", "a,b"], "valid, same, full"),
        (["-p", ","], "whole numbers"),
        (["-k", "2,1,3"], "got 3 numbers"),
        (["-k", "a,b"], "whole numbers"),
        (["-k", ","], "whole numbers"),
        (["-k", "0"], "window must be 1 or more"),
    ],
)
def test_malformed_pool_geometry_is_a_usage_error(run: Run, args: list[str], needle: str) -> None:
    check_error(run("pool", "-i", SQUARE, *args), 2, needle)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-s", "-1"], "'--stride'"),
        (["-s", "2,1,3"], "got 3 numbers"),
        (["-d", "a,b"], "'--dilation'"),
        (["-d", ","], "'--dilation'"),
        (["-p", "2,1,3"], "'--padding'"),
        (["-p", ","], "'--padding'"),
        (["-d", "0"], "'--dilation'"),
    ],
)
def test_malformed_shape_geometry_is_a_usage_error(run: Run, args: list[str], needle: str) -> None:
    check_error(run("shape", "-w", "8", "-k", "3", *args), 2, needle)


def test_minus_one_is_read_as_a_value_not_an_option(run: Run) -> None:
    for command in (["conv", "-i", SQUARE, "-k", "1"], ["shape", "-w", "4", "-k", "3"]):
        err = check_error(run(*command, "-p", "-1"), 2, "'--padding'", "got -1")
        assert "No such option" not in err
        err = check_error(run(*command, "-s", "-1"), 2, "'--stride'", "got -1")
        assert "No such option" not in err
    # where a negative value is allowed, it is used
    assert ok(run("conv", "-i", SQUARE, "-k", "1", "-b", "-1")) == "0,1\n2,3\n"
    assert ok(run("conv", "-i", SQUARE, "-k", "1", "-b", "\u22121")) == "0,1\n2,3\n"
    padded = ok(run("conv", "-i", SQUARE, "-k", "1", "-p", "1", "--pad-value", "-1"))
    assert padded == "-1,-1,-1,-1\n-1,1,2,-1\n-1,3,4,-1\n-1,-1,-1,-1\n"
    assert ok(run("conv", "-i", "1 2", "-k", "-1")) == "-1,-2\n"


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "-i", SQUARE, "-k", "1"],
        ["dilate", "-k", "1", "-i", SQUARE],
        ["explain"],
    ],
    ids=lambda a: a[0],
)
@pytest.mark.parametrize("value", ["1,2", "0,0", "1/2,x"])
def test_pad_value_takes_one_number(run: Run, args: list[str], value: str) -> None:
    check_error(run(*args, "--pad-value", value), 2, "'--pad-value'")


def test_a_fraction_bias_with_float_data_gives_floats(run: Run) -> None:
    out = json_result(run("conv", "-i", "0.5 1", "-k", "1", "-b", "1/2", "-f", "json"))
    assert out["output"] == [0.5 + 0.5, 1.0 + 0.5]  # a one-line input is a 1-D signal
    two = json_result(run("conv", "-i", "0.5 1", "-k", "1", "-k", "2", "-b", "0,1/2", "-f", "json"))
    assert two["output"] == [[0.5, 1.0], [1.5, 2.5]]
    mixed = json_result(
        run("conv", "-i", "1 2", "-k", "1", "-k", "2", "-b", "1/2,0.5", "-f", "json")
    )
    assert mixed["output"] == [[1.5, 2.5], [2.5, 4.5]]
    transposed = json_result(
        run("transpose", "-i", "0.5 1;", "-k", "[[[[1]],[[2]]]]", "-b", "0,1/2", "-f", "json")
    )
    assert transposed["output"] == [[[0.5, 1.0]], [[1.5, 2.5]]]


def test_float_overflow_is_inf_without_python_warnings(tmp_path: Path) -> None:
    """float64 arithmetic (as PyTorch): 1e308·10 is inf; stderr carries no numpy warning."""
    snan = tmp_path / "snan.npy"  # a signalling NaN in float32, then 1.0
    np.save(snan, np.frombuffer(b"\x01\x00\x80\x7f\x00\x00\x80\x3f", "<f4").reshape(1, 2))
    loaded = convcli("conv", "-i", str(snan), "-k", "1", "--allow-nan")
    assert loaded.returncode == 0
    assert loaded.stdout == b"nan,1.0\n"
    assert b"RuntimeWarning" not in loaded.stderr, loaded.stderr.decode()
    proc = convcli("conv", "-i", "1e308 1e308", "-k", "10")
    assert proc.returncode == 0
    assert proc.stdout == b"inf,inf\n"
    assert b"RuntimeWarning" not in proc.stderr, proc.stderr.decode()
    summed = convcli("conv", "-i", "1e308 1e308; 1 1", "-k", "1 1; 1 1", "-f", "json")
    assert json.loads(summed.stdout)["output"] == [["Infinity"]]
    assert b"RuntimeWarning" not in summed.stderr, summed.stderr.decode()


@pytest.mark.parametrize(
    "args",
    [
        ["-w", "3", "-k", "3", "-s", "1000000000", "--target", "1"],
        ["-w", "3", "-k", "3", "-s", "1000000000000", "--transpose", "--target", "5"],
        ["-w", "5", "-k", "3", "-d", "1000000000000", "--transpose", "--target", "1"],
    ],
)
def test_shape_target_with_a_huge_stride_answers_at_once(args: list[str]) -> None:
    """--target lists the paddings that work; a stride of 10^9 must not mean 10^9 of them."""
    start = time.monotonic()
    try:
        proc = convcli("shape", *args, "-f", "json", timeout=5, memory_cap=4 << 30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"convcli shape {' '.join(args)} did not answer within 5 s")
    elapsed = time.monotonic() - start
    status, out, err = outcome(proc)
    assert status in (0, 1), err
    assert "Traceback" not in err
    assert "out of memory" not in err
    if status == 0:
        assert len(out) < 100_000
        json.loads(out)
    assert elapsed < 2, elapsed


def scatter(x: list[list[int]], k: list[list[int]], s: int, op: int) -> list[list[int]]:
    """The transposed convolution by scattering (PyTorch's definition), no padding."""
    kh, kw = len(k), len(k[0])
    out_h = (len(x) - 1) * s + kh + op
    out_w = (len(x[0]) - 1) * s + kw + op
    out = [[0] * out_w for _ in range(out_h)]
    for r, row in enumerate(x):
        for c, v in enumerate(row):
            for i in range(kh):
                for j in range(kw):
                    out[r * s + i][c * s + j] += v * k[i][j]
    return out


def test_output_padding_must_be_below_max_of_stride_and_dilation(run: Run) -> None:
    base = ["transpose", "-i", SQUARE, "-k", "1 2; 3 4"]
    check_error(
        run(*base, "-s", "2", "--output-padding", "2"),
        1,
        "output padding 2",
        "max(stride 2, dilation 1)",
    )
    check_error(run(*base, "-s", "2", "--output-padding", "5"), 1, "output padding 5", "0 to 1")
    check_error(
        run(*base, "-d", "2", "--output-padding", "2"),
        1,
        "output padding 2",
        "max(stride 1, dilation 2)",
    )
    check_error(run(*base, "-s", "2,3", "--output-padding", "1,3"), 1, "output padding 3")
    check_error(run(*base, "--output-padding", "-1"), 2, "'--output-padding'")
    check_error(run(*base, "--output-padding", "a"), 2, "'--output-padding'")
    check_error(
        run("shape", "-w", "4", "-k", "3", "-s", "3", "--transpose", "--output-padding", "3"),
        1,
        "output padding 3",
    )
    # the largest allowed value gives PyTorch's result
    out = json_result(run(*base, "-s", "2", "--output-padding", "1", "-f", "json"))
    assert out["output"] == scatter([[1, 2], [3, 4]], [[1, 2], [3, 4]], 2, 1)
    assert out["output_shape"] == [5, 5]


def test_channels_that_do_not_match_and_groups_that_do_not_divide(run: Run) -> None:
    three = "1 2; 3 4 | 5 6; 7 8 | 9 10; 11 12"
    check_error(run("conv", "-i", three, "-k", "1 | 2"), 1, "kernel", "2 channels", "input has 3")
    check_error(run("conv", "-i", three, "-k", "1", "-g", "2"), 1, "groups 2", "3")
    check_error(
        run("conv", "-i", "1 2 | 3 4", "-k", "[[[[1]]],[[[2]]],[[[3]]]]", "-g", "2"),
        1,
        "groups 2",
        "3",
    )
    check_error(run("conv", "-i", "1 2 | 3 4", "-k", "[[[[1]],[[1]]]]", "-g", "2"), 1, "channel")
    check_error(run("transpose", "-i", three, "-k", "1", "-g", "2"), 1, "groups 2")
    check_error(run("conv", "-i", three, "-k", "1", "-g", "4"), 1, "groups 4")
    # dividing groups give the per-group results
    out = json_result(
        run("conv", "-i", "1 2 | 3 4", "-k", "[[[[10]]],[[[100]]]]", "-g", "2", "-f", "json")
    )
    assert out["output"] == [[[10, 20]], [[300, 400]]]


@pytest.mark.parametrize(
    ("command", "cell", "code", "needles"),
    [
        (["conv", "-i", SQUARE, "-k", "1"], "0,2", 1, ["--cell 0,2", "outside the 2×2 output"]),
        (["conv", "-i", SQUARE, "-k", "1"], "2,0", 1, ["--cell 2,0", "2×2"]),
        (["conv", "-i", SQUARE, "-k", "1"], "0,0,0", 1, ["--cell 0,0,0", "2×2"]),
        (["conv", "-i", SQUARE, "-k", "1", "-k", "2"], "2,0,0", 1, ["--cell 2,0,0", "2×2×2"]),
        (["conv", "-i", SQUARE, "-k", "1"], "99999999999999999999,0", 1, ["--cell"]),
        (["conv", "-i", SQUARE, "-k", "1", "-k", "2"], "5,5", 1, ["--cell 5,5", "2×2×2"]),
        (["conv", "-i", SQUARE, "-k", "1", "-k", "2"], "0,2", 1, ["--cell 0,2", "2×2×2"]),
        (["pool", "-i", "1 2 3 | 4 5 6", "-k", "2", "-p", "1"], "0,4", 1, ["--cell 0,4"]),
        (["transpose", "-i", SQUARE, "-k", "[[[[1]],[[2]]]]"], "5,5", 1, ["--cell 5,5"]),
        (["dilate", "-k", "1", "-k", "2", "-i", SQUARE], "9,9", 1, ["--cell 9,9"]),
        (["explain", "-i", SQUARE, "-k", "1", "-k", "2"], "9,9", 1, ["--cell 9,9"]),
        (["pool", "-i", SQUARE, "-k", "1"], "0,5", 1, ["--cell 0,5", "2×2"]),
        (["transpose", "-i", SQUARE, "-k", "1"], "3,3", 1, ["--cell 3,3", "2×2"]),
        (["dilate", "-k", "1", "-i", SQUARE], "2,2", 1, ["--cell 2,2"]),
        (["explain"], "2,0", 1, ["--cell 2,0", "2×2"]),
        (["conv", "-i", SQUARE, "-k", "1"], "1", 2, ["'--cell'", "R,C or O,R,C"]),
        (["conv", "-i", SQUARE, "-k", "1"], "1,2,3,4", 2, ["'--cell'", "R,C"]),
        (["conv", "-i", SQUARE, "-k", "1"], "-1,0", 2, ["'--cell'", "0-based"]),
        (["conv", "-i", SQUARE, "-k", "1"], "a,b", 2, ["'--cell'", "whole numbers"]),
        (["conv", "-i", SQUARE, "-k", "1"], "", 2, ["'--cell'"]),
        (["conv", "-i", SQUARE, "-k", "1"], ",", 2, ["'--cell'"]),
        (["conv", "-i", SQUARE, "-k", "1"], "0.5,0", 2, ["'--cell'"]),
        (["pool", "-i", SQUARE, "-k", "1"], "x", 2, ["'--cell'"]),
        (["explain"], "0;0", 2, ["'--cell'"]),
    ],
    ids=lambda v: " ".join(v[:1]) if isinstance(v, list) else str(v),
)
def test_cell_outside_or_malformed(
    run: Run, command: list[str], cell: str, code: int, needles: list[str]
) -> None:
    check_error(run(*command, "--cell", cell), code, *needles)


def reference_size(n: int, k: int, s: int, before: int, after: int, d: int) -> int:
    return (n + before + after - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize(
    ("h", "w", "k", "s", "p", "d"),
    [
        (10**12, 10**12, 3, 1, 1, 1),
        (10**12, 3 * 10**12 + 7, 1_000_003, 3, 10**11, 7),
        (10**12 + 1, 10**12 - 1, 10**6, 10**5, 0, 10**5),
        (10**12 + 11, 10**12, 10**12, 1, 0, 1),
    ],
)
def test_shape_with_huge_sizes_is_exact(
    run: Run, h: int, w: int, k: int, s: int, p: int, d: int
) -> None:
    args = ["-H", str(h), "-w", str(w), "-k", str(k), "-s", str(s), "-p", str(p), "-d", str(d)]
    expected = [reference_size(n, k, s, p, p, d) for n in (h, w)]
    start = time.monotonic()
    plain = ok(run("shape", *args, "-f", "plain"))
    assert time.monotonic() - start < 1
    assert plain == f"{expected[0]} {expected[1]}\n"
    assert json_result(run("shape", *args, "-f", "json"))["output"] == expected


def test_shape_of_a_huge_transposed_convolution_is_exact(run: Run) -> None:
    n, k, s, p, d, op = 10**12, 5, 10**6, 7, 3, 999_999
    out = json_result(
        run(
            "shape", "-w", str(n), "-k", str(k), "-s", str(s), "-p", str(p), "-d", str(d),
            "--transpose", "--output-padding", str(op), "-f", "json",
        )
    )  # fmt: skip
    side = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    assert out["output"] == [side, side]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["conv", "-i", "1", "-k", "1", "-p", "1000000000"], ["CONVCLI_MAX_CELLS"]),
        (["conv", "-i", SQUARE, "-k", "1", "-p", str(10**18)], ["CONVCLI_MAX_CELLS"]),
        (["conv", "-i", SQUARE, "-k", "1", "-p", str(10**200)], ["limit"]),
        (["transpose", "-i", SQUARE, "-k", "1", "-s", "1000000000"], ["CONVCLI_MAX_CELLS"]),
        (["transpose", "-i", "1;", "-k", "1 1; 1 1", "-d", "1000000000"], ["CONVCLI_MAX_CELLS"]),
        (["explain", "-i", "1", "-k", "1", "-p", "1000000000"], ["CONVCLI_MAX_CELLS"]),
        (
            ["pool", "-i", "1", "-k", "2000000000", "-s", "1", "-p", "1000000000"],
            ["limit"],
        ),
        (["dilate", "-k", SQUARE, "-i", "1;", "-p", "1000000000"], ["CONVCLI_MAX_CELLS"]),
    ],
)
def test_requests_needing_10_18_cells_are_refused_at_once(
    run: Run, args: list[str], needles: list[str]
) -> None:
    start = time.monotonic()
    result = run(*args)
    elapsed = time.monotonic() - start
    check_error(result, 1, *needles)
    assert elapsed < 1, elapsed


@pytest.mark.parametrize(
    "args",
    [
        ["dilate", "-k", "1 1; 1 1", "-d", "1000000000", "-f", "csv"],
        ["dilate", "-k", "1 1", "-d", "1000000000", "-f", "json"],
        ["dilate", "-k", "1 1; 1 1", "-d", "10000000000000"],
        ["dilate", "-k", "1 1", "-d", "100000000000000000000"],
        ["dilate", "-k", "1 1", "-i", "1 2", "-d", "100000000000000000000"],
        ["dilate", "-k", "1 1; 1 1", "-i", "1 2;", "-d", "10000000000000"],
    ],
)
def test_a_dilated_kernel_of_10_9_cells_or_more_is_refused_at_once(args: list[str]) -> None:
    """The cell limit applies to the dilated kernel too (README: "in any array").

    Run in a child with a 4 GiB address-space cap and a timeout, so that a missing check
    cannot take the machine's memory: the child must answer with the limit in < 1 s.
    """
    start = time.monotonic()
    try:
        proc = convcli(*args, timeout=5, memory_cap=4 << 30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"convcli {' '.join(args)} did not answer within 5 s")
    elapsed = time.monotonic() - start
    if "-i" in args:  # the kernel does not fit the input: either refusal is right
        check_error(proc, 1)
        assert "CONVCLI_MAX_CELLS" in proc.stderr.decode() or b"larger than" in proc.stderr
    else:
        check_error(proc, 1, "CONVCLI_MAX_CELLS")
    assert elapsed < 1.5, elapsed  # a process start (~0.2 s) plus the refusal


def test_conv_with_padding_10_9_is_refused_in_well_under_a_second(run: Run) -> None:
    for extra in ([], ["-s", "1000000000"], ["--padding-mode", "circular"], ["--flip"]):
        start = time.monotonic()
        result = run("conv", "-i", SQUARE, "-k", "1", "-p", "1000000000", *extra)
        elapsed = time.monotonic() - start
        check_error(result, 1, "limit")
        assert elapsed < 1, (extra, elapsed)


@pytest.mark.parametrize(
    ("args", "env", "needles"),
    [
        (
            ["conv", "-i", "1 2 3 4; 5 6 7 8; 9 10 11 12", "-k", "1 1; 1 1"],
            {"CONVCLI_MAX_CELLS": "10"},
            ["cells in memory", "limit of 10", "CONVCLI_MAX_CELLS"],
        ),
        (
            ["conv", "-i", "1 2 3 4; 5 6 7 8; 9 10 11 12", "-k", "1 1; 1 1"],
            {"CONVCLI_MAX_WORK": "20"},
            ["24 multiply-adds", "limit of 20", "CONVCLI_MAX_WORK"],
        ),
        (
            ["conv", "-i", "1/2 2 3 4; 5 6 7 8; 9 10 11 12", "-k", "1 1; 1 1"],
            {"CONVCLI_MAX_WORK": "2000"},
            ["exact big-number arithmetic", "limit of 20", "CONVCLI_MAX_WORK"],
        ),
        (
            ["transpose", "-i", SQUARE, "-k", "1 1; 1 1", "-s", "3"],
            {"CONVCLI_MAX_CELLS": "20"},
            ["CONVCLI_MAX_CELLS"],
        ),
        (
            ["pool", "-i", "1 2 3 4; 5 6 7 8; 9 10 11 12", "-k", "1"],
            {"CONVCLI_MAX_CELLS": "5"},
            ["CONVCLI_MAX_CELLS"],
        ),
        (
            ["dilate", "-k", "1 1; 1 1", "-d", "2", "-i", "1 2 3 4; 5 6 7 8; 9 10 11 12"],
            {"CONVCLI_MAX_WORK": "3"},
            ["CONVCLI_MAX_WORK"],
        ),
        (["explain"], {"CONVCLI_MAX_WORK": "10"}, ["CONVCLI_MAX_WORK"]),
        (
            ["dilate", "-k", "1 1; 1 1", "-d", "100"],
            {"CONVCLI_MAX_CELLS": "1000"},
            ["10,201 cells", "CONVCLI_MAX_CELLS"],
        ),
    ],
)
def test_cell_and_work_limits_refuse(
    run: Run, args: list[str], env: dict[str, str], needles: list[str]
) -> None:
    check_error(run(*args, env=env), 1, *needles)


def test_work_at_the_limit_is_done(run: Run) -> None:
    x = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    out = json_result(
        run(
            "conv", "-i", "1 2 3 4; 5 6 7 8; 9 10 11 12", "-k", "1 1; 1 1", "-f", "json",
            env={"CONVCLI_MAX_WORK": "24", "CONVCLI_MAX_CELLS": "100"},
        )
    )  # fmt: skip
    assert out["output"] == correlate(x, [[1, 1], [1, 1]])


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["conv", "-i", "-", "-i", "-", "-k", "1"], 2),
        (["conv", "-i", "1", "-k", "-", "-k", "-"], 2),
        (["transpose", "-i", "-", "-k", "-"], 2),
        (["dilate", "-k", "-", "-i", "-"], 2),
        (["explain", "-i", "-", "-k", "-"], 2),
        (["pool", "-i", "-", "-i", "-"], 2),
    ],
)
def test_stdin_named_twice(run: Run, args: list[str], code: int) -> None:
    check_error(run(*args, input=b"1 2; 3 4\n"), code, "'-'", "stdin", "once")


@pytest.mark.parametrize(
    "args",
    [
        ["pool", "-i", "-"],
        ["transpose", "-i", "-", "-k", "1"],
        ["dilate", "-k", "-"],
        ["explain", "-i", "-", "-k", "1"],
        ["conv", "-i", "1", "-k", "-"],
    ],
)
def test_stdin_that_is_a_terminal_is_refused_by_every_command(args: list[str]) -> None:
    primary, secondary = pty.openpty()
    try:
        proc = convcli(*args, stdin=secondary, timeout=30)
    finally:
        os.close(primary)
        os.close(secondary)
    check_error(proc, 1, "<stdin>", "terminal", "pipe")


# --- files and streams ---------------------------------------------------------------------


def test_missing_path_and_directory(run: Run, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.csv")
    check_error(run("conv", "-i", missing, "-k", "1"), 1, "--input", "no such file", missing)
    check_error(run("conv", "-i", "1", "-k", missing), 1, "--kernel", "no such file")
    check_error(
        run("conv", "-i", str(tmp_path / "sub" / "img"), "-k", "1"), 1, "no such file", "img"
    )
    check_error(run("conv", "-i", str(tmp_path), "-k", "1"), 1, "is a directory", str(tmp_path))
    check_error(run("conv", "-i", "1", "-k", str(tmp_path)), 1, "--kernel", "is a directory")
    check_error(run("pool", "-i", str(tmp_path)), 1, "is a directory")
    check_error(run("conv", "-i", "nosuchfile", "-k", "1"), 1, "'nosuchfile'", "neither a file")


@pytest.mark.skipif(IS_ROOT, reason="root reads every file")
def test_unreadable_file(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "secret.csv", "1,2\n")
    os.chmod(path, 0)
    try:
        check_error(run("conv", "-i", path, "-k", "1"), 1, "secret.csv", "permission denied")
    finally:
        os.chmod(path, 0o644)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [
        ["shape", "-w", "4", "-k", "3"],
        ["shape", "-w", "4", "-k", "3", "-f", "table"],
        ["kernels"],
        ["kernels", "sobel-x", "-f", "table"],
        ["pool", "-i", SQUARE, "-k", "1", "-f", "json"],
        ["dilate", "-k", SQUARE, "-f", "table"],
        ["transpose", "-i", SQUARE, "-k", "1", "-e", "-f", "markdown"],
        ["conv", "-i", SQUARE, "-k", "1", "-f", "table"],
        ["explain"],
        ["explain", "-f", "latex"],
    ],
)
def test_full_stdout_is_one_error_for_every_command(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [PYTHON, "-m", "convcli", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
            env={**os.environ, "NO_COLOR": "1"},
            check=False,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert err.startswith("Error: cannot write output:"), err
    assert err.count("\n") == 1, err


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "--all"],
        ["explain", "--all", "-f", "markdown"],
        ["kernels", "-f", "table"],
        ["transpose", "-i", "BIG", "-k", "1 1; 1 1", "-f", "table"],
        ["pool", "-i", "BIG", "-k", "1", "-e", "--all", "-f", "markdown"],
        ["dilate", "-k", "BIG", "-d", "1", "-f", "json"],
    ],
)
def test_closed_pipe_is_quiet_for_every_command(tmp_path: Path, args: list[str]) -> None:
    big = tmp_path / "big.csv"
    big.write_text("\n".join(",".join(["7"] * 200) for _ in range(200)) + "\n")
    argv = " ".join(f"'{str(big) if a == 'BIG' else a}'" for a in args)
    shell = f"{PYTHON} -m convcli {argv} | head -c 10 >/dev/null; echo rc=${{PIPESTATUS[0]}} >&2"
    proc = subprocess.run(
        ["bash", "-c", shell], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert proc.stderr.decode().strip() == "rc=0", proc.stderr.decode()


def test_ctrl_c_while_waiting_on_a_pipe_exits_130_quietly() -> None:
    proc = subprocess.Popen(
        [PYTHON, "-m", "convcli", "conv", "-i", "-", "-k", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        time.sleep(1.5)  # the writer keeps the pipe open: convcli waits for data
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert out == b""
    assert b"Traceback" not in err


ASCII_CASES = [
    ["explain", "--step", "3"],
    ["explain"],
    ["explain", "--lang", "zh", "--step", "7"],
    ["explain", "--op", "transpose", "-s", "2"],
    ["explain", "--op", "pool", "--pool", "avg"],
    ["explain", "--op", "dilate"],
    ["explain", "-f", "markdown"],
    ["explain", "-f", "latex"],
    ["kernels", "-f", "table"],
    ["kernels", "gaussian-3", "-f", "table"],
    ["transpose", "-i", "1 -2; 3 4", "-k", "1 1; 1 1", "-s", "2", "-e", "-f", "table"],
    ["pool", "-i", "1 -2; 3 4", "-k", "2", "--op", "avg", "-e", "-f", "table"],
    ["dilate", "-k", "1 -2; 3 4", "-f", "table"],
    ["dilate", "-k", "1 -2; 3 4", "-i", "1 2 3; 4 5 6; 7 8 9", "-p", "1", "-e", "-f", "table"],
    ["conv", "-i", "1/2 -2; 3 4", "-k", "1", "-e", "-f", "table"],
    ["conv", "-i", "1 -2; 3 4", "-k", "1", "-e", "-f", "markdown"],
    ["shape", "-w", "7", "-k", "3", "-s", "2", "-p", "same", "-f", "table"],
]


@pytest.mark.parametrize("args", ASCII_CASES, ids=lambda a: " ".join(a[:3]))
def test_ascii_only_output_still_prints(args: list[str]) -> None:
    proc = convcli(*args, env={"PYTHONIOENCODING": "ascii"})
    status, _, err = outcome(proc)
    assert status == 0, err
    assert proc.stdout.strip()
    proc.stdout.decode("ascii")  # ASCII fallbacks for × − · ₚ and box drawing


def sgr_parameters(text: str) -> set[int]:
    """Every SGR parameter in the text (``ESC [ 1 ; 34 m`` gives {1, 34})."""
    found: set[int] = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        found.update(int(p) for p in params.split(";") if p)
    return found


def has_colour(text: str) -> bool:
    """A foreground or background colour (bold, dim and reverse are not colours)."""
    colours = set(range(30, 39)) | set(range(40, 49)) | set(range(90, 98)) | set(range(100, 108))
    return bool(sgr_parameters(text) & colours)


@pytest.mark.parametrize(
    "args",
    [
        ["pool", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "2", "-s", "1", "--cell", "0,0", "-f", "table"],
        ["transpose", "-i", SQUARE, "-k", "1 1; 1 1", "--cell", "0,0", "-f", "table"],
        ["dilate", "-k", "1 2; 3 4", "-i", "1 2 3; 4 5 6; 7 8 9", "--cell", "0,0", "-f", "table"],
        ["explain", "--step", "3"],
        ["explain", "--op", "transpose", "--step", "3"],
        ["shape", "-w", "7", "-k", "3", "-s", "2", "-f", "table"],
        ["kernels", "sobel-x", "-f", "table"],
        ["kernels", "-f", "table"],
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_colour_follows_the_environment_for_every_command(run: Run, args: list[str]) -> None:
    forced = ok(run(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}))
    if "--cell" in args or args[0] == "explain":  # a highlighted window is coloured
        assert has_colour(forced)
    no_color = ok(run(*args, env={"NO_COLOR": "1", "FORCE_COLOR": "1", "TERM": "xterm-256color"}))
    assert not has_colour(no_color)
    assert "\x1b[" not in ok(run(*args, env={"NO_COLOR": "1"}))
    assert "\x1b[" not in ok(run(*args, env={"TERM": "dumb", "NO_COLOR": ""}))
    assert not has_colour(ok(run(*args, env={"TERM": "dumb", "NO_COLOR": "", "FORCE_COLOR": "1"})))


WIDE_ROW = " ".join(str(100000 + c) for c in range(20))


@pytest.mark.parametrize(
    "args",
    [
        ["pool", "-i", f"{WIDE_ROW}; {WIDE_ROW}", "-k", "1", "-f", "table"],
        ["dilate", "-k", f"{WIDE_ROW}; {WIDE_ROW}", "-d", "1", "-f", "table"],
        ["transpose", "-i", f"{WIDE_ROW}; {WIDE_ROW}", "-k", "1", "-f", "table"],
        ["explain", "-i", f"{WIDE_ROW}; {WIDE_ROW}", "-k", "1", "--step", "3"],
        ["kernels", "-f", "table"],
    ],
    ids=lambda a: a[0],
)
def test_narrow_terminal_splits_tables_and_never_cuts(run: Run, args: list[str]) -> None:
    text = ok(run(*args, env={"COLUMNS": "40"}))
    assert "…" not in text
    if args[0] != "kernels":
        assert "columns 0–" in text
        # a lesson's step shows a window of STEP_WINDOW columns around its cell (out[0,0])
        shown = range(STEP_WINDOW) if args[0] == "explain" else range(20)
        for c in shown:
            assert str(100000 + c) in text
    else:
        from convcli.kernels import PRESETS

        # a long word may be folded over two lines, never cut: read the cells row by row
        squashed = re.sub(r"[\s│┃]", "", text)
        for preset in PRESETS.values():
            for word in preset.purpose.split():
                assert word in squashed, word
    table_lines = [line for line in text.splitlines() if line.lstrip().startswith(("│", "╭"))]
    assert all(cell_len(line) <= 40 for line in table_lines), max(map(cell_len, table_lines))


@pytest.mark.parametrize(
    ("args", "literal"),
    [
        (["conv", "-i", "1 [red]", "-k", "1"], "'[red]'"),
        (["conv", "-i", "1 2; 3 [/x]", "-k", "1"], "[/x]"),
        (["conv", "-i", "1", "-k", "blur[bold]"], "'blur[bold]'"),
        (["kernels", "[red]x[/red]"], "'[red]x[/red]'"),
        (["conv", "-i", "1", "-k", "1", "-b", "[red]"], "'[red]'"),
        (["pool", "-i", "[red]x.csv"], "'[red]x.csv'"),
        (["conv", "-i", '[["[red]"]]', "-k", "1"], "'[red]'"),
    ],
)
def test_markup_in_user_text_is_printed_literally(run: Run, args: list[str], literal: str) -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}
    result = run(*args, env=env)
    code = 2 if "-b" in args else 1
    check_error(result, code, literal)


def test_markup_in_a_file_name_is_printed_literally(run: Run, tmp_path: Path) -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"}
    ragged = write(tmp_path, "[red]img[bold].csv", "1,2\n3\n")
    check_error(run("conv", "-i", ragged, "-k", "1", env=env), 1, "[red]img[bold].csv'", "line 2")
    check_error(run("pool", "-i", ragged, "-f", "table", env=env), 1, "[red]img[bold].csv'")


# --- sanity: the independent helpers agree with scipy ---------------------------------------


def test_helpers_agree_with_scipy() -> None:
    x = np.arange(20).reshape(4, 5) % 7 - 3
    k = np.array([[1, -2], [0, 3]])
    assert correlate(x.tolist(), k.tolist()) == sp_signal.correlate2d(x, k, "valid").tolist()
    scattered = np.array(scatter(x.tolist(), k.tolist(), 1, 0))
    assert scattered.tolist() == sp_signal.convolve2d(x, k, "full").tolist()
