"""ONNX graphs for the ``net`` tests, written with ``onnx.helper``.

Weights are initializers that carry their shape only (``net`` reads shapes, never values),
so a ResNet-18 stays a few kilobytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto, helper


class Graph:
    """Nodes and shape-only initializers, named in order."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.nodes: list[Any] = []
        self.weights: list[Any] = []
        self.shape = shape
        self.count = 0

    def _name(self, what: str) -> str:
        self.count += 1
        return f"{what}{self.count}"

    def weight(self, dims: tuple[int, ...]) -> str:
        tensor = TensorProto()
        tensor.name = self._name("w")
        tensor.data_type = TensorProto.FLOAT
        tensor.dims.extend(dims)
        self.weights.append(tensor)
        return str(tensor.name)

    def ints(self, values: list[int], dims: tuple[int, ...] | None = None) -> str:
        """An INT64 initializer that holds its values (a shape, an index, axes)."""
        name = self._name("i")
        size = [len(values)] if dims is None else list(dims)
        self.weights.append(helper.make_tensor(name, TensorProto.INT64, size, values))
        return name

    def constant(self, values: list[int], dims: tuple[int, ...] | None = None) -> str:
        """The same values from a Constant node, as PyTorch's exporter writes them."""
        out = self._name("constant")
        size = [len(values)] if dims is None else list(dims)
        value = helper.make_tensor(out, TensorProto.INT64, size, values)
        self.nodes.append(helper.make_node("Constant", [], [out], name=out, value=value))
        return out

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(
        self, x: str, cin: int, cout: int, k: int, s: int = 1, p: int = 0, bias: bool = False
    ) -> str:
        inputs = [x, self.weight((cout, cin, k, k))] + ([self.weight((cout,))] if bias else [])
        return self.node("Conv", inputs, kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p])

    def bn(self, x: str, c: int) -> str:
        return self.node("BatchNormalization", [x] + [self.weight((c,)) for _ in range(4)])

    def save(
        self, path: Path, output: str, opset: int | None = None, extra: tuple[Any, ...] = ()
    ) -> Path:
        """The graph with input ``x`` (and ``extra`` inputs), at ``opset`` (onnx's newest
        when None)."""
        graph = helper.make_graph(
            self.nodes,
            "net",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *self.shape]), *extra],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
            initializer=self.weights,
        )
        opsets = [helper.make_opsetid("", opset)] if opset is not None else None
        model = (
            helper.make_model(graph, opset_imports=opsets) if opsets else helper.make_model(graph)
        )
        onnx.save(model, str(path))
        return path


def resnet18(path: Path, size: int = 224) -> Path:
    """torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]) as an ONNX graph."""
    g = Graph((3, size, size))
    x = g.node("Relu", [g.bn(g.conv("x", 3, 64, 7, 2, 3), 64)])
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if stage and not block else 1
            y = g.node("Relu", [g.bn(g.conv(x, cin, cout, 3, stride, 1), cout)])
            y = g.bn(g.conv(y, cout, cout, 3, 1, 1), cout)
            skip = g.bn(g.conv(x, cin, cout, 1, stride), cout) if cin != cout else x
            x = g.node("Relu", [g.node("Add", [y, skip])])
            cin = cout
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    out = g.node("Gemm", [x, g.weight((1000, 512)), g.weight((1000,))], transB=1)
    return g.save(path, out)
