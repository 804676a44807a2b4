"""Writers: csv, json, markdown and latex as strings (pure, deterministic, no colour)."""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from convcli.numbers import (
    Array,
    format_number,
    json_number,
    to_nested,
)

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

    >>> from convcli.matrix_io.text import parse_text
    >>> print(format_csv(parse_text("1 2|3 4", label="x", inline=True)), end="")
    1,2
    <BLANKLINE>
    3,4
    """
    nums, dens = getattr(array, "numerators", None), getattr(array, "denominators", None)
    if nums is not None and dens is not None:  # exact fractions kept as integers
        pairs = zip(_matrices(nums), _matrices(dens), strict=True)
        return "\n".join(_int64_csv(n, d) for (_, n), (_, d) in pairs)
    return "\n".join(_csv_block(matrix) for _, matrix in _matrices(array))


def _csv_block(matrix: Array) -> str:
    if matrix.dtype == np.int64 and matrix.ndim == 2:
        fast = _orjson(matrix)
        return _int64_csv(matrix) if fast is None else _chunked(_orjson_csv, matrix, fast)
    if matrix.dtype == np.float64 and matrix.ndim == 2:
        fast = _orjson(matrix)
        return _repr_csv(matrix) if fast is None else _chunked(_orjson_csv, matrix, fast)
    cell: Any = format_number
    if matrix.dtype.kind == "f":
        cell = repr  # tolist() gives Python floats: repr is format_number, only faster
    elif matrix.dtype.kind in "iu":
        cell = str
    return "".join(",".join(map(cell, row)) + "\n" for row in matrix.tolist())


def _repr_csv(matrix: Array) -> str:
    """float64 rows with repr's digits (shortest round-trip)."""
    # repr of every float in C (list's repr), then the list syntax made CSV: the
    # digits are repr's shortest round-trip ones, without a Python call per cell
    text = str(matrix.tolist())
    return text[2:-2].replace("], [", "\n").replace(", ", ",") + "\n"


# --- orjson: the same bytes, about ten times faster --------------------------------------------

NO_ORJSON = "CONVCLI_NO_ORJSON"  # set (to anything) to keep orjson out, e.g. to compare
ORJSON_CELLS = 8192  # below this, repr is done before orjson's import (~5 ms) would pay
# orjson writes shortest round-trip digits, as repr does, but its own notation in
# [1e-9, 1e-4) (0.000015 and 2.5e-7 where repr has 1.5e-05 and 2.5e-07) and null for
# NaN and the infinities; those cells (and only those) are written by repr. Measured over
# every binade of float64 with orjson 3.11.7 to 3.13 (tests/test_csv_speed_format.py).
_ORJSON_LOW, _ORJSON_HIGH = 1e-9, 1e-4
# Values at every edge of repr's notation: an orjson whose spelling of any differs from
# repr's (before 3.11.7 it wrote 1e16 for 1e+16) is not used at all.
_CANARY = (1e16, -1.5e16, 9999999999999998.0, 1e22, 1.7976931348623157e308, 1e-10,
           9.999999999999999e-10, -2.5e-300, 5e-324, 2.2250738585072014e-308, 1e-4, 0.00012,
           0.1, 1 / 3, -0.0, 0.0, 1.0, 2.0**53, 123456789.125)  # fmt: skip
_CANARY_INT = (-(2**63), 2**63 - 1, 0, -1, 10**15)


def _orjson(matrix: Array) -> Any | None:
    """The orjson module when it is installed, allowed, worth importing for ``matrix``, and
    spells every value of :data:`_CANARY` as repr does."""
    if matrix.size < ORJSON_CELLS or os.environ.get(NO_ORJSON):
        return None
    return _checked_orjson()


@functools.cache
def _checked_orjson() -> Any | None:
    try:
        import orjson  # here: never paid by the start-up of commands that write no big CSV
    except ImportError:
        return None
    option = orjson.OPT_SERIALIZE_NUMPY
    floats = orjson.dumps(np.array(_CANARY), option=option).decode()
    ints = orjson.dumps(np.array(_CANARY_INT, dtype=np.int64), option=option).decode()
    same = floats == "[" + ",".join(map(repr, _CANARY)) + "]"
    return orjson if same and ints == "[" + ",".join(map(str, _CANARY_INT)) + "]" else None


def _chunked(write: Callable[..., str], matrix: Array, *args: Any) -> str:
    """``write(rows, *args)`` over blocks of rows: bounds the temporary arrays."""
    rows, cols = matrix.shape
    step = max(1, _CSV_CHUNK // max(cols, 1))
    return "".join(write(matrix[r : r + step], *args) for r in range(0, rows, step))


def _orjson_csv(matrix: Array, orjson: Any) -> str:
    """int64 or float64 rows as CSV text, byte for byte that of :func:`_repr_csv` (floats)
    or :func:`_int64_csv` (integers)."""
    text = _orjson_rows(matrix, orjson, repr)
    return _repr_csv(matrix) if text is None else text


def _orjson_rows(matrix: Array, orjson: Any, spell: Callable[[Any], str]) -> str | None:
    """The rows of an int64 or float64 matrix, cells parted by commas, a newline after each
    row: orjson writes the flat array as ``[a,b,...]``, every ``cols``-th comma becomes a
    newline, and ``spell`` writes the cells orjson spells otherwise than repr. None when
    those are most cells (a Python call per cell is then slower than the caller's path)."""
    flat = np.ascontiguousarray(matrix).reshape(-1)  # orjson takes C-contiguous arrays only
    if flat.dtype == np.float64:
        magnitude = np.abs(flat)
        odd = np.flatnonzero(
            ~np.isfinite(flat) | ((magnitude >= _ORJSON_LOW) & (magnitude < _ORJSON_HIGH))
        )
        if 2 * odd.size > flat.size:
            return None
    else:
        odd = np.empty(0, dtype=np.intp)
    buffer = bytearray(orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY))
    view = np.frombuffer(buffer, dtype=np.uint8)
    commas = np.flatnonzero(view == ord(","))  # no number has one: they part the cells
    view[commas[matrix.shape[1] - 1 :: matrix.shape[1]]] = ord("\n")
    buffer[-1] = ord("\n")  # the closing bracket
    text = buffer[1:].decode("ascii")
    if not odd.size:
        return text
    # the byte before cell k in the buffer is bounds[k] (the bracket or a comma), the one
    # after it bounds[k + 1]; the text lacks the bracket, so cell k is text[bounds[k] :
    # bounds[k + 1] - 1]
    bounds = np.concatenate(([0], commas, [len(buffer) - 1]))
    parts: list[str] = []
    done = 0
    cells = zip(
        bounds[odd].tolist(), (bounds[odd + 1] - 1).tolist(), flat[odd].tolist(), strict=True
    )
    for begin, end, value in cells:
        parts += [text[done:begin], spell(value)]
        done = end
    parts.append(text[done:])
    return "".join(parts)


def _orjson_json(array: Array) -> str | None:
    """An int64 or float64 array as the JSON text ``json.dumps(to_nested(array))`` writes
    (``", "`` between items, ``"NaN"`` for NaN), through orjson; None when orjson is not
    used for it."""
    if array.dtype not in (np.int64, np.float64) or array.ndim < 1 or not array.shape[-1]:
        return None
    fast = _orjson(array)
    if fast is None:
        return None
    text = _orjson_rows(array.reshape(-1, array.shape[-1]), fast, _json_cell)
    if text is None:
        return None
    body = text[:-1].replace(",", ", ")
    if array.ndim <= 2:  # one pass more, no list of rows
        return "[" + body + "]" if array.ndim == 1 else "[[" + body.replace("\n", "], [") + "]]"
    # one line per innermost list, then the lists grouped by each outer axis in turn
    items = ["[" + row + "]" for row in body.split("\n")]
    for size in reversed(array.shape[:-1]):
        items = ["[" + ", ".join(items[i : i + size]) + "]" for i in range(0, len(items), size)]
    return items[0]


def _json_cell(value: float) -> str:
    return json.dumps(json_number(value))


_CSV_CHUNK = 1 << 20  # cells formatted at once: bounds the temporary digit arrays


def _int64_csv(matrix: Array, dens: Array | None = None) -> str:
    """int64 rows (over ``dens``: fractions) as CSV text, the digits computed by numpy
    (about twice as fast as str())."""
    rows, cols = matrix.shape
    step = max(1, _CSV_CHUNK // max(cols, 1))
    parts = (
        _int64_csv_bytes(matrix[r : r + step], None if dens is None else dens[r : r + step])
        for r in range(0, rows, step)
    )
    return b"".join(parts).decode("ascii")


def _int64_csv_bytes(block: Array, dens: Array | None = None) -> bytes:
    """Each value right-aligned in a fixed-width byte row, then only its own bytes kept;
    with ``dens``, ``/d`` follows every value whose denominator d is not 1."""
    rows, cols = block.shape
    parts = [_signed_digits(block.reshape(-1))]
    if dens is not None:
        digits, keep = _signed_digits(dens.reshape(-1), prefix=ord("/"))
        keep &= (dens.reshape(-1) != 1)[:, None]
        parts.append((digits, keep))
    separator = np.full((rows * cols, 1), ord(","), dtype=np.uint8)
    separator.reshape(rows, cols)[:, -1] = ord("\n")
    cells = np.hstack([p for p, _ in parts] + [separator])
    keep = np.hstack([k for _, k in parts] + [np.ones_like(separator, dtype=bool)])
    return bytes(cells[keep].tobytes())


def _signed_digits(flat: Array, prefix: int = 0) -> tuple[Array, Array]:
    """([n][width + 1] bytes: a sign (or ``prefix``) slot, then the digits right-aligned;
    the mask of the bytes that are the value's own)."""
    negative = flat < 0
    magnitude = flat.astype(np.uint64)
    magnitude[negative] = (~flat[negative]).astype(np.uint64) + np.uint64(1)  # |INT64_MIN| too
    top = int(magnitude.max(initial=0))
    width = len(str(top))
    cells = np.empty((flat.size, width + 1), dtype=np.uint8)
    if top < DIGIT_TABLE_LIMIT:
        # small magnitudes (pixels, a fraction's numerators and denominators): each
        # value's digits gathered from a table of 0…top, no division per cell
        text, counts = _digits_of(np.arange(top + 1, dtype=np.uint64), width)
        index = magnitude.astype(np.intp)
        cells[:, 1:] = text[index]
        ndigits = counts[index]
    else:
        text, ndigits = _digits_of(magnitude, width)
        cells[:, 1:] = text
    where = np.flatnonzero(negative) if not prefix else np.arange(flat.size)
    cells[where, width - ndigits[where]] = prefix or ord("-")
    first = width + 1 - ndigits - (negative if not prefix else 1)
    keep = np.arange(width + 1)[None, :] >= first[:, None]
    return cells, keep


DIGIT_TABLE_LIMIT = 1 << 16  # below this largest magnitude, digits come from a table


def _digits_of(magnitude: Array, width: int) -> tuple[Array, Array]:
    """([n][width] ASCII digits right-aligned, zero-filled on the left; the digit counts)."""
    powers = np.uint64(10) ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    digits = (magnitude[:, None] // powers[None, :]) % np.uint64(10)
    counts = np.where(magnitude == 0, 1, width - (digits != 0).argmax(axis=1))
    return digits.astype(np.uint8) + np.uint8(ord("0")), counts


def format_json(obj: Mapping[str, Any]) -> str:
    """One JSON object on one line; arrays as nested lists, fractions as ``"a/b"``, and
    non-finite floats as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    >>> format_json({"command": "conv", "output": np.array([[1, 2]]), "ok": np.bool_(True)})
    '{"command": "conv", "output": [[1, 2]], "ok": true}\\n'
    """
    # allow_nan=False: a non-finite float that escaped json_number fails here, never
    # printing NaN or Infinity, which are not JSON. Arrays orjson writes stand in the tree
    # as strings no input can hold (NUL and a random nonce), then replaced by their text.
    arrays: dict[str, str] = {}
    text = json.dumps(_jsonable(obj, arrays, os.urandom(8).hex()), allow_nan=False)
    for key, body in arrays.items():
        text = text.replace(json.dumps(key), body, 1)
    return text + "\n"


def _jsonable(value: Any, arrays: dict[str, str] | None = None, nonce: str = "") -> Any:
    if isinstance(value, np.ndarray):
        body = None if arrays is None else _orjson_json(value)
        if arrays is None or body is None:
            return to_nested(value)
        key = f"\0{nonce} {len(arrays)}\0"
        arrays[key] = body
        return key
    if isinstance(value, Mapping):
        return {key: _jsonable(item, arrays, nonce) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item, arrays, nonce) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | np.integer | np.floating | Fraction):
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

    >>> from convcli.matrix_io.text import parse_text
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
