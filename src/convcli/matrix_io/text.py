"""Text matrices: the exact tokenizer, whose errors name the line and column."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from convcli.errors import ParseError
from convcli.matrix_io.common import (
    _BLANK_INSIDE,
    _BLANKS,
    _FULLWIDTH,
    _WORDS_IN_FIELD,
    MAX_TOKEN_CHARS,
    _at,
    _content,
    _count,
    _normalise_newlines,
    _resource_guard,
    _shape_text,
    _short,
    _sniff,
    _stack_shape,
    _too_long,
)
from convcli.matrix_io.fast import _parse_fast
from convcli.numbers import (
    Array,
    Number,
    array_from_values,
    fullwidth_problem,
    parse_number,
)

# --------------------------------------------------------------------------- text matrices


# NamedTuples rather than dataclasses: a dataclass's generated methods cost start-up time
# (a millisecond for these two), and neither is ever reassigned.
class _Cell(NamedTuple):
    line: int
    column: int
    text: str


class _Channel(NamedTuple):
    line: int  # where the channel starts (its separator, for error messages)
    column: int
    rows: list[list[_Cell]]
    blank: int = 0  # the blank line that started it, if one did (for the hint)


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
    contents = [_content(line) for line in lines]
    _check_fullwidth(contents, label)
    if inline:
        channels = _inline_channels(lines, label, blank_breaks=False)
    elif _uses_inline_syntax(contents):
        channels = _inline_channels(lines, label, blank_breaks=True)
    else:
        delimiter = _sniff("\n".join(contents))
        channels = _file_channels(lines, label, delimiter)
    if not channels:
        raise _no_numbers(label, text)
    return _build_array(channels, label, allow_nan, header_hint=not inline)


def _check_fullwidth(contents: list[str], label: str) -> None:
    """Full-width punctuation, digits and spaces (a CJK keyboard) are named, never read."""
    for number, content in enumerate(contents, start=1):
        if content.isascii():
            continue
        found = _FULLWIDTH.search(content)
        if found:
            msg = f"{_at(label, number, found.start() + 1)}: {fullwidth_problem(found.group())}"
            raise ParseError(msg)


def _uses_inline_syntax(contents: list[str]) -> bool:
    """Whether a file or stdin text is written like inline text (``1 2; 3 4 | 5 6; 7 8``).

    A ``|`` beside values on a line, or a ``;`` part holding two values with blanks between
    them, says so. A ``;`` between single values stays a cell delimiter (``1;2;3``, a
    semicolon CSV), so that every text read before reads the same way.
    """
    for content in contents:
        stripped = content.strip(_BLANKS)
        if "|" in stripped and stripped != "|":
            return True
        if ";" in content and any(
            _BLANK_INSIDE.search(part.strip(_BLANKS)) for part in content.split(";")
        ):
            return True
    return False


def _file_channels(lines: list[str], label: str, delimiter: str) -> list[_Channel]:
    channels: list[_Channel] = []
    current: _Channel | None = None
    blank = 0
    for number, line in enumerate(lines, start=1):
        content = _content(line)
        stripped = content.strip(_BLANKS)
        if stripped in ("", "|"):
            if stripped or "#" not in line:  # blank or '|': a channel break; comment-only: nothing
                current = None
                blank = 0 if stripped else number
            continue
        if current is None:
            current = _Channel(number, 1, [], blank if channels else 0)
            channels.append(current)
        current.rows.append(_file_cells(content, number, delimiter, label))
    return channels


def _file_cells(content: str, line: int, delimiter: str, label: str) -> list[_Cell]:
    if delimiter == " ":
        return _words(content, line, 0)
    return [
        _Cell(line, column, field) for column, field in _fields(content, line, 0, delimiter, label)
    ]


def _inline_channels(lines: list[str], label: str, *, blank_breaks: bool) -> list[_Channel]:
    """Rows ended by ``;`` or a newline, channels by ``|`` (and, in a file, by a blank line)."""
    channels = [_Channel(1, 1, [])]
    blank = 0  # a blank line waiting to start a channel, once rows follow it
    for number, line in enumerate(lines, start=1):
        content = _content(line)
        if blank_breaks and not content.strip(_BLANKS):
            if "#" not in line and channels[-1].rows:  # a comment-only line is not blank
                blank = number
            continue
        offset = 0
        for k, segment in enumerate(content.split("|")):
            if k:
                channels.append(_Channel(number, offset, []))
                blank = 0
            rows = list(_inline_rows(segment, number, offset, label))
            if rows and blank:
                channels.append(_Channel(number, 1, [], blank))
                blank = 0
            channels[-1].rows.extend(rows)
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


def _build_array(
    channels: list[_Channel], label: str, allow_nan: bool, *, header_hint: bool
) -> Array:
    height, width = len(channels[0].rows), len(channels[0].rows[0])
    values: list[Number] = []
    if header_hint:
        _check_header(channels[0].rows[0], label)
    for index, channel in enumerate(channels, start=1):
        of = f" of channel {index}" if index > 1 else ""
        first = channel.rows[0]
        for number, row in enumerate(channel.rows, start=1):
            values.extend(_number(cell, label, allow_nan) for cell in row)
            _check_row(row, number, first, of, label)
        shape = (len(channel.rows), len(first))
        if shape != (height, width):
            at = _at(label, first[0].line, first[0].column)
            msg = (
                f"{at}: channel {index} is {_shape_text(shape)}, "
                f"channel 1 is {height}×{width}; channels must have the same shape"
            )
            hint = None
            if channel.blank:
                hint = (
                    f"a blank line starts a new channel (line {channel.blank}); "
                    "delete it if this is one matrix"
                )
            raise ParseError(msg, hint=hint)
    try:
        return array_from_values(values, _stack_shape(len(channels), height, width))
    except OverflowError:
        raise _float_overflow(channels, values, label) from None


def _check_header(row: list[_Cell], label: str) -> None:
    """A first row of words only (column names) is refused with a hint to delete it."""
    if not all(_is_word(cell.text) for cell in row):
        return
    cell = row[0]
    try:
        parse_number(cell.text)
    except ValueError as error:
        reason = str(error)
    msg = f"{_at(label, cell.line, cell.column)}: {reason}"
    hint = (
        f"line {cell.line} looks like a header row, and header rows are not read: "
        "delete it, or start it with '#' to make it a comment"
    )
    raise ParseError(msg, hint=hint)


def _is_word(text: str) -> bool:
    """Text holding a letter that is no number at all, not even NaN or infinity."""
    if len(text) > MAX_TOKEN_CHARS or not any(char.isalpha() for char in text):
        return False
    try:
        parse_number(text, allow_nan=True)
    except ValueError:
        return True
    return False


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
