"""Parity of convcli's core with PyTorch (``torch.nn.functional``) in float64.

Run only where torch is installed: ``python -m pytest tests_torch``.  Integer
inputs are small, so torch's float64 results are exact integers and are
compared exactly with convcli's (which must be Python or numpy ints).
PyTorch has no asymmetric padding nor padding modes inside ``conv2d``: those go
through ``F.pad`` first; asymmetric transposed padding is a crop of the
unpadded transposed result.  Where torch refuses the parameters, convcli must
raise ``ConvError``.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli import ConvError, conv2d, conv_transpose2d, output_size, pool2d

SETTINGS = settings(
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
TORCH_MODE["circular"] = "circular"
MODES = tuple(TORCH_MODE)


class TorchRefused(Exception):
    """torch (or the conversion of the parameters for torch) rejected the case."""


# --------------------------------------------------------------------------- helpers


def pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def four_pads(
    padding: Any, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from convcli's padding argument."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        return (*same_pads(hw[0], k[0], s[0], d[0]), *same_pads(hw[1], k[1], s[1], d[1]))
    if padding == "full":
        return d[0] * (k[0] - 1), d[0] * (k[0] - 1), d[1] * (k[1] - 1), d[1] * (k[1] - 1)
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    return padding[0], padding[1], padding[2], padding[3]


def t64(v: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(v, dtype=np.float64), dtype=torch.float64)


def assert_same(got: np.ndarray, want: torch.Tensor, integer: bool) -> None:
    """convcli's result against torch's float64 one (exact for integer inputs)."""
    assert tuple(got.shape) == tuple(want.shape), (got.shape, tuple(want.shape))
    if integer:
        assert got.dtype in (np.dtype(np.int64), np.dtype(object)), got.dtype
        values = got.ravel().tolist()
        assert all(type(v) is int for v in values), values[:5]
        expected = [round(v) for v in want.reshape(-1).tolist()]
        assert values == expected
    else:
        assert got.dtype == np.dtype(np.float64), got.dtype
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-9)


def values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "int":
        return st.integers(-9, 9)
    return st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def array(draw: st.DrawFn, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    flat = draw(st.lists(values(kind), min_size=n, max_size=n))
    return np.array(flat, dtype=np.int64 if kind == "int" else np.float64).reshape(shape)


def small_pairs(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


def output_paddings(stride: Any, dilation: Any) -> st.SearchStrategy[Any]:
    """Mostly valid output paddings (below max(stride, dilation)); now and then any 0..2."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    valid = st.tuples(st.integers(0, max(sh, dh) - 1), st.integers(0, max(sw, dw) - 1))
    anything = st.one_of(st.just(0), small_pairs(0, 2))
    return st.one_of(valid, valid, valid, anything)


def groups_and_channels(draw: st.DrawFn) -> tuple[int, int, int]:
    """(groups, in channels per group, out channels per group) with C, O <= 4."""
    g = draw(st.sampled_from([1, 1, 2, 3]))
    top = 3 if g == 1 else max(1, 4 // g)
    return g, draw(st.integers(1, top)), draw(st.integers(1, top))


# --------------------------------------------------------------------------- conv2d


@st.composite
def conv_cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "int", "float"]))
    kernel_ndim = draw(st.sampled_from([2, 3, 4, 4]))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    g, cg, og = 1, 1, 1
    if kernel_ndim == 3:
        cg = draw(st.integers(1, 3))
    elif kernel_ndim == 4:
        g, cg, og = groups_and_channels(draw)
    x_shape = (h, w) if kernel_ndim == 2 else (g * cg, h, w)
    k_shape = {2: (kh, kw), 3: (cg, kh, kw), 4: (g * og, cg, kh, kw)}[kernel_ndim]
    kwargs: dict[str, Any] = {
        "stride": draw(small_pairs(1, 3)),
        "padding": draw(
            st.one_of(
                st.integers(0, 3),
                st.tuples(st.integers(0, 3), st.integers(0, 3)),
                st.tuples(*[st.integers(0, 3)] * 4),
                st.sampled_from(["valid", "same", "full"]),
            )
        ),
        "dilation": draw(st.one_of(st.just(1), small_pairs(1, 3))),
        "padding_mode": draw(st.sampled_from(MODES)),
        "flip": draw(st.booleans()),
        "groups": g,
    }
    if kwargs["padding_mode"] == "zeros" and draw(st.booleans()):
        kwargs["pad_value"] = draw(st.integers(-3, 3))
    n_out = g * og
    bias = draw(st.sampled_from(["none", "scalar", "list"]))
    if bias == "scalar":
        kwargs["bias"] = draw(values(kind))
    elif bias == "list" and kernel_ndim == 4:
        kwargs["bias"] = draw(st.lists(values(kind), min_size=n_out, max_size=n_out))
    return {
        "x": array(draw, kind, x_shape),
        "kernel": array(draw, kind, k_shape),
        "kwargs": kwargs,
        "int": kind == "int",
    }


def torch_conv2d(x: np.ndarray, kernel: np.ndarray, kw: dict[str, Any]) -> torch.Tensor:
    """The same convolution with F.pad + F.conv2d; TorchRefused where torch refuses it."""
    k4 = kernel.reshape((1, 1, *kernel.shape)) if kernel.ndim == 2 else kernel
    k4 = k4[None] if k4.ndim == 3 else k4
    x3 = x[None] if x.ndim == 2 else x
    weight = t64(k4)
    if kw["flip"]:
        weight = torch.flip(weight, dims=(-2, -1))
    s, d = pair(kw["stride"]), pair(kw["dilation"])
    top, bottom, left, right = four_pads(kw["padding"], x3.shape[-2:], k4.shape[-2:], s, d)
    mode = TORCH_MODE[kw["padding_mode"]]
    inp = t64(x3)[None]
    bias = kw.get("bias")
    if bias is not None:
        bias = t64([bias] * k4.shape[0] if np.ndim(bias) == 0 else bias)
        if bias.shape[0] != k4.shape[0]:
            raise TorchRefused(bias.shape)
    try:
        if mode == "constant":
            inp = F.pad(inp, (left, right, top, bottom), value=float(kw.get("pad_value", 0)))
        else:
            inp = F.pad(inp, (left, right, top, bottom), mode=mode)
        out = F.conv2d(inp, weight, bias, stride=s, dilation=d, groups=kw["groups"])[0]
    except RuntimeError as exc:
        raise TorchRefused(str(exc)) from exc
    return out if kernel.ndim == 4 else out[0]


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_torch(case: dict[str, Any]) -> None:
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_conv2d(x, kernel, kw)
    except TorchRefused:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            conv2d(x, kernel, **kw)
        return
    got = conv2d(x, kernel, **kw)
    assert_same(got, want, case["int"])
    for i in (0, 1):
        pad = kw["padding"]
        if not isinstance(pad, str | int):
            pad = pad[i] if len(pad) == 2 else (pad[2 * i], pad[2 * i + 1])
        n = output_size(
            x.shape[-2 + i],
            kernel.shape[-2 + i],
            stride=pair(kw["stride"])[i],
            padding=pad,
            dilation=pair(kw["dilation"])[i],
        )
        assert n == got.shape[-2 + i]


@SETTINGS
@given(data=st.data())
def test_same_padding_matches_torch_same(data: st.DataObject) -> None:
    """At stride 1, 'same' is PyTorch's padding='same' (extra padding at the bottom/right)."""
    h, w = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9))
    kh, kw = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    d = data.draw(st.one_of(st.just(1), small_pairs(1, 3)))
    c, o = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x = array(data.draw, "int", (c, h, w))
    k = array(data.draw, "int", (o, c, kh, kw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about an internal copy for even kernels
        want = F.conv2d(t64(x)[None], t64(k), padding="same", dilation=pair(d))[0]
    assert_same(conv2d(x, k, padding="same", dilation=d), want, True)


# --------------------------------------------------------------------------- conv_transpose2d


@st.composite
def transpose_cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "int", "float"]))
    kernel_ndim = draw(st.sampled_from([2, 3, 4, 4]))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    g, cg, og = 1, 1, 1
    if kernel_ndim == 3:
        cg = draw(st.integers(1, 3))
    elif kernel_ndim == 4:
        g, cg, og = groups_and_channels(draw)
    x_shape = (h, w) if kernel_ndim == 2 else (g * cg, h, w)
    k_shape = {2: (kh, kw), 3: (cg, kh, kw), 4: (g * cg, og, kh, kw)}[kernel_ndim]
    kwargs: dict[str, Any] = {
        "stride": draw(small_pairs(1, 3)),
        "padding": draw(
            st.one_of(
                st.integers(0, 3),
                st.tuples(st.integers(0, 3), st.integers(0, 3)),
                st.tuples(*[st.integers(0, 3)] * 4),
            )
        ),
        "dilation": draw(st.one_of(st.just(1), small_pairs(1, 3))),
        "groups": g,
        "flip": draw(st.booleans()),
    }
    kwargs["output_padding"] = draw(output_paddings(kwargs["stride"], kwargs["dilation"]))
    bias = draw(st.sampled_from(["none", "scalar", "list"]))
    if bias == "scalar":
        kwargs["bias"] = draw(values(kind))
    elif bias == "list" and kernel_ndim == 4:
        kwargs["bias"] = draw(st.lists(values(kind), min_size=g * og, max_size=g * og))
    return {
        "x": array(draw, kind, x_shape),
        "kernel": array(draw, kind, k_shape),
        "kwargs": kwargs,
        "int": kind == "int",
    }


def torch_transpose(x: np.ndarray, kernel: np.ndarray, kw: dict[str, Any]) -> torch.Tensor:
    """F.conv_transpose2d; asymmetric padding as a crop of the padding-0 result."""
    if kernel.ndim == 2:
        k4 = kernel.reshape((1, 1, *kernel.shape))
    elif kernel.ndim == 3:
        k4 = kernel[:, None]
    else:
        k4 = kernel
    x3 = x[None] if x.ndim == 2 else x
    weight = t64(k4)
    if kw["flip"]:
        weight = torch.flip(weight, dims=(-2, -1))
    n_out = k4.shape[1] * kw["groups"]
    bias = kw.get("bias")
    if bias is not None:
        bias = t64([bias] * n_out if np.ndim(bias) == 0 else bias)
        if bias.shape[0] != n_out:
            raise TorchRefused(bias.shape)
    s, d, op = pair(kw["stride"]), pair(kw["dilation"]), pair(kw["output_padding"])
    top, bottom, left, right = four_pads(kw["padding"], x3.shape[-2:], k4.shape[-2:], s, d)
    common = {"stride": s, "output_padding": op, "groups": kw["groups"], "dilation": d}
    try:
        if top == bottom and left == right:
            out = F.conv_transpose2d(t64(x3)[None], weight, bias, padding=(top, left), **common)
        else:
            full = F.conv_transpose2d(t64(x3)[None], weight, bias, padding=0, **common)
            rows = full.shape[-2] - top - bottom
            cols = full.shape[-1] - left - right
            if rows < 1 or cols < 1:
                raise TorchRefused((rows, cols))
            out = full[..., top : top + rows, left : left + cols]
    except RuntimeError as exc:
        raise TorchRefused(str(exc)) from exc
    return out[0] if kernel.ndim == 4 else out[0, 0]


@SETTINGS
@given(transpose_cases())
def test_conv_transpose2d_matches_torch(case: dict[str, Any]) -> None:
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_transpose(x, kernel, kw)
    except TorchRefused:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            conv_transpose2d(x, kernel, **kw)
        return
    got = conv_transpose2d(x, kernel, **kw)
    assert_same(got, want, case["int"])
    pad = kw["padding"]
    if isinstance(pad, int) or len(pad) == 2:
        for i in (0, 1):
            n = output_size(
                x.shape[-2 + i],
                kernel.shape[-2 + i],
                stride=pair(kw["stride"])[i],
                padding=pair(pad)[i],
                dilation=pair(kw["dilation"])[i],
                transposed=True,
                output_padding=pair(kw["output_padding"])[i],
            )
            assert n == got.shape[-2 + i]


# --------------------------------------------------------------------------- pooling


@st.composite
def pool_cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "float"]))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    shape = (h, w) if draw(st.booleans()) else (draw(st.integers(1, 3)), h, w)
    window = draw(small_pairs(1, 4))
    kh, kw = pair(window)
    if draw(st.integers(0, 4)) == 0:
        padding: Any = draw(small_pairs(0, 2))
    else:
        padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    return {
        "x": array(draw, kind, shape),
        "window": window,
        "stride": draw(st.one_of(st.none(), small_pairs(1, 4))),
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
        "int": kind == "int",
    }


@SETTINGS
@given(case=pool_cases(), op=st.sampled_from(["max", "min", "avg"]))
def test_pool2d_matches_torch(case: dict[str, Any], op: str) -> None:
    x = case["x"]
    inp = t64(x if x.ndim == 3 else x[None])[None]
    args = (pair(case["window"]), case["stride"], pair(case["padding"]))
    try:
        if op == "max":
            want = F.max_pool2d(inp, *args, ceil_mode=case["ceil_mode"])
        elif op == "min":
            want = -F.max_pool2d(-inp, *args, ceil_mode=case["ceil_mode"])
        else:
            want = F.avg_pool2d(
                inp, *args, ceil_mode=case["ceil_mode"], count_include_pad=case["count_include_pad"]
            )
    except RuntimeError:
        window = pair(case["window"])
        if all(p < k for p, k in zip(pair(case["padding"]), window, strict=True)):
            # padding past half the window: PyTorch refuses, ONNX (and SPEC §7) allow it up to
            # the window minus one; tests_torch/test_torch_pool_nd.py checks those against
            # onnx.reference
            event("torch refuses a padding ONNX allows")
            return
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            pool2d(
                x,
                case["window"],
                stride=case["stride"],
                padding=case["padding"],
                op=op,
                ceil_mode=case["ceil_mode"],
                count_include_pad=case["count_include_pad"],
            )
        return
    want = want[0] if x.ndim == 3 else want[0, 0]
    got = pool2d(
        x,
        case["window"],
        stride=case["stride"],
        padding=case["padding"],
        op=op,
        ceil_mode=case["ceil_mode"],
        count_include_pad=case["count_include_pad"],
    )
    if case["int"] and op == "avg":
        # exact fractions; torch's float64 average is the correctly rounded value of the fraction
        assert tuple(got.shape) == tuple(want.shape)
        fractions = got.ravel().tolist()
        assert all(type(v) in (int, Fraction) for v in fractions), fractions[:5]
        floats = [float(v) for v in fractions]
        np.testing.assert_allclose(floats, want.reshape(-1).tolist(), rtol=1e-15, atol=0)
    else:
        assert_same(got, want, case["int"])


# --------------------------------------------------------------------------- output sizes


@settings(SETTINGS, max_examples=400)
@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 5),
    dilation=st.integers(1, 4),
    before=st.integers(0, 5),
    after=st.integers(0, 5),
    output_padding=st.integers(0, 4),
)
def test_output_size_matches_torch_shapes(
    size: int, kernel: int, stride: int, dilation: int, before: int, after: int, output_padding: int
) -> None:
    x = torch.zeros((1, 1, 1, size), dtype=torch.float64)
    wt = torch.zeros((1, 1, 1, kernel), dtype=torch.float64)
    # conv2d with (before, after) padding: F.pad, then an unpadded conv2d
    padded = F.pad(x, (before, after, 0, 0))
    try:
        want = F.conv2d(padded, wt, stride=(1, stride), dilation=(1, dilation)).shape[-1]
    except RuntimeError:
        with pytest.raises(ConvError):
            output_size(size, kernel, stride, (before, after), dilation)
    else:
        assert output_size(size, kernel, stride, (before, after), dilation) == want
        if before == after:
            assert output_size(size, kernel, stride, before, dilation) == want
    # conv_transpose2d with symmetric padding
    kwargs = {"transposed": True, "output_padding": output_padding}
    try:
        t = F.conv_transpose2d(
            x,
            wt,
            stride=(1, stride),
            padding=(0, before),
            output_padding=(0, output_padding),
            dilation=(1, dilation),
        )
        want_t = t.shape[-1]
    except RuntimeError:
        with pytest.raises(ConvError):
            output_size(size, kernel, stride, before, dilation, **kwargs)
    else:
        assert output_size(size, kernel, stride, before, dilation, **kwargs) == want_t
