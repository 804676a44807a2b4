"""Exact numbers: read a token, choose the arithmetic, format a value.

Three kinds of matrix exist, and every array the core sees is one of them:

* ``INT``: integers, as ``int64`` when they fit, else an object array of Python ints;
* ``RATIONAL``: an object array holding at least one :class:`fractions.Fraction`;
* ``FLOAT``: ``float64``.

A decimal point or an exponent makes a float (``0.5``, ``1e3``); ``a/b`` makes an
exact fraction. Integers beyond int64 stay exact.

>>> parse_number("−3"), parse_number("3/12"), parse_number("2.5")
(-3, Fraction(1, 4), 2.5)
>>> format_number(Fraction(-3, 16)), format_number(-2, unicode=True), json_number(Fraction(4, 2))
('-3/16', '−2', 2)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from enum import IntEnum
from fractions import Fraction
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

Number: TypeAlias = int | Fraction | float
Array: TypeAlias = npt.NDArray[Any]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

_INT = re.compile(r"[+-]?[0-9]+")
_FRACTION = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
# −, figure dash, en dash, small minus. The full-width U+FF0D is not among them: like every
# full-width character it is refused and named (see fullwidth_problem).
_MINUS_SIGNS = "\u2212\u2012\u2013\ufe63"
_FULLWIDTH_FIRST, _FULLWIDTH_LAST = 0xFF01, 0xFF5E  # full-width forms of ASCII '!' to '~'
_FULLWIDTH_OFFSET = 0xFEE0  # from a full-width form to its ASCII character
_IDEOGRAPHIC = {"\u3000": "a space", "\u3001": "','", "\u3002": "'.'"}


class Kind(IntEnum):
    """The arithmetic a matrix needs; a wider kind absorbs a narrower one."""

    INT = 0
    RATIONAL = 1
    FLOAT = 2


def parse_number(token: str, *, allow_nan: bool = False) -> Number:
    """Read one number; raise ``ValueError`` with the reason when it is not one.

    >>> parse_number("1e400")
    Traceback (most recent call last):
    ...
    ValueError: '1e400' is out of the float64 range
    """
    text = token.strip()
    if text[:1] in _MINUS_SIGNS:
        text = "-" + text[1:]
    if _INT.fullmatch(text):
        return int(text)
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        denominator = int(fraction.group(2))
        if denominator == 0:
            msg = f"{token!r} divides by zero"
            raise ValueError(msg)
        return Fraction(int(fraction.group(1)), denominator)
    if _FLOAT.fullmatch(text):
        value = float(text)
        if math.isinf(value):
            msg = f"{token!r} is out of the float64 range"
            raise ValueError(msg)
        if value == 0.0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0]):
            msg = f"{token!r} is too small for float64 (it would round to 0)"
            raise ValueError(msg)
        return value
    if _NONFINITE.fullmatch(text):
        if not allow_nan:
            msg = f"{token!r} is not a finite number (pass --allow-nan to accept it)"
            raise ValueError(msg)
        return float(text)
    raise ValueError(_not_a_number(token))


def fullwidth_problem(char: str) -> str | None:
    """What is wrong with a full-width (CJK keyboard) character, or None for any other one.

    >>> fullwidth_problem("\uff0c")
    "full-width comma '，' (U+FF0C); use ','"
    >>> fullwidth_problem("\u3000"), fullwidth_problem(",")
    ('ideographic space (U+3000); use a space', None)
    """
    code = ord(char)
    if _FULLWIDTH_FIRST <= code <= _FULLWIDTH_LAST:
        name = unicodedata.name(char).lower().replace("fullwidth", "full-width")
        return f"{name} {char!r} (U+{code:04X}); use {chr(code - _FULLWIDTH_OFFSET)!r}"
    if char in _IDEOGRAPHIC:
        shown = "" if char == "\u3000" else f" {char!r}"
        name = unicodedata.name(char).lower()
        return f"{name}{shown} (U+{code:04X}); use {_IDEOGRAPHIC[char]}"
    return None


def _not_a_number(token: str) -> str:
    wide = next((p for p in map(fullwidth_problem, token) if p is not None), None)
    if wide is not None:
        return f"{token!r} has a {wide}"
    odd = next((ch for ch in token if ch.isdigit() and not ch.isascii()), None)
    if odd is not None:
        return f"{token!r} uses the non-ASCII digit {odd!r}; write numbers with ASCII digits 0-9"
    return f"{token!r} is not a number"


def kind_of_value(value: object) -> Kind:
    """The kind one scalar needs."""
    if isinstance(value, bool):
        msg = f"{value!r} is a boolean, not a number"
        raise TypeError(msg)
    if isinstance(value, int | np.integer):
        return Kind.INT
    if isinstance(value, Fraction):
        return Kind.RATIONAL
    if isinstance(value, float | np.floating):
        return Kind.FLOAT
    msg = f"{value!r} is not a number"
    raise TypeError(msg)


def kind_of(array: Array) -> Kind:
    """The kind of a canonical array (see the module docstring)."""
    if array.dtype == np.float64:
        return Kind.FLOAT
    if array.dtype == object:
        return Kind.RATIONAL if any(isinstance(v, Fraction) for v in array.flat) else Kind.INT
    return Kind.INT


def array_from_values(values: list[Number], shape: tuple[int, ...]) -> Array:
    """A canonical array of ``shape`` from a flat list of parsed numbers."""
    kind = max((kind_of_value(v) for v in values), default=Kind.INT)
    if kind is Kind.FLOAT:
        return np.array([float(v) for v in values], dtype=np.float64).reshape(shape)
    if kind is Kind.INT and all(INT64_MIN <= v <= INT64_MAX for v in values):
        return np.array(values, dtype=np.int64).reshape(shape)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def canonical(array: Array) -> Array:
    """Any numeric array as a canonical one: int64, object (ints or Fractions) or float64."""
    if array.dtype == np.bool_ or array.dtype.kind not in "iufO":
        msg = f"an array of {array.dtype} is not a matrix of numbers"
        raise TypeError(msg)
    if array.dtype.kind == "f":
        with np.errstate(invalid="ignore"):  # a signalling NaN widens to NaN: no warning
            return array.astype(np.float64, copy=False)
    if array.dtype.kind in "iu":
        if array.size and array.dtype == np.uint64 and int(array.max()) > INT64_MAX:
            return array_from_values([int(v) for v in array.flat], array.shape)
        return array.astype(np.int64, copy=False)
    values: list[Number] = []
    for v in array.flat:
        kind = kind_of_value(v)
        if kind is Kind.FLOAT:
            values.append(float(v))
        elif isinstance(v, Fraction):
            values.append(v)
        else:
            values.append(int(v))
    return array_from_values(values, array.shape)


def unify(arrays: Iterable[Array]) -> list[Array]:
    """The arrays converted to the widest kind among them (float64 > object > int64)."""
    items = list(arrays)
    kinds = [kind_of(a) for a in items]
    if Kind.FLOAT in kinds:
        return [a.astype(np.float64) for a in items]
    if any(a.dtype == object for a in items):
        return [a.astype(object) for a in items]
    return items


def max_abs(array: Array) -> Number:
    """The largest magnitude in an array, without int64 overflow (0 for an empty one)."""
    if array.size == 0:
        return 0
    if array.dtype == np.int64:
        return max(-int(array.min()), int(array.max()))
    if array.dtype == object:
        largest: Number = max(abs(v) for v in array.flat)
        return largest
    return float(np.max(np.abs(array)))


def format_number(value: object, *, unicode: bool = False) -> str:
    """A value as text that reads back to the same value (``-`` or ``−`` for minus)."""
    if isinstance(value, float | np.floating):
        text = repr(float(value))
    elif isinstance(value, Fraction) and value.denominator == 1:
        text = str(value.numerator)
    else:
        text = str(int(value) if isinstance(value, np.integer) else value)
    if unicode and text.startswith("-"):
        text = "\u2212" + text[1:]
    return text


_NONFINITE_JSON = {math.inf: "Infinity", -math.inf: "-Infinity"}


def json_number(value: object) -> int | float | str:
    """A value for JSON: ints and finite floats as numbers, a non-integral fraction as
    ``"a/b"``, and the non-finite floats as the strings ``"Infinity"``, ``"-Infinity"`` and
    ``"NaN"`` (JSON has no such numbers; :func:`parse_number` reads the strings back).

    >>> [json_number(v) for v in (1.5, float("-inf"), float("nan"), Fraction(1, 3))]
    [1.5, '-Infinity', 'NaN', '1/3']
    """
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        return "NaN" if math.isnan(number) else _NONFINITE_JSON[number]
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    return int(value)  # type: ignore[call-overload,no-any-return]


def count_nonfinite(array: Array) -> int:
    """How many cells are NaN or infinite (always 0 for integers and fractions).

    >>> count_nonfinite(np.array([[1.0, np.inf], [np.nan, -np.inf]]))
    3
    >>> count_nonfinite(np.array([1, Fraction(1, 2), float("nan")], dtype=object))
    1
    """
    if array.dtype.kind == "f":
        return int(array.size - np.count_nonzero(np.isfinite(array)))
    if array.dtype == object:
        return sum(
            1 for v in array.flat if isinstance(v, float | np.floating) and not math.isfinite(v)
        )
    return 0


def to_nested(array: Array, convert: Any = json_number) -> Any:
    """A nested list of converted values (``convert`` defaults to :func:`json_number`)."""
    if array.ndim == 0:
        return convert(array.item())
    if array.ndim == 1:
        return [convert(v) for v in array.tolist()]
    return [to_nested(sub, convert) for sub in array]
