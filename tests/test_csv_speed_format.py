"""The orjson CSV writer: byte for byte the text of the repr path, whatever the values.

The oracle is the definition of the format: ``repr`` (floats) or ``str`` (integers) of
every cell in Python, commas between cells, a newline after every row, a blank line
between channels. No timing here: benchmarks/bench.py measures the speed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from convcli.matrix_io import writers
from convcli.matrix_io.writers import format_csv
from convcli.numbers import fractions_of
from convcli.stream import write_csv

BIG = writers.ORJSON_CELLS  # format_csv uses orjson from this many cells of one matrix


def oracle(array: np.ndarray) -> str:
    """The CSV text cell by cell in Python: repr for floats, str for integers."""
    cell = repr if array.dtype.kind == "f" else str
    matrices = [array.reshape(1, -1)] if array.ndim < 2 else array.reshape(-1, *array.shape[-2:])
    return "\n".join(
        "".join(",".join(map(cell, row)) + "\n" for row in matrix.tolist()) for matrix in matrices
    )


@pytest.fixture(autouse=True)
def fresh_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test decides afresh whether orjson is there and spells values as repr does."""
    monkeypatch.delenv(writers.NO_ORJSON, raising=False)
    writers._checked_orjson.cache_clear()
    yield
    writers._checked_orjson.cache_clear()


def counting_dumps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Calls of orjson.dumps on arrays larger than the canary, counted."""
    calls: list[int] = []
    real = orjson.dumps

    def dumps(value: Any, **kwargs: Any) -> bytes:
        if isinstance(value, np.ndarray) and value.size > len(writers._CANARY):
            calls.append(value.size)
        return real(value, **kwargs)

    monkeypatch.setattr(orjson, "dumps", dumps)
    return calls


def every_binade(per_binade: int = 60, seed: int = 1) -> np.ndarray:
    """Random mantissas in each of float64's 2047 finite exponents (subnormals included),
    both signs, with the powers of ten and their neighbours, 0.0 and -0.0."""
    rng = np.random.default_rng(seed)
    exponents = np.repeat(np.arange(2047, dtype=np.uint64), per_binade)
    mantissas = rng.integers(0, 1 << 52, exponents.size, dtype=np.uint64)
    mantissas[::per_binade] = 0
    mantissas[1::per_binade] = (1 << 52) - 1
    bits = (exponents << np.uint64(52)) | mantissas
    values = bits.view(np.float64)
    tens = 10.0 ** np.arange(-323, 309)
    edges = [tens, np.nextafter(tens, 0), np.nextafter(tens, np.inf), tens[:-1] * 1.5]
    values = np.concatenate([values, *edges, [0.0, -0.0]])
    values = values[np.isfinite(values)]
    return np.concatenate([values, -values])


def test_every_magnitude_spelled_as_repr() -> None:
    """Over every binade from 5e-324 to 1.8e308 the orjson path writes repr's text, and the
    cells orjson would spell otherwise are exactly those in [1e-9, 1e-4)."""
    values = every_binade()
    values = values[: values.size // 100 * 100].reshape(-1, 100)
    assert writers._orjson_csv(values, orjson) == oracle(values)
    # the threshold is tight: outside [1e-9, 1e-4) orjson's own text is repr's
    flat = values.reshape(-1)
    own = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    differs = np.array([text != repr(v) for text, v in zip(own, flat.tolist(), strict=True)])
    magnitude = np.abs(flat)
    assert np.array_equal(differs, (magnitude >= 1e-9) & (magnitude < 1e-4))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5e-05, "1.5e-05"),
        (2.5e-07, "2.5e-07"),
        (1e-09, "1e-09"),
        (9.999999999999999e-10, "9.999999999999999e-10"),
        (0.0001, "0.0001"),
        (-5e-324, "-5e-324"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (np.nan, "nan"),
        (-np.inf, "-inf"),
    ],
)
def test_edge_cells(value: float, text: str) -> None:
    """Each edge of repr's notation, alone in a row and among ordinary cells."""
    matrix = np.array([[value, 0.5], [0.25, value]])
    assert writers._orjson_csv(matrix, orjson) == f"{text},0.5\n0.25,{text}\n"
    assert writers._orjson_csv(np.array([[value]]), orjson) == f"{text}\n"


floats64 = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)
shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, shapes, elements=floats64))
def test_any_float_matrix_both_paths(matrix: np.ndarray) -> None:
    text = writers._orjson_csv(matrix, orjson)
    assert text == writers._repr_csv(matrix) == oracle(matrix)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        shapes,
        elements=st.one_of(st.floats(1e-12, 1e-3), st.floats(-1e-3, -1e-12), st.just(-0.0)),
    )
)
def test_tiny_values_both_paths(matrix: np.ndarray) -> None:
    """Mostly cells that orjson spells otherwise (the repr path runs for the whole block)."""
    assert writers._orjson_csv(matrix, orjson) == oracle(matrix)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int64, shapes, elements=st.integers(-(2**63), 2**63 - 1)))
def test_any_int64_matrix_both_paths(matrix: np.ndarray) -> None:
    assert writers._orjson_csv(matrix, orjson) == writers._int64_csv(matrix) == oracle(matrix)


@pytest.mark.parametrize(
    "shape", [(2 * BIG,), (BIG // 64, 128), (3, BIG // 50 + 1, 50), (2, 2, BIG // 64, 64)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_format_csv_with_and_without_orjson(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...], dtype: Any
) -> None:
    """1-D to 4-D, floats with NaN, infinities, -0.0, subnormals and tiny values, or integers
    up to int64's ends: the same text with orjson, without it, and from the oracle."""
    rng = np.random.default_rng(len(shape))
    if dtype == np.float64:
        array = rng.standard_normal(shape) * 10.0 ** rng.integers(-320, 308, shape)
        flat = array.reshape(-1)
        flat[::97] = np.nan
        flat[5::101] = np.inf
        flat[7::103] = -np.inf
        flat[9::89] = -0.0
        flat[11::83] = 3e-310
        flat[13::79] = 2.5e-07
    else:
        array = rng.integers(-(2**63), 2**63 - 1, shape, dtype=np.int64)
        array.reshape(-1)[:2] = [-(2**63), 2**63 - 1]
    calls = counting_dumps(monkeypatch)
    fast = format_csv(array)
    assert calls, "orjson wrote none of it"
    assert fast == oracle(array)
    monkeypatch.setenv(writers.NO_ORJSON, "1")
    calls.clear()
    assert format_csv(array) == fast
    assert calls == []


def test_channels_one_blank_line_apart() -> None:
    array = np.arange(2 * BIG, dtype=np.float64).reshape(2, BIG // 8, 8) / 4
    text = format_csv(array)
    first, second = text.split("\n\n")
    assert first + "\n" == oracle(array[0])
    assert second == oracle(array[1])


def test_small_matrices_never_import_orjson() -> None:
    """Start-up: a small result, and importing the writers, leave orjson unloaded."""
    code = (
        "import sys, numpy as np\n"
        "from convcli.matrix_io import format_csv\n"
        f"print(format_csv(np.ones((2, {BIG // 4}))) == ('1.0,' * {BIG // 4 - 1} + '1.0\\n') * 2,"
        " 'orjson' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "True False\n"


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int32])
def test_other_dtypes_unaffected(monkeypatch: pytest.MonkeyPatch, dtype: Any) -> None:
    array = (np.arange(2 * BIG) % 251).astype(dtype).reshape(-1, 64)
    calls = counting_dumps(monkeypatch)
    assert format_csv(array) == oracle(array)
    assert calls == []


def test_fractions_unaffected(monkeypatch: pytest.MonkeyPatch) -> None:
    numerators = np.arange(-BIG, BIG, dtype=np.int64).reshape(-1, 64)
    array = fractions_of(numerators, 6)
    calls = counting_dumps(monkeypatch)
    expected = "".join(
        ",".join(f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)
                 for v in row) + "\n"
        for row in array.tolist()
    )  # fmt: skip
    assert format_csv(array) == expected
    assert calls == []


def test_without_orjson_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import orjson`` failing (not installed): the repr path, the same text."""
    monkeypatch.setitem(sys.modules, "orjson", None)  # import raises ImportError
    array = np.random.default_rng(2).standard_normal((BIG // 32, 64))
    array[3, 5] = 1.5e-05
    assert format_csv(array) == oracle(array)
    assert writers._checked_orjson() is None


def test_orjson_with_another_notation_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """An orjson before 3.11.7 writes 1e16 for repr's 1e+16: the canary turns it away."""
    calls: list[int] = []

    def dumps(value: Any, **kwargs: Any) -> bytes:
        calls.append(value.size)
        return orjson.dumps(value, **kwargs).replace(b"e+", b"e")

    old = types.SimpleNamespace(dumps=dumps, OPT_SERIALIZE_NUMPY=orjson.OPT_SERIALIZE_NUMPY)
    monkeypatch.setitem(sys.modules, "orjson", old)
    array = np.full((BIG // 32, 64), 1e16)
    assert format_csv(array) == oracle(array)
    assert calls == [len(writers._CANARY), len(writers._CANARY_INT)]  # the check only


def test_streamed_csv_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """stream.write_csv formats blocks of rows with format_csv: orjson writes them, and the
    bytes are the oracle's."""
    array = np.random.default_rng(4).standard_normal((2, 300, 250)) * 1e-3
    array[1, 7, 3] = np.nan
    calls = counting_dumps(monkeypatch)
    buffer = io.BytesIO()
    write_csv(array, buffer)
    assert calls
    assert buffer.getvalue() == oracle(array).encode()


# --- JSON: json.dumps's text of the nested lists, "NaN" and the infinities as strings ------


def json_oracle(value: Any) -> str:
    """json.dumps of the nested Python lists, non-finite floats as JSON strings."""

    def plain(item: Any) -> Any:
        if isinstance(item, np.ndarray):
            return plain(item.tolist())
        if isinstance(item, dict):
            return {key: plain(v) for key, v in item.items()}
        if isinstance(item, list):
            return [plain(v) for v in item]
        if isinstance(item, float) and item != item:
            return "NaN"
        if isinstance(item, float) and item in (np.inf, -np.inf):
            return "Infinity" if item > 0 else "-Infinity"
        return item

    return json.dumps(plain(value), allow_nan=False) + "\n"


json_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        hnp.arrays(np.float64, json_shapes, elements=floats64),
        hnp.arrays(np.int64, json_shapes, elements=st.integers(-(2**63), 2**63 - 1)),
    )
)
def test_any_array_as_json(array: np.ndarray) -> None:
    """orjson forced for every size: the text of json.dumps over the nested lists."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writers, "ORJSON_CELLS", 1)
        patch.delenv(writers.NO_ORJSON, raising=False)
        if array.dtype == np.int64:  # never a cell spelled otherwise: always orjson's text
            assert writers._orjson_json(array) == json_oracle(array)[:-1]
        assert writers.format_json({"a": array}) == json_oracle({"a": array})


@pytest.mark.parametrize("shape", [(2 * BIG,), (BIG // 64, 128), (3, BIG // 50 + 1, 50)])
def test_format_json_with_and_without_orjson(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(len(shape))
    floats = rng.standard_normal(shape) * 10.0 ** rng.integers(-320, 308, shape)
    flat = floats.reshape(-1)
    flat[::97], flat[5::101], flat[7::103], flat[9::89], flat[13::79] = (
        np.nan, np.inf, -np.inf, -0.0, 2.5e-07,
    )  # fmt: skip
    integers = rng.integers(-(2**63), 2**63 - 1, shape, dtype=np.int64)
    payload = {
        "command": "conv",
        "output": floats,
        "more": [integers, {"small": floats[..., :2]}],
        "text": 'a, b\x00 "\\u0000" ]',  # commas, NUL and quotes in a string stay its own
    }
    calls = counting_dumps(monkeypatch)
    fast = writers.format_json(payload)
    assert len(calls) == 2, "orjson wrote the two large arrays"
    assert fast == json_oracle(payload)
    monkeypatch.setenv(writers.NO_ORJSON, "1")
    calls.clear()
    assert writers.format_json(payload) == fast
    assert calls == []
