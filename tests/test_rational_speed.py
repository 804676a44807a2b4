"""Exact fractions on the integer paths (scaled by a common denominator, divided once):
the same Fractions as Python's own arithmetic, cell by cell, and the same text. Oracles:
per-tap sums of Fractions in plain Python; ``str(Fraction)``; ``float(Fraction)``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import conv2d, pool2d
from convcli.cli import app
from convcli.matrix_io import format_csv
from convcli.numbers import RatioArray, count_nonfinite, fractions_of, scaled_integers

runner = CliRunner()


def naive(x: list[list[Any]], w: list[list[Any]], pad: int, value: Any, bias: Any) -> list[Any]:
    """Valid correlation of the zero-or-``value`` padded input, in Python numbers."""
    h, wd = len(x) + 2 * pad, len(x[0]) + 2 * pad
    grid = [[value] * wd for _ in range(h)]
    for r, row in enumerate(x):
        for c, v in enumerate(row):
            grid[r + pad][c + pad] = v
    kh, kw = len(w), len(w[0])
    return [
        [
            sum((grid[i + a][j + b] * w[a][b] for a in range(kh) for b in range(kw)), Fraction(0))
            + bias
            for j in range(wd - kw + 1)
        ]
        for i in range(h - kh + 1)
    ]


def fractions(rng: np.random.Generator, shape: tuple[int, int], den: int) -> list[list[Any]]:
    return [
        [Fraction(int(rng.integers(-50, 50)), int(rng.integers(1, den))) for _ in range(shape[1])]
        for _ in range(shape[0])
    ]


@pytest.mark.parametrize("seed", range(6))
def test_random_fractions_match_python(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = fractions(rng, (9, 11), 12) if seed % 2 else rng.integers(-99, 99, (9, 11)).tolist()
    w = fractions(rng, (3, 4), 9)
    pad, value, bias = seed % 3, Fraction(seed, 7), Fraction(1, seed + 2)
    got = conv2d(x, w, padding=pad, pad_value=value, bias=bias)
    assert isinstance(got, RatioArray)
    assert got.tolist() == naive(x, w, pad, value, bias)
    assert all(type(v) is Fraction for v in got.flat)


def test_numerators_past_int64_take_python_arithmetic() -> None:
    # the common denominator of these would overflow int64: exact all the same
    big = Fraction(1, 2**62 - 57)
    x = [[big, Fraction(1, 3)], [Fraction(2, 5), 1]]
    w = [[Fraction(1, 2**40 + 1)]]
    got = conv2d(x, w)
    assert not isinstance(got, RatioArray)
    assert got.tolist() == [[v * w[0][0] for v in row] for row in x]


def test_scaled_integers_refuses_floats_and_overflow() -> None:
    assert scaled_integers(np.array([Fraction(1, 2), 0.5], dtype=object)) is None
    assert scaled_integers(np.array([2**62, 2**62], dtype=object), [Fraction(1, 4)]) is None
    nums, den = scaled_integers(np.array([Fraction(1, 4), 3], dtype=object))  # type: ignore[misc]
    assert (nums.tolist(), den) == ([1, 12], 4)


def test_fraction_text_is_str_of_each_fraction() -> None:
    rng = np.random.default_rng(9)
    nums = rng.integers(-(2**62), 2**62, (3, 5, 7))
    nums[0, 0, :3] = [0, -(2**63) + 1, 2**63 - 1]
    out = fractions_of(nums, 2**40 * 3)
    want = "\n".join(
        "".join(",".join(str(v) for v in row) + "\n" for row in channel.tolist()) for channel in out
    )
    assert format_csv(out) == want
    assert count_nonfinite(out) == 0


def test_average_pool_fractions() -> None:
    x = np.arange(36).reshape(6, 6) * 7 % 11
    got = pool2d(x, 3, op="avg", stride=1)
    want = [[Fraction(int(x[i : i + 3, j : j + 3].sum()), 9) for j in range(4)] for i in range(4)]
    assert got.tolist() == want


def test_float_option_writes_decimals() -> None:
    args = ["conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "gaussian-3", "-p", "1", "--format"]
    exact = runner.invoke(app, [*args, "csv"])
    decimals = runner.invoke(app, [*args, "csv", "--float"])
    assert exact.stdout.splitlines()[0] == "21/16,9/4,33/16"
    assert decimals.stdout.splitlines()[0] == "1.3125,2.25,2.0625"
    rows = [line.split(",") for line in exact.stdout.splitlines()]
    want = [",".join(repr(float(Fraction(v))) for v in row) for row in rows]
    assert decimals.stdout.splitlines() == want
    json_out = runner.invoke(app, [*args, "json", "--float"])
    assert '"output": [[1.3125, 2.25, 2.0625], [3.25, 5.0, 4.25]' in json_out.stdout


def test_float_option_leaves_integers() -> None:
    done = runner.invoke(app, ["conv", "-i", "1 2; 3 4", "-k", "1", "--float", "--format", "csv"])
    assert (done.exit_code, done.stdout) == (0, "1,2\n3,4\n")
    pooled = runner.invoke(app, ["pool", "-i", "1 2; 3 5", "-k", "2", "--op", "avg", "--float"])
    assert pooled.stdout == "2.75\n"


# --------------------------------------------------------------------------- readers, writers


def test_json_numbers_from_numpy_tolist() -> None:
    from convcli.matrix_io import format_json
    from convcli.numbers import to_nested

    floats = np.array([[0.1, -2.5e300], [5e-324, 3.0]])
    assert to_nested(floats) == [[0.1, -2.5e300], [5e-324, 3.0]]
    assert [type(v) for v in to_nested(floats)[0]] == [float, float]
    assert to_nested(np.array([[1, -(2**63)]])) == [[1, -(2**63)]]
    assert to_nested(np.array([np.nan, np.inf, 1.5])) == ["NaN", "Infinity", 1.5]
    text = format_json({"output": np.array([[0.1, 2.0], [1e-7, -0.0]])})
    assert text == '{"output": [[0.1, 2.0], [1e-07, -0.0]]}\n'


def test_float_csv_is_repr_of_each_float() -> None:
    x = np.random.default_rng(11).standard_normal((5, 7)) * 10.0 ** np.arange(-3, 4)
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    want = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in x)
    assert format_csv(x) == want


def test_npy_cell_guard_read_from_the_header(tmp_path: Any, monkeypatch: Any) -> None:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((30, 40)))
    path = tmp_path / "big.npy"
    path.write_bytes(buffer.getvalue())
    loads: list[int] = []
    real = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: loads.append(1) or real(*a, **k))
    monkeypatch.setenv("CONVCLI_MAX_CELLS", "1000")
    done = runner.invoke(app, ["conv", "-i", str(path), "-k", "1", "--format", "csv"])
    assert done.exit_code == 1
    assert done.stderr.startswith(f"Error: --input {str(path)!r} needs 1,200 cells in memory")
    assert loads == []  # refused from the header, before numpy read the cells


@pytest.mark.parametrize("denominator", [1, 12, 16, 1 << 16, (1 << 16) + 1, 10**12])
def test_fractions_reduce_by_every_denominator(denominator: int) -> None:
    # the gcd of each cell from a table (small denominators) or Euclid's (others)
    rng = np.random.default_rng(denominator % 1000)
    numerators = rng.integers(-(10**6), 10**6, (37, 29))
    numerators[0, :4] = [0, denominator % (10**6), -(denominator % (10**6)), 1]
    out = fractions_of(numerators, denominator)
    want = [[Fraction(int(n), denominator) for n in row] for row in numerators.tolist()]
    assert out.tolist() == want
    assert out.numerators.tolist() == [[f.numerator for f in row] for row in want]
    assert out.denominators.tolist() == [[f.denominator for f in row] for row in want]


def test_integer_digits_from_the_table_and_by_division(monkeypatch: pytest.MonkeyPatch) -> None:
    # CSV text of int64 without orjson: small magnitudes' digits come from a table
    from convcli.matrix_io import writers

    monkeypatch.setenv("CONVCLI_NO_ORJSON", "1")
    edges = [0, 1, -1, 9, 10, -10, 65535, -65535, 65536, -65536, 2**63 - 1, -(2**63)]
    for top in (9, 99, 65535, 65536, 10**12):
        rng = np.random.default_rng(top % 97)
        matrix = rng.integers(-top, top + 1, (40, 30))
        matrix.flat[: len(edges)] = [e if abs(e) <= top else 0 for e in edges]
        want = "".join(",".join(str(v) for v in row) + "\n" for row in matrix.tolist())
        assert writers.format_csv(matrix) == want
    dens = np.array([[1, 16, 2], [4, 1, 8]])
    nums = np.array([[3, -5, 1], [0, -7, 65537]])
    assert writers._int64_csv(nums, dens) == "3,-5/16,1/2\n0/4,-7,65537/8\n"
