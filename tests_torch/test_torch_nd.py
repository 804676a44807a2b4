"""Parity with PyTorch in 1-D and 3-D (``conv1d/3d``, ``conv_transpose1d/3d``), float64.

Two things are checked against ``torch.nn.functional``: the naive N-D oracle of
``tests/reference.py`` (so that the properties of ``tests/test_nd.py`` rest on an oracle
that PyTorch agrees with, in 1-D, 2-D and 3-D), and convcli's own conv1d, conv3d,
conv_transpose1d and conv_transpose3d on random cases. Integer inputs are small, so
torch's float64 results are exact integers and are compared exactly. Asymmetric padding
and padding modes go through ``F.pad`` first; asymmetric transposed padding is a crop of
the unpadded transposed result. Where torch refuses, convcli must raise ``ConvError``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convcli import ConvError, conv1d, conv3d, conv_transpose1d, conv_transpose3d

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import (  # the oracle lives with the other tests
    ND_WORDS,
    RefInvalid,
    nd_pads,
    ref_conv_transposend,
    ref_convnd,
)

SETTINGS = settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
MODES["circular"] = "circular"
TORCH_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_TRANSPOSE: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv_transpose1d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}
OURS_CONV = {1: conv1d, 3: conv3d}
OURS_TRANSPOSE = {1: conv_transpose1d, 3: conv_transpose3d}
MAX_SIZE = {1: 10, 2: 6, 3: 4}


class TorchRefused(Exception):
    """torch (or the conversion of the parameters for torch) rejected the case."""


def t64(v: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(v, dtype=np.float64), dtype=torch.float64)


def per_axis(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    return tuple(v) * (n if len(v) == 1 else 1)


def torch_pads(pads: list[tuple[int, int]]) -> tuple[int, ...]:
    """F.pad's order: the last axis first, (before, after) each."""
    return tuple(side for before_after in reversed(pads) for side in before_after)


def values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "int":
        return st.integers(-9, 9)
    return st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def array(draw: st.DrawFn, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    flat = draw(st.lists(values(kind), min_size=n, max_size=n))
    return np.array(flat, dtype=np.int64 if kind == "int" else np.float64).reshape(shape)


def axis_values(n: int, low: int, high: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(low, high), st.tuples(*[st.integers(low, high)] * n))


def assert_same(got: Any, want: torch.Tensor, integer: bool) -> None:
    got = np.asarray(got, dtype=object if integer else np.float64)
    assert tuple(got.shape) == tuple(want.shape), (got.shape, tuple(want.shape))
    if integer:
        assert got.ravel().tolist() == [round(v) for v in want.reshape(-1).tolist()]
    else:
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-9)


# --------------------------------------------------------------------------- cases


@st.composite
def conv_cases(draw: st.DrawFn, ndim: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "int", "float"]))
    layout = draw(st.sampled_from(["plain", "channels", "full", "full"]))
    g = draw(st.sampled_from([1, 1, 2])) if layout == "full" else 1
    cg = draw(st.integers(1, 2)) if layout != "plain" else 1
    og = draw(st.integers(1, 2)) if layout == "full" else 1
    size = tuple(draw(st.integers(1, MAX_SIZE[ndim])) for _ in range(ndim))
    ksize = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    x_shape = size if layout == "plain" else (g * cg, *size)
    k_shape = {"plain": ksize, "channels": (cg, *ksize), "full": (g * og, cg, *ksize)}[layout]
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(*[st.integers(0, 2)] * ndim),
            st.tuples(*[st.integers(0, 2)] * (2 * ndim)),
            st.sampled_from(ND_WORDS),
        )
    )
    kwargs: dict[str, Any] = {
        "stride": draw(axis_values(ndim, 1, 3)),
        "padding": padding,
        "dilation": draw(axis_values(ndim, 1, 2)),
        "padding_mode": draw(st.sampled_from(list(MODES))),
        "flip": draw(st.booleans()),
        "groups": g,
    }
    if kwargs["padding_mode"] == "zeros" and draw(st.booleans()):
        kwargs["pad_value"] = draw(st.integers(-3, 3))
    if draw(st.booleans()):
        n_out = g * og
        kwargs["bias"] = draw(st.lists(values(kind), min_size=n_out, max_size=n_out))
    event(f"{ndim}-D {kind} {layout}")
    return {"x": array(draw, kind, x_shape), "kernel": array(draw, kind, k_shape),
            "kwargs": kwargs, "int": kind == "int"}  # fmt: skip


@st.composite
def transpose_cases(draw: st.DrawFn, ndim: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "int", "float"]))
    layout = draw(st.sampled_from(["plain", "channels", "full", "full"]))
    g = draw(st.sampled_from([1, 1, 2])) if layout == "full" else 1
    cg = draw(st.integers(1, 2)) if layout != "plain" else 1
    og = draw(st.integers(1, 2)) if layout == "full" else 1
    size = tuple(draw(st.integers(1, MAX_SIZE[ndim] - 1)) for _ in range(ndim))
    ksize = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    x_shape = size if layout == "plain" else (g * cg, *size)
    k_shape = {"plain": ksize, "channels": (cg, *ksize), "full": (g * cg, og, *ksize)}[layout]
    stride = per_axis(draw(axis_values(ndim, 1, 3)), ndim)
    dilation = per_axis(draw(axis_values(ndim, 1, 2)), ndim)
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    kwargs: dict[str, Any] = {
        "stride": stride,
        "padding": draw(
            st.one_of(
                st.integers(0, 2),
                st.tuples(*[st.integers(0, 2)] * ndim),
                st.tuples(*[st.integers(0, 1)] * (2 * ndim)),
            )
        ),
        "dilation": dilation,
        "output_padding": output_padding,
        "groups": g,
        "flip": draw(st.booleans()),
    }
    if draw(st.booleans()):
        n_out = g * og
        kwargs["bias"] = draw(st.lists(values(kind), min_size=n_out, max_size=n_out))
    event(f"{ndim}-D transposed {kind} {layout}")
    return {"x": array(draw, kind, x_shape), "kernel": array(draw, kind, k_shape),
            "kwargs": kwargs, "int": kind == "int"}  # fmt: skip


# --------------------------------------------------------------------------- torch


def torch_conv(ndim: int, x: np.ndarray, kernel: np.ndarray, kw: dict[str, Any]) -> torch.Tensor:
    """The same convolution with F.pad + F.conv{N}d; TorchRefused where torch refuses."""
    full = kernel.reshape((1,) * (ndim + 2 - kernel.ndim) + kernel.shape)
    xc = x[None] if x.ndim == ndim else x
    weight = t64(full)
    if kw["flip"]:
        weight = torch.flip(weight, dims=tuple(range(-ndim, 0)))
    s, d = per_axis(kw["stride"], ndim), per_axis(kw["dilation"], ndim)
    try:
        pads = nd_pads(kw["padding"], xc.shape[1:], full.shape[2:], s, d)
    except RefInvalid as exc:
        raise TorchRefused(str(exc)) from exc
    bias = t64(kw["bias"]) if "bias" in kw else None
    mode = MODES[kw["padding_mode"]]
    try:
        inp = t64(xc)[None]
        if mode == "constant":
            inp = F.pad(inp, torch_pads(pads), value=float(kw.get("pad_value", 0)))
        else:
            inp = F.pad(inp, torch_pads(pads), mode=mode)
        out = TORCH_CONV[ndim](inp, weight, bias, stride=s, dilation=d, groups=kw["groups"])[0]
    except (RuntimeError, ValueError) as exc:
        raise TorchRefused(str(exc)) from exc
    return out if kernel.ndim == ndim + 2 else out[0]


def torch_transpose(
    ndim: int, x: np.ndarray, kernel: np.ndarray, kw: dict[str, Any]
) -> torch.Tensor:
    """F.conv_transpose{N}d; asymmetric padding as a crop of the padding-0 result."""
    lead = kernel.shape[: kernel.ndim - ndim]
    full = kernel.reshape((*lead, *(1,) * (ndim + 2 - kernel.ndim), *kernel.shape[-ndim:]))
    xc = x[None] if x.ndim == ndim else x
    weight = t64(full)
    if kw["flip"]:
        weight = torch.flip(weight, dims=tuple(range(-ndim, 0)))
    s, d = kw["stride"], kw["dilation"]
    pads = nd_pads(kw["padding"], xc.shape[1:], full.shape[2:], s, d, transposed=True)
    bias = t64(kw["bias"]) if "bias" in kw else None
    common = {"stride": s, "output_padding": kw["output_padding"], "groups": kw["groups"],
              "dilation": d}  # fmt: skip
    try:
        if all(before == after for before, after in pads):
            padding = tuple(before for before, _ in pads)
            out = TORCH_TRANSPOSE[ndim](t64(xc)[None], weight, bias, padding=padding, **common)
        else:
            grown = TORCH_TRANSPOSE[ndim](t64(xc)[None], weight, bias, padding=0, **common)
            keep = []
            for (before, after), n in zip(pads, grown.shape[2:], strict=True):
                if n - before - after < 1:
                    msg = "output < 1"
                    raise TorchRefused(msg)
                keep.append(slice(before, n - after))
            out = grown[(slice(None), slice(None), *keep)]
    except RuntimeError as exc:
        raise TorchRefused(str(exc)) from exc
    return out[0] if kernel.ndim == ndim + 2 else out[0, 0]


# --------------------------------------------------------------------------- the oracle


@pytest.mark.parametrize("ndim", [1, 2, 3])
@SETTINGS
@given(data=st.data())
def test_the_nd_oracle_matches_torch(ndim: int, data: st.DataObject) -> None:
    case = data.draw(conv_cases(ndim))
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_conv(ndim, x, kernel, kw)
    except TorchRefused:
        event("torch refuses")
        with pytest.raises(RefInvalid):
            ref_convnd(x.tolist(), kernel.tolist(), ndim, **kw)
        return
    assert_same(ref_convnd(x.tolist(), kernel.tolist(), ndim, **kw), want, case["int"])


@pytest.mark.parametrize("ndim", [1, 2, 3])
@SETTINGS
@given(data=st.data())
def test_the_nd_transpose_oracle_matches_torch(ndim: int, data: st.DataObject) -> None:
    case = data.draw(transpose_cases(ndim))
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_transpose(ndim, x, kernel, kw)
    except TorchRefused:
        event("torch refuses")
        with pytest.raises(RefInvalid):
            ref_conv_transposend(x.tolist(), kernel.tolist(), ndim, **kw)
        return
    got = ref_conv_transposend(x.tolist(), kernel.tolist(), ndim, **kw)
    assert_same(got, want, case["int"])


# --------------------------------------------------------------------------- convcli


@pytest.mark.parametrize("ndim", [1, 3])
@SETTINGS
@given(data=st.data())
def test_conv1d_and_conv3d_match_torch(ndim: int, data: st.DataObject) -> None:
    case = data.draw(conv_cases(ndim))
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_conv(ndim, x, kernel, kw)
    except TorchRefused:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            OURS_CONV[ndim](x, kernel, **kw)
        return
    got = OURS_CONV[ndim](x, kernel, **kw)
    if case["int"]:
        assert got.dtype in (np.dtype(np.int64), np.dtype(object))
    assert_same(got, want, case["int"])


@pytest.mark.parametrize("ndim", [1, 3])
@SETTINGS
@given(data=st.data())
def test_conv_transpose1d_and_3d_match_torch(ndim: int, data: st.DataObject) -> None:
    case = data.draw(transpose_cases(ndim))
    x, kernel, kw = case["x"], case["kernel"], case["kwargs"]
    try:
        want = torch_transpose(ndim, x, kernel, kw)
    except TorchRefused:
        event("torch refuses: ConvError expected")
        with pytest.raises(ConvError):
            OURS_TRANSPOSE[ndim](x, kernel, **kw)
        return
    assert_same(OURS_TRANSPOSE[ndim](x, kernel, **kw), want, case["int"])


@pytest.mark.parametrize("ndim", [1, 3])
def test_larger_random_floats_match_torch(ndim: int) -> None:
    """Sizes where the fast methods (not the tiny-problem loop) run."""
    rng = np.random.default_rng(ndim)
    size = {1: (3000,), 3: (14, 15, 16)}[ndim]
    ksize = {1: (9,), 3: (3, 3, 3)}[ndim]
    x, w = rng.standard_normal((4, *size)), rng.standard_normal((6, 2, *ksize))
    for stride, dilation in [(1, 1), (2, 1), (1, 2), (3, 2)]:
        got = OURS_CONV[ndim](x, w, stride=stride, dilation=dilation, groups=2, padding=1)
        want = TORCH_CONV[ndim](t64(x)[None], t64(w), stride=stride, dilation=dilation,
                                groups=2, padding=1)[0]  # fmt: skip
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)
        wt = rng.standard_normal((4, 3, *ksize))
        got_t = OURS_TRANSPOSE[ndim](x, wt, stride=stride, dilation=dilation, groups=2,
                                     padding=1, output_padding=stride - 1)  # fmt: skip
        common = {"stride": stride, "dilation": dilation, "groups": 2, "padding": 1}
        want_t = TORCH_TRANSPOSE[ndim](t64(x)[None], t64(wt), output_padding=stride - 1, **common)[
            0
        ]
        np.testing.assert_allclose(got_t, want_t.numpy(), rtol=1e-10, atol=1e-10)
