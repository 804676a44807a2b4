r"""Read matrices from standard input, files and inline text; write csv, json, markdown, latex.

>>> parse_text("1 2 0; −1 3/4 2", label="--input (inline)", inline=True).tolist()
[[1, 2, 0], [-1, Fraction(3, 4), 2]]
>>> parse_text("1,2\n3", label="--input 'm.csv'", inline=False)
Traceback (most recent call last):
...
convcli.errors.ParseError: --input 'm.csv': line 2, column 2: row 2 has 1 value, row 1 has 2
>>> print(format_csv(parse_json('[[1, "1/2"], [2.5, -3]]', label="--kernel (inline)")), end="")
1.0,0.5
2.5,-3.0

Where a matrix comes from (``load_matrix``), in this order:

- ``-`` is standard input. A terminal is refused at once (never a silent wait).
- An existing path is a file; a directory or an unreadable file is an error.
- With ``--kernel``, a preset name (``sobel-x``, ``box-5``, ``gaussian:7,1.5``).
- Anything else is inline text: a JSON literal when it starts with ``[`` or ``{``, else rows
  separated by ``;`` or newlines, cells by spaces and/or one comma, channels by ``|``.
  When inline text cannot be read and it looks like a path (``x.csv``, ``data/img``), the
  error is ``no such file``; a plain word is ``neither a file nor a matrix``.

Policies (each one is tested in ``tests/test_matrix_io.py``):

- Files ``.json`` are JSON, ``.npy`` (or any bytes starting with the npy magic) are numpy
  arrays, ``.csv``/``.tsv``/``.txt`` are text; standard input and files with any other
  extension are sniffed: npy magic, then JSON when the first non-blank character is ``[`` or
  ``{``, else text.
- Size limit: at most 256 MiB are read from a file or standard input; set
  ``CONVCLI_MAX_INPUT_BYTES`` (a whole number of bytes) to change it. A larger input is
  refused before it is parsed (a regular file before it is read).
- Encoding: UTF-8, with or without a BOM. UTF-16/UTF-32 (a BOM, or every other byte NUL) is
  refused with advice to convert it to UTF-8; a NUL byte or an invalid UTF-8 byte is an error
  naming its line and column. CRLF, LF and a lone CR all end a line.
- ``#`` starts a comment up to the end of the line, in files and inline text.
- Cells in a file: the delimiter is sniffed once per source, comments aside: ``,`` if any
  line has a comma, else tab if a tab stands between two values on some line, else ``;``,
  else runs of spaces and tabs. Spaces and tabs around a delimited cell are ignored.
- An empty field (``1,,2``, a leading ``,``) is an error naming its column; so is a trailing
  delimiter (``1,2,``: "empty field after the last ','"). Runs of spaces are one separator.
- Inline rows: empty rows (``;;``, a trailing ``;``, blank lines) are skipped.
- Channels: in a file, blank lines (only spaces or tabs) between rows separate channels;
  several blank lines are one separator; leading and trailing blank lines are ignored. A line
  holding only a comment is not blank. A line holding only ``|`` also separates channels.
  Inline, ``|`` separates channels and an empty channel is an error.
- Every row of a channel has the same number of values (else "row 3 has 2 values, row 1 has
  3") and every channel the same shape; a text without any number is an error
  ("no numbers in …").
- Numbers are ASCII: integers (exact, any size up to 4300 digits), decimals and scientific
  notation (float64), fractions ``a/b`` (exact), and a Unicode minus ``−``. Full-width or
  other non-ASCII digits are refused, never normalised. ``1e400`` (out of range) and
  ``1e-400`` (would round to 0) are errors. ``nan``, ``inf`` and ``Infinity`` (and JSON
  ``NaN``/``Infinity``) are errors unless ``--allow-nan``. A huge integer in a matrix that
  also holds floats is an error (it has no float64 value). One float makes the whole matrix
  float64; the integer ``-0`` is 0 (``0.0`` there), while ``-0.0`` stays ``-0.0``.
- JSON: a nested list of numbers (1-D is one row, 2-D a matrix, 3-D ``[C][H][W]``, 4-D
  ``[O][C][kh][kw]`` for kernels only), or an object whose ``"data"`` is one. JSON integers
  are exact, JSON decimals float64; a string is a number when it reads as one (``"3/16"``,
  ``"−1"``), so convcli's own JSON reads back. ``true``, ``null``, other strings, objects,
  ragged lists, ``[]``, ``[[]]`` and a bare scalar are errors naming the JSON path
  (``[2][0]``); syntax errors name the line and column.
- ``.npy``: integer and float dtypes (any width; uint64 above int64 stays exact), 0-D to 4-D;
  a 0-D array is a 1×1 matrix and a 1-D array one row. bool, complex, string, structured,
  datetime and pickled object arrays are refused; NaN or infinity unless ``--allow-nan``.
- A 4-D matrix is a stack of kernels: accepted for ``--kernel``, refused for ``--input``.
- Several sources (``load_stack``): ``-`` at most once. Inputs are stacked as channels (a 3-D
  source adds all of its channels), kernels as output kernels (a 4-D source adds all of its
  kernels); shapes must match and the kinds are unified (int < fraction < float).

Writers (pure, deterministic, no colour): csv writes ints plainly, fractions ``a/b`` and floats
with ``repr``, channels (and the matrices of a 4-D array, in order) one blank line apart, and
reads back to the identical array (a 3-D array of one channel reads back 2-D); json
writes one object on one line in ASCII (other characters escaped), keys in insertion order,
integral fractions as ints and others as ``"a/b"``, non-finite floats as ``NaN`` and
``Infinity`` (as Python's json does); markdown writes one GitHub table per channel with
0-based row and column indices; latex writes one ``bmatrix`` per channel, fractions as
``\frac{a}{b}``, NaN as ``\mathrm{NaN}`` and infinities as ``\infty``. 3-D arrays are
titled ``channel k`` and 4-D ones ``kernel o, channel c`` (0-based), in markdown and latex.

Speed: files and standard input in clean ASCII (one delimiter, integers or decimals) are
checked and converted in bulk by numpy; anything else, and every error, goes through the exact
tokenizer, which gives the identical array (a property test holds them to it).
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, BinaryIO

import numpy as np

from convcli.errors import LimitError, ParseError
from convcli.kernels import get_kernel, is_kernel_name
from convcli.numbers import (
    Array,
    Number,
    array_from_values,
    canonical,
    format_number,
    json_number,
    parse_number,
    to_nested,
    unify,
)

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_INPUT_ENV",
    "format_csv",
    "format_json",
    "format_latex",
    "format_markdown",
    "load_matrix",
    "load_stack",
    "parse_json",
    "parse_text",
]

DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_INPUT_ENV = "CONVCLI_MAX_INPUT_BYTES"
# Python refuses int() of longer digit strings by default, and int() is quadratic beyond it.
MAX_TOKEN_CHARS = 4300
MAX_RANK = 4

_NPY_MAGIC = b"\x93NUMPY"
_FORMAT_BY_EXTENSION = {
    ".json": "json",
    ".npy": "npy",
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
}
_PATH_EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".npy")
_NOT_PATH_CHARS = re.compile(r"[;|\s]")
_NUMBER_CHARS = re.compile(r"[0-9+\-−.,/eE]+")
_WORD = re.compile(r"[^\W\d][\w-]*")
_NON_FINITE_WORDS = frozenset({"nan", "inf", "infinity"})
_WORDS_IN_FIELD = re.compile(r"[^ \t]+")
_JSON_START = re.compile(r"\s*[\[{]")
_BLANKS = " \t"
_INNER_TAB = re.compile(r"[^ \t\n][ \t]*\t[ \t]*[^ \t\n]")  # a tab between two values


# --------------------------------------------------------------------------- sources


def load_matrix(
    source: str,
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
) -> Array:
    """The matrix named by one ``--input``/``--kernel`` value (see the module docstring).

    >>> load_matrix("1 2 | 3 4").shape
    (2, 1, 2)
    """
    kind, label = _resolve(source, option)
    with _resource_guard(label):
        array = _load(kind, source, option, label, allow_nan, stdin)
    if array.ndim == MAX_RANK and option != "--kernel":
        msg = (
            f"{label}: a 4-D array ({_shape_text(array.shape)}) is a stack of kernels; "
            f"{option} takes a 2-D [H][W] or 3-D [C][H][W] matrix"
        )
        raise ParseError(msg)
    return array


def load_stack(
    sources: Sequence[str],
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
) -> Array:
    """Several sources as one array: input channels ``[C][H][W]`` or kernels ``[O][C][kh][kw]``.

    >>> load_stack(["1 2; 3 4", "5 6; 7 8"]).shape
    (2, 2, 2)
    """
    if not sources:
        msg = f"{option}: no matrix given"
        raise ParseError(msg)
    if len(sources) == 1:
        return load_matrix(sources[0], option=option, allow_nan=allow_nan, stdin=stdin)
    if sum(source == "-" for source in sources) > 1:
        msg = f"{option}: '-' (stdin) given twice; standard input can be read only once"
        raise ParseError(msg)
    arrays = [load_matrix(s, option=option, allow_nan=allow_nan, stdin=stdin) for s in sources]
    kernels = option == "--kernel"
    parts = [_as_kernels(a) if kernels else _as_channels(a) for a in arrays]
    _check_stack_shapes(parts, sources, option, "kernels" if kernels else "channels")
    try:
        return np.concatenate(unify(parts), axis=0)
    except OverflowError:
        msg = f"{option}: an integer too large for float64 cannot be stacked with floats"
        raise ParseError(msg) from None


@contextmanager
def _resource_guard(label: str) -> Iterator[None]:
    """MemoryError and RecursionError, which some inputs provoke, as convcli errors."""
    try:
        yield
    except MemoryError:
        msg = f"{label}: not enough memory to read it"
        raise LimitError(msg) from None
    except RecursionError:
        msg = f"{label}: nested too deeply to read"
        raise ParseError(msg) from None


def _as_channels(array: Array) -> Array:
    return array[np.newaxis] if array.ndim == 2 else array


def _as_kernels(array: Array) -> Array:
    return array.reshape((1,) * (MAX_RANK - array.ndim) + array.shape)


def _check_stack_shapes(parts: list[Array], sources: Sequence[str], option: str, what: str) -> None:
    expected = parts[0].shape[1:]
    for number, (part, source) in enumerate(zip(parts, sources, strict=True), start=1):
        if part.shape[1:] != expected:
            msg = (
                f"{option} #{number} ({_source_name(source)}) is {_shape_text(part.shape[1:])}, "
                f"but {option} #1 ({_source_name(sources[0])}) is {_shape_text(expected)}; "
                f"stacked {what} must have the same shape"
            )
            raise ParseError(msg)


def _resolve(source: str, option: str) -> tuple[str, str]:
    """What ``source`` names (stdin, file, kernel, inline) and its label for messages."""
    if source == "-":
        return "stdin", f"{option} <stdin>"
    if os.path.exists(source):
        return "file", f"{option} {source!r}"
    if option == "--kernel" and is_kernel_name(source):
        return "kernel", f"{option} {source!r}"
    return "inline", f"{option} (inline)"


def _load(
    kind: str, source: str, option: str, label: str, allow_nan: bool, stdin: BinaryIO | None
) -> Array:
    if kind == "stdin":
        return _parse_bytes(
            _read_stdin(stdin, label), label=label, allow_nan=allow_nan, fmt="sniff"
        )
    if kind == "file":
        fmt = _FORMAT_BY_EXTENSION.get(os.path.splitext(source)[1].lower(), "sniff")
        return _parse_bytes(_read_file(source, label), label=label, allow_nan=allow_nan, fmt=fmt)
    if kind == "kernel":
        return get_kernel(source)
    return _parse_inline(source, option, label, allow_nan)


def _parse_inline(source: str, option: str, label: str, allow_nan: bool) -> Array:
    try:
        if _JSON_START.match(source):
            return parse_json(source, label=label, allow_nan=allow_nan)
        return parse_text(source, label=label, inline=True, allow_nan=allow_nan)
    except ParseError:
        kind = _path_kind(source)
        if kind == "path":
            msg = f"{option}: no such file: {source!r}"
            raise ParseError(msg) from None
        if kind == "word":
            msg = f"{option} {source!r}: neither a file nor a matrix (no file has that name)"
            raise ParseError(msg) from None
        raise


def _path_kind(text: str) -> str | None:
    """``"path"`` or ``"word"`` when unreadable inline text was more likely meant as a file."""
    if not text or _NOT_PATH_CHARS.search(text):
        return None
    if text.lower().endswith(_PATH_EXTENSIONS):
        return "path"
    if ("/" in text or "\\" in text) and not _NUMBER_CHARS.fullmatch(text):
        return "path"
    if _WORD.fullmatch(text) and text.lower() not in _NON_FINITE_WORDS:
        return "word"
    return None


def _source_name(source: str) -> str:
    if source == "-":
        return "<stdin>"
    return repr(source) if os.path.exists(source) else _short(source)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


# --------------------------------------------------------------------------- reading bytes


def max_input_bytes() -> int:
    """The input size limit: ``CONVCLI_MAX_INPUT_BYTES`` when set, else 256 MiB."""
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_INPUT_BYTES
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
        msg = f"{MAX_INPUT_ENV}={raw!r} is not a positive whole number of bytes"
        raise LimitError(msg)
    return int(raw)


def _too_large(label: str, limit: int) -> LimitError:
    msg = (
        f"{label} is larger than the input limit of {_human_bytes(limit)}; "
        f"set {MAX_INPUT_ENV} to a larger number of bytes to read it"
    )
    return LimitError(msg)


def _human_bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


def _read_stdin(stream: BinaryIO | None, label: str) -> bytes:
    if stream is None:
        stream = _default_stdin(label)
    try:
        interactive = stream.isatty()
    except (OSError, ValueError):
        interactive = False
    if interactive:
        msg = (
            f"{label}: standard input is a terminal; pipe a matrix (CSV, JSON or .npy) into it, "
            "e.g. cat img.csv | convcli conv -i - -k sobel-x"
        )
        raise ParseError(msg)
    limit = max_input_bytes()
    try:
        data = stream.read(limit + 1)
    except (OSError, ValueError) as error:
        msg = f"{label}: cannot read standard input: {error}"
        raise ParseError(msg) from None
    if len(data) > limit:
        raise _too_large(label, limit)
    return bytes(data)


def _default_stdin(label: str) -> BinaryIO:
    text_stream = sys.stdin
    buffer: BinaryIO | None = getattr(text_stream, "buffer", None)
    if buffer is None:
        if text_stream is None:
            msg = f"{label}: there is no standard input"
            raise ParseError(msg)
        # A text-only stand-in (some test runners): hand its text on as UTF-8 bytes.
        return io.BytesIO(text_stream.read().encode("utf-8", "surrogateescape"))
    return buffer


def _read_file(path: str, label: str) -> bytes:
    limit = max_input_bytes()
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise _too_large(label, limit)
            data = handle.read(limit + 1)
    except IsADirectoryError:
        msg = f"{label}: is a directory, not a file"
        raise ParseError(msg) from None
    except PermissionError:
        msg = f"{label}: permission denied"
        raise ParseError(msg) from None
    except OSError as error:
        msg = f"{label}: cannot read it: {error.strerror or error}"
        raise ParseError(msg) from None
    if len(data) > limit:
        raise _too_large(label, limit)
    return data


def _parse_bytes(data: bytes, *, label: str, allow_nan: bool, fmt: str) -> Array:
    if fmt == "npy" or data.startswith(_NPY_MAGIC):
        return _parse_npy(data, label, allow_nan)
    text = decode_text(data, label)
    if fmt == "json" or (fmt == "sniff" and _JSON_START.match(text)):
        return parse_json(text, label=label, allow_nan=allow_nan)
    return parse_text(text, label=label, inline=False, allow_nan=allow_nan)


def decode_text(data: bytes, label: str) -> str:
    """UTF-8 bytes (an optional BOM is dropped) as text; ``ParseError`` saying where it is not.

    >>> decode_text(b"1,2\\n3,\\xe9", "--input 'a.csv'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convcli.errors.ParseError: --input 'a.csv': line 2, column 3: not UTF-8 text (byte 0xE9); ...
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = memoryview(data)[skip:]
    wide = _wide_encoding(bytes(body[:64]))
    if wide:
        msg = f"{label}: this is {wide} text; convert it to UTF-8 (e.g. iconv -f {wide} -t UTF-8)"
        raise ParseError(msg)
    nul = data.find(b"\0", skip)
    nul = nul - skip if nul >= 0 else -1
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            raise _nul_error(body, nul, label) from None
        line, column = _byte_position(body, error.start)
        byte = body[error.start]
        msg = f"{_at(label, line, column)}: not UTF-8 text (byte 0x{byte:02X}); save it as UTF-8"
        raise ParseError(msg) from None
    if nul >= 0:
        raise _nul_error(body, nul, label)
    return text


def _wide_encoding(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    # ASCII text in UTF-16 without a BOM: every other byte is NUL, the others are not.
    if len(head) >= 4 and 0 < head.count(0) < len(head):
        for zeros, chars in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
            if not any(zeros) and all(chars):
                return "UTF-16"
    return None


def _nul_error(body: bytes | memoryview, index: int, label: str) -> ParseError:
    line, column = _byte_position(body, index)
    msg = f"{label}: line {line}, column {column}: a NUL byte; this looks like a binary file"
    return ParseError(msg)


def _byte_position(body: bytes | memoryview, index: int) -> tuple[int, int]:
    """Line and column (characters, 1-based) of byte ``index``; the bytes before it are UTF-8."""
    head = _normalise_newlines(str(body[:index], "utf-8"))
    return head.count("\n") + 1, len(head) - head.rfind("\n")


def _normalise_newlines(text: str) -> str:
    # CRLF and a lone CR become LF: line numbers stay those of the original text.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# --------------------------------------------------------------------------- text matrices


@dataclass(frozen=True, slots=True)
class _Cell:
    line: int
    column: int
    text: str


@dataclass(slots=True)
class _Channel:
    line: int  # where the channel starts (its separator, for error messages)
    column: int
    rows: list[list[_Cell]]


def parse_text(text: str, *, label: str, inline: bool, allow_nan: bool = False) -> Array:
    """A matrix from text: 2-D ``[H][W]``, or 3-D ``[C][H][W]`` when it has several channels.

    >>> parse_text("1 2\\n3 4\\n\\n5 6\\n7 8\\n", label="f", inline=False).shape
    (2, 2, 2)
    """
    with _resource_guard(label):
        text = _normalise_newlines(text)
        fast = None if inline else _parse_fast(text)
        return fast if fast is not None else _parse_slow(text, label, inline, allow_nan)


def _parse_slow(text: str, label: str, inline: bool, allow_nan: bool) -> Array:
    """The exact tokenizer: every value checked on its own, errors with line and column."""
    lines = text.split("\n")
    if inline:
        channels = _inline_channels(lines, label)
    else:
        delimiter = _sniff("\n".join(map(_content, lines)))
        channels = _file_channels(lines, label, delimiter)
    if not channels:
        raise _no_numbers(label, text)
    return _build_array(channels, label, allow_nan)


def _content(line: str) -> str:
    return line.partition("#")[0]


def _sniff(data: str) -> str:
    """The delimiter of a text without comments: the same answer for both tokenizers."""
    if "," in data:
        return ","
    if "\t" in data and _INNER_TAB.search(data):
        return "\t"
    return ";" if ";" in data else " "


def _file_channels(lines: list[str], label: str, delimiter: str) -> list[_Channel]:
    channels: list[_Channel] = []
    current: _Channel | None = None
    for number, line in enumerate(lines, start=1):
        content = _content(line)
        stripped = content.strip(_BLANKS)
        if stripped in ("", "|"):
            if stripped or "#" not in line:  # blank or '|': a channel break; comment-only: nothing
                current = None
            continue
        if current is None:
            current = _Channel(number, 1, [])
            channels.append(current)
        current.rows.append(_file_cells(content, number, delimiter, label))
    return channels


def _file_cells(content: str, line: int, delimiter: str, label: str) -> list[_Cell]:
    if delimiter == " ":
        return _words(content, line, 0)
    return [
        _Cell(line, column, field) for column, field in _fields(content, line, 0, delimiter, label)
    ]


def _inline_channels(lines: list[str], label: str) -> list[_Channel]:
    channels = [_Channel(1, 1, [])]
    for number, line in enumerate(lines, start=1):
        offset = 0
        for k, segment in enumerate(_content(line).split("|")):
            if k:
                channels.append(_Channel(number, offset, []))
            channels[-1].rows.extend(_inline_rows(segment, number, offset, label))
            offset += len(segment) + 1
    if len(channels) > 1:
        for index, channel in enumerate(channels, start=1):
            if not channel.rows:
                where = "before the first" if index == 1 else "after a"
                at = _at(label, channel.line, channel.column)
                msg = f"{at}: channel {index} is empty ({where} '|')"
                raise ParseError(msg)
    return [channel for channel in channels if channel.rows]


def _inline_rows(segment: str, line: int, offset: int, label: str) -> Iterator[list[_Cell]]:
    for row in segment.split(";"):
        if row.strip(_BLANKS):
            if "," in row:
                cells = [
                    cell
                    for column, field in _fields(row, line, offset, ",", label)
                    for cell in _words(field, line, column - 1)
                ]
            else:
                cells = _words(row, line, offset)
            yield cells
        offset += len(row) + 1


def _words(text: str, line: int, offset: int) -> list[_Cell]:
    return [_Cell(line, offset + m.start() + 1, m.group()) for m in _WORDS_IN_FIELD.finditer(text)]


def _fields(
    text: str, line: int, offset: int, delimiter: str, label: str
) -> Iterator[tuple[int, str]]:
    """``(column, field)`` for each delimited field, spaces around it dropped; no empty field."""
    pieces = text.split(delimiter)
    start = offset
    for index, piece in enumerate(pieces):
        stripped = piece.strip(_BLANKS)
        if not stripped:
            if index == len(pieces) - 1:
                msg = f"{_at(label, line, start)}: empty field after the last {delimiter!r}"
            else:
                where = "before the first" if index == 0 else "between two"
                msg = (
                    f"{label}: line {line}, column {start + 1}: "
                    f"empty field {index + 1} (nothing {where} {delimiter!r})"
                )
            raise ParseError(msg)
        yield start + len(piece) - len(piece.lstrip(_BLANKS)) + 1, stripped
        start += len(piece) + 1


def _no_numbers(label: str, text: str) -> ParseError:
    if not text:
        reason = "it is empty"
    elif not text.strip():
        reason = "it holds only blank space"
    else:
        reason = "it holds only comments and blank lines"
    return ParseError(f"no numbers in {label}: {reason}")


def _build_array(channels: list[_Channel], label: str, allow_nan: bool) -> Array:
    height, width = len(channels[0].rows), len(channels[0].rows[0])
    values: list[Number] = []
    for index, channel in enumerate(channels, start=1):
        of = f" of channel {index}" if index > 1 else ""
        first = channel.rows[0]
        for number, row in enumerate(channel.rows, start=1):
            values.extend(_number(cell, label, allow_nan) for cell in row)
            _check_row(row, number, first, of, label)
        shape = (len(channel.rows), len(first))
        if shape != (height, width):
            msg = (
                f"{_at(label, first[0].line, 1)}: channel {index} is {_shape_text(shape)}, "
                f"channel 1 is {height}×{width}; channels must have the same shape"
            )
            raise ParseError(msg)
    try:
        return array_from_values(values, _stack_shape(len(channels), height, width))
    except OverflowError:
        raise _float_overflow(channels, values, label) from None


def _stack_shape(channels: int, height: int, width: int) -> tuple[int, ...]:
    return (height, width) if channels == 1 else (channels, height, width)


def _check_row(row: list[_Cell], number: int, first: list[_Cell], of: str, label: str) -> None:
    if len(row) == len(first):
        return
    if len(row) > len(first):
        line, column = row[len(first)].line, row[len(first)].column
    else:
        last = row[-1]
        line, column = last.line, last.column + len(last.text)
    msg = (
        f"{_at(label, line, column)}: row {number}{of} has {_count(len(row), 'value')}, "
        f"row 1 has {len(first)}"
    )
    raise ParseError(msg)


def _number(cell: _Cell, label: str, allow_nan: bool) -> Number:
    where = _at(label, cell.line, cell.column)
    if len(cell.text) > MAX_TOKEN_CHARS:
        msg = f"{where}: {_too_long(cell.text)}"
        raise ParseError(msg)
    try:
        return parse_number(cell.text, allow_nan=allow_nan)
    except ValueError as error:
        msg = f"{where}: {error}"
        raise ParseError(msg) from None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _too_long(token: str) -> str:
    return (
        f"{_short(token, 20)} has {len(token)} characters; a number has at most {MAX_TOKEN_CHARS}"
    )


def _at(label: str, line: int, column: int) -> str:
    return f"{label}: line {line}, column {column}"


def _float_overflow(channels: list[_Channel], values: list[Number], label: str) -> ParseError:
    cells = (cell for channel in channels for row in channel.rows for cell in row)
    for cell, value in zip(cells, values, strict=True):
        if not _fits_float(value):
            msg = (
                f"{_at(label, cell.line, cell.column)}: {_short(cell.text, 20)} is too large for "
                "float64, and the matrix has floats (one float makes the whole matrix float64)"
            )
            return ParseError(msg)
    return ParseError(f"{label}: a value is too large for float64")  # pragma: no cover


def _fits_float(value: Number) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


# --------------------------------------------------------------------------- the fast path
# A clean ASCII text (integers or decimals, one delimiter) is checked and converted in bulk.
# Any doubt returns None and the exact tokenizer above takes over: it gives the same array,
# or the error with its line and column. Bytes are first mapped to classes by one translate.

_OTHER, _DIGIT, _SIGN, _POINT, _EXP, _SEP, _NEWLINE = range(7)
_STARTS = frozenset({_DIGIT, _SIGN, _POINT, _NEWLINE})
_ENDS = frozenset({_DIGIT, _POINT, _NEWLINE})
_INT64_SAFE_DIGITS = 18  # 18 digits always fit int64; 19 may not


def _pair_codes(allowed: dict[int, set[int]]) -> bytes:
    return bytes(before << 3 | after for before, afters in allowed.items() for after in afters)


# Which class may follow which: the token grammar [+-]?(d+.?d*|.d+)([eE][+-]?d+)? up to the
# rules first-order pairs cannot see, which _decimals_ok checks.
_ALLOWED_PAIRS = _pair_codes(
    {
        _DIGIT: {_DIGIT, _POINT, _EXP, _SEP, _NEWLINE},
        _SIGN: {_DIGIT, _POINT},
        _POINT: {_DIGIT, _EXP, _SEP, _NEWLINE},
        _EXP: {_DIGIT, _SIGN},
        _SEP: {_DIGIT, _SIGN, _POINT},
        _NEWLINE: {_DIGIT, _SIGN, _POINT, _NEWLINE},
    }
)
# Among points, exponents and separators in order: a second point or exponent in one token,
# or a point after the exponent.
_MARKER_BAD = np.zeros(64, dtype=np.bool_)
_MARKER_BAD[[_POINT << 3 | _POINT, _EXP << 3 | _EXP, _EXP << 3 | _POINT]] = True


_NONZERO_DIGIT, _DECIMAL_MARK = 1, 2
_ZERO_FLAGS = bytes(
    _NONZERO_DIGIT if chr(byte) in "123456789" else _DECIMAL_MARK if chr(byte) in ".eE" else 0
    for byte in range(256)
)


@lru_cache(maxsize=4)
def _class_table(delimiter: str) -> bytes:
    table = bytearray([_OTHER]) * 256
    table[ord("0") : ord("9") + 1] = bytes([_DIGIT]) * 10
    for char, code in (("+", _SIGN), ("-", _SIGN), (".", _POINT), ("e", _EXP), ("E", _EXP)):
        table[ord(char)] = code
    table[ord(delimiter)] = _SEP
    table[ord("\n")] = _NEWLINE
    return bytes(table)


def _parse_fast(text: str) -> Array | None:
    """The bulk parse of a clean text (newlines already LF), or None to use the exact one."""
    if "#" in text:
        text = _drop_comments(text)
    if not text.isascii() or "|" in text or "/" in text:
        return None
    delimiter = _sniff(text)
    squeezed = _squeeze(text, delimiter)
    if squeezed is None:
        return None
    raw = squeezed.encode("ascii")
    codes = raw.translate(_class_table(delimiter))
    classes = np.frombuffer(codes, dtype=np.uint8)
    decimal = bytes([_POINT]) in codes or bytes([_EXP]) in codes
    if not _pairs_ok(codes, classes) or (decimal and not _decimals_ok(classes)):
        return None
    bounds = np.flatnonzero(classes >= _SEP)
    shape = _fast_shape(classes, bounds)
    if shape is None:
        return None
    if decimal:
        return _fast_floats(raw, delimiter, bounds, shape)
    if not _fits_int64(classes, bounds):
        return None  # might overflow int64: the exact tokenizer keeps Python ints
    return _from_bytes(raw, delimiter, np.int64, shape)


def _drop_comments(text: str) -> str:
    """Comments cut; a comment-only line vanishes (it is not a blank line)."""
    kept = []
    for line in text.split("\n"):
        if "#" in line:
            line = _content(line)
            if not line.strip(_BLANKS):
                continue
        kept.append(line)
    return "\n".join(kept)


def _squeeze(text: str, delimiter: str) -> str | None:
    """Padding spaces dropped: tokens are then one delimiter or newline apart (None: unsure)."""
    if delimiter != "\t" and "\t" in text:
        text = text.replace("\t", " ")
    if " " in text:
        while "  " in text:
            text = text.replace("  ", " ")
        text = text.replace(" \n", "\n").replace("\n ", "\n").strip(" ")
        if delimiter != " ":
            text = text.replace(" " + delimiter, delimiter).replace(delimiter + " ", delimiter)
            if " " in text:  # a space between two values: the exact tokenizer says where
                return None
    return text


def _pairs_ok(codes: bytes, classes: Array) -> bool:
    if not codes or _OTHER in codes or codes[0] not in _STARTS or codes[-1] not in _ENDS:
        return False
    # One buffer, filled in place: large temporaries cost more than the arithmetic here.
    pairs = bytearray(len(codes) - 1)
    view = np.frombuffer(pairs, dtype=np.uint8)
    np.left_shift(classes[:-1], 3, out=view)
    np.bitwise_or(view, classes[1:], out=view)
    return not pairs.translate(None, _ALLOWED_PAIRS)


def _decimals_ok(classes: Array) -> bool:
    points = np.flatnonzero(classes == _POINT)
    before = classes[points - 1] == _DIGIT  # index -1 wraps to the end: masked next line
    before &= points > 0
    after = classes[np.minimum(points + 1, classes.size - 1)] == _DIGIT
    after &= points < classes.size - 1
    if not np.all(before | after):
        return False  # a point needs a digit next to it ('.', '.e5', '-.')
    markers = classes[classes >= _POINT]
    return not bool(_MARKER_BAD[(markers[:-1] << 3) | markers[1:]].any())


def _fast_shape(classes: Array, bounds: Array) -> tuple[int, ...] | None:
    """``(H, W)`` or ``(C, H, W)`` when every row and channel agree, else None.

    ``bounds`` are the positions of every delimiter and newline, in order.
    """
    newline_at = np.flatnonzero(classes[bounds] == _NEWLINE)  # indices into bounds
    seps_per_line = np.diff(newline_at, prepend=-1, append=bounds.size) - 1
    line_ends = np.append(bounds[newline_at], classes.size)
    blank = np.concatenate(([0], line_ends[:-1] + 1)) == line_ends
    widths = seps_per_line[~blank] + 1
    if widths.size == 0 or np.any(widths != widths[0]):
        return None
    rows = np.flatnonzero(~blank)
    channel_of_row = np.cumsum(np.concatenate(([False], blank[rows[1:] - 1])))
    heights = np.bincount(channel_of_row)
    if np.any(heights != heights[0]):
        return None
    return _stack_shape(int(heights.size), int(heights[0]), int(widths[0]))


def _fits_int64(classes: Array, bounds: Array) -> bool:
    """True when no token has more than 18 digits (a sign aside): all fit int64 exactly."""
    first = int(bounds[0]) if bounds.size else classes.size
    last = classes.size - int(bounds[-1]) - 1 if bounds.size else 0
    inner = int(np.diff(bounds).max()) - 1 if bounds.size > 1 else 0
    longest = max(first, last, inner)
    if longest != _INT64_SAFE_DIGITS + 1:
        return longest <= _INT64_SAFE_DIGITS
    lengths = np.diff(bounds, prepend=-1, append=classes.size) - 1
    starts = np.concatenate(([0], bounds + 1))[lengths > _INT64_SAFE_DIGITS]
    return bool(np.all(classes[starts] == _SIGN))  # 19 characters fit only with a sign


def _fast_floats(raw: bytes, delimiter: str, bounds: Array, shape: tuple[int, ...]) -> Array | None:
    values = _from_bytes(raw, delimiter, np.float64, shape)
    if values is None or not np.all(np.isfinite(values)):
        return None  # out of the float64 range: the exact tokenizer names the token
    if not values.all() and not _zeros_ok(raw, bounds, values):
        return None
    return values


def _zeros_ok(raw: bytes, bounds: Array, values: Array) -> bool:
    """Every 0.0 is right: its token has no nonzero digit (else it underflowed), and it is -0.0
    only when written as a decimal (the integer -0 is 0, so 0.0 in a float matrix)."""
    flags = np.frombuffer(raw.translate(_ZERO_FLAGS), dtype=np.uint8)
    starts = np.concatenate(([0], bounds + 1))
    starts = starts[starts < np.append(bounds, flags.size)]  # blank lines hold no token
    token = np.bitwise_or.reduceat(flags, starts)
    flat = values.ravel()
    zero = flat == 0
    underflow = zero & (token & _NONZERO_DIGIT > 0)
    integer_minus_zero = zero & np.signbit(flat) & (token & _DECIMAL_MARK == 0)
    return not bool(np.any(underflow | integer_minus_zero))


def _from_bytes(
    raw: bytes, delimiter: str, dtype: type[Any], shape: tuple[int, ...]
) -> Array | None:
    """``np.fromstring`` on the validated text (it is lenient: never give it unchecked text)."""
    raw = raw.lstrip(b"\n")
    while b"\n\n" in raw:  # blank lines between channels
        raw = raw.replace(b"\n\n", b"\n")
    if delimiter != " ":  # a single trailing separator is accepted; size is checked below
        raw = raw.replace(b"\n", delimiter.encode("ascii"))
    try:
        values = np.fromstring(raw, dtype=dtype, sep=delimiter)
    except ValueError:
        return None
    if values.size != math.prod(shape):
        return None
    return values.reshape(shape)


# --------------------------------------------------------------------------- JSON


@dataclass(frozen=True, slots=True)
class _Bad:
    """A JSON number that broke a rule; reported later with its path."""

    reason: str


def parse_json(text: str, *, label: str, allow_nan: bool = False) -> Array:
    """A matrix from JSON: a nested list of numbers, or an object whose ``"data"`` is one.

    >>> parse_json('{"data": [[1, "3/16"], [2, 3]]}', label="k").tolist()
    [[1, Fraction(3, 16)], [2, 3]]
    >>> parse_json('[[1, 2], [3, "abc"]]', label="--input 'm.json'")
    Traceback (most recent call last):
    ...
    convcli.errors.ParseError: --input 'm.json': [1][1]: 'abc' is not a number
    """
    if not text.strip():
        raise _no_numbers(label, text)
    with _resource_guard(label):
        return _json_array(_json_document(text, label, allow_nan), label, allow_nan)


def _json_document(text: str, label: str, allow_nan: bool) -> Any:
    try:
        return _load_json(_normalise_newlines(text), allow_nan)
    except json.JSONDecodeError as error:
        msg = f"{_at(label, error.lineno, error.colno)}: invalid JSON: {error.msg}"
        raise ParseError(msg) from None
    except RecursionError:
        msg = f"{label}: the JSON is nested too deeply; a matrix is at most {MAX_RANK} lists deep"
        raise ParseError(msg) from None


def _json_array(document: Any, label: str, allow_nan: bool) -> Array:
    data, root = _json_payload(document, label)
    shape = _json_shape(data, root, label)
    values: list[Number] = []
    _json_values(data, shape, root, label, allow_nan, values)
    array = array_from_values(values, shape)
    return array.reshape(1, -1) if array.ndim == 1 else array


def _load_json(text: str, allow_nan: bool) -> Any:
    def number(token: str) -> Number | _Bad:
        if len(token) > MAX_TOKEN_CHARS:
            return _Bad(_too_long(token))
        try:
            return parse_number(token, allow_nan=allow_nan)
        except ValueError as error:
            return _Bad(str(error))

    return json.loads(text, parse_int=number, parse_float=number, parse_constant=number)


def _json_payload(document: Any, label: str) -> tuple[Any, str]:
    if not isinstance(document, dict):
        return document, ""
    if "data" in document:
        return document["data"], "data"
    keys = ", ".join(json.dumps(key) for key in list(document)[:6])
    got = "an empty object" if not document else f"an object with the keys {keys}"
    msg = (
        f"{label}: expected a nested list of numbers, "
        f'or an object with a "data" key holding one; got {got}'
    )
    raise ParseError(msg)


def _json_shape(node: Any, root: str, label: str) -> tuple[int, ...]:
    shape: list[int] = []
    path = root
    while isinstance(node, list):
        if not node:
            where = f"{path}: an empty list" if path else "an empty list"
            msg = f"{label}: {where}; a matrix needs at least one number"
            raise ParseError(msg)
        if len(shape) == MAX_RANK:
            msg = (
                f"{label}: {path}: lists nested more than {MAX_RANK} deep; a matrix is at most 4-D"
            )
            raise ParseError(msg)
        shape.append(len(node))
        node, path = node[0], f"{path}[0]"
    if not shape:
        where = f"{root}: " if root else ""
        msg = (
            f"{label}: {where}expected a nested list of numbers "
            f"such as [[1, 2], [3, 4]], got {_json_kind(node)}"
        )
        raise ParseError(msg)
    return tuple(shape)


def _json_values(
    node: list[Any],
    shape: tuple[int, ...],
    path: str,
    label: str,
    allow_nan: bool,
    out: list[Number],
) -> None:
    if len(shape) == 1:
        for index, item in enumerate(node):
            if type(item) is int or type(item) is float:
                out.append(item)
            else:
                out.append(_json_leaf(item, f"{path}[{index}]", label, allow_nan))
        return
    for index, item in enumerate(node):
        where = f"{path}[{index}]"
        if not isinstance(item, list):
            expected = _count(shape[1], "item")
            msg = f"{label}: {where}: expected a list of {expected}, got {_json_kind(item)}"
            raise ParseError(msg)
        if len(item) != shape[1]:
            msg = f"{label}: {where}: has {_count(len(item), 'item')}, {path}[0] has {shape[1]}"
            raise ParseError(msg)
        _json_values(item, shape[1:], where, label, allow_nan, out)


def _json_leaf(item: Any, path: str, label: str, allow_nan: bool) -> Number:
    """A leaf that is not a plain int or float (those are taken as they are)."""
    if isinstance(item, _Bad):
        reason = item.reason
    elif isinstance(item, str) and len(item) > MAX_TOKEN_CHARS:
        reason = _too_long(item)
    elif isinstance(item, str):
        try:
            return parse_number(item, allow_nan=allow_nan)
        except ValueError as error:
            reason = str(error)
    else:
        reason = f"expected a number, got {_json_kind(item)}"
    msg = f"{label}: {path}: {reason}"
    raise ParseError(msg)


def _json_kind(item: Any) -> str:
    if item is True or item is False:
        return "true" if item else "false"
    if item is None:
        return "null"
    if isinstance(item, str):
        return f"the string {_short(item, 20)}"
    if isinstance(item, dict):
        return "an object"
    if isinstance(item, list):
        return "a list"
    return "a number"


# --------------------------------------------------------------------------- .npy


def _parse_npy(data: bytes, label: str, allow_nan: bool) -> Array:
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
    except MemoryError:
        raise
    except Exception as error:  # np.load raises many types on a malformed file
        msg = f"{label}: not a readable .npy file ({error})"
        raise ParseError(msg) from None
    if not isinstance(loaded, np.ndarray):
        msg = f"{label}: an .npz archive, not a single .npy array"
        raise ParseError(msg)
    array = _npy_canonical(loaded, label)
    if array.dtype == np.float64 and not allow_nan:
        _check_finite(array, label)
    if array.ndim < 2:
        array = array.reshape(1, -1)
    return array if array.flags.writeable else array.copy()


def _npy_canonical(loaded: Array, label: str) -> Array:
    if loaded.dtype.kind not in "iuf":
        msg = f"{label}: an array of {loaded.dtype} ({_dtype_words(loaded.dtype)}), not of numbers"
        raise ParseError(msg)
    if loaded.ndim > MAX_RANK:
        msg = f"{label}: a {loaded.ndim}-D array; a matrix is at most 4-D"
        raise ParseError(msg)
    if loaded.size == 0:
        msg = f"no numbers in {label}: the array is empty ({_shape_text(loaded.shape)})"
        raise ParseError(msg)
    return canonical(loaded)


def _dtype_words(dtype: np.dtype[Any]) -> str:
    words = {
        "b": "booleans",
        "c": "complex numbers",
        "U": "strings",
        "S": "bytes",
        "V": "records",
        "M": "dates",
        "m": "time spans",
        "O": "Python objects",
    }
    return words.get(dtype.kind, "values")


def _check_finite(array: Array, label: str) -> None:
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        where = "".join(f"[{i}]" for i in index)
        value = format_number(array[index])
        msg = f"{label}: {where}: {value!r} is not a finite number (pass --allow-nan to accept it)"
        raise ParseError(msg)


# --------------------------------------------------------------------------- writers


def _matrices(array: Array) -> Iterator[tuple[str | None, Array]]:
    """The 2-D matrices of an array, titled ``channel k`` (3-D) or ``kernel o, channel c``."""
    if array.ndim < 2:
        yield None, array.reshape(1, -1)
    elif array.ndim == 2:
        yield None, array
    elif array.ndim == 3:
        for k, matrix in enumerate(array):
            yield f"channel {k}", matrix
    else:
        for index in np.ndindex(*array.shape[:-2]):
            title = ", ".join(
                f"{name} {i}" for name, i in zip(("kernel", "channel"), index, strict=False)
            )
            yield title, array[index]


def format_csv(array: Array) -> str:
    """Comma-separated rows; channels one blank line apart. Reads back to the same array.

    >>> print(format_csv(parse_text("1 2|3 4", label="x", inline=True)), end="")
    1,2
    <BLANKLINE>
    3,4
    """
    return "\n".join(_csv_block(matrix) for _, matrix in _matrices(array))


def _csv_block(matrix: Array) -> str:
    if matrix.dtype == np.int64 and matrix.ndim == 2:
        return _int64_csv(matrix)
    cell: Any = format_number
    if matrix.dtype.kind == "f":
        cell = repr  # tolist() gives Python floats: repr is format_number, only faster
    elif matrix.dtype.kind in "iu":
        cell = str
    return "".join(",".join(map(cell, row)) + "\n" for row in matrix.tolist())


_CSV_CHUNK = 1 << 20  # cells formatted at once: bounds the temporary digit arrays


def _int64_csv(matrix: Array) -> str:
    """int64 rows as CSV text, the digits computed by numpy (about twice as fast as str())."""
    rows, cols = matrix.shape
    step = max(1, _CSV_CHUNK // max(cols, 1))
    parts = (_int64_csv_bytes(matrix[r : r + step]) for r in range(0, rows, step))
    return b"".join(parts).decode("ascii")


def _int64_csv_bytes(block: Array) -> bytes:
    """Each value right-aligned in a fixed-width byte row, then only its own bytes kept."""
    rows, cols = block.shape
    flat = block.reshape(-1)
    negative = flat < 0
    magnitude = flat.astype(np.uint64)
    magnitude[negative] = (~flat[negative]).astype(np.uint64) + np.uint64(1)  # |INT64_MIN| too
    width = len(str(int(magnitude.max(initial=0))))
    powers = np.uint64(10) ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    digits = (magnitude[:, None] // powers[None, :]) % np.uint64(10)
    ndigits = np.where(magnitude == 0, 1, width - (digits != 0).argmax(axis=1))
    cells = np.empty((flat.size, width + 2), dtype=np.uint8)  # sign slot, digits, separator
    cells[:, 1:-1] = digits
    cells[:, 1:-1] += ord("0")
    cells[:, -1] = ord(",")
    cells.reshape(rows, cols, width + 2)[:, -1, -1] = ord("\n")
    where = np.flatnonzero(negative)
    cells[where, width - ndigits[where]] = ord("-")
    first = width + 1 - ndigits - negative
    keep = np.arange(width + 2)[None, :] >= first[:, None]
    return bytes(cells[keep].tobytes())


def format_json(obj: Mapping[str, Any]) -> str:
    """One JSON object on one line; arrays as nested lists, fractions as ``"a/b"``.

    >>> format_json({"command": "conv", "output": np.array([[1, 2]]), "ok": np.bool_(True)})
    '{"command": "conv", "output": [[1, 2]], "ok": true}\\n'
    """
    return json.dumps(_jsonable(obj)) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return to_nested(value)
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer | np.floating | Fraction):
        return json_number(value)
    return value


def format_markdown(array: Array) -> str:
    """A GitHub table per channel: column indices on top, the row index first.

    >>> print(format_markdown(np.array([[1, -2]])), end="")
    |     |   0 |   1 |
    | --: | --: | --: |
    |   0 |   1 |  -2 |
    """
    blocks = []
    for title, matrix in _matrices(array):
        table = _markdown_table(matrix)
        blocks.append(f"**{title}**\n\n{table}" if title else table)
    return "\n".join(blocks)


def _markdown_table(matrix: Array) -> str:
    header = ["", *map(str, range(matrix.shape[1]))]
    rows = [[str(r), *map(format_number, row)] for r, row in enumerate(matrix.tolist())]
    widths = [max(3, *(len(row[c]) for row in [header, *rows])) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return (
            "| " + " | ".join(cell.rjust(w) for cell, w in zip(cells, widths, strict=True)) + " |\n"
        )

    rule = "| " + " | ".join("-" * (w - 1) + ":" for w in widths) + " |\n"
    return line(header) + rule + "".join(line(row) for row in rows)


def format_latex(array: Array) -> str:
    r"""A ``bmatrix`` per channel; fractions as ``\frac``.

    >>> print(format_latex(parse_text("1 -1/2", label="x", inline=True)), end="")
    \begin{bmatrix}
    1 & -\frac{1}{2}
    \end{bmatrix}
    """
    parts = []
    for title, matrix in _matrices(array):
        if title:
            parts.append(f"% {title}\n")
        rows = [" & ".join(map(_latex_number, row)) for row in matrix.tolist()]
        parts.append("\\begin{bmatrix}\n" + " \\\\\n".join(rows) + "\n\\end{bmatrix}\n")
    return "".join(parts)


def _latex_number(value: Any) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    if isinstance(value, float) and not math.isfinite(value):
        return "\\mathrm{NaN}" if math.isnan(value) else ("\\infty" if value > 0 else "-\\infty")
    return format_number(value)
