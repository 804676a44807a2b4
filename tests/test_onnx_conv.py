"""Convolution's `same` and `same-lower` padding against ONNX's Conv with auto_pad
SAME_UPPER and SAME_LOWER, run by ONNX's reference implementation (onnx.reference,
installed by the test extra), in 1, 2 and 3 dimensions with strides and dilations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from convcli import conv1d, conv2d, conv3d

onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install -e '.[test]'")
reference = pytest.importorskip("onnx.reference")

CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def onnx_conv(x: np.ndarray, w: np.ndarray, auto_pad: str, strides: list[int],
              dilations: list[int]) -> Any:  # fmt: skip
    helper = onnx.helper
    node = helper.make_node(
        "Conv", ["x", "w"], ["y"], auto_pad=auto_pad, strides=strides, dilations=dilations
    )
    inputs = [
        helper.make_tensor_value_info(name, onnx.TensorProto.DOUBLE, list(a.shape))
        for name, a in (("x", x), ("w", w))
    ]
    out = [helper.make_tensor_value_info("y", onnx.TensorProto.DOUBLE, None)]
    graph = helper.make_graph([node], "conv", inputs, out)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    return reference.ReferenceEvaluator(model).run(None, {"x": x, "w": w})[0]


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize(
    ("word", "auto_pad"), [("same", "SAME_UPPER"), ("same-lower", "SAME_LOWER")]
)
@pytest.mark.parametrize("seed", range(8))
def test_same_padding_matches_onnx_auto_pad(dims: int, word: str, auto_pad: str, seed: int) -> None:
    rng = np.random.default_rng(seed + 10 * dims)
    sizes = rng.integers(4, 8, size=dims)
    kernel = rng.integers(1, 5, size=dims)  # even kernels put the extra cell on one side
    strides = [int(s) for s in rng.integers(1, 4, size=dims)]
    dilations = [int(d) for d in rng.integers(1, 3, size=dims)]
    x = rng.integers(-5, 6, size=(1, 2, *sizes)).astype(np.float64)
    w = rng.integers(-3, 4, size=(3, 2, *kernel)).astype(np.float64)
    ours = CONV[dims](x[0], w, stride=strides, padding=word, dilation=dilations)
    theirs = onnx_conv(x, w, auto_pad, strides, dilations)[0]
    np.testing.assert_array_equal(ours, theirs)
