"""N-D pooling (convcli.pooling) against the naive oracle ``tests.reference.ref_pool_nd``.

Every option of SPEC §1 and §7 in 1, 2 and 3 dimensions: max, min, avg, lp (P = 1, 2, 3
and a fractional P), stride, dilation, padding as 1, N or 2N numbers up to the window
minus one (and beyond it: an error), ceil_mode, count_include_pad, indices. Integer and
fraction inputs are compared exactly (and their result types checked); floats are
multiples of 1/8, so sums are exact and a relative 1e-12 is all the root may need.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli import core
from convcli.errors import ConvError, ParameterError, ShapeError
from convcli.pooling import pool1d, pool2d, pool3d, prepare_pool, run_pool
from convcli.trace import trace_pool
from tests.reference import RefInvalid, ref_pool_nd

POOLS = {1: pool1d, 2: pool2d, 3: pool3d}
SETTINGS = settings(
    deadline=None,
    max_examples=400,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KINDS = ("int", "big", "frac", "float")


def values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "int":
        return st.integers(-9, 9)
    if kind == "big":  # beyond int64 once squared or summed: Python ints
        return st.sampled_from([-(2**62), 2**62, 3 * 2**40, -7, 0, 5])
    if kind == "frac":
        return st.builds(Fraction, st.integers(-9, 9), st.integers(1, 6))
    return st.integers(-512, 512).map(lambda n: n / 8)


def nested(draw: st.DrawFn, kind: str, shape: tuple[int, ...]) -> Any:
    if len(shape) == 1:
        return [draw(values(kind)) for _ in range(shape[0])]
    return [nested(draw, kind, shape[1:]) for _ in range(shape[0])]


@st.composite
def cases(draw: st.DrawFn, ops: tuple[str, ...] = ("max", "min", "avg", "lp")) -> dict[str, Any]:
    dims = draw(st.sampled_from([1, 2, 3]))
    top = {1: 9, 2: 6, 3: 4}[dims]
    sizes = tuple(draw(st.integers(1, top)) for _ in range(dims))
    channels = draw(st.sampled_from([None, 1, 2]))
    shape = sizes if channels is None else (channels, *sizes)
    kind = draw(st.sampled_from(KINDS))
    window = [draw(st.integers(1, 3)) for _ in range(dims)]
    beyond = draw(st.integers(0, 9)) == 0  # sometimes a pad of the whole window: an error
    pads = [draw(st.integers(0, w if beyond else w - 1)) for w in window for _ in range(2)]
    form = draw(st.sampled_from(["one", "axes", "sides"]))
    padding: Any = pads if form == "sides" else pads[::2] if form == "axes" else pads[0]
    op = draw(st.sampled_from(ops))
    kwargs: dict[str, Any] = {
        "stride": draw(
            st.one_of(
                st.none(),
                st.integers(1, 3),
                st.lists(st.integers(1, 3), min_size=dims, max_size=dims),
            )
        ),
        "padding": padding,
        "dilation": draw(
            st.one_of(st.integers(1, 2), st.lists(st.integers(1, 3), min_size=dims, max_size=dims))
        ),
        "op": op,
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
        "norm_type": draw(st.sampled_from([1, 2, 3, 1.5])),
        "return_indices": op in ("max", "min") and draw(st.booleans()),
    }
    as_array = kind != "frac" and draw(st.booleans())
    x = nested(draw, kind, shape)
    given_x = np.array(x, dtype=object if kind == "big" else None) if as_array else x
    window_arg: Any = window[0] if len(set(window)) == 1 and draw(st.booleans()) else window
    return {
        "dims": dims,
        "x": given_x,
        "x_list": x,
        "window": window_arg,
        "kwargs": kwargs,
        "kind": kind,
    }


def flat(v: Any) -> list[Any]:
    return [e for item in v for e in flat(item)] if isinstance(v, list) else [v]


def assert_values(got: np.ndarray, want: Any, kind: str, op: str, power: Any) -> None:
    items, expected = flat(got.tolist()), flat(want)
    assert len(items) == len(expected)
    assert list(got.shape) == _shape(want)
    floating = kind == "float" or (op == "lp" and power != 1)
    if floating:
        assert got.dtype == np.float64
        np.testing.assert_allclose(items, [float(e) for e in expected], rtol=1e-12, atol=0)
        return
    assert items == expected
    if op == "avg" or kind == "frac":
        assert all(type(v) in (int, Fraction) for v in items)
    else:  # max, min, lp with P = 1 of integers: integers, never 8.0
        assert all(type(v) is int for v in items)


def _shape(v: Any) -> list[int]:
    return [len(v), *_shape(v[0])] if isinstance(v, list) else []


@SETTINGS
@given(cases())
def test_pool_nd_matches_the_naive_oracle(case: dict[str, Any]) -> None:
    dims, kwargs = case["dims"], case["kwargs"]
    pool = POOLS[dims]
    try:
        want = ref_pool_nd(case["x_list"], case["window"], **kwargs, dims=dims)
    except RefInvalid as why:
        event(f"invalid: {why}"[:60])
        with pytest.raises(ConvError):
            pool(case["x"], case["window"], **kwargs)
        return
    got = pool(case["x"], case["window"], **kwargs)
    if kwargs["return_indices"]:
        (got, indices), (want, want_indices) = got, want
        assert indices.dtype == np.int64
        assert indices.tolist() == want_indices
    assert_values(got, want, case["kind"], kwargs["op"], kwargs["norm_type"])


@SETTINGS
@given(cases(ops=("max", "min", "avg")))
def test_2d_setup_and_trace_read_the_same_windows(case: dict[str, Any]) -> None:
    """core's 2-D names still work, and trace_pool (dilation, per-side padding) finds each
    cell's window: its input cells give the value the core computed."""
    if case["dims"] != 2:
        return
    kwargs = {k: v for k, v in case["kwargs"].items() if k not in ("norm_type", "return_indices")}
    try:
        setup = core.prepare_pool(case["x"], case["window"], **kwargs)
    except ConvError:
        return
    output = core.run_pool(setup)
    assert tuple(output.shape) == setup.output_shape
    cells = [(r, c) for r in range(setup.rows.output) for c in range(setup.cols.output)]
    cells = cells if setup.squeeze else [(0, *cell) for cell in cells]
    for trace in trace_pool(setup, output, cells):
        inside = [v for v in trace.values if v is not None]
        if kwargs["op"] == "avg":
            total = sum(inside, Fraction(0)) if case["kind"] != "float" else sum(inside)
            assert trace.divisor > 0
            assert total / trace.divisor == pytest.approx(trace.value, rel=1e-12)
        else:
            assert (max if kwargs["op"] == "max" else min)(inside) == trace.value


def test_trace_of_existing_cases_is_unchanged() -> None:
    """Without dilation, the window and divisor are PyTorch's (cells past the padding
    excluded), exactly as before the N-D pooling."""
    setup = core.prepare_pool([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, stride=2, padding=1,
                              op="avg", ceil_mode=True)  # fmt: skip
    traces = trace_pool(setup, core.run_pool(setup), [(1, 1)])
    assert traces[0].positions == ((1, 1), (1, 2), (2, 1), (2, 2))
    assert traces[0].values == (5, 6, 8, 9)
    assert traces[0].divisor == 4
    assert traces[0].value == Fraction(7)


def test_trace_with_dilation_reads_every_other_cell() -> None:
    setup = prepare_pool([[1, 2, 3, 4, 5]], (1, 2), stride=1, dilation=(1, 2), padding=(0, 0, 1, 0))
    output = run_pool(setup)
    assert output.tolist() == [[2, 3, 4, 5]]
    trace = trace_pool(setup, output, [(0, 0)])[0]
    assert trace.positions == ((0, -1), (0, 1))
    assert trace.values == (None, 2)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("op", ["max", "min", "avg", "lp"])
def test_window_equal_to_the_input_is_the_global_pool(dims: int, op: str) -> None:
    rng = np.random.default_rng(dims)
    x = rng.integers(-50, 50, size=(2, *(3,) * dims))
    got = POOLS[dims](x, 3, op=op, norm_type=1)
    for channel in range(2):
        cells = [int(v) for v in x[channel].ravel()]
        want = {
            "max": max(cells),
            "min": min(cells),
            "avg": Fraction(sum(cells), len(cells)),
            "lp": sum(abs(v) for v in cells),
        }[op]
        assert got[channel].ravel().tolist() == [want]


def test_lp_is_the_norm_of_the_window_not_torchs_signed_power() -> None:
    """ONNX's LpPool: |x| first, so odd P on negative numbers gives a positive norm."""
    got = pool1d([-1, -2, 2, 2], 2, op="lp", norm_type=3)
    np.testing.assert_allclose(got, [9 ** (1 / 3), 16 ** (1 / 3)], rtol=1e-15)
    assert pool1d([-1, -2, 2, 2], 2, op="lp", norm_type=1).tolist() == [3, 4]
    assert pool1d([Fraction(-1, 2), Fraction(1, 3)], 2, op="lp", norm_type=1).tolist() == [
        Fraction(5, 6)
    ]


def test_lp_of_huge_integers_stays_finite() -> None:
    """Σ x² beyond float64's range: the root comes from the exact sum's logarithm."""
    got = pool1d([10**200, 10**200], 2, op="lp")
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [2**0.5 * 1e200], rtol=1e-12)


def test_indices_are_flat_in_the_input_plane_and_skip_padding() -> None:
    x = [[[0, 0], [0, 0]], [[0, 0], [0, 0]]]
    values, indices = pool3d(x, 2, stride=1, padding=1, return_indices=True)
    # every cell holds 0, the value a padding cell would hold: the first input cell wins
    assert values.shape == indices.shape == (3, 3, 3)
    assert indices[0, 0, 0] == 0
    assert indices[2, 2, 2] == 7
    assert indices[1, 1, 1] == 0
    assert set(indices.ravel().tolist()) <= set(range(8))


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda: pool1d([1, 2, 3], 2, padding=2), ParameterError, "the window minus one (1)"),
        (lambda: pool2d([[1, 2]], (1, 3), padding=(0, 0, 3, 0)), ParameterError, "half the window"),
        (lambda: pool1d([1, 2], 2, stride=1, padding=1, dilation=3), ShapeError, "only padding"),
        (lambda: pool1d([1, 2], 2, op="avg", return_indices=True), ParameterError, "indices"),
        (lambda: pool1d([1, 2], 2, op="lp", norm_type=0), ParameterError, "norm type"),
        (lambda: pool1d([1, 2], 2, op="lp", norm_type=True), ParameterError, "norm type"),
        (lambda: pool2d([[1, 2]], 1, padding=(0, 0, 0)), ParameterError, "1, 2 (one per axis)"),
        (lambda: pool3d([[1, 2]], 1), ShapeError, "3-D or 4-D"),
        (lambda: pool1d([1, 2], (1, 1)), ParameterError, "one number with --dims 1"),
        (lambda: pool1d([1, 2], 2, op="median"), ParameterError, "median"),
        (lambda: pool1d([1, 2], 3), ShapeError, "larger than the padded input"),
    ],
)
def test_bad_parameters_are_errors_that_say_why(call: Any, error: type, needle: str) -> None:
    with pytest.raises(error, match=None) as caught:
        call()
    assert needle in str(caught.value)


def test_avg_with_dilation_counts_padding_only_when_asked() -> None:
    """ONNX AveragePool with dilations: divisor = taps on the padded input, or input cells."""
    x = [4, 8, 16]  # padded: · 4 8 16 ·; windows read (·, 8), (4, 16), (8, ·)
    got = pool1d(x, 2, stride=1, dilation=2, padding=1, op="avg")
    assert got.tolist() == [Fraction(4), Fraction(10), Fraction(4)]
    got = pool1d(x, 2, stride=1, dilation=2, padding=1, op="avg", count_include_pad=False)
    assert got.tolist() == [Fraction(8), Fraction(10), Fraction(8)]


def test_a_nan_wins_and_its_index_is_the_last_nan_as_in_pytorch() -> None:
    x = np.array([[1.0, np.nan, 2.0], [np.nan, 0.0, 5.0]])
    for op in ("max", "min"):
        values, indices = pool2d(x, (2, 3), op=op, return_indices=True)
        assert np.isnan(values).all()
        assert indices.tolist() == [[3]]
    values, indices = pool2d(x, (1, 3), op="max", return_indices=True)
    assert np.isnan(values).all()
    assert indices.tolist() == [[1], [3]]


def test_indices_count_their_memory_against_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stride-1 3×3 window copies each cell 9 times to find the indices."""
    monkeypatch.setenv("CONVCLI_MAX_CELLS", "500")
    x = np.zeros((10, 10), dtype=np.int64)
    assert pool2d(x, 3, stride=1).shape == (8, 8)
    with pytest.raises(ConvError, match="CONVCLI_MAX_CELLS"):
        pool2d(x, 3, stride=1, return_indices=True)
