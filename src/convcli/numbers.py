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
import sys
from collections.abc import Iterable
from enum import IntEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

Number: TypeAlias = int | Fraction | float
if TYPE_CHECKING:
    import numpy.typing as npt

    Array: TypeAlias = npt.NDArray[Any]
else:  # the same alias without importing numpy.typing (about a millisecond at start-up)
    Array = np.ndarray[tuple[Any, ...], np.dtype[Any]]

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
    import unicodedata  # only to name a character being refused

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
        ends = _numba_extremes(array) if "convcli.numba_loops" in sys.modules else None
        low, high = ends or (int(array.min()), int(array.max()))
        return max(-low, high)
    if array.dtype == object:
        largest: Number = max(abs(v) for v in array.flat)
        return largest
    return float(np.max(np.abs(array)))


def _numba_extremes(array: Array) -> tuple[int, int] | None:
    from convcli import numba_engine  # loaded already: its loops are

    return numba_engine.extremes(array)


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
    if getattr(array, "numerators", None) is not None:  # fractions only: all finite
        return 0
    if array.dtype == object:
        return sum(
            1 for v in array.flat if isinstance(v, float | np.floating) and not math.isfinite(v)
        )
    return 0


def to_nested(array: Array, convert: Any = json_number) -> Any:
    """A nested list of converted values (``convert`` defaults to :func:`json_number`)."""
    # int64 and finite float64 cells are their own JSON numbers: numpy's C tolist
    numeric = array.dtype.kind == "i" or (array.dtype.kind == "f" and np.isfinite(array).all())
    if convert is json_number and numeric:
        return array.tolist()
    if array.ndim == 0:
        return convert(array.item())
    if array.ndim == 1:
        return [convert(v) for v in array.tolist()]
    return [to_nested(sub, convert) for sub in array]


# --- exact rationals as integers over one denominator ---------------------------------------

_DENOMINATOR = np.frompyfunc(lambda v: v.denominator, 1, 1)  # ints have one too: 1


def scaled_integers(array: Array, extra: Iterable[Number] = ()) -> tuple[Array, int] | None:
    """(int64 numerators N, common denominator D) with ``array == N / D`` exactly, D
    also a multiple of the denominators of ``extra`` (a pad value, biases); None when
    the array holds floats or N or D does not fit int64.

    >>> scaled_integers(np.array([Fraction(1, 4), 3, Fraction(-1, 6)], dtype=object))
    (array([ 3, 36, -2]), 12)
    """
    if array.dtype == np.float64:
        return None
    try:
        values = list(extra)
        if any(isinstance(v, float) for v in values):
            return None
        dens = [v.denominator for v in values if not isinstance(v, float)]
        if array.dtype == np.int64:
            common = math.lcm(*dens) if dens else 1
            if common > INT64_MAX or int(max_abs(array)) * common > INT64_MAX:
                return None
            return array * common, common
        cells = _DENOMINATOR(array).astype(np.int64)  # a float has none: AttributeError
        first = int(cells.flat[0]) if cells.size else 1
        # Python's lcm of the distinct denominators: numpy's would overflow silently
        distinct = [first] if (cells == first).all() else np.unique(cells).tolist()
        common = math.lcm(*distinct, *dens)
        if common > INT64_MAX or common <= 0:
            return None
        if common == 1:
            return array.astype(np.int64), 1
        scaled = np.frompyfunc(lambda v: v.numerator * (common // v.denominator), 1, 1)(array)
        return scaled.astype(np.int64), common
    except (OverflowError, TypeError, AttributeError):
        return None


class RatioArray(np.ndarray):
    """An object array of exact Fractions that also keeps them as int64 numerator and
    denominator arrays (reduced), so that writers format them vectorised. Any array
    derived from it (a slice, a sum) is a plain object array of the same Fractions:
    only the array itself carries the integer arrays."""

    numerators: Array | None
    denominators: Array | None

    def __array_finalize__(self, obj: object) -> None:
        self.numerators = None
        self.denominators = None


GCD_TABLE_LIMIT = 1 << 16  # up to this denominator, each cell's gcd comes from a table


def fractions_of(numerators: Array, denominator: int) -> Array:
    """numerators / denominator as a :class:`RatioArray` of reduced Fractions.

    >>> out = fractions_of(np.array([[2, -3], [8, 0]]), 4)
    >>> out.tolist()
    [[Fraction(1, 2), Fraction(-3, 4)], [Fraction(2, 1), Fraction(0, 1)]]
    >>> out.numerators.tolist(), out.denominators.tolist()
    ([[1, -3], [2, 0]], [[2, 4], [1, 1]])
    """
    if 0 < denominator <= GCD_TABLE_LIMIT:
        # gcd(n, d) = gcd(n mod d, d): one remainder and a gather, not Euclid's loop per cell
        common = np.gcd(np.arange(denominator), denominator)[numerators % denominator]
    else:
        common = np.gcd(numerators, denominator)
    nums, dens = numerators // common, denominator // common
    out: RatioArray = _interned(numerators, denominator).view(RatioArray)
    out.numerators, out.denominators = nums, dens
    return out


def _interned(numerators: Array, denominator: int) -> Array:
    """The object array of Fractions numerators / denominator, one Fraction object per
    distinct value (they are immutable), gathered by one C-level indexing: a few
    thousand constructions instead of one per cell."""
    if numerators.size == 0:
        return np.empty(numerators.shape, dtype=object)
    low, high = int(numerators.min()), int(numerators.max())
    dense = high - low < 2 * numerators.size + 1024  # a table by value: no sort
    if dense:
        present = np.zeros(high - low + 1, dtype=bool)
        present[(numerators - low).reshape(-1)] = True
        values = np.flatnonzero(present) + low
        index = numerators - low
    else:
        values, inverse = np.unique(numerators, return_inverse=True)
        index = inverse.reshape(numerators.shape)
    table = np.empty(int(index.max()) + 1, dtype=object)
    common = np.gcd(values, denominator)
    build, new = Fraction, object.__new__

    def make(n: int, d: int) -> Fraction:
        # both already reduced: skip Fraction()'s parsing and gcd
        value = new(build)
        value._numerator = n  # type: ignore[attr-defined]
        value._denominator = d  # type: ignore[attr-defined]
        return value

    positions = values - low if dense else np.arange(values.size)
    table[positions] = list(
        map(make, (values // common).tolist(), (denominator // common).tolist())
    )
    gathered: Array = table[index]
    return gathered


def as_floats(array: Array) -> Array:
    """A canonical array holding fractions as float64 (``--float``), any other one as it
    is: n/d is IEEE's correctly rounded quotient when both fit 2**53, which is
    float(Fraction(n, d)); else per cell.

    >>> as_floats(np.array([Fraction(1, 3), 2], dtype=object)).tolist()
    [0.3333333333333333, 2.0]
    >>> as_floats(np.array([1, 2])).tolist()
    [1, 2]
    """
    nums = getattr(array, "numerators", None)
    dens = getattr(array, "denominators", None)
    if nums is not None and dens is not None:
        limit = 2**53
        if int(max_abs(nums)) <= limit and int(dens.max(initial=1)) <= limit:
            quotient: Array = nums.astype(np.float64) / dens
            return quotient
    if kind_of(array) is not Kind.RATIONAL:
        return array  # integers are written as they are, floats already are decimals
    return np.array([float(v) for v in array.flat], dtype=np.float64).reshape(array.shape)
