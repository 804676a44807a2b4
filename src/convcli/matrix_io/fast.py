"""The fast path for clean numeric text: validated with byte tables, converted by numpy."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from convcli.matrix_io.common import _BLANKS, _content, _sniff, _stack_shape
from convcli.numbers import (
    Array,
)

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
