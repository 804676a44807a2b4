"""`convcli net` against PyTorch: networks built with ``torch.nn`` are printed, read back
from that text (or from an ONNX graph of the same network) and walked; every layer's
output shape must equal what PyTorch's forward pass gives, the parameter count what
``model.parameters()`` holds, the multiply-adds the hand formula on PyTorch's shapes, and
the receptive field the input region that a gradient actually reaches.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from convcli import net as N
from convcli import netread, onnxread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.net_models import resnet18

LEAVES = (
    nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
    nn.AdaptiveAvgPool2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.ReLU, nn.Linear,
    nn.Dropout, nn.Flatten,
)  # fmt: skip


def vgg16() -> nn.Module:
    layers: list[nn.Module] = []
    cin = 3
    for cout, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(repeat):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            cin = cout
        layers.append(nn.MaxPool2d(2, 2))
    head = [nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096),
            nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000)]  # fmt: skip
    return nn.Sequential(
        nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(), nn.Sequential(*head)
    )


def alexnet() -> nn.Module:
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
        ),
        nn.AdaptiveAvgPool2d((6, 6)),
        nn.Flatten(),
        nn.Sequential(
            nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Linear(4096, 1000),
        ),
    )  # fmt: skip


def one_and_three_d() -> list[tuple[nn.Module, tuple[int, ...]]]:
    one = nn.Sequential(
        nn.Conv1d(2, 8, 5, stride=2, padding=3, dilation=2), nn.BatchNorm1d(8),
        nn.MaxPool1d(3, 2, padding=1, ceil_mode=True), nn.Conv1d(8, 4, 3, groups=4, bias=False),
        nn.ConvTranspose1d(4, 6, 4, stride=3, padding=1, output_padding=2),
        nn.AvgPool1d(2, ceil_mode=True), nn.Flatten(), nn.Linear(6 * 35, 3),
    )  # fmt: skip
    three = nn.Sequential(
        nn.Conv3d(3, 8, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3)), nn.ReLU(),
        nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1), dilation=(1, 2, 1)),
        nn.ConvTranspose3d(8, 4, 2, stride=2, groups=2), nn.BatchNorm3d(4),
    )  # fmt: skip
    return [(one, (2, 97)), (three, (3, 8, 40, 36))]


def forward_shapes(model: nn.Module, shape: tuple[int, ...]) -> list[tuple[nn.Module, Any]]:
    """Each leaf module and its output shape (batch dropped), in forward order."""
    seen: list[tuple[nn.Module, Any]] = []
    hooks = [
        m.register_forward_hook(lambda m, _i, o: seen.append((m, tuple(o.shape[1:]))))
        for m in model.modules()
        if isinstance(m, LEAVES)
    ]
    model.eval()
    with torch.no_grad():
        model(torch.zeros((1, *shape)))
    for h in hooks:
        h.remove()
    return seen


def formula_macs(module: nn.Module, out: tuple[int, ...], before: tuple[int, ...]) -> int:
    """Σ k·C_in/g·C_out·out (conv), k·C_out/g·C_in·in (transposed), in·out (Linear)."""
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(module, nn.modules.conv._ConvNd):
        k = 1
        for n in module.kernel_size:
            k *= n
        cells = 1
        if module.transposed:
            for n in before[1:]:
                cells *= n
            return k * module.out_channels // module.groups * module.in_channels * cells
        for n in out[1:]:
            cells *= n
        return k * module.in_channels // module.groups * module.out_channels * cells
    return 0


@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (vgg16, (3, 224, 224)),
        (alexnet, (3, 224, 224)),
        *[(lambda m=m: m, s) for m, s in one_and_three_d()],
    ],
    ids=["vgg16", "alexnet", "1d", "3d"],
)
def test_printed_model_walks_like_pytorch(build: Any, shape: tuple[int, ...]) -> None:
    model = build()
    net = N.walk(netread.parse_pytorch(str(model), "model.txt").layers, shape)
    seen = forward_shapes(model, shape)
    assert [s.shape for s in net.steps] == [out for _, out in seen]
    assert net.params == sum(p.numel() for p in model.parameters())
    before = [shape, *[out for _, out in seen[:-1]]]
    expected = [formula_macs(m, out, b) for (m, out), b in zip(seen, before, strict=True)]
    assert [s.macs for s in net.steps] == expected


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if cin != cout
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


def resnet18_torch() -> nn.Module:
    blocks: list[nn.Module] = []
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512)):
        for block in range(2):
            blocks.append(BasicBlock(cin, cout, 2 if stage and not block else 1))
            cin = cout
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(3, 2, 1), *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(512, 1000),
    )  # fmt: skip


def test_resnet18_onnx_graph_walks_like_pytorch(tmp_path: Path) -> None:
    source = onnxread.parse_onnx(resnet18(tmp_path / "resnet18.onnx"))
    assert source.input_shape == (3, 224, 224)
    net = N.walk(source.layers, source.input_shape)
    model = resnet18_torch()
    assert net.params == sum(p.numel() for p in model.parameters())
    seen = forward_shapes(model, (3, 224, 224))
    convs = [(m, out) for m, out in seen if isinstance(m, nn.Conv2d)]
    ours = [s for s in net.steps if s.layer.kind == "conv"]
    assert [s.shape for s in ours] == [out for _, out in convs]
    assert [s.macs for s in ours] == [formula_macs(m, out, ()) for m, out in convs]
    assert net.output.shape == seen[-1][1]


@pytest.mark.parametrize(
    "text",
    [
        "conv 1 k3 p1; conv 1 k3 s2; avgpool k2; conv 1 k3 d2 p2; conv 1 k5,3 s2,1",
        "conv 1 k7 s2 p3; maxpool k3 s2 p1; conv 1 k3 p1; conv 1 k3 s2 p1; conv 1 k3,1 d3,1",
        "avgpool k3 s3; conv 1 k2 s2; conv 1 k4 p1,2 d2",
    ],
)
def test_receptive_field_is_where_the_gradient_reaches(text: str) -> None:
    """A middle output cell's gradient on the input spans r pixels per axis, centred at
    start + index·jump (positive weights, max pools as averages so no path is cut)."""
    shape = (1, 90, 90)
    net = N.walk(netread.parse_inline(text).layers, shape)
    modules: list[nn.Module] = []
    for step in net.steps:
        layer = step.layer
        pads = step.pads
        pad = nn.ZeroPad2d((pads[2], pads[3], pads[0], pads[1]))
        if layer.kind == "conv":
            conv = nn.Conv2d(1, 1, step.kernel, step.stride, dilation=step.dilation, bias=False)
            nn.init.constant_(conv.weight, 1.0)
            modules += [pad, conv]
        else:  # a pool: an average over the same window reaches the same cells
            modules += [pad, nn.AvgPool2d(step.kernel, step.stride)]
    model = nn.Sequential(*modules)
    x = torch.zeros((1, *shape), requires_grad=True)
    y = model(x)
    assert tuple(y.shape[1:]) == net.output.shape
    cell = [n // 2 for n in y.shape[2:]]
    y[0, 0, cell[0], cell[1]].backward()
    assert x.grad is not None
    reached = (x.grad[0, 0] != 0).nonzero()
    for axis in range(2):
        lo, hi = int(reached[:, axis].min()), int(reached[:, axis].max())
        assert hi - lo + 1 == net.output.rf[axis]
        centre = net.output.start[axis] + cell[axis] * net.output.jump[axis]
        assert centre * 2 == lo + hi


class ViewNet(nn.Module):
    """A tiny CNN whose forward flattens with ``x.view(x.size(0), -1)``, not a module."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu(self.conv(x)))
        return self.fc(x.view(x.size(0), -1))


# the TorchScript exporter (dynamo=False) is deprecated in PyTorch 2.9+ but writes the
# Shape → Gather → Unsqueeze → Concat → Reshape chain; the torch.export one needs onnxscript
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("opset", [13, 17])
def test_an_export_of_x_view_reads_like_the_printed_model(tmp_path: Path, opset: int) -> None:
    import onnx

    model = ViewNet().eval()
    path = tmp_path / "view.onnx"
    try:
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, 16, 16),),
            str(path),
            opset_version=opset,
            input_names=["x"],
            dynamic_axes={"x": {0: "batch"}},  # else the exporter folds the chain itself
            dynamo=False,
        )
    except ModuleNotFoundError as missing:
        pytest.skip(f"torch.onnx.export needs {missing.name}, not installed")
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"} <= set(ops), ops
    source = onnxread.parse_onnx(path)
    assert source.input_shape == (3, 16, 16)
    exported = N.walk(source.layers, source.input_shape)
    printed = N.walk(netread.parse_pytorch(str(model), "model.txt").layers, (3, 16, 16))
    seen = forward_shapes(model, (3, 16, 16))
    steps = [s for s in exported.steps if s.layer.kind != "flatten"]
    assert [s.layer.kind for s in steps] == [s.layer.kind for s in printed.steps]
    assert [s.shape for s in steps] == [s.shape for s in printed.steps] == [o for _, o in seen]
    assert [s.macs for s in steps] == [s.macs for s in printed.steps]
    assert exported.params == printed.params == sum(p.numel() for p in model.parameters())
    # conv 8×8×8: 3·3·3·8·64 = 13824 macs; Linear 128 → 5: 640
    assert [s.macs for s in steps] == [13824, 0, 0, 640]
