"""Tests for convcli.matrix_io: every source, policy and bad input of the reader; the writers."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from convcli import matrix_io as mio
from convcli.errors import ConvError, LimitError, ParseError
from convcli.matrix_io import common as mio_common
from convcli.matrix_io import fast as mio_fast
from convcli.matrix_io import sources as mio_sources
from convcli.matrix_io import text as mio_text
from convcli.numbers import INT64_MAX, INT64_MIN, array_from_values

FILE = "--input 'm.csv'"
INLINE = "--input (inline)"


def text(source: str, *, allow_nan: bool = False) -> Any:
    return mio.parse_text(source, label=FILE, inline=False, allow_nan=allow_nan)


def inline(source: str, *, allow_nan: bool = False) -> Any:
    return mio.parse_text(source, label=INLINE, inline=True, allow_nan=allow_nan)


def parse_json(source: str, *, allow_nan: bool = False) -> Any:
    return mio.parse_json(source, label="--input 'm.json'", allow_nan=allow_nan)


def error_of(call: Any, *args: Any, kind: type[ConvError] = ParseError, **kwargs: Any) -> str:
    with pytest.raises(kind) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is kind
    return str(caught.value)


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return str(path)


def assert_identical(got: Any, expected: Any) -> None:
    """Same shape, same dtype, same values bit for bit, same Python types in object arrays."""
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    if got.dtype == np.float64:
        assert np.array_equal(got.view(np.int64), expected.view(np.int64))
    elif got.dtype == object:
        for a, b in zip(got.flat, expected.flat, strict=True):
            assert type(a) is type(b)
            assert a == b
    else:
        assert np.array_equal(got, expected)


# --------------------------------------------------------------------------- text: basics


def test_inline_rows_by_semicolon_cells_by_spaces() -> None:
    got = inline("1 2 0 2; 1 0 3 -1; 2 2 2 0; 3 1 -2 0")
    assert got.dtype == np.int64
    assert got.tolist() == [[1, 2, 0, 2], [1, 0, 3, -1], [2, 2, 2, 0], [3, 1, -2, 0]]


@pytest.mark.parametrize("source", ["1,2;3,4", "1, 2; 3 ,4", "1 ,2;3,  4", "1\t2;3 4", "1,2\n3,4"])
def test_inline_cells_by_comma_and_or_spaces(source: str) -> None:
    assert inline(source).tolist() == [[1, 2], [3, 4]]


def test_inline_empty_rows_are_skipped() -> None:
    assert inline("1 2;;3 4;").tolist() == [[1, 2], [3, 4]]
    assert inline("\n1 2\n\n3 4\n").tolist() == [[1, 2], [3, 4]]


def test_inline_channels_by_pipe() -> None:
    got = inline("1 2; 3 4 | 5 6; 7 8")
    assert got.shape == (2, 2, 2)
    assert got.tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]


@pytest.mark.parametrize(
    ("source", "where", "channel"),
    [("1 2 |", "column 5", "channel 2 is empty"), ("| 1 2", "column 1", "channel 1 is empty")],
)
def test_inline_empty_channel_is_an_error(source: str, where: str, channel: str) -> None:
    message = error_of(inline, source)
    assert message.startswith(f"{INLINE}: line 1, {where}: ")
    assert channel in message


def test_inline_channels_of_different_shape() -> None:
    message = error_of(inline, "1 2; 3 4 | 5 6")
    assert "channel 2 is 1×2, channel 1 is 2×2" in message


def test_inline_comment() -> None:
    assert inline("1 2 # a comment; 9 9").tolist() == [[1, 2]]


def test_inline_text_with_newlines_counts_lines() -> None:
    message = error_of(inline, "1 2\n3 x")
    assert message == f"{INLINE}: line 2, column 3: 'x' is not a number"


@pytest.mark.parametrize(
    ("source", "delimiter_name"),
    [
        ("1,2,3\n4,5,6\n", "comma"),
        ("1\t2\t3\n4\t5\t6\n", "tab"),
        ("1;2;3\n4;5;6\n", "semicolon"),
        ("1 2 3\n4  5   6\n", "spaces"),
        ("  1 2 3  \n4 5 6", "spaces around"),
        ("1 , 2 ,3\n 4,5 ,  6 \n", "comma with spaces"),
        ("1 \t 2\t3\n4\t5 \t6", "tab with spaces"),
    ],
)
def test_file_delimiters_are_sniffed(source: str, delimiter_name: str) -> None:
    assert text(source).tolist() == [[1, 2, 3], [4, 5, 6]], delimiter_name


def test_stray_tabs_do_not_make_a_tab_separated_file() -> None:
    # Only a tab between two values on a line counts; trailing or blank-line tabs do not.
    assert text("1 2\t\n\t3 4\n").tolist() == [[1, 2], [3, 4]]
    assert text("1 2\n\t\n3 4\n").shape == (2, 1, 2)
    assert text("1 2\n3 4\t# a\tcomment\n").tolist() == [[1, 2], [3, 4]]


def test_delimiter_is_sniffed_once_per_source_comma_wins() -> None:
    # A comma anywhere makes the whole file comma-separated: '3 4' is then one (bad) field.
    message = error_of(text, "1,2\n3 4\n")
    assert message == f"{FILE}: line 2, column 1: '3 4' is not a number"


def test_mixed_delimiters_are_an_error_naming_the_field() -> None:
    message = error_of(text, "1,2\n3;4\n")
    assert message == f"{FILE}: line 2, column 1: '3;4' is not a number"


def test_comma_in_a_comment_does_not_change_the_delimiter() -> None:
    assert text("# a, b\n1 2\n3 4\n").tolist() == [[1, 2], [3, 4]]


def test_comments_and_comment_only_lines() -> None:
    source = "# header\n1,2 # first\n   # indented comment\n3,4\n"
    assert text(source).tolist() == [[1, 2], [3, 4]]


def test_comment_only_line_is_not_a_channel_break() -> None:
    assert text("1 2\n# note\n3 4\n").shape == (2, 2)


def test_blank_lines_separate_channels() -> None:
    got = text("\n\n1 2\n3 4\n\n \t\n\n5 6\n7 8\n\n\n")
    assert got.shape == (2, 2, 2)
    assert got[1].tolist() == [[5, 6], [7, 8]]


def test_pipe_line_separates_channels_in_a_file() -> None:
    got = text("1 2\n3 4\n|\n5 6\n7 8\n")
    assert got.shape == (2, 2, 2)


def test_file_channels_of_different_shape() -> None:
    message = error_of(text, "1 2\n3 4\n\n5 6\n")
    assert message == (
        f"{FILE}: line 4, column 1: channel 2 is 1×2, channel 1 is 2×2; "
        "channels must have the same shape"
    )


def test_ragged_row_names_rows_line_and_column() -> None:
    message = error_of(text, "1,2,3\n4,5,6\n7,8\n")
    assert message == f"{FILE}: line 3, column 4: row 3 has 2 values, row 1 has 3"


def test_long_row_points_at_the_first_extra_value() -> None:
    message = error_of(text, "1 2\n3 4 5\n")
    assert message == f"{FILE}: line 2, column 5: row 2 has 3 values, row 1 has 2"


def test_ragged_row_in_a_later_channel_says_which() -> None:
    message = error_of(text, "1 2\n3 4\n\n5 6\n7\n")
    assert "line 5" in message
    assert "row 2 of channel 2 has 1 value, row 1 has 2" in message


def test_single_value_single_row_single_column() -> None:
    assert text("5\n").tolist() == [[5]]
    assert text("1,2,3").tolist() == [[1, 2, 3]]
    assert text("1\n2\n3\n").tolist() == [[1], [2], [3]]
    assert inline("7").tolist() == [[7]]


# --------------------------------------------------------------------------- text: policies


def test_empty_field_names_its_column() -> None:
    message = error_of(text, "1,,2\n")
    assert message == f"{FILE}: line 1, column 3: empty field 2 (nothing between two ',')"


def test_leading_delimiter_is_an_empty_field() -> None:
    message = error_of(text, "1,2\n,3,4\n")
    assert message == f"{FILE}: line 2, column 1: empty field 1 (nothing before the first ',')"


@pytest.mark.parametrize("source", ["1,2,\n3,4,\n", "1,2, \n"])
def test_trailing_delimiter_is_an_error(source: str) -> None:
    message = error_of(text, source)
    assert message == f"{FILE}: line 1, column 4: empty field after the last ','"


def test_empty_field_with_tabs_and_inline() -> None:
    assert "empty field 2 (nothing between two '\\t')" in error_of(text, "1\t\t2\n")
    assert error_of(inline, "1,,2") == f"{INLINE}: line 1, column 3: empty field 2 " + (
        "(nothing between two ',')"
    )
    assert error_of(inline, "1,2,") == f"{INLINE}: line 1, column 4: empty field after the last ','"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("", "it is empty"),
        ("   \n\t\n\n", "it holds only blank space"),
        ("# only\n  # comments\n\n", "it holds only comments and blank lines"),
    ],
)
def test_no_numbers(source: str, reason: str) -> None:
    assert error_of(text, source) == f"no numbers in {FILE}: {reason}"
    assert error_of(inline, source) == f"no numbers in {INLINE}: {reason}"


def test_word_is_not_a_number() -> None:
    assert error_of(text, "1 2\n3 abc\n") == f"{FILE}: line 2, column 3: 'abc' is not a number"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("token", ["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity"])
def test_non_finite_rejected_unless_allowed(token: str) -> None:
    message = error_of(text, f"1,{token}\n")
    assert message == (
        f"{FILE}: line 1, column 3: {token!r} is not a finite number "
        "(pass --allow-nan to accept it)"
    )
    got = text(f"1,{token}\n", allow_nan=True)
    assert got.dtype == np.float64
    assert not np.isfinite(got[0, 1])


def test_out_of_range_float() -> None:
    message = error_of(text, "1 2\n3 1e400\n")
    assert message == f"{FILE}: line 2, column 3: '1e400' is out of the float64 range"


def test_float_that_would_round_to_zero_is_an_error() -> None:
    message = error_of(text, "0.5 1e-400\n")
    assert message == (
        f"{FILE}: line 1, column 5: '1e-400' is too small for float64 (it would round to 0)"
    )


def test_integer_minus_zero_is_plus_zero_even_among_floats() -> None:
    got = text("0.5,-0,-0.0\n")
    assert got.tolist() == [[0.5, 0.0, -0.0]]
    assert list(np.signbit(got[0])) == [False, False, True]


def test_subnormal_and_zero_spellings_are_fine() -> None:
    got = text("5e-324 0.0 -0.0 0e5 0.000e-999\n")
    assert got.tolist() == [[5e-324, 0.0, -0.0, 0.0, 0.0]]
    assert np.signbit(got[0, 2])


def test_integers_beyond_int64_stay_exact() -> None:
    big = 2**70 + 1
    got = text(f"1,{big}\n{-big},4\n")
    assert got.dtype == object
    assert got.tolist() == [[1, big], [-big, 4]]
    assert all(type(v) is int for v in got.flat)


def test_int64_limits_stay_int64() -> None:
    got = text(f"{INT64_MAX},{INT64_MIN}\n")
    assert got.dtype == np.int64
    assert got.tolist() == [[INT64_MAX, INT64_MIN]]
    assert text(f"{INT64_MAX + 1}\n").dtype == object


def test_fraction_is_exact() -> None:
    got = text("1/9,2\n-3/4,1\n")
    assert got.dtype == object
    assert got.tolist() == [[Fraction(1, 9), 2], [Fraction(-3, 4), 1]]


def test_fraction_with_a_float_becomes_float() -> None:
    got = inline("1/3 0.5")
    assert got.dtype == np.float64
    assert got.tolist() == [[1 / 3, 0.5]]


def test_division_by_zero() -> None:
    assert error_of(inline, "1 2/0") == f"{INLINE}: line 1, column 3: '2/0' divides by zero"


def test_unicode_minus_is_a_minus() -> None:
    got = text("−1,2\n3,−4/5\n")
    assert got.tolist() == [[-1, 2], [3, Fraction(-4, 5)]]


@pytest.mark.parametrize(("token", "digit"), [("٣", "٣"), ("1٢", "٢")])
def test_non_ascii_digits_are_rejected(token: str, digit: str) -> None:
    message = error_of(text, f"1 {token}\n")
    assert message.startswith(f"{FILE}: line 1, column 3: {token!r} uses the non-ASCII digit")
    assert repr(digit) in message
    assert "ASCII digits 0-9" in message


def test_huge_integer_mixed_with_floats_is_an_error() -> None:
    huge = "9" * 400
    message = error_of(text, f"0.5,{huge}\n")
    assert message.startswith(f"{FILE}: line 1, column 5: '9999999")
    assert "too large for float64" in message


def test_overlong_token_is_an_error() -> None:
    message = error_of(text, "1 " + "7" * 5000)
    assert message.startswith(f"{FILE}: line 1, column 3: '77777")
    assert "has 5000 characters; a number has at most 4300" in message


def test_longest_allowed_integer_reads_exactly() -> None:
    digits = "8" * mio.MAX_TOKEN_CHARS
    assert text(digits).tolist() == [[int(digits)]]


# --------------------------------------------------------------------------- newlines and bytes


@pytest.mark.parametrize("source", ["1,2\r\n3,4\r\n", "1,2\r3,4\r", "1,2\n3,4", "1,2\r\n3,4"])
def test_crlf_and_lone_cr_are_newlines(source: str) -> None:
    assert text(source).tolist() == [[1, 2], [3, 4]]


def test_line_numbers_count_crlf_once() -> None:
    message = error_of(text, "1,2\r\n3,4\r\n5,x\r\n")
    assert message == f"{FILE}: line 3, column 3: 'x' is not a number"
    message = error_of(text, "1,2\r3,4\r5,x\r")
    assert message == f"{FILE}: line 3, column 3: 'x' is not a number"


def test_crlf_blank_lines_separate_channels() -> None:
    assert text("1 2\r\n\r\n3 4\r\n").shape == (2, 1, 2)


def test_decode_strips_utf8_bom() -> None:
    data = codecs.BOM_UTF8 + b"1,2\n3,4\n"
    assert mio.decode_text(data, FILE) == "1,2\n3,4\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("1,2\n3,4\n".encode("utf-16"), "UTF-16"),
        (codecs.BOM_UTF16_BE + "1,2\n".encode("utf-16-be"), "UTF-16"),
        ("1,2\n3,4\n".encode("utf-16-le"), "UTF-16"),
        ("1,2\n3,4\n".encode("utf-16-be"), "UTF-16"),
        ("1,2\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_utf16_and_utf32_are_refused_with_advice(data: bytes, encoding: str) -> None:
    message = error_of(mio.decode_text, data, FILE)
    assert message.startswith(f"{FILE}: this is {encoding} text; convert it to UTF-8")


def test_latin1_bytes_name_line_and_column() -> None:
    message = error_of(mio.decode_text, b"1,2\r\n3,caf\xe9\n", FILE)
    assert message.startswith(f"{FILE}: line 2, column 6: not UTF-8 text (byte 0xE9)")


def test_invalid_utf8_column_counts_characters() -> None:
    message = error_of(mio.decode_text, "é,ü,".encode() + b"\xff", FILE)
    assert message.startswith(f"{FILE}: line 1, column 5: not UTF-8 text (byte 0xFF)")


def test_nul_byte_names_line_and_column() -> None:
    message = error_of(mio.decode_text, b"1,2\n3,\x004\n", FILE)
    assert message == f"{FILE}: line 2, column 3: a NUL byte; this looks like a binary file"


def test_nul_before_invalid_utf8_is_reported_first() -> None:
    message = error_of(mio.decode_text, b"\x00\xff", FILE)
    assert "line 1, column 1: a NUL byte" in message


def test_binary_bytes_are_not_text() -> None:
    message = error_of(mio.decode_text, bytes(range(128, 256)), FILE)
    assert "line 1, column 1: not UTF-8 text (byte 0x80)" in message


# --------------------------------------------------------------------------- sources


def test_csv_file(tmp_path: Path) -> None:
    path = write(tmp_path, "img.csv", "1,2\n3,4\n")
    assert mio.load_matrix(path).tolist() == [[1, 2], [3, 4]]


def test_tsv_and_txt_files(tmp_path: Path) -> None:
    assert mio.load_matrix(write(tmp_path, "a.tsv", "1\t2\n")).tolist() == [[1, 2]]
    assert mio.load_matrix(write(tmp_path, "a.txt", "1 2\n")).tolist() == [[1, 2]]


def test_file_with_bom_crlf_comments(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + b"# exported\r\n1,2\r\n3,4\r\n"
    assert mio.load_matrix(write(tmp_path, "a.csv", data)).tolist() == [[1, 2], [3, 4]]


def test_file_errors_are_labelled_with_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, "img.csv", "1,2\n3,x\n")
    message = error_of(mio.load_matrix, path)
    assert message == f"--input {path!r}: line 2, column 3: 'x' is not a number"


def test_utf16_file(tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", "1,2\n3,4\n".encode("utf-16"))
    message = error_of(mio.load_matrix, path)
    assert message.startswith(f"--input {path!r}: this is UTF-16 text; convert it to UTF-8")


def test_latin1_file(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", b"1,2\n3,\xb54\n")
    message = error_of(mio.load_matrix, path)
    assert message.startswith(f"--input {path!r}: line 2, column 3: not UTF-8 text (byte 0xB5)")


def test_file_with_nul_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", b"1,2\n\x00\x00")
    message = error_of(mio.load_matrix, path)
    assert message.startswith(f"--input {path!r}: line 2, column 1: a NUL byte")


def test_read_failure(tmp_path: Path, monkeypatch: Any) -> None:
    path = write(tmp_path, "a.csv", "1\n")

    def broken(*_: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(mio_sources, "open", broken, raising=False)  # only the module's open()
    assert (
        error_of(mio.load_matrix, path) == f"--input {path!r}: cannot read it: Input/output error"
    )


def test_dev_null_has_no_numbers() -> None:
    assert (
        error_of(mio.load_matrix, "/dev/null") == "no numbers in --input '/dev/null': it is empty"
    )


def test_directory_is_an_error(tmp_path: Path) -> None:
    message = error_of(mio.load_matrix, str(tmp_path))
    assert message == f"--input {str(tmp_path)!r}: is a directory, not a file"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.csv", "1\n")
    os.chmod(path, 0)
    assert error_of(mio.load_matrix, path) == f"--input {path!r}: permission denied"


@pytest.mark.parametrize("name", ["x.csv", "missing.JSON", "img.npy", "data/img", "./img", "a\\b"])
def test_missing_path_says_no_such_file(name: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert error_of(mio.load_matrix, name) == f"--input: no such file: {name!r}"
    assert error_of(mio.load_matrix, name, option="--kernel") == f"--kernel: no such file: {name!r}"


@pytest.mark.parametrize("word", ["foo", "image", "my_file", "sobel-x"])
def test_plain_word_is_neither_a_file_nor_a_matrix(
    word: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    message = error_of(mio.load_matrix, word)
    assert message == f"--input {word!r}: neither a file nor a matrix (no file has that name)"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1/9", [[Fraction(1, 9)]]),
        ("-1/2 3", [[Fraction(-1, 2), 3]]),
        ("1,2/3", [[1, Fraction(2, 3)]]),
    ],
)
def test_fractions_with_a_slash_are_inline_not_paths(source: str, expected: Any) -> None:
    assert mio.load_matrix(source).tolist() == expected


def test_nan_word_keeps_the_allow_nan_advice() -> None:
    assert "pass --allow-nan" in error_of(mio.load_matrix, "nan")
    assert np.isnan(mio.load_matrix("nan", allow_nan=True)[0, 0])


def test_inline_errors_are_labelled_inline() -> None:
    message = error_of(mio.load_matrix, "1 2; 3 x", option="--kernel")
    assert message == "--kernel (inline): line 1, column 8: 'x' is not a number"


def test_inline_json_literal() -> None:
    assert mio.load_matrix("[[1,2],[3,4]]").tolist() == [[1, 2], [3, 4]]
    assert mio.load_matrix(' {"data": [[1]]} ').tolist() == [[1]]


def test_existing_file_wins_over_inline_and_kernel_names(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "sobel-x", "5\n")
    write(tmp_path, "1", "7\n")
    assert mio.load_matrix("sobel-x", option="--kernel").tolist() == [[5]]
    assert mio.load_matrix("1").tolist() == [[7]]


def test_kernel_names_only_for_kernels() -> None:
    assert mio.load_matrix("sobel-x", option="--kernel").tolist() == [
        [-1, 0, 1],
        [-2, 0, 2],
        [-1, 0, 1],
    ]
    gaussian = mio.load_matrix("gaussian:5,1.0", option="--kernel")
    assert gaussian.shape == (5, 5)
    assert gaussian.dtype == np.float64


def test_unknown_kernel_name_suggests() -> None:
    with pytest.raises(ParseError) as caught:
        mio.load_matrix("sobelx", option="--kernel")
    assert "unknown kernel name 'sobelx'" in str(caught.value)
    assert caught.value.hint is not None
    assert "sobel-x" in caught.value.hint


def test_4d_is_for_kernels_only() -> None:
    message = error_of(mio.load_matrix, "[[[[1, 2]]]]")
    assert message == (
        "--input (inline): a 4-D array (1×1×1×2) is a stack of kernels; "
        "--input takes a 2-D [H][W] or 3-D [C][H][W] matrix; give --dims 3 for a volume"
    )
    assert mio.load_matrix("[[[[1, 2]]]]", option="--kernel").shape == (1, 1, 1, 2)


def test_layouts_follow_the_dims() -> None:
    """Each --dims has its layouts (SPEC §7); the error names the ones expected."""
    volume = "[[[[1, 2]]]]"
    assert mio.load_stack([volume], dims=3).shape == (1, 1, 1, 2)
    assert mio.load_stack(["[[[[[1]]]]]"], option="--kernel", dims=3).shape == (1,) * 5
    assert error_of(mio.load_stack, [volume], dims=1) == (
        "--input (inline): a 4-D array (1×1×1×2); with --dims 1 --input takes [W] or [C][W]; "
        "give --dims 3 for a volume"
    )
    assert error_of(mio.load_stack, ["1 2; 3 4"], dims=3) == (
        "--input (inline): a 2-D array (2×2); with --dims 3 --input takes [D][H][W] or [C][D][H][W]"
    )
    kernel = error_of(mio.load_stack, ["[[[[1]]]]"], option="--kernel", dims=1)
    assert kernel.endswith("--kernel takes [k], [C][k] or [O][C/g][k]; give --dims 3 for a volume")


def test_flat_sources_are_vectors() -> None:
    """Inline text on one line, a flat JSON list and a 1-D .npy are vectors: --dims 1."""
    arrays = mio.load_arrays(["1 2 3", "[4, 5, 6]"])
    assert [a.shape for a in arrays] == [(3,), (3,)]
    assert mio.infer_dims(arrays) == 1
    assert mio.stack_arrays(arrays, ["1 2 3", "[4, 5, 6]"], "--input", 1).tolist() == [
        [1, 2, 3],
        [4, 5, 6],
    ]
    assert mio.infer_dims(mio.load_arrays(["1 2 3;"])) == 2  # a row ended by ';' is a matrix
    assert mio.infer_dims(mio.load_arrays(["1 2\n"])) == 2
    assert mio.load_stack(["1 2 3"]).shape == (1, 3)  # in 2-D a vector is one row


def test_empty_inline_source() -> None:
    assert error_of(mio.load_matrix, "") == "no numbers in --input (inline): it is empty"


# --------------------------------------------------------------------------- stdin


class FakeTerminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def test_stdin_text() -> None:
    got = mio.load_matrix("-", stdin=io.BytesIO(b"1 2\n3 4\n"))
    assert got.tolist() == [[1, 2], [3, 4]]


def test_stdin_sniffs_json_and_npy() -> None:
    assert mio.load_matrix("-", stdin=io.BytesIO(b"  \n[[1, 2]]")).tolist() == [[1, 2]]
    buffer = io.BytesIO()
    np.save(buffer, np.array([[1.5, 2.5]]))
    assert mio.load_matrix("-", stdin=io.BytesIO(buffer.getvalue())).tolist() == [[1.5, 2.5]]


def test_stdin_errors_are_labelled_stdin() -> None:
    message = error_of(mio.load_matrix, "-", stdin=io.BytesIO(b"1 2\n3\n"))
    assert message == "--input <stdin>: line 2, column 2: row 2 has 1 value, row 1 has 2"
    assert error_of(mio.load_matrix, "-", stdin=io.BytesIO(b"")) == (
        "no numbers in --input <stdin>: it is empty"
    )


def test_stdin_terminal_is_refused_without_reading() -> None:
    stream = FakeTerminal(b"1 2\n")
    message = error_of(mio.load_matrix, "-", option="--kernel", stdin=stream)
    assert message.startswith("--kernel <stdin>: standard input is a terminal; pipe a matrix")
    assert "cat img.csv |" in message
    assert stream.tell() == 0


def test_default_stdin_is_sys_stdin_buffer(monkeypatch: Any) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"4 5\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    assert mio.load_matrix("-").tolist() == [[4, 5]]


def test_text_only_stdin(monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("6 7\n"))
    assert mio.load_matrix("-").tolist() == [[6, 7]]


def test_missing_stdin(monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert error_of(mio.load_matrix, "-") == "--input <stdin>: there is no standard input"


def test_closed_stdin() -> None:
    stream = io.BytesIO(b"1")
    stream.close()
    assert "cannot read standard input" in error_of(mio.load_matrix, "-", stdin=stream)


# --------------------------------------------------------------------------- size limit


def test_default_limit(monkeypatch: Any) -> None:
    monkeypatch.delenv("CONVCLI_MAX_INPUT_BYTES", raising=False)
    assert mio.DEFAULT_MAX_INPUT_BYTES == 256 * 1024 * 1024
    assert mio.max_input_bytes() == mio.DEFAULT_MAX_INPUT_BYTES
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", " 1000 ")
    assert mio.max_input_bytes() == 1000


def test_file_over_the_limit(tmp_path: Path, monkeypatch: Any) -> None:
    path = write(tmp_path, "big.csv", "1,2,3,4,5\n")  # 10 bytes
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", "9")
    message = error_of(mio.load_matrix, path, kind=LimitError)
    assert message == (
        f"--input {path!r} is larger than the input limit of 9 bytes; "
        "set CONVCLI_MAX_INPUT_BYTES to a larger number of bytes to read it"
    )
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", "10")
    assert mio.load_matrix(path).shape == (1, 5)


def test_stdin_over_the_limit(monkeypatch: Any) -> None:
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", "2048")
    stream = io.BytesIO(b"1 " * 2000)
    message = error_of(mio.load_matrix, "-", stdin=stream, kind=LimitError)
    assert "--input <stdin> is larger than the input limit of 2 KiB" in message
    assert stream.tell() == 2049  # read at most the limit + 1 byte


def test_special_file_over_the_limit(monkeypatch: Any) -> None:
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", "1024")
    message = error_of(mio.load_matrix, "/dev/zero", kind=LimitError)
    assert "the input limit of 1 KiB" in message


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1.5", "１０"])
def test_bad_limit_value(value: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", value)
    message = error_of(mio.load_matrix, write(tmp_path, "a.csv", "1\n"), kind=LimitError)
    assert message == f"CONVCLI_MAX_INPUT_BYTES={value!r} is not a positive whole number of bytes"


def test_out_of_memory_is_a_limit_error(monkeypatch: Any) -> None:
    def exhausted(*_: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(mio_text, "_parse_fast", exhausted)
    message = error_of(mio.load_matrix, "-", stdin=io.BytesIO(b"1 2\n"), kind=LimitError)
    assert message == "--input <stdin>: not enough memory to read it"


def test_recursion_error_is_a_parse_error(monkeypatch: Any) -> None:
    def deep(*_: Any) -> None:
        raise RecursionError

    monkeypatch.setattr(mio_text, "_parse_slow", deep)
    assert error_of(inline, "1 2") == f"{INLINE}: nested too deeply to read"


# --------------------------------------------------------------------------- JSON


def test_json_matrix_and_kinds() -> None:
    got = parse_json("[[1, 2], [3, 12345678901234567890123]]")
    assert got.dtype == object
    assert got.tolist() == [[1, 2], [3, 12345678901234567890123]]
    assert parse_json("[[1.5, 2]]").dtype == np.float64


def test_json_strings_that_are_numbers() -> None:
    got = parse_json('[["3/16", "−1"], [" 2 ", 4]]')
    assert got.tolist() == [[Fraction(3, 16), -1], [2, 4]]


def test_json_data_object() -> None:
    assert parse_json('{"data": [[1, 2]], "note": "x"}').tolist() == [[1, 2]]
    message = error_of(parse_json, '{"data": [[1, "x"]]}')
    assert message == "--input 'm.json': data[0][1]: 'x' is not a number"


def test_json_ragged() -> None:
    message = error_of(parse_json, "[[1, 2], [3]]")
    assert message == "--input 'm.json': [1]: has 1 item, [0] has 2"


def test_json_ragged_depth() -> None:
    assert error_of(parse_json, "[[1], 2]") == (
        "--input 'm.json': [1]: expected a list of 1 item, got a number"
    )
    assert error_of(parse_json, "[[1, [2]]]") == (
        "--input 'm.json': [0][1]: expected a number, got a list"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ('[[1, 2], ["abc", 4]]', "[1][0]: 'abc' is not a number"),
        ("[[true, 2]]", "[0][0]: expected a number, got true"),
        ("[[1, false]]", "[0][1]: expected a number, got false"),
        ("[[1, null]]", "[0][1]: expected a number, got null"),
        ('[[1, {"a": 1}]]', "[0][1]: expected a number, got an object"),
        ("[[1e400]]", "[0][0]: '1e400' is out of the float64 range"),
        ("[[1e-400]]", "[0][0]: '1e-400' is too small for float64 (it would round to 0)"),
        (
            '[["٣"]]',
            "[0][0]: '٣' uses the non-ASCII digit '٣'; write numbers with ASCII digits 0-9",
        ),
        ('[["１"]]', "[0][0]: '１' has a full-width digit one '１' (U+FF11); use '1'"),
        ('[["－1"]]', "[0][0]: '－1' has a full-width hyphen-minus '－' (U+FF0D); use '-'"),
    ],
)
def test_json_bad_leaves_name_the_path(source: str, reason: str) -> None:
    assert error_of(parse_json, source) == f"--input 'm.json': {reason}"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_non_finite(constant: str) -> None:
    message = error_of(parse_json, f"[[1, {constant}]]")
    assert message == (
        f"--input 'm.json': [0][1]: {constant!r} is not a finite number "
        "(pass --allow-nan to accept it)"
    )
    assert not np.isfinite(parse_json(f"[[1, {constant}]]", allow_nan=True)[0, 1])
    assert "[0][0]" in error_of(parse_json, '[["nan"]]')


def test_json_shapes() -> None:
    assert parse_json("[1, 2, 3]").shape == (3,)  # a vector; 2-D commands take it as one row
    assert parse_json("[[[1, 2]], [[3, 4]]]").shape == (2, 1, 2)
    assert parse_json("[[[[1]]], [[[2]]]]").shape == (2, 1, 1, 1)
    assert parse_json("[[[[[1]]]]]").shape == (1,) * 5  # a stack of 3-D kernels
    message = error_of(parse_json, "[[[[[[1]]]]]]")
    assert message == (
        "--input 'm.json': [0][0][0][0][0]: lists nested more than 5 deep; an array is at most 5-D"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("[]", "an empty list; a matrix needs at least one number"),
        ("[[]]", "[0]: an empty list; a matrix needs at least one number"),
        ('{"data": []}', "data: an empty list; a matrix needs at least one number"),
        ("5", "expected a nested list of numbers such as [[1, 2], [3, 4]], got a number"),
        ('"x"', "expected a nested list of numbers such as [[1, 2], [3, 4]], got the string 'x'"),
        ("null", "expected a nested list of numbers such as [[1, 2], [3, 4]], got null"),
        (
            "{}",
            'expected a nested list of numbers, or an object with a "data" key holding one; '
            "got an empty object",
        ),
        (
            '{"output": [[1]]}',
            'expected a nested list of numbers, or an object with a "data" key holding one; '
            'got an object with the keys "output"',
        ),
    ],
)
def test_json_wrong_top_level(source: str, reason: str) -> None:
    assert error_of(parse_json, source) == f"--input 'm.json': {reason}"


def test_json_syntax_error_has_line_and_column() -> None:
    message = error_of(parse_json, "[[1, 2],\n [3, 4")
    assert message == "--input 'm.json': line 2, column 7: invalid JSON: Expecting ',' delimiter"
    message = error_of(parse_json, "[[1, 2]] x")
    assert message == "--input 'm.json': line 1, column 10: invalid JSON: Extra data"


def test_json_empty_text() -> None:
    assert (
        error_of(parse_json, "  \n") == "no numbers in --input 'm.json': it holds only blank space"
    )


def test_json_nesting_100000_deep() -> None:
    message = error_of(parse_json, "[" * 100_000 + "]" * 100_000)
    assert message == (
        "--input 'm.json': the JSON is nested too deeply; a matrix is at most 5 lists deep"
    )


def test_json_nesting_just_under_the_recursion_limit() -> None:
    message = error_of(parse_json, "[" * 500 + "1" + "]" * 500)
    assert "lists nested more than 5 deep" in message


def test_json_overlong_numbers() -> None:
    message = error_of(parse_json, "[[" + "1" * 5000 + "]]")
    assert message.startswith("--input 'm.json': [0][0]: '1111")
    assert "a number has at most 4300" in message
    assert "at most 4300" in error_of(parse_json, '[["' + "2" * 5000 + '"]]')


def test_json_file(tmp_path: Path) -> None:
    path = write(tmp_path, "m.json", '{"data": [[1, "1/2"]]}')
    assert mio.load_matrix(path).tolist() == [[1, Fraction(1, 2)]]
    bad = write(tmp_path, "bad.json", "[[1, 2], [3]]")
    assert error_of(mio.load_matrix, bad) == f"--input {bad!r}: [1]: has 1 item, [0] has 2"


def test_json_file_3d_input_and_4d_kernel(tmp_path: Path) -> None:
    path = write(tmp_path, "k.json", json.dumps([[[[1, 0], [0, 1]]], [[[2, 0], [0, 2]]]]))
    assert mio.load_matrix(path, option="--kernel").shape == (2, 1, 2, 2)
    assert "is a stack of kernels" in error_of(mio.load_matrix, path)


def test_extensionless_file_is_sniffed(tmp_path: Path) -> None:
    assert mio.load_matrix(write(tmp_path, "matrix", "[[1, 2]]")).tolist() == [[1, 2]]
    assert mio.load_matrix(write(tmp_path, "plain", "1 2\n")).tolist() == [[1, 2]]


# --------------------------------------------------------------------------- .npy


def npy_file(tmp_path: Path, array: Any, name: str = "a.npy") -> str:
    path = tmp_path / name
    np.save(path, array)
    return str(path)


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [
        (np.int8, np.int64),
        (np.int16, np.int64),
        (np.int32, np.int64),
        (np.int64, np.int64),
        (np.uint8, np.int64),
        (np.uint32, np.int64),
        (np.float16, np.float64),
        (np.float32, np.float64),
        (np.float64, np.float64),
        (">i4", np.int64),
        (">f8", np.float64),
    ],
)
def test_npy_dtypes(tmp_path: Path, dtype: Any, kind: Any) -> None:
    array = np.arange(6).reshape(2, 3).astype(dtype)
    got = mio.load_matrix(npy_file(tmp_path, array))
    assert got.dtype == kind
    assert got.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got.flags.writeable


def test_npy_uint64_beyond_int64_stays_exact(tmp_path: Path) -> None:
    got = mio.load_matrix(npy_file(tmp_path, np.array([[2**64 - 1, 1]], dtype=np.uint64)))
    assert got.dtype == object
    assert got.tolist() == [[2**64 - 1, 1]]


def test_npy_fortran_order(tmp_path: Path) -> None:
    array = np.asfortranarray(np.arange(6).reshape(2, 3))
    assert mio.load_matrix(npy_file(tmp_path, array)).tolist() == array.tolist()


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.array([[True, False]]), "bool (booleans)"),
        (np.array([[1 + 2j]]), "complex128 (complex numbers)"),
        (np.array([["a", "b"]]), "<U1 (strings)"),
        (np.array([[b"a"]]), "|S1 (bytes)"),
        (np.array([[np.datetime64("2020-01-01")]]), "datetime64[D] (dates)"),
        (np.zeros(2, dtype=[("x", "i4"), ("y", "f8")]), "records"),
    ],
)
def test_npy_non_numeric_dtypes_refused(tmp_path: Path, array: Any, words: str) -> None:
    path = npy_file(tmp_path, array)
    message = error_of(mio.load_matrix, path)
    assert message.startswith(f"--input {path!r}: an array of ")
    assert words in message
    assert message.endswith("not of numbers")


def test_npy_object_array_needs_pickle_so_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.npy"
    np.save(path, np.array([[1, "x"]], dtype=object), allow_pickle=True)
    message = error_of(mio.load_matrix, str(path))
    assert message.startswith(f"--input {str(path)!r}: not a readable .npy file")


def test_npy_shapes(tmp_path: Path) -> None:
    assert mio.load_matrix(npy_file(tmp_path, np.array(5))).tolist() == [[5]]  # 0-D: 1×1
    assert mio.load_matrix(npy_file(tmp_path, np.arange(3))).tolist() == [[0, 1, 2]]
    assert mio.load_matrix(npy_file(tmp_path, np.zeros((2, 3, 4)))).shape == (2, 3, 4)
    four = npy_file(tmp_path, np.zeros((2, 1, 3, 3)))
    assert mio.load_matrix(four, option="--kernel").shape == (2, 1, 3, 3)
    assert "is a stack of kernels" in error_of(mio.load_matrix, four)
    five = npy_file(tmp_path, np.zeros((1, 1, 1, 1, 1)))
    assert error_of(mio.load_matrix, five).endswith("give --dims 3 for a volume")
    six = npy_file(tmp_path, np.zeros((1,) * 6))
    expected = f"--input {six!r}: a 6-D array; an array is at most 5-D"
    assert error_of(mio.load_matrix, six) == expected
    assert mio.load_array(npy_file(tmp_path, np.arange(3))).shape == (3,)  # a vector


def test_npy_empty(tmp_path: Path) -> None:
    path = npy_file(tmp_path, np.zeros((0, 3)))
    assert (
        error_of(mio.load_matrix, path)
        == f"no numbers in --input {path!r}: the array is empty (0×3)"
    )


def test_npy_nan_and_inf(tmp_path: Path) -> None:
    path = npy_file(tmp_path, np.array([[1.0, 2.0], [np.inf, np.nan]]))
    message = error_of(mio.load_matrix, path)
    assert message == (
        f"--input {path!r}: [1][0]: 'inf' is not a finite number (pass --allow-nan to accept it)"
    )
    assert mio.load_matrix(path, allow_nan=True).shape == (2, 2)


def test_npy_corrupt_and_npz(tmp_path: Path) -> None:
    good = io.BytesIO()
    np.save(good, np.arange(100))
    truncated = write(tmp_path, "t.npy", good.getvalue()[:90])
    assert error_of(mio.load_matrix, truncated).startswith(
        f"--input {truncated!r}: not a readable .npy file ("
    )
    garbage = write(tmp_path, "g.npy", b"not numpy at all")
    assert "not a readable .npy file" in error_of(mio.load_matrix, garbage)
    npz = tmp_path / "z.npy"
    with open(npz, "wb") as handle:
        np.savez(handle, a=np.arange(3))
    assert error_of(mio.load_matrix, str(npz)) == (
        f"--input {str(npz)!r}: an .npz archive, not a single .npy array"
    )


def test_npy_out_of_memory_is_a_limit_error(tmp_path: Path, monkeypatch: Any) -> None:
    path = npy_file(tmp_path, np.arange(3))

    def exhausted(*_: Any, **__: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(np, "load", exhausted)
    message = error_of(mio.load_matrix, path, kind=LimitError)
    assert message == f"--input {path!r}: not enough memory to read it"


def test_npy_magic_is_sniffed_whatever_the_extension(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[7, 8]]))
    assert mio.load_matrix(write(tmp_path, "odd.csv", buffer.getvalue())).tolist() == [[7, 8]]


# --------------------------------------------------------------------------- load_stack


def test_stack_one_source_is_load_matrix() -> None:
    assert mio.load_stack(["1 2; 3 4"]).shape == (2, 2)


def test_stack_inputs_as_channels() -> None:
    got = mio.load_stack(["1 2; 3 4", "5 6; 7 8 | 9 10; 11 12"])
    assert got.shape == (3, 2, 2)
    assert got.dtype == np.int64
    assert got[2].tolist() == [[9, 10], [11, 12]]


def test_stack_input_shapes_must_match(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "1,2,3\n")
    message = error_of(mio.load_stack, ["1 2; 3 4", path])
    assert message == (
        f"--input #2 ({path!r}) is 1×3, but --input #1 ('1 2; 3 4') is 2×2; "
        "stacked channels must have the same shape"
    )


def test_stack_stdin_once() -> None:
    got = mio.load_stack(["-", "3 4"], stdin=io.BytesIO(b"1 2\n"))
    assert got.tolist() == [[[1, 2]], [[3, 4]]]
    message = error_of(mio.load_stack, ["-", "1", "-"], stdin=io.BytesIO(b"1\n"))
    assert message == "--input: '-' (stdin) given twice; standard input can be read only once"


def test_stack_unifies_kinds() -> None:
    assert mio.load_stack(["1 2", "1/2 3"]).tolist() == [[[1, 2]], [[Fraction(1, 2), 3]]]
    floats = mio.load_stack(["1 2", "0.5 3"])
    assert floats.dtype == np.float64
    assert floats.tolist() == [[[1.0, 2.0]], [[0.5, 3.0]]]
    big = mio.load_stack(["1 2", str(2**80) + " 3"])
    assert big.dtype == object
    assert type(big[0, 0, 0]) is int


def test_stack_huge_int_with_floats() -> None:
    message = error_of(mio.load_stack, ["9" * 400, "0.5"])
    assert message == "--input: an integer too large for float64 cannot be stacked with floats"


def test_stack_kernels() -> None:
    got = mio.load_stack(["sobel-x", "sobel-y"], option="--kernel")
    assert got.shape == (2, 1, 3, 3)
    assert got.dtype == np.int64
    mixed = mio.load_stack(["sobel-x", "gaussian-3", "1 1 1; 1 1 1; 1 1 1"], option="--kernel")
    assert mixed.shape == (3, 1, 3, 3)
    assert mixed[1, 0, 1, 1] == Fraction(1, 4)


def test_stack_kernels_3d_and_4d() -> None:
    three = "1 0; 0 1 | 2 0; 0 2"  # one kernel over two channels
    four = "[[[[1, 1], [1, 1]], [[0, 0], [0, 0]]], [[[5, 5], [5, 5]], [[6, 6], [6, 6]]]]"
    got = mio.load_stack([three, four], option="--kernel")
    assert got.shape == (3, 2, 2, 2)
    assert got[2, 1].tolist() == [[6, 6], [6, 6]]


def test_stack_kernel_shapes_must_match() -> None:
    message = error_of(mio.load_stack, ["sobel-x", "1 0; 0 1"], option="--kernel")
    assert message == (
        "--kernel #2 ('1 0; 0 1') is 1×2×2, but --kernel #1 ('sobel-x') is 1×3×3; "
        "stacked kernels must have the same shape"
    )


def test_stack_mismatch_names_stdin() -> None:
    message = error_of(mio.load_stack, ["1 2 3", "-"], stdin=io.BytesIO(b"1 2\n"))
    assert message.startswith("--input #2 (<stdin>) is 1×2, but --input #1 ('1 2 3') is 1×3")


def test_stack_nothing() -> None:
    assert error_of(mio.load_stack, []) == "--input: no matrix given"


# --------------------------------------------------------------------------- writers


def test_format_csv() -> None:
    assert mio.format_csv(np.array([[1, -2], [3, 4]])) == "1,-2\n3,4\n"
    fractions = array_from_values([Fraction(1, 3), 2, Fraction(-4, 2), 5], (2, 2))
    assert mio.format_csv(fractions) == "1/3,2\n-2,5\n"
    assert mio.format_csv(np.array([[0.1, 1e-05, 2.0, -0.0]])) == "0.1,1e-05,2.0,-0.0\n"
    assert mio.format_csv(array_from_values([2**70], (1, 1))) == f"{2**70}\n"


def test_format_csv_channels_and_odd_ranks() -> None:
    assert mio.format_csv(np.arange(8).reshape(2, 2, 2)) == "0,1\n2,3\n\n4,5\n6,7\n"
    assert mio.format_csv(np.array([1, 2])) == "1,2\n"
    assert mio.format_csv(np.array(3)) == "3\n"
    assert mio.format_csv(np.zeros((2, 1, 1, 1), dtype=np.int64)) == "0\n\n0\n"


def test_format_json() -> None:
    obj = {
        "command": "conv",
        "output": array_from_values([1, Fraction(1, 2), Fraction(4, 2), 2**70], (2, 2)),
        "floats": np.array([0.5, np.nan, np.inf, -np.inf]),
        "shape": (2, 2),
        "count": np.int64(3),
        "scale": np.float32(0.5),
        "exact": np.bool_(False),
        "nested": {"cell": (0, 1), "value": Fraction(3, 16)},
        "none": None,
    }
    out = mio.format_json(obj)
    assert out.endswith("}\n")
    assert out.count("\n") == 1
    assert out == (
        '{"command": "conv", "output": [[1, "1/2"], [2, 1180591620717411303424]], '
        '"floats": [0.5, "NaN", "Infinity", "-Infinity"], "shape": [2, 2], "count": 3, '
        '"scale": 0.5, "exact": false, "nested": {"cell": [0, 1], "value": "3/16"}, "none": null}\n'
    )
    assert list(json.loads(out)) == list(obj)


def test_format_json_reads_back() -> None:
    array = array_from_values([1, Fraction(-1, 3), 7, 2**70], (2, 2))
    document = mio.format_json({"data": array, "command": "x"})
    assert_identical(mio.parse_json(document, label="x"), array)


def test_format_markdown() -> None:
    out = mio.format_markdown(np.array([[1, -10], [5, 1000]]))
    assert out == (
        "|     |   0 |    1 |\n| --: | --: | ---: |\n|   0 |   1 |  -10 |\n|   1 |   5 | 1000 |\n"
    )
    fractions = mio.format_markdown(array_from_values([Fraction(-1, 12), 2], (1, 2)))
    assert fractions == "|     |     0 |   1 |\n| --: | ----: | --: |\n|   0 | -1/12 |   2 |\n"


def test_format_markdown_channels() -> None:
    out = mio.format_markdown(np.arange(4).reshape(2, 1, 2))
    assert out == (
        "**channel 0**\n\n"
        "|     |   0 |   1 |\n| --: | --: | --: |\n|   0 |   0 |   1 |\n"
        "\n"
        "**channel 1**\n\n"
        "|     |   0 |   1 |\n| --: | --: | --: |\n|   0 |   2 |   3 |\n"
    )
    titles = re.findall(r"\*\*(.*)\*\*", mio.format_markdown(np.zeros((2, 2, 1, 1))))
    assert titles == [
        "kernel 0, channel 0",
        "kernel 0, channel 1",
        "kernel 1, channel 0",
        "kernel 1, channel 1",
    ]


def test_format_latex() -> None:
    array = array_from_values([1, Fraction(-1, 2), Fraction(3, 4), -2], (2, 2))
    assert mio.format_latex(array) == (
        "\\begin{bmatrix}\n1 & -\\frac{1}{2} \\\\\n\\frac{3}{4} & -2\n\\end{bmatrix}\n"
    )
    floats = np.array([[0.5, np.nan, np.inf, -np.inf]])
    assert mio.format_latex(floats) == (
        "\\begin{bmatrix}\n0.5 & \\mathrm{NaN} & \\infty & -\\infty\n\\end{bmatrix}\n"
    )


def test_format_latex_channels() -> None:
    out = mio.format_latex(np.arange(4).reshape(2, 2, 1))
    assert out == (
        "% channel 0\n\\begin{bmatrix}\n0 \\\\\n1\n\\end{bmatrix}\n"
        "% channel 1\n\\begin{bmatrix}\n2 \\\\\n3\n\\end{bmatrix}\n"
    )


# --------------------------------------------------------------------------- fast path


def test_fast_path_is_taken_for_clean_text() -> None:
    for source in [
        "1,2\n3,4\n",
        "1 2\n3 4",
        " 1 ,\t2\n3, 4 \n\n5,6\n7,8\n\n",
        "# header\n1;2\n3;4 # trailing\n",
        "1.5e3\t-2\n.5\t5.\n",
        "+7 -0 007\n",
    ]:
        fast = mio_fast._parse_fast(source)
        assert fast is not None, source
        assert_identical(fast, mio_text._parse_slow(source, FILE, False, False))


@pytest.mark.parametrize(
    "source",
    [
        "1/2 3",  # fraction
        "−1 2",  # non-ASCII
        "1 2 | 3 4",  # pipe
        "1234567890123456789 1",  # may overflow int64
        "1e400",  # out of range
        "1e-400 1",  # underflow
        "0e5 1.5",  # a zero with a nonzero digit: checked exactly
        "0.5,-0",  # the integer -0 is 0: +0.0 in a float matrix, not strtod's -0.0
        "1,,2",
        "1,2,",
        "1 2,3",
        "1-2",
        "1.2.3",
        "1e5e5",
        "1e-.5",
        ".",
        "-.e5",
        "1,2\n3",
        "1 2\n\n3",
        "nan",
        "\n\n",
    ],
)
def test_fast_path_declines_what_needs_the_exact_tokenizer(source: str) -> None:
    assert mio_fast._parse_fast(source) is None


def test_fromstring_is_only_trusted_with_an_exact_count() -> None:
    # np.fromstring is lenient; the fast path checks the count it expected and falls back.
    assert mio_fast._from_bytes(b"1,2", ",", np.int64, (1, 3)) is None
    assert mio_fast._from_bytes(b"x", ",", np.int64, (1, 1)) is None
    assert mio_fast._from_bytes(b"\n1,2\n\n\n3,4\n", ",", np.int64, (2, 1, 2)) is not None


def test_large_clean_csv_uses_the_fast_path() -> None:
    rng = np.random.default_rng(7)
    array = rng.integers(-(10**6), 10**6, size=(300, 400))
    csv = mio.format_csv(array)
    fast = mio_fast._parse_fast(csv)
    assert fast is not None
    assert_identical(fast, array)
    assert_identical(text(csv), array)


# --------------------------------------------------------------------------- properties

int_tokens = st.integers(-(10**25), 10**25).map(str)
float_tokens = st.floats(allow_nan=False, allow_infinity=False).map(repr)
decimal_tokens = st.from_regex(
    r"[+-]?(?:[0-9]{1,3}\.?[0-9]{0,3}|\.[0-9]{1,3})(?:[eE][+-]?[0-9]{1,3})?", fullmatch=True
)
odd_tokens = st.sampled_from(
    [
        *("0", "-0", "+5", "007", "1e400", "1e-400", "0e5", "0.0e-999", "5e-324", "1/2", "−3"),
        *(".", "-", "e5", "1.2.3", "1e5e5", "1e-.5", "--1", "+-1", "1-2", "1e", "1.e5", "nan"),
    ]
)
junk_tokens = st.text(alphabet="0123456789+-.eE", min_size=1, max_size=6)
tokens = st.one_of(int_tokens, float_tokens, decimal_tokens, odd_tokens, junk_tokens)


@st.composite
def matrix_texts(draw: st.DrawFn) -> str:
    """Matrix-like text: mostly well formed, often slightly broken."""
    channels = draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    token = draw(st.sampled_from([int_tokens, decimal_tokens, float_tokens, tokens]))
    delimiter = draw(st.sampled_from([",", "\t", ";", " "]))
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    rows = []
    for c in range(channels):
        if c:
            rows.append(draw(st.sampled_from(["", " ", "\t", "|"])))
        for _ in range(height):
            cells = [draw(token) for _ in range(width)]
            rows.append(
                (pad + delimiter + pad).join(cells)
                if delimiter != " "
                else pad.join([""] + [c + " " for c in cells])
            )
    if draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), draw(st.sampled_from(["# note", "  # x, y"])))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = newline.join(rows) + draw(st.sampled_from(["", newline, newline * 2]))
    for _ in range(draw(st.integers(0, 2))):  # small damage anywhere
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(list("0123456789+-.eE,;\t \n#|/x"))) + body[at:]
    return body


def slow_or_none(source: str) -> Any:
    try:
        return mio_text._parse_slow(source, FILE, False, False)
    except ParseError:
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrix_texts())
def test_fast_path_agrees_with_the_exact_tokenizer(source: str) -> None:
    """Whenever the fast path accepts a text, the exact tokenizer gives the identical array."""
    normalised = mio_common._normalise_newlines(source)
    fast = mio_fast._parse_fast(normalised)
    slow = slow_or_none(normalised)
    if fast is not None:
        assert slow is not None, source
        assert_identical(fast, slow)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
        elements=st.integers(-(10**17), 10**17),
    ),
    st.sampled_from([",", "\t", ";", " "]),
)
def test_fast_path_takes_clean_integer_text(array: Any, delimiter: str) -> None:
    source = "".join(delimiter.join(map(str, row)) + "\n" for row in array.tolist())
    fast = mio_fast._parse_fast(source)
    assert fast is not None
    assert_identical(fast, array)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_fast_path_takes_clean_float_text(array: Any) -> None:
    fast = mio_fast._parse_fast(mio.format_csv(array))
    assert fast is not None
    assert_identical(fast, array)


shapes_2d_3d = st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, max_side=5),
    st.tuples(st.integers(2, 3), st.integers(1, 4), st.integers(1, 4)),
)


def exact_arrays(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return shapes_2d_3d.flatmap(
        lambda shape: st.lists(
            values, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))
        ).map(lambda flat: array_from_values(flat, shape))
    )


int64_arrays = shapes_2d_3d.flatmap(lambda shape: hnp.arrays(np.int64, shape))
big_int_arrays = exact_arrays(st.integers(-(2**100), 2**100))
fraction_arrays = exact_arrays(
    st.one_of(st.integers(-50, 50), st.fractions(max_denominator=1000))
).filter(lambda a: any(isinstance(v, Fraction) and v.denominator != 1 for v in a.flat))
float_arrays = shapes_2d_3d.flatmap(
    lambda shape: hnp.arrays(
        np.float64, shape, elements=st.floats(allow_nan=False, allow_infinity=False)
    )
)


def normalised_fractions(array: Any) -> Any:
    """What the reader gives back: integral fractions are plain ints."""
    if array.dtype != object:
        return array
    values = [int(v) if isinstance(v, Fraction) and v.denominator == 1 else v for v in array.flat]
    return array_from_values(values, array.shape)


@settings(max_examples=150, deadline=None)
@given(st.one_of(int64_arrays, big_int_arrays, fraction_arrays, float_arrays))
def test_csv_round_trip(array: Any) -> None:
    assert_identical(text(mio.format_csv(array)), normalised_fractions(array))


@settings(max_examples=100, deadline=None)
@given(st.one_of(int64_arrays, big_int_arrays, fraction_arrays, float_arrays))
def test_json_round_trip(array: Any) -> None:
    document = mio.format_json({"data": array})
    assert_identical(mio.parse_json(document, label="x"), normalised_fractions(array))


@settings(max_examples=100, deadline=None)
@given(st.one_of(int64_arrays, fraction_arrays, float_arrays))
def test_markdown_and_latex_have_one_line_per_row(array: Any) -> None:
    matrices = array.reshape(-1, *array.shape[-2:])
    rows = matrices.shape[0] * matrices.shape[1]
    markdown = mio.format_markdown(array)
    table_lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table_lines) == rows + 2 * matrices.shape[0]
    latex = mio.format_latex(array)
    assert latex.count("\\begin{bmatrix}") == matrices.shape[0]
    assert latex.count(" \\\\\n") == rows - matrices.shape[0]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.booleans(), st.booleans())
def test_any_text_gives_an_array_or_a_parse_error(
    source: str, as_inline: bool, allow_nan: bool
) -> None:
    try:
        got = mio.parse_text(source, label=FILE, inline=as_inline, allow_nan=allow_nan)
    except ParseError:
        return
    assert got.ndim in (2, 3)
    assert got.dtype in (np.int64, np.float64, object)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='[]{}",:0123456789.eE-+ truefalsnNaIy\n/', max_size=40), st.booleans())
def test_any_json_gives_an_array_or_a_parse_error(source: str, allow_nan: bool) -> None:
    try:
        got = mio.parse_json(source, label="x", allow_nan=allow_nan)
    except ParseError:
        return
    assert 1 <= got.ndim <= 5  # a vector to a stack of 3-D kernels


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_any_bytes_on_stdin_give_an_array_or_a_convcli_error(data: bytes) -> None:
    assume(not data.startswith(b"\x93NUMPY"))
    with contextlib.suppress(ConvError):
        mio.load_matrix("-", stdin=io.BytesIO(data), option="--kernel")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_characters="/\\"), max_size=30)
    | st.binary(max_size=20).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(["--input", "--kernel"]),
)
def test_any_source_string_gives_an_array_or_a_convcli_error(source: str, option: str) -> None:
    with contextlib.suppress(ConvError):
        got = mio.load_matrix(source, option=option, stdin=io.BytesIO(b"1"))
        assert 2 <= got.ndim <= 4


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_after_the_npy_magic_give_an_array_or_a_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        mio.load_matrix("-", stdin=io.BytesIO(b"\x93NUMPY" + data))


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
        elements=st.one_of(
            st.integers(-(2**63), 2**63 - 1),
            st.integers(-1000, 1000),
            st.sampled_from([0, -1, 10, -10]),
        ),
    )
)
def test_int64_csv_writer_equals_str(matrix: np.ndarray) -> None:
    expected = "".join(",".join(str(v) for v in row) + "\n" for row in matrix.tolist())
    assert mio.format_csv(matrix) == expected
