"""Issue 10, item 6: what a layer costs, checked against counts made independently: the
products in the explained steps, the kernel's and output's sizes, a brute-force scatter."""

from __future__ import annotations

import json
from math import prod

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Run, inline


@settings(max_examples=40, deadline=None)
@given(
    channels=st.sampled_from([(1, 1, 1), (2, 2, 1), (2, 4, 2), (3, 3, 3), (4, 2, 2)]),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    pad=st.integers(0, 1),
    bias=st.booleans(),
)
def test_conv_cost_counts_every_product(
    run: Run, channels: tuple[int, int, int], k: int, stride: int, pad: int, bias: bool
) -> None:
    c_in, c_out, groups = channels
    x = np.arange(c_in * 5 * 5).reshape(c_in, 5, 5) % 7
    kernels = [inline(np.ones((c_in // groups, k, k), dtype=int).tolist()) for _ in range(c_out)]
    args = ["conv", "-i", inline(x.tolist()), "-g", str(groups), "-s", str(stride)]
    args += ["-p", str(pad), "--all", "-f", "json"]
    for kernel in kernels:
        args += ["-k", kernel]
    if bias:
        args += ["-b", "1"]
    out = json.loads(run(*args).stdout)
    cost = out["cost"]
    assert cost["macs"] == sum(len(s["terms"]) for s in out["steps"])
    assert cost["weights"] == c_out * (c_in // groups) * k * k
    assert cost["activations"] == prod(out["output_shape"])
    assert cost["bias"] == (c_out if bias else 0)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (3, 0)])
def test_transposed_cost_counts_the_scattered_products(run: Run, stride: int, pad: int) -> None:
    out = json.loads(
        run(
            "transpose",
            "-i",
            "1 2 3; 4 5 6",
            "-k",
            "1 1; 1 1",
            "-s",
            str(stride),
            "-p",
            str(pad),
            "-f",
            "json",
        ).stdout
    )
    scattered = sum(1 for _a in range(2) for _b in range(3) for _i in range(2) for _j in range(2))
    assert out["cost"] == {
        "weights": 4,
        "bias": 0,
        "macs": scattered,
        "activations": prod(out["output_shape"]),
    }


def test_the_table_and_the_lesson_write_the_cost_with_its_formula(run: Run) -> None:
    table = run("conv", "-i", "1 2 0; 0 1 1; 2 0 1", "-k", "1 1; 1 1", "-f", "table").stdout
    assert "multiply-adds O·H′·W′·(C/g)·kh·kw = 1·2·2·1·2·2 = 16" in table
    lesson = run("explain", "--lang", "zh", "--step", "7").stdout
    assert "乘加次数" in lesson
