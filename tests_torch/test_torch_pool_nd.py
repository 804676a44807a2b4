"""N-D pooling against PyTorch (max/avg/lp_pool 1d/2d/3d) and, where PyTorch has no
such layer (padding on one side, padding beyond half the window, Lp norms of negative
numbers), against ONNX's reference implementation (``onnx.reference``), within what that
implementation computes right (see each test).

Run where the packages are installed: ``python -m pytest tests_torch``. A missing
package makes its tests report themselves skipped with the reason (never passed).
Inputs are small integers or multiples of 1/8 in float64, so the frameworks' sums are
exact: max, min and integer results are compared exactly, averages of integers as the
fraction's correctly rounded float, Lp roots to a relative 1e-12.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli.errors import ConvError
from convcli.pooling import pool1d, pool2d, pool3d

POOLS = {1: pool1d, 2: pool2d, 3: pool3d}
SETTINGS = settings(
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def torch_module() -> Any:
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install torch")
    return torch


def onnx_modules() -> tuple[Any, Any]:
    onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install onnx")
    reference = pytest.importorskip("onnx.reference", reason="onnx.reference is missing")
    return onnx, reference


@st.composite
def arrays(draw: st.DrawFn, dims: int, *, nonnegative: bool = False) -> tuple[np.ndarray, bool]:
    top = {1: 9, 2: 6, 3: 4}[dims]
    shape = (draw(st.integers(1, 2)), *(draw(st.integers(1, top)) for _ in range(dims)))
    integers = draw(st.booleans())
    low = 0 if nonnegative else -9
    cells = int(np.prod(shape))
    if integers:
        items = draw(st.lists(st.integers(low, 9), min_size=cells, max_size=cells))
        return np.array(items, dtype=np.int64).reshape(shape), True
    items = draw(st.lists(st.integers(low * 8, 72), min_size=cells, max_size=cells))
    return (np.array(items, dtype=np.float64) / 8).reshape(shape), False


def per_axis(draw: st.DrawFn, dims: int, low: int, high: int) -> list[int]:
    return [draw(st.integers(low, high)) for _ in range(dims)]


def assert_exact(got: np.ndarray, want: Any, integers: bool) -> None:
    want_array = want.detach().numpy()
    assert got.shape == want_array.shape
    if integers:
        assert got.dtype in (np.dtype(np.int64), np.dtype(object))
        assert got.tolist() == want_array.astype(np.int64).tolist()
        assert np.array_equal(want_array, want_array.astype(np.int64))
    else:
        assert got.dtype == np.float64
        assert got.tolist() == want_array.tolist()


# --------------------------------------------------------------------------- PyTorch


@SETTINGS
@given(data=st.data(), dims=st.sampled_from([1, 2, 3]), op=st.sampled_from(["max", "min"]))
def test_max_and_min_pool_match_torch(data: st.DataObject, dims: int, op: str) -> None:
    torch = torch_module()
    functional = torch.nn.functional
    x, integers = data.draw(arrays(dims))
    window = per_axis(data.draw, dims, 1, 3)
    stride = per_axis(data.draw, dims, 1, 3)
    padding = [data.draw(st.integers(0, k // 2)) for k in window]
    dilation = per_axis(data.draw, dims, 1, 3)
    ceil_mode = data.draw(st.booleans())
    pool = getattr(functional, f"max_pool{dims}d")
    sign = 1 if op == "max" else -1
    kwargs = {"dilation": dilation, "ceil_mode": ceil_mode}
    try:
        want, where = pool(
            sign * torch.tensor(x, dtype=torch.float64)[None], window, stride, padding,
            return_indices=True, **kwargs,
        )  # fmt: skip
    except RuntimeError:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            POOLS[dims](x, window, stride, padding, op=op, **kwargs)
        return
    if torch.isinf(want).any():  # a dilated window of padding only: -inf in torch
        event("a window of padding only: ConvError expected")
        with pytest.raises(ConvError, match="only padding"):
            POOLS[dims](x, window, stride, padding, op=op, **kwargs)
        return
    got, indices = POOLS[dims](x, window, stride, padding, op=op, return_indices=True, **kwargs)
    assert_exact(got, sign * want[0], integers)
    assert indices.tolist() == where[0].tolist()


@SETTINGS
@given(data=st.data(), dims=st.sampled_from([1, 2, 3]))
def test_avg_pool_matches_torch(data: st.DataObject, dims: int) -> None:
    torch = torch_module()
    x, integers = data.draw(arrays(dims))
    window = per_axis(data.draw, dims, 1, 3)
    stride = per_axis(data.draw, dims, 1, 3)
    padding = [data.draw(st.integers(0, k // 2)) for k in window]
    kwargs = {
        "ceil_mode": data.draw(st.booleans()),
        "count_include_pad": data.draw(st.booleans()),
    }
    pool = getattr(torch.nn.functional, f"avg_pool{dims}d")
    try:
        want = pool(torch.tensor(x, dtype=torch.float64)[None], window, stride, padding, **kwargs)
    except RuntimeError as refusal:
        if "smaller than kernel size" in str(refusal):
            # avg_pool3d alone checks the window against the unpadded input; 1-D and 2-D
            # (and ONNX) pad first: convcli does too
            event("avg_pool3d refuses a window larger than the unpadded input")
            got = expect_error_or(
                lambda: POOLS[dims](x, window, stride, padding, op="avg", **kwargs)
            )
            assert got is None or got.shape[0] == x.shape[0]
            return
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            POOLS[dims](x, window, stride, padding, op="avg", **kwargs)
        return
    got = POOLS[dims](x, window, stride, padding, op="avg", **kwargs)
    want_list = want[0].reshape(-1).tolist()
    if integers:
        items = got.ravel().tolist()
        assert all(type(v) in (int, Fraction) for v in items)
        # torch's float64 average is the correctly rounded value of the exact fraction
        assert [float(v) for v in items] == pytest.approx(want_list, rel=1e-15, abs=0)
    else:
        np.testing.assert_allclose(got.ravel(), want_list, rtol=1e-15, atol=0)


@SETTINGS
@given(data=st.data(), dims=st.sampled_from([1, 2, 3]), norm=st.sampled_from([1, 2, 3, 1.5]))
def test_lp_pool_matches_torch_on_nonnegative_inputs(
    data: st.DataObject, dims: int, norm: float
) -> None:
    """torch's lp_pool has no padding, and with ceil_mode it scales a clipped average by
    the whole window: compared without ceil_mode, where it is the Lp norm."""
    torch = torch_module()
    x, _ = data.draw(arrays(dims, nonnegative=True))
    window = per_axis(data.draw, dims, 1, 3)
    stride = per_axis(data.draw, dims, 1, 3)
    pool = getattr(torch.nn.functional, f"lp_pool{dims}d")
    try:
        sizes = (window[0], stride[0]) if dims == 1 else (window, stride)  # lp_pool1d: ints
        want = pool(torch.tensor(x, dtype=torch.float64)[None], norm, *sizes)
    except RuntimeError:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            POOLS[dims](x, window, stride, op="lp", norm_type=norm)
        return
    got = POOLS[dims](x, window, stride, op="lp", norm_type=norm)
    if norm == 1 and x.dtype == np.int64:
        assert got.dtype == np.int64  # exact: the sum of the window
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), want[0].numpy(), rtol=1e-12, atol=1e-300
    )


def test_torch_lp_pool_differs_for_odd_p_on_negative_numbers() -> None:
    """The documented difference: torch raises x (not |x|) to the power P."""
    torch = torch_module()
    x = np.array([[-2.0, 1.0]])
    ours = pool1d(x, 2, op="lp", norm_type=3)
    theirs = torch.nn.functional.lp_pool1d(torch.tensor(x)[None], 3, 2)[0].numpy()
    np.testing.assert_allclose(ours, [[9 ** (1 / 3)]], rtol=1e-15)
    assert not np.allclose(ours, theirs, equal_nan=True)


# --------------------------------------------------------------------------- ONNX


def run_onnx(op_type: str, x: np.ndarray, opset: int, outputs: int = 1, **attributes: Any) -> Any:
    onnx, reference = onnx_modules()
    helper = onnx.helper
    names = ["y", "indices"][:outputs]
    node = helper.make_node(op_type, ["x"], names, **attributes)
    value = [helper.make_tensor_value_info("x", onnx.TensorProto.DOUBLE, list(x.shape))]
    outs = [helper.make_tensor_value_info("y", onnx.TensorProto.DOUBLE, None)]
    if outputs == 2:
        outs.append(helper.make_tensor_value_info("indices", onnx.TensorProto.INT64, None))
    graph = helper.make_graph([node], "pool", value, outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return reference.ReferenceEvaluator(model).run(None, {"x": x})


@st.composite
def onnx_geometry(draw: st.DrawFn, dims: int, dilated: bool) -> dict[str, Any]:
    window = per_axis(draw, dims, 1, 3)
    return {
        "window": window,
        "stride": per_axis(draw, dims, 1, 3),
        "dilation": per_axis(draw, dims, 1, 2) if dilated else [1] * dims,
        # before and after chosen apart, each up to the window minus one (ONNX's limit)
        "before": [draw(st.integers(0, k - 1)) for k in window],
        "after": [draw(st.integers(0, k - 1)) for k in window],
    }


def convcli_padding(geometry: dict[str, Any]) -> list[int]:
    return [p for pair in zip(geometry["before"], geometry["after"], strict=True) for p in pair]


def onnx_attributes(geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "kernel_shape": geometry["window"],
        "strides": geometry["stride"],
        "dilations": geometry["dilation"],
        "pads": geometry["before"] + geometry["after"],  # ONNX: all befores, then all afters
    }


def expect_error_or(call: Any) -> Any:
    try:
        return call()
    except ConvError:
        return None


@SETTINGS
@given(data=st.data(), dims=st.sampled_from([1, 2, 3]))
def test_max_pool_with_one_sided_and_wide_padding_matches_onnx(
    data: st.DataObject, dims: int
) -> None:
    onnx_modules()
    x, integers = data.draw(arrays(dims))
    geometry = data.draw(onnx_geometry(dims, dilated=True))
    if set(geometry["stride"]) == set(geometry["dilation"]) == {1}:
        # the reference's other MaxPool path reads pads only in 2-D
        geometry["stride"][0] = 2
    call = POOLS[dims]
    args = (x, geometry["window"], geometry["stride"], convcli_padding(geometry))
    result = expect_error_or(
        lambda: call(*args, dilation=geometry["dilation"], return_indices=True)
    )
    if result is None:  # too small an input, or a dilated window of padding only
        event("convcli refuses")
        return
    got, indices = result
    want, where = run_onnx(
        "MaxPool", x.astype(np.float64)[None], 12, 2, **onnx_attributes(geometry)
    )
    assert got.tolist() == (want[0].astype(np.int64) if integers else want[0]).tolist()
    # ONNX's indices count the channels before too: channel c adds c·(plane size)
    plane = int(np.prod(x.shape[1:]))
    offsets = np.arange(x.shape[0]).reshape(-1, *[1] * dims) * plane
    assert (indices + offsets).tolist() == where[0].tolist()


@SETTINGS
@given(data=st.data(), include=st.booleans())
def test_average_pool_with_one_sided_and_wide_padding_matches_onnx(
    data: st.DataObject, include: bool
) -> None:
    """onnx.reference's AveragePool reads pads in 2-D only and ignores dilations."""
    onnx_modules()
    dims = 2
    x, integers = data.draw(arrays(dims))
    geometry = data.draw(onnx_geometry(dims, dilated=False))
    call = POOLS[dims]
    args = (x, geometry["window"], geometry["stride"], convcli_padding(geometry))
    got = expect_error_or(
        lambda: call(*args, dilation=geometry["dilation"], op="avg", count_include_pad=include)
    )
    if got is None:
        event("convcli refuses")
        return
    (want,) = run_onnx(
        "AveragePool", x.astype(np.float64)[None], 19,
        count_include_pad=int(include), **onnx_attributes(geometry),
    )  # fmt: skip
    items = [float(v) for v in got.ravel().tolist()]
    np.testing.assert_allclose(items, want[0].ravel(), rtol=1e-15, atol=0)
    if integers:
        assert all(type(v) in (int, Fraction) for v in got.ravel().tolist())


@SETTINGS
@given(data=st.data(), p=st.sampled_from([1, 2, 3]))
def test_lp_pool_matches_onnx_on_negative_numbers(data: st.DataObject, p: int) -> None:
    """onnx.reference computes LpPool as an average times the window's size (the Lp norm
    only when no cell is padding), reads pads in 2-D only and ignores dilations: compared
    in 2-D without padding or dilation, where torch's lp_pool differs for odd P."""
    onnx_modules()
    dims = 2
    x, integers = data.draw(arrays(dims))
    geometry = data.draw(onnx_geometry(dims, dilated=False))
    geometry["before"] = geometry["after"] = [0] * dims
    call = POOLS[dims]
    got = expect_error_or(
        lambda: call(
            x,
            geometry["window"],
            geometry["stride"],
            dilation=geometry["dilation"],
            op="lp",
            norm_type=p,
        )
    )
    if got is None:
        event("convcli refuses")
        return
    (want,) = run_onnx("LpPool", x.astype(np.float64)[None], 18, p=p, **onnx_attributes(geometry))
    if p == 1 and integers:
        assert got.dtype == np.int64
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want[0], rtol=1e-12, atol=0)


@pytest.mark.parametrize("shape", [(2, 3, 3), (1, 4, 2)])
def test_window_equal_to_the_input_matches_onnx_global_pools(shape: tuple[int, ...]) -> None:
    """onnx.reference's GlobalMaxPool reduces the right axes only in 2-D."""
    onnx_modules()
    rng = np.random.default_rng(7)
    x = rng.integers(-20, 20, size=shape).astype(np.float64)
    (want_max,) = run_onnx("GlobalMaxPool", x[None], 18)
    (want_avg,) = run_onnx("GlobalAveragePool", x[None], 18)
    assert pool2d(x, shape[1:]).tolist() == want_max[0].tolist()
    np.testing.assert_allclose(pool2d(x, shape[1:], op="avg"), want_avg[0], rtol=1e-15)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("op", ["max", "min"])
def test_nan_and_its_index_match_torch(dims: int, op: str) -> None:
    torch = torch_module()
    rng = np.random.default_rng(dims)
    x = rng.integers(-5, 5, size=(2, *(4,) * dims)).astype(np.float64)
    x.reshape(2, -1)[:, [1, 2, 3] if dims == 1 else [1, 5, 6, 15]] = np.nan
    sign = 1 if op == "max" else -1
    pool = getattr(torch.nn.functional, f"max_pool{dims}d")
    want, where = pool(sign * torch.tensor(x)[None], 2, 1, 1, return_indices=True)
    got, indices = POOLS[dims](x, 2, 1, 1, op=op, return_indices=True)
    np.testing.assert_array_equal(got, sign * want[0].numpy())
    assert indices.tolist() == where[0].tolist()
