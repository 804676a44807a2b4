"""JSON documents and .npy files as matrices."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from convcli import limits
from convcli.errors import ParseError
from convcli.matrix_io.common import (
    MAX_RANK,
    MAX_TOKEN_CHARS,
    _at,
    _count,
    _normalise_newlines,
    _resource_guard,
    _shape_text,
    _short,
    _too_long,
)
from convcli.matrix_io.text import _no_numbers
from convcli.numbers import (
    Array,
    Number,
    array_from_values,
    canonical,
    format_number,
    fullwidth_problem,
    parse_number,
)

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
        at = _at(label, error.lineno, error.colno)
        wide = fullwidth_problem(error.doc[error.pos]) if error.pos < len(error.doc) else None
        msg = f"{at}: {wide}" if wide else f"{at}: invalid JSON: {error.msg}"
        raise ParseError(msg) from None
    except RecursionError:
        msg = f"{label}: the JSON is nested too deeply; a matrix is at most {MAX_RANK} lists deep"
        raise ParseError(msg) from None


def _json_array(document: Any, label: str, allow_nan: bool) -> Array:
    data, root = _json_payload(document, label)
    shape = _json_shape(data, root, label)
    values: list[Number] = []
    _json_values(data, shape, root, label, allow_nan, values)
    return array_from_values(values, shape)  # a flat list stays 1-D: a vector


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
                f"{label}: {path}: lists nested more than {MAX_RANK} deep; "
                f"an array is at most {MAX_RANK}-D"
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
    header = _npy_header(data)
    if header is not None:  # the cell guard from the header, before any cell is read
        limits.check(cells=math.prod(header[0]), work=0, exact_objects=False, what=label)
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
    if array.ndim == 0:  # before the finiteness check, which indexes cells
        array = array.reshape(1, 1)
    if array.dtype == np.float64 and not allow_nan:
        _check_finite(array, label)
    return array if array.flags.writeable else array.copy()


def _npy_header(data: bytes) -> tuple[tuple[int, ...], bool, np.dtype[Any], int] | None:
    """(shape, fortran order, dtype, data offset) from a .npy header read by numpy's own
    format module, or None when this is not a plain .npy of numbers (an .npz, a pickled
    object array, a damaged file): np.load then says what it is."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except Exception:  # np.load reports it with its own words
        return None
    if dtype.hasobject or dtype.kind not in "iuf":
        return None
    if len(data) - stream.tell() < math.prod(shape) * dtype.itemsize:
        return None  # truncated: np.load's message names it
    return tuple(shape), bool(fortran), dtype, stream.tell()


def _npy_canonical(loaded: Array, label: str) -> Array:
    if loaded.dtype.kind not in "iuf":
        msg = f"{label}: an array of {loaded.dtype} ({_dtype_words(loaded.dtype)}), not of numbers"
        raise ParseError(msg)
    if loaded.ndim > MAX_RANK:
        msg = f"{label}: a {loaded.ndim}-D array; an array is at most {MAX_RANK}-D"
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
    if np.isfinite(array).all():  # the common case: no cell-index array is built
        return
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        where = "".join(f"[{i}]" for i in index)
        value = format_number(array[index])
        msg = f"{label}: {where}: {value!r} is not a finite number (pass --allow-nan to accept it)"
        raise ParseError(msg)
