"""`convcli net`'s readers: inline tokens, JSON, TOML, PyTorch's printout and ONNX graphs
(written with onnx.helper), and what each says when the network is bad."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from onnx import TensorProto, helper

from convcli import net as N
from convcli import netread
from tests.conftest import Run, assert_error
from tests.net_models import Graph, resnet18


def test_inline_tokens() -> None:
    layers = netread.parse_inline(
        "conv 64 k7,5 s2 p3,2 d2 g2 nobias @stem; tconv 8 k3 s2 p1 op1; maxpool k3 s2 p1 ceil; "
        "avgpool k2; lppool k2; gap; gmp; adaptiveavgpool 6,6; bn; relu; flatten; fc 10\n"
        "linear 5"
    ).layers
    stem = layers[0]
    assert (stem.kind, stem.out, stem.kernel, stem.stride, stem.padding, stem.dilation) == (
        "conv",
        64,
        (7, 5),
        (2,),
        (3, 2),
        (2,),
    )
    assert (stem.groups, stem.bias, stem.name) == (2, False, "stem")
    assert layers[1].output_padding == (1,)
    assert layers[2].ceil_mode
    assert layers[7].output_size == (6, 6)
    assert [la.kind for la in layers[3:]] == [
        "avgpool", "lppool", "gap", "gmp", "adaptiveavgpool", "bn", "relu", "flatten", "fc", "fc",
    ]  # fmt: skip


@pytest.mark.parametrize("word", ["psame", "pvalid", "pfull", "psame-lower"])
def test_inline_padding_words(word: str) -> None:
    assert netread.parse_inline(f"conv 1 k3 {word}").layers[0].padding == word[1:]


def test_json_and_toml_read_the_same_layers(tmp_path: Path) -> None:
    items = [
        {"type": "conv", "out": 8, "kernel": [3, 5], "stride": 2, "padding": "same", "name": "a"},
        {"type": "maxpool", "kernel": 2, "ceil_mode": True},
        {"type": "fc", "out": 3, "bias": False},
    ]
    from_json = netread.parse_json(json.dumps(items), "net.json").layers
    toml = (
        '[[layer]]\ntype = "conv"\nout = 8\nkernel = [3, 5]\nstride = 2\npadding = "same"\n'
        'name = "a"\n\n[[layer]]\ntype = "maxpool"\nkernel = 2\nceil_mode = true\n\n'
        '[[layer]]\ntype = "fc"\nout = 3\nbias = false\n'
    )
    from_toml = netread.parse_toml(toml, "net.toml").layers
    assert from_json == from_toml
    assert from_json[0] == N.Layer(
        "conv", out=8, kernel=(3, 5), stride=(2,), padding="same", name="a"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"type": "conv", "out": 8, "kernal": 3}]', "layer 1 (conv): unknown key 'kernal'"),
        ('[{"out": 8}]', "layer 1: expected an object with a 'type'"),
        ('[{"type": "warp"}]', "layer 1: unknown layer type 'warp'"),
        ('[{"type": "conv", "out": "8"}]', "layer 1 (conv): out must be a whole number"),
        ('[{"type": "add", "inputs": ["x", 0]}]', "layer 1 (add): input 'x' is not"),
        ('{"layer": []}', "net.json: expected a JSON list of layer objects"),
        ("[1,", "net.json: not valid JSON"),
    ],
)
def test_json_errors(text: str, message: str) -> None:
    with pytest.raises(N.NetError) as caught:
        netread.parse_json(text, "net.json")
    assert caught.value.message.startswith(message), caught.value.message


def test_toml_errors() -> None:
    with pytest.raises(N.NetError, match=re.escape("net.toml: expected [[layer]] tables")):
        netread.parse_toml("a = 1\n", "net.toml")
    with pytest.raises(N.NetError, match=re.escape("net.toml: not valid TOML")):
        netread.parse_toml("[[layer]\n", "net.toml")


PRINTED = """ResNet(
  (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
  (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (relu): ReLU(inplace=True)
  (layer1): Sequential(
    (0-1): 2 x BasicBlock(
      (conv1): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
      (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    )
  )
  (layer2): Sequential(
    (0): BasicBlock(
      (conv1): Conv2d(8, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)
      (downsample): Sequential(
        (0): Conv2d(8, 16, kernel_size=(1, 1), stride=(2, 2), bias=False)
        (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
      )
    )
  )
  (avgpool): AdaptiveAvgPool2d(output_size=(1, 1))
  (fc): Linear(in_features=16, out_features=10, bias=True)
)
"""


def test_pytorch_printout_repeats_blocks_and_leaves_out_a_hidden_branch(
    run: Run, tmp_path: Path
) -> None:
    source = netread.parse_pytorch(PRINTED, "model.txt")
    names = [layer.name for layer in source.layers]
    assert names == [
        "conv1", "bn1", "relu", "layer1.0-1.conv1", "layer1.0-1.bn1", "layer1.0-1.conv1",
        "layer1.0-1.bn1", "layer2.0.conv1", "avgpool", "fc",
    ]  # fmt: skip
    path = tmp_path / "model.txt"
    path.write_text(PRINTED)
    result = run("net", str(path), "-i", "3,8,8", "-f", "plain")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "10\n"
    assert result.stderr == (
        "warning: the printout hides branches: layer2.0.downsample (2 layers) left out and "
        "the rest read as a chain (shapes and receptive field of the main path; those "
        "layers' parameters are not counted); an ONNX export shows the whole graph\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Sequential(\n  (0): Upsample(scale_factor=2.0)\n)\n",
            "line 2: unknown PyTorch module 'Upsample'",
        ),
        ("Sequential(\n  (0): ReLU()\n", "1 module(s) opened with '(' are never closed"),
        ("ReLU()\n)\n", "line 2: ')' closes nothing"),
    ],
)
def test_pytorch_printout_errors(text: str, message: str) -> None:
    with pytest.raises(N.NetError, match=re.escape(message)):
        netread.parse_pytorch(text, "model.txt")


def test_pytorch_printout_of_1d_and_3d_layers() -> None:
    text = (
        "Sequential(\n"
        "  (0): Conv3d(1, 4, kernel_size=(3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1))\n"
        "  (1): MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)\n"
        "  (2): ConvTranspose3d(4, 2, kernel_size=(2, 2, 2), stride=(2, 2, 2))\n"
        ")\n"
    )
    net = N.walk(netread.parse_pytorch(text, "m.txt").layers, (1, 5, 9, 9))
    assert [s.shape for s in net.steps] == [(4, 5, 5, 5), (4, 3, 3, 3), (2, 6, 6, 6)]
    with pytest.raises(N.NetError, match="layer 1 \\(conv 0\\): a 3-D layer on a 2-D input"):
        N.walk(netread.parse_pytorch(text, "m.txt").layers, (1, 9, 9))


# --- ONNX ---------------------------------------------------------------------------------


def test_a_resnet18_graph_has_torchvisions_counts(run: Run, tmp_path: Path) -> None:
    path = resnet18(tmp_path / "resnet18.onnx")
    result = run("net", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["input_shape"] == [3, 224, 224]
    assert data["output_shape"] == [1000]
    # torchvision's model table: ResNet-18 11,689,512 params, 1.81 GFLOPS
    assert data["total"]["params"] == 11_689_512
    assert round(data["total"]["macs"] / 1e9, 2) == 1.81
    adds = [layer for layer in data["layers"] if layer["type"] == "add"]
    assert len(adds) == 8
    assert adds[-1]["receptive_field"] == [435, 435]
    assert result.stderr == ""


def test_onnx_paths_that_are_not_aligned_are_noted(run: Run, tmp_path: Path) -> None:
    g = Graph((2, 8, 8))
    a = g.conv("x", 2, 4, 3, 1, 1)
    b = g.node("Conv", ["x", g.weight((4, 2, 2, 2))], pads=[0, 0, 1, 1])
    out = g.node("Concat", [a, b], axis=1)
    path = g.save(tmp_path / "two.onnx", out)
    result = run("net", str(path), "-f", "plain")
    assert result.stdout == "8 8 8\n"
    assert result.stderr.count("note: layer 3 (concat concat5): the paths are not aligned") == 2
    assert "centred at 0, 1/2; the largest (3) is kept" in result.stderr


def test_onnx_with_unsupported_operators_names_them(run: Run, tmp_path: Path) -> None:
    g = Graph((1, 4, 4))
    x = g.node("Resize", ["x"])
    x = g.node("Slice", [x])
    path = g.save(tmp_path / "bad.onnx", g.node("Relu", [x]))
    assert_error(run("net", str(path)), 1, "bad.onnx: unsupported ONNX operators: Resize, Slice")


def test_onnx_channel_mismatch_names_the_node(run: Run, tmp_path: Path) -> None:
    g = Graph((3, 8, 8))
    x = g.conv("x", 3, 8, 3)
    path = g.save(tmp_path / "m.onnx", g.conv(x, 4, 8, 3))
    assert_error(run("net", str(path)), 1, "layer 2 (conv conv4): expects 4 input channels, gets 8")


def test_onnx_reads_pads_auto_pad_and_matmul(run: Run, tmp_path: Path) -> None:
    g = Graph((1, 7, 7))
    x = g.node("Conv", ["x", g.weight((2, 1, 3, 3))], auto_pad="SAME_UPPER", strides=[2, 2])
    x = g.node("AveragePool", [x], kernel_shape=[2, 2], pads=[0, 0, 1, 1])
    x = g.node("Reshape", [x, "shape"])
    g.weights.append(helper.make_tensor("shape", TensorProto.INT64, [2], [1, -1]))
    x = g.node("MatMul", [x, g.weight((32, 5))])
    x = g.node("Add", [x, g.weight((5,))])
    path = g.save(tmp_path / "m.onnx", x)
    data = json.loads(run("net", str(path), "-f", "json").stdout)
    assert [la["output_shape"] for la in data["layers"]] == [[2, 4, 4], [2, 4, 4], [32], [5], [5]]
    assert data["layers"][0]["padding"] == [1, 1, 1, 1]
    assert data["layers"][1]["padding"] == [0, 1, 0, 1]
    assert [la["params"] for la in data["layers"]] == [18, 0, 0, 160, 5]


def test_onnx_without_the_package_says_how_to_install_it(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = resnet18(tmp_path / "r.onnx", 32)
    monkeypatch.setitem(sys.modules, "onnx", None)
    result = run("net", str(path))
    assert_error(result, 1, "reading .onnx files needs the onnx package")
    assert result.stderr.splitlines()[1] == "hint: pip install 'convcli[onnx]'"


def test_a_file_that_is_not_onnx(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\xff\x00 not a model")
    assert_error(run("net", str(path)), 1, "junk.onnx: not an ONNX model")


def test_onnx_constant_nodes_are_stored_tensors(run: Run, tmp_path: Path) -> None:
    g = Graph((2, 4, 4))
    shape = helper.make_tensor("s", TensorProto.INT64, [2], [1, 32])
    g.nodes.append(helper.make_node("Constant", [], ["target"], value=shape))
    x = g.node("Reshape", ["x", "target"])
    path = g.save(tmp_path / "c.onnx", g.node("Gemm", [x, g.weight((32, 3))]))
    data = json.loads(run("net", str(path), "-f", "json").stdout)
    assert [la["type"] for la in data["layers"]] == ["flatten", "fc"]
    assert data["total"]["params"] == 96


def test_a_text_file_of_inline_layers(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "net.txt"
    path.write_text("conv 8 k3 p1\nmaxpool k2\nfc 10\n")
    assert run("net", str(path), "-i", "3,8,8", "-f", "plain").stdout == "10\n"


def test_an_onnx_node_of_stored_tensors_only(run: Run, tmp_path: Path) -> None:
    g = Graph((1, 4, 4))
    w = g.weight((1, 1, 1, 1))
    x = g.conv("x", 1, 1, 1)
    path = g.save(tmp_path / "s.onnx", g.node("Add", [x, g.node("Relu", [w])]))
    assert_error(run("net", str(path)), 1, "reads no data, only stored tensors")


SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize(
    ("sample", "shape"),
    [("vgg16.json", "3,224,224"), ("signal1d.toml", None), ("alexnet.txt", "3,224,224")],
)
def test_layers_from_standard_input(run: Run, sample: str, shape: str | None) -> None:
    # the same rows as the file gives: the form is told from the text alone
    extra = ["-i", shape] if shape else []
    from_file = run("net", str(SAMPLES / sample), *extra, "-f", "csv")
    assert from_file.exit_code == 0, from_file.stderr
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    piped = run("net", "-", *extra, "-f", "csv", input=text)
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout == from_file.stdout
    assert len(piped.stdout.splitlines()) > 3


def test_inline_layers_from_standard_input(run: Run) -> None:
    piped = run("net", "-", "-i", "1,28,28", "-f", "json", input="conv 8 k3\nmaxpool k2\n")
    assert piped.exit_code == 0, piped.stderr
    layers = json.loads(piped.stdout)["layers"]
    # 28 − 3 + 1 = 26, then ⌊26 / 2⌋ = 13
    assert [layer["output_shape"] for layer in layers] == [[8, 26, 26], [8, 13, 13]]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "standard input is empty"),
        (b"\x08\x07\xff\xfe", "not UTF-8 text"),
        (b'[{"type": "conv", "out": 4, "k": 3}\n', "not valid JSON"),
        (b"[[layer]]\ntype = \n", "not valid TOML"),
    ],
)
def test_bad_standard_input(run: Run, data: bytes, needle: str) -> None:
    assert_error(run("net", "-", "-i", "1,8,8", input=data), 1, "LAYERS '-'", needle)


# --- ONNX: a Reshape's target computed by the graph (PyTorch's x.view(x.size(0), -1)) --------


def _small_cnn(g: Graph) -> str:
    """conv 4 k3 on 1×8×8, ReLU, max pool k2: a 4×3×3 map."""
    x = g.node("Relu", [g.conv("x", 1, 4, 3, bias=True)])
    return g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])


def _head(g: Graph, x: str) -> str:
    return g.node("Gemm", [x, g.weight((3, 36)), g.weight((3,))], transB=1)


def _layers(run: Run, path: Path) -> list[tuple[str, list[int], int, int]]:
    result = run("net", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return [
        (la["type"], la["output_shape"], la["params"], la["macs"])
        for la in json.loads(result.stdout)["layers"]
    ]


# conv: 4×6×6, 4·(1·3·3) + 4 = 40 params, 3·3·1·4·6·6 = 1296 macs; pool 4×3×3;
# flatten 36; Gemm 36·3 + 3 = 111 params, 36·3 = 108 macs
SMALL_CNN = [
    ("conv", [4, 6, 6], 40, 1296),
    ("relu", [4, 6, 6], 0, 0),
    ("maxpool", [4, 3, 3], 0, 0),
    ("flatten", [36], 0, 0),
    ("fc", [3], 111, 108),
]


def test_pytorchs_view_chain_reads_as_the_flatten(run: Run, tmp_path: Path) -> None:
    # the nodes torch.onnx.export (opset 13, dynamic batch) writes for x.view(x.size(0), -1)
    g = Graph((1, 8, 8))
    x = _small_cnn(g)
    size = g.node("Gather", [g.node("Shape", [x]), g.ints([0], ())], axis=0)
    batch = g.node("Unsqueeze", [size, g.ints([0])])
    target = g.node("Concat", [batch, g.ints([-1])], axis=0)
    viewed = g.save(tmp_path / "view.onnx", _head(g, g.node("Reshape", [x, target])), 13)
    g = Graph((1, 8, 8))
    flat = g.save(tmp_path / "flat.onnx", _head(g, g.node("Flatten", [_small_cnn(g)], axis=1)))
    assert _layers(run, viewed) == _layers(run, flat) == SMALL_CNN


def _with_cast_and_constants(g: Graph, x: str) -> str:
    # older opsets: Unsqueeze takes its axes as an attribute; Constant nodes, a Cast
    size = g.node("Gather", [g.node("Shape", [x]), g.constant([0], ())], axis=0)
    batch = g.node("Unsqueeze", [g.node("Cast", [size], to=TensorProto.INT64)], axes=[0])
    return g.node("Concat", [batch, g.constant([-1])], axis=0)


def _with_slice_squeeze_and_arithmetic(g: Graph, x: str) -> str:
    # Slice(Shape, 0, 1), Squeeze/Identity, ·1 and +0 on the batch, a features count of
    # 36 computed as 72 / 2 − 0
    batch = g.node("Slice", [g.node("Shape", [x]), g.ints([0]), g.ints([1])])
    batch = g.node("Identity", [g.node("Squeeze", [batch, g.ints([0])])])
    batch = g.node("Add", [g.node("Mul", [batch, g.constant([1], ())]), g.ints([0], ())])
    features = g.node("Sub", [g.node("Div", [g.ints([72]), g.ints([2])]), g.ints([0])])
    unsqueezed = g.node("Unsqueeze", [batch, g.ints([0])])
    return g.node("Concat", [unsqueezed, features], axis=0)


def _with_constant_of_shape(g: Graph, x: str) -> str:
    # ConstantOfShape([1]) filled with −1, after the batch from Shape(start=0, end=1)
    batch = g.node("Shape", [x], start=0, end=1)
    fill = helper.make_tensor("fill", TensorProto.INT64, [1], [-1])
    rest = g.node("ConstantOfShape", [g.ints([1])], value=fill)
    return g.node("Concat", [batch, rest], axis=0)


@pytest.mark.parametrize(
    ("target", "opset"),
    [
        (_with_cast_and_constants, 11),
        (_with_slice_squeeze_and_arithmetic, 15),
        (_with_constant_of_shape, 15),
    ],
    ids=["cast-constants", "slice-arithmetic", "constant-of-shape"],
)
def test_other_shape_chains_fold_to_the_flatten(
    run: Run, tmp_path: Path, target: Any, opset: int
) -> None:
    g = Graph((1, 8, 8))
    x = _small_cnn(g)
    path = g.save(tmp_path / "m.onnx", _head(g, g.node("Reshape", [x, target(g, x)])), opset)
    assert _layers(run, path) == SMALL_CNN


def _size_of_axis_2(g: Graph, x: str) -> tuple[str, str]:
    height = g.node("Gather", [g.node("Shape", [x]), g.ints([2])], axis=0)
    return g.node("Concat", [g.ints([1]), height, g.ints([-1])], axis=0), (
        f"node {height} (Gather) takes a size other than the batch from the Shape of "
        f"'{x}'; only item 0, the batch, is known while reading"
    )


def _nonzero(g: Graph, x: str) -> tuple[str, str]:
    nonzero = g.node("NonZero", [x])
    count = g.node("Shape", [nonzero], start=1)
    return g.node("Concat", [g.ints([1]), count], axis=0), (
        f"node {nonzero} (NonZero) depends on the values of the data"
    )


def _graph_input(g: Graph, x: str) -> tuple[str, str]:
    return "target", "it comes from the graph input 'target', given at run time"


def _twice_the_batch(g: Graph, x: str) -> tuple[str, str]:
    size = g.node("Gather", [g.node("Shape", [x]), g.ints([0])], axis=0)
    twice = g.node("Mul", [size, g.ints([2])])
    return g.node("Concat", [twice, g.ints([-1])], axis=0), (
        f"node {twice} (Mul) computes with the batch size, which is free"
    )


@pytest.mark.parametrize(
    "target", [_size_of_axis_2, _nonzero, _graph_input, _twice_the_batch], ids=lambda f: f.__name__
)
def test_a_reshape_target_that_cannot_be_folded_is_refused(
    run: Run, tmp_path: Path, target: Any
) -> None:
    g = Graph((1, 8, 8))
    x = _small_cnn(g)
    shape, why = target(g, x)
    reshape = g.node("Reshape", [x, shape])
    given = helper.make_tensor_value_info("target", TensorProto.INT64, [2])
    path = g.save(tmp_path / "m.onnx", _head(g, reshape), 17, (given,))
    result = run("net", str(path))
    assert_error(
        result,
        1,
        f"m.onnx: node {reshape}: the Reshape's target shape is not known while reading: {why}",
    )


def test_a_bias_that_is_computed_but_cannot_be_folded_is_refused(run: Run, tmp_path: Path) -> None:
    g = Graph((1, 4, 4))
    w = g.weight((1,))  # shape-only: it holds no values to multiply
    product = g.node("Mul", [w, g.weight((1,))])
    path = g.save(tmp_path / "m.onnx", g.node("Add", [g.conv("x", 1, 2, 3), product]))
    assert_error(
        run("net", str(path)),
        1,
        f"m.onnx: node add6 adds '{product}', whose size is not known while reading: the "
        f"stored tensor '{w}' holds no values",
    )


def test_a_bias_folded_from_stored_values_counts_its_items(run: Run, tmp_path: Path) -> None:
    g = Graph((1, 4, 4))
    bias = g.node("Identity", [g.node("Add", [g.ints([1, 2]), g.ints([3, 4])])])
    path = g.save(tmp_path / "m.onnx", g.node("Add", [g.conv("x", 1, 2, 3), bias]))
    # conv 2×2×2: 2·(1·3·3) = 18 params; the bias adds its 2 items
    assert [la[2] for la in _layers(run, path)] == [18, 2]
