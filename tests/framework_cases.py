"""The grid of layers whose ``convcli frameworks`` snippets the tests run, and the check.

Each case is a layer (as :func:`convcli.frameworks.describe` takes it) with random small
integer inputs. convcli's Python API (``conv2d``, ``conv_transpose1d``, ``pool3d``, …)
computes the expected output; a framework's snippet, executed with ``x``, ``w`` and
``b``, must set ``y`` to it: exactly where the result is an integer (small integers are
exact in float32 too), to 1e-6 relative where it is a fraction (averages).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import convcli
from convcli.frameworks import Layer, Row, describe, rows


@dataclass(frozen=True)
class Case:
    op: str
    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        opts = ",".join(f"{k}={_short(v)}" for k, v in self.options.items())
        return f"{self.op}{len(self.sizes)}d-{_short(self.sizes)}-k{_short(self.kernel)}-{opts}"

    def layer(self) -> Layer:
        return describe(self.op, self.sizes, self.kernel, **self.options)


def _short(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return str(value)


def _n(value: int, dims: int) -> tuple[int, ...]:
    return (value,) * dims


def _conv_cases() -> list[Case]:
    cases = []
    words = ["valid", "same", "same-lower", "full", "asym"]
    for stride, dilation, word, k in itertools.product((1, 2, 3), (1, 2), words, (2, 3)):
        padding: Any = (0, 1, 2, 1) if word == "asym" else word
        cases.append(
            Case("conv", (7, 8), (k, k + 1 if k == 2 else k),
                 {"stride": (stride, stride), "dilation": (dilation, dilation), "padding": padding})
        )  # fmt: skip
    for dims in (1, 3):
        size = 9 if dims == 1 else 5
        for stride, dilation, word, k in itertools.product((1, 2), (1, 2), words, (2, 3)):
            padding = (0, 1, 2, 1, 1, 0)[: 2 * dims] if word == "asym" else word
            cases.append(
                Case("conv", _n(size, dims), _n(k, dims),
                     {"stride": _n(stride, dims), "dilation": _n(dilation, dims),
                      "padding": padding})
            )  # fmt: skip
    for dims, mode, padding in itertools.product(
        (1, 2, 3), ("zeros", "reflect", "replicate", "circular"), ("sym", "asym")
    ):
        pads = (1,) * (2 * dims) if padding == "sym" else (1, 2, 0, 1, 2, 1)[: 2 * dims]
        cases.append(
            Case("conv", _n(5, dims), _n(3, dims),
                 {"padding": pads, "padding_mode": mode, "stride": _n(2 if dims == 2 else 1, dims)})
        )  # fmt: skip
    for dims, (c_in, c_out, groups) in itertools.product(
        (1, 2, 3), ((2, 3, 1), (4, 2, 2), (4, 4, 4), (3, 6, 3))
    ):
        cases.append(
            Case("conv", _n(6 if dims < 3 else 4, dims), _n(3 if dims < 3 else 2, dims),
                 {"channels": (c_in, c_out), "groups": groups, "padding": "same",
                  "stride": _n(2, dims)})
        )  # fmt: skip
    for dims, word in itertools.product((1, 2, 3), ("valid", "same", "full")):
        cases.append(
            Case("conv", _n(6 if dims < 3 else 4, dims), _n(2, dims),
                 {"flip": True, "padding": word, "channels": (2, 2)})
        )  # fmt: skip
    return cases


def _transpose_cases() -> list[Case]:
    cases = []
    for dims, stride, dilation, pads in itertools.product(
        (1, 2, 3), (1, 2, 3), (1, 2), ("none", "sym", "asym")
    ):
        padding: Any = {"none": 0, "sym": 1, "asym": (0, 1, 1, 2, 1, 0)[: 2 * dims]}[pads]
        for op in sorted({0, max(stride, dilation) - 1}):
            cases.append(
                Case("transpose", _n(3, dims), _n(2 if dims == 3 else 3, dims),
                     {"stride": _n(stride, dims), "dilation": _n(dilation, dims),
                      "padding": padding, "output_padding": _n(op, dims)})
            )  # fmt: skip
    for dims, (c_in, c_out, groups), flip in itertools.product(
        (1, 2, 3), ((2, 3, 1), (4, 2, 2), (3, 6, 3)), (False, True)
    ):
        cases.append(
            Case("transpose", _n(3, dims), _n(2, dims),
                 {"channels": (c_in, c_out), "groups": groups, "stride": _n(2, dims),
                  "output_padding": _n(1, dims), "padding": (1, 0, 0, 1, 1, 1)[: 2 * dims],
                  "flip": flip})
        )  # fmt: skip
    return cases


def _pool_cases() -> list[Case]:
    cases = []
    for dims, op, k, stride, pads, ceil in itertools.product(
        (1, 2, 3), ("max", "avg", "min"), (2, 3), (1, 2, 3), ("none", "sym", "asym"), (False, True)
    ):
        if dims == 3 and (k == 3 or stride == 3):
            continue
        padding: Any = {"none": 0, "sym": 1, "asym": (0, 1, 1, 0, 1, 1)[: 2 * dims]}[pads]
        cases.append(
            Case("pool", _n(7 if dims < 3 else 5, dims), _n(k, dims),
                 {"pool_op": op, "stride": _n(stride, dims), "padding": padding,
                  "ceil_mode": ceil, "channels": (2, 2)})
        )  # fmt: skip
    return cases


CASES = _conv_cases() + _transpose_cases() + _pool_cases()
IDS = [case.id for case in CASES]


def inputs(case: Case, layer: Layer, seed: int) -> tuple[Any, Any, Any]:
    """Random small integers in convcli's layouts: x, w and (half the time) a bias."""
    rng = np.random.default_rng(seed)
    x_shape = layer.x_shape if layer.channels else layer.sizes
    x = rng.integers(-5, 6, size=x_shape)
    if layer.op == "pool":
        return x, None, None
    w_shape = layer.w_shape if layer.channels else layer.kernel
    w = rng.integers(-3, 4, size=w_shape)
    b = rng.integers(-4, 5, size=layer.c_out) if seed % 2 else None
    return x, w, b


def expected(case: Case, layer: Layer, x: Any, w: Any, b: Any) -> np.ndarray:
    """convcli's own answer, through its Python API."""
    o = case.options
    n = layer.dims
    padding = o.get("padding", 0)
    if case.op == "pool":
        pool = getattr(convcli, f"pool{n}d")
        return np.asarray(
            pool(x, layer.kernel, layer.stride, padding, op=o.get("pool_op", "max"),
                 ceil_mode=o.get("ceil_mode", False)),
            dtype=np.float64,
        )  # fmt: skip
    bias = None if b is None else b.tolist()
    if case.op == "transpose":
        fn = getattr(convcli, f"conv_transpose{n}d")
        result = fn(x, w, layer.stride, padding, layer.output_padding, layer.dilation,
                    layer.groups, bias, flip=layer.flip)  # fmt: skip
    else:
        fn = getattr(convcli, f"conv{n}d")
        result = fn(x, w, layer.stride, padding, layer.dilation, layer.groups, bias,
                    padding_mode=layer.padding_mode, flip=layer.flip)  # fmt: skip
    return np.asarray(result, dtype=np.float64)


def row_of(layer: Layer, name: str) -> Row:
    return next(row for row in rows(layer) if row.name == name)


def check(case: Case, name: str, seed: int = 0) -> Row:
    """Run ``name``'s snippet for ``case``; return the row (its code may be None)."""
    layer = case.layer()
    row = row_of(layer, name)
    assert row.output == layer.output or row.code is None
    if row.code is None:
        assert row.native is False
        assert any("cannot" in note for note in row.notes), row.notes
        return row
    for trial in (seed, seed + 1):  # one run without a bias, one with
        x, w, b = inputs(case, layer, trial)
        want = expected(case, layer, x, w, b)
        scope: dict[str, Any] = {"x": x, "w": w}
        if b is not None:
            scope["b"] = b
        exec(compile(row.code, f"<{name} snippet>", "exec"), scope)
        got = scope["y"]
        assert isinstance(got, np.ndarray)
        assert got.dtype == np.float64
        assert got.shape == want.shape, (got.shape, want.shape)
        if np.array_equal(want, np.round(want)):
            np.testing.assert_array_equal(got, want, err_msg=row.code)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=row.code)
    return row
