"""`convcli net`: receptive field, jump and effective padding against the published table
of google-research/receptive_field, parameter and multiply-add counts against published
figures and a hand formula, every format, the explanation, and the errors."""

from __future__ import annotations

import csv
import io
import json
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli import net as N
from convcli import netread
from tests.conftest import SAMPLES, Run, assert_error

# TF-Slim's VGG-16 and AlexNet v2 as chains: 'SAME' 3×3 convolutions pad 1 on each side at
# every size these nets reach; pools are 'VALID'.
VGG16 = (
    "conv 64 k3 p1 @conv1_1; conv 64 k3 p1 @conv1_2; maxpool k2 @pool1; "
    "conv 128 k3 p1 @conv2_1; conv 128 k3 p1 @conv2_2; maxpool k2 @pool2; "
    "conv 256 k3 p1 @conv3_1; conv 256 k3 p1 @conv3_2; conv 256 k3 p1 @conv3_3; maxpool k2 @pool3; "
    "conv 512 k3 p1 @conv4_1; conv 512 k3 p1 @conv4_2; conv 512 k3 p1 @conv4_3; maxpool k2 @pool4; "
    "conv 512 k3 p1 @conv5_1; conv 512 k3 p1 @conv5_2; conv 512 k3 p1 @conv5_3; maxpool k2 @pool5"
)
VGG16_HEAD = "; flatten; fc 4096; relu; fc 4096; relu; fc 1000"
ALEXNET_V2 = (
    "conv 64 k11 s4 pvalid @conv1; maxpool k3 s2 @pool1; conv 192 k5 psame @conv2; "
    "maxpool k3 s2 @pool2; conv 384 k3 psame @conv3; conv 384 k3 psame @conv4; "
    "conv 256 k3 psame @conv5; maxpool k3 s2 @pool5"
)

# Published by google-research/receptive_field, receptive_field/RECEPTIVE_FIELD_TABLE.md
# (resolution 224): end-point → (receptive field, effective stride, effective padding).
PUBLISHED_VGG16 = {
    "conv1_1": (3, 1, 1), "pool1": (6, 2, 2), "conv2_1": (10, 2, 4), "pool2": (16, 4, 6),
    "conv3_1": (24, 4, 10), "conv3_2": (32, 4, 14), "pool3": (44, 8, 18),
    "conv4_1": (60, 8, 26), "conv4_2": (76, 8, 34), "pool4": (100, 16, 42),
    "conv5_1": (132, 16, 58), "conv5_2": (164, 16, 74), "pool5": (212, 32, 90),
}  # fmt: skip
PUBLISHED_ALEXNET_V2 = {
    "conv1": (11, 4, 0), "pool1": (19, 8, 0), "conv2": (51, 8, 16), "conv3": (99, 16, 32),
    "conv4": (131, 16, 48), "conv5": (163, 16, 64), "pool5": (195, 32, 64),
}  # fmt: skip
# The same table's FLOPs (billions) at the last pooling layer, 224×224: 2 per
# multiply-add plus the bias additions.
PUBLISHED_GFLOPS = {"vgg16": 30.713, "alexnet_v2": 1.380}


def walk(text: str, shape: tuple[int, ...]) -> N.Net:
    return N.walk(netread.parse_inline(text).layers, shape)


def by_name(net: N.Net) -> dict[str, N.Step]:
    return {s.name: s for s in net.steps}


@pytest.mark.parametrize(
    ("text", "published"),
    [(VGG16, PUBLISHED_VGG16), (ALEXNET_V2, PUBLISHED_ALEXNET_V2)],
    ids=["vgg_16", "alexnet_v2"],
)
def test_receptive_field_jump_and_padding_equal_the_published_table(
    text: str, published: dict[str, tuple[int, int, int]]
) -> None:
    steps = by_name(walk(text, (3, 224, 224)))
    for name, (rf, stride, padding) in published.items():
        step = steps[name]
        assert step.rf == (rf, rf), name
        assert step.jump == (stride, stride), name
        assert step.padding == (padding, padding), name
        # Araujo et al.: the first cell's centre is (r − 1)/2 − P
        assert step.start == (Fraction(rf - 1, 2) - padding,) * 2, name


@pytest.mark.parametrize(("text", "key"), [(VGG16, "vgg16"), (ALEXNET_V2, "alexnet_v2")])
def test_multiply_adds_match_the_published_flops(text: str, key: str) -> None:
    net = walk(text, (3, 224, 224))
    assert 2 * net.macs / 1e9 == pytest.approx(PUBLISHED_GFLOPS[key], rel=0.005)


def test_vgg16_parameters_and_multiply_adds_equal_the_published_counts() -> None:
    net = walk(VGG16 + VGG16_HEAD, (3, 224, 224))
    # torchvision's model table: VGG16 138,357,544 params, 15.47 GFLOPS (multiply-adds)
    assert net.params == 138_357_544
    assert round(net.macs / 1e9, 2) == 15.47
    assert net.output.shape == (1000,)


def test_multiply_adds_are_the_sum_of_the_hand_formula() -> None:
    net = walk("conv 6 k5 s2 p2 g3; conv 4 k3,1 d2 nobias; avgpool k2; fc 7", (3, 20, 16))
    # conv 1: 10×8 out, k 5×5, C_in/g = 1; conv 2: 6×8 out (10 − 4 = 6), C_in/g = 6
    first = 5 * 5 * 1 * 6 * 10 * 8
    second = 3 * 1 * 6 * 4 * 6 * 8
    fc = (4 * 3 * 4) * 7
    assert [s.macs for s in net.steps] == [first, second, 0, fc]
    assert [s.params for s in net.steps] == [5 * 5 * 1 * 6 + 6, 3 * 1 * 6 * 4, 0, 48 * 7 + 7]


def test_start_is_exact_and_may_be_a_half() -> None:
    net = walk(VGG16, (3, 224, 224))
    assert by_name(net)["pool5"].start == (Fraction(31, 2), Fraction(31, 2))


def test_transposed_convolution_divides_the_jump_by_its_stride() -> None:
    net = walk("conv 4 k3 s2 p1; tconv 2 k2 s2", (1, 8, 8))
    step = net.steps[1]
    assert step.shape == (2, 8, 8)
    assert step.jump == (1, 1)
    # r = 3 + 1·(2−1)·2/2 = 4; start = 0 + (0 − 1/2)·2/2 = −1/2; P = 1 + 1·1 = 2
    assert step.rf == (4, 4)
    assert step.start == (Fraction(-1, 2),) * 2
    assert step.padding == (2, 2)


def test_one_and_three_dimensional_chains() -> None:
    one = walk("conv 8 k5 s2 p2; maxpool k3 s2 ceil; gap; fc 3", (2, 100))
    assert [s.shape for s in one.steps] == [(8, 50), (8, 25), (8, 1), (3,)]
    three = walk("conv 16 k3,7,7 s1,2,2 p1,3,3; maxpool k1,3,3 s1,2,2 p0,1,1", (3, 16, 112, 112))
    assert [s.shape for s in three.steps] == [(16, 16, 56, 56), (16, 16, 28, 28)]
    assert three.steps[1].rf == (3, 11, 11)
    assert three.steps[1].jump == (1, 4, 4)


def test_unaligned_paths_keep_the_largest_field_and_say_so(run: Run) -> None:
    layers = json.dumps(
        [
            {"type": "conv", "out": 4, "kernel": 2, "name": "a"},
            {"type": "conv", "out": 4, "kernel": 2, "name": "b", "inputs": [0]},
            {"type": "conv", "out": 4, "kernel": 1, "name": "c", "inputs": ["b"]},
            {"type": "add", "inputs": ["a", "c"]},
        ]
    )
    source = netread.parse_json(layers, "net.json")
    net = N.walk(source.layers, (1, 5, 5))
    assert net.output.rf == (2, 2)
    assert not net.notes  # both paths are centred at 1/2
    shifted = json.loads(layers)
    shifted[2]["kernel"] = 3
    shifted[2]["padding"] = [0, 2, 0, 2]  # same size, field shifted: not aligned
    net = N.walk(netread.parse_json(json.dumps(shifted), "net.json").layers, (1, 5, 5))
    assert net.output.rf == (4, 4)
    assert net.notes == (
        "layer 4 (add): the paths are not aligned on the height: their receptive fields are "
        "centred at 1/2, 3/2; the largest (4) is kept",
        "layer 4 (add): the paths are not aligned on the width: their receptive fields are "
        "centred at 1/2, 3/2; the largest (4) is kept",
    )


def test_a_concat_sums_the_channels() -> None:
    text = json.dumps(
        [
            {"type": "conv", "out": 4, "kernel": 1, "name": "a"},
            {"type": "conv", "out": 6, "kernel": 3, "padding": 1, "inputs": ["input"], "name": "b"},
            {"type": "concat", "inputs": ["a", "b"]},
        ]
    )
    net = N.walk(netread.parse_json(text, "net.json").layers, (2, 9, 9))
    assert net.output.shape == (10, 9, 9)
    assert net.output.rf == (3, 3)


# --- the command line --------------------------------------------------------------------


def test_table_lists_every_layer_and_the_totals(run: Run) -> None:
    result = run("net", "conv 8 k3 s2 p1; maxpool k2; fc 10", "-i", "3,32,32", "-f", "table")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "#  name      type     output   k  s  p  d  g  rf  jump  eff. pad  start  params  "
        "mult-adds  activations\n"
        "0  input              3×32×32                  1     1         0      0                "
        "           3,072\n"
        "1  conv1     conv     8×16×16  3  2  1  1  1   3     2         1      0     224     "
        "55,296        2,048\n"
        "2  maxpool2  maxpool  8×8×8    2  2  0  1      5     4         1      1       0          "
        "0          512\n"
        "3  fc3       fc       10                      33    32         1     15   5,130      "
        "5,120           10\n"
        "total: 5,354 params (5.35 k), 60,416 multiply-adds (60.42 k), 2,570 activations; "
        "output 10, receptive field 33×33\n"
    )


def test_json_has_the_documented_keys(run: Run) -> None:
    result = run("net", "conv 8 k3 s2 p1 @stem; maxpool k2", "-i", "3,32,32", "-f", "json")
    data = json.loads(result.stdout)
    assert data["command"] == "net"
    assert data["input_shape"] == [3, 32, 32]
    first, second = data["layers"]
    assert {"name", "type", "output_shape", "receptive_field", "jump", "effective_padding",
            "start", "params", "macs", "activations"} <= set(first)  # fmt: skip
    assert first["name"] == "stem"
    assert second["start"] == [1, 1]
    assert data["total"] == {"params": 224, "macs": 55296, "activations": 2560,
                             "receptive_field": [5, 5]}  # fmt: skip


def test_json_writes_a_half_as_an_exact_fraction(run: Run) -> None:
    result = run("net", "conv 1 k2", "-i", "1,4,4", "-f", "json")
    assert json.loads(result.stdout)["layers"][0]["start"] == ["1/2", "1/2"]


def test_csv_has_a_column_per_axis_and_a_total_row(run: Run) -> None:
    result = run("net", "conv 2 k3,1; fc 2", "-i", "1,5,4", "-f", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][9:13] == ["receptive_field_h", "receptive_field_w", "jump_h", "jump_w"]
    assert rows[1][:4] == ["1", "conv1", "conv", "2x3x4"]
    assert rows[1][9:11] == ["3", "1"]
    assert rows[-1][0] == "total"
    # params 2·1·3·1 + 2 and 24·2 + 2; multiply-adds 2·3·4·3 and 24·2; activations 24 + 2
    assert rows[-1][-3:] == ["58", "120", "26"]


def test_plain_is_the_output_shape(run: Run) -> None:
    result = run("net", "conv 8 k3; maxpool k2", "-i", "3,10,10", "-f", "plain")
    assert result.stdout == "8 4 4\n"


def test_pipe_default_is_csv(run: Run) -> None:
    result = run("net", "conv 8 k3", "-i", "3,10,10")
    assert result.stdout.startswith("index,name,type,")


def test_markdown_and_latex_tables(run: Run) -> None:
    md = run("net", "conv 8 k3", "-i", "3,10,10", "-f", "markdown").stdout
    assert md.splitlines()[0].startswith("| # | name | type | output |")
    assert "| 1 | conv1 | conv | 8×8×8 | 3 |" in md
    tex = run("net", "conv 8 k3", "-i", "3,10,10", "-f", "latex", "--explain").stdout
    assert tex.startswith("\\begin{tabular}{")
    assert "8$\\times$8$\\times$8" in tex
    assert "\\begin{align*}" in tex
    assert "r &= r_{in} + d \\cdot (k-1) \\cdot j_{in} = 1 + 1 \\cdot (3-1) \\cdot 1 = 3" in tex


def test_explain_substitutes_every_formula(run: Run) -> None:
    result = run("net", "conv 8 k3 s2 p1; maxpool k2", "-i", "3,32,32", "-f", "table", "-e")
    text = result.stdout.split("\n\n", 1)[1]
    assert text == (
        "layer 1 conv (conv1): 3×32×32 → 8×16×16\n"
        "  h' = ⌊(h + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(32 + 2 − 2 − 1) / 2⌋ + 1 = 16\n"
        "  w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(32 + 2 − 2 − 1) / 2⌋ + 1 = 16\n"
        "  r = r_in + d·(k−1)·j_in = 1 + 1·(3−1)·1 = 3\n"
        "  j = j_in·s = 1·2 = 2\n"
        "  start = start_in + (d·(k−1)/2 − p₁)·j_in = 0 + (1·(3−1)/2 − 1)·1 = 0\n"
        "  P = P_in + p₁·j_in = 0 + 1·1 = 1\n"
        "  params = 8·3·3·3 + 8 = 224\n"
        "  multiply-adds = 8·16·16·3·3·3 = 55,296\n"
        "\n"
        "layer 2 maxpool (maxpool2): 8×16×16 → 8×8×8\n"
        "  h' = ⌊(h + 2p − k) / s⌋ + 1 = ⌊(16 + 2·0 − 2) / 2⌋ + 1 = 8\n"
        "  w' = ⌊(w + 2p − k) / s⌋ + 1 = ⌊(16 + 2·0 − 2) / 2⌋ + 1 = 8\n"
        "  r = r_in + d·(k−1)·j_in = 3 + 1·(2−1)·2 = 5\n"
        "  j = j_in·s = 2·2 = 4\n"
        "  start = start_in + (d·(k−1)/2 − p₁)·j_in = 0 + (1·(2−1)/2 − 0)·2 = 1\n"
        "  P = P_in + p₁·j_in = 1 + 0·2 = 1\n"
    )
    data = json.loads(run("net", "conv 8 k3", "-i", "3,5,5", "-f", "json", "-e").stdout)
    assert data["layers"][0]["formulas"][2] == "r = r_in + d·(k−1)·j_in = 1 + 1·(3−1)·1 = 3"


def test_explain_writes_each_axis_when_they_differ(run: Run) -> None:
    result = run("net", "conv 1 k3,1 s1,2", "-i", "1,5,6", "-f", "table", "-e")
    assert "  r_h = r_in + d·(k−1)·j_in = 1 + 1·(3−1)·1 = 3\n" in result.stdout
    assert "  j_w = j_in·s = 1·2 = 2\n" in result.stdout


def test_samples_run(run: Run) -> None:
    for name, shape in (("vgg16.json", "3,224,224"), ("resnet_small.json", None),
                        ("signal1d.toml", None), ("alexnet.txt", "3,224,224")):  # fmt: skip
        args = ["net", str(SAMPLES / name), "-f", "json"] + (["-i", shape] if shape else [])
        result = run(*args)
        assert result.exit_code == 0, (name, result.stderr)
    vgg = json.loads(run("net", str(SAMPLES / "vgg16.json"), "-f", "json").stdout)
    assert vgg["total"]["params"] == 138_357_544
    # torchvision's table: AlexNet 61,100,840 params
    alex = json.loads(
        run("net", str(SAMPLES / "alexnet.txt"), "-i", "3,224,224", "-f", "json").stdout
    )
    assert alex["total"]["params"] == 61_100_840


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["conv 8 k3; conv 4 k3", "-i", "3,6,6", "--format", "json"], []),
        (
            ["conv 8 k3; conv 4 k3; conv 2 k3", "-i", "3,6,6"],
            [
                "layer 3 (conv): the height 2 would shrink below 1: the kernel height 3 is "
                "larger than the padded input height 2 (2 + 0 + 0)"
            ],
        ),
        (
            ["conv 8 k3; maxpool k5 @p", "-i", "3,6,6"],
            [
                "layer 2 (maxpool p): the height 4 would shrink below 1: the window height 5 "
                "is larger than the padded input height 4"
            ],
        ),
        (["conv 8 k3; convv 2", "-i", "3,8,8"], ["layer 2: unknown layer type 'convv'"]),
        (
            ["conv 8 k3 x7", "-i", "3,8,8"],
            [
                "layer 1 (conv): unknown token 'x7' (conv takes a number, kN, sN, pN, dN, gN, "
                "nobias, @name)"
            ],
        ),
        (["relu 3", "-i", "3,8,8"], ["layer 1 (relu): unknown token '3'"]),
        (
            ["conv 8 k3 g3", "-i", "4,8,8"],
            ["layer 1 (conv): groups 3 must divide the 4 input and 8 output channels"],
        ),
        (["conv 8", "-i", "3,8,8"], ["layer 1 (conv): needs a kernel size"]),
        (
            ["fc 3; conv 2 k1", "-i", "3,8,8"],
            ["layer 2 (conv): needs a feature map, but the input is already flat"],
        ),
        (
            ["conv 8 k3,3,3", "-i", "3,8,8"],
            ["layer 1 (conv): the kernel has 3 values; the input has 2 spatial axes"],
        ),
        (["conv 8 k3 pbig", "-i", "3,8,8"], ["layer 1 (conv): unknown padding 'pbig'"]),
        (["tconv 8 k3 s2 op2", "-i", "3,8,8"], ["layer 1 (tconv): output padding 2 must be"]),
        (["tconv 8 k3 psame", "-i", "3,8,8"], ["layer 1 (tconv): a transposed convolution"]),
        (["nothing.json", "-i", "3,8,8"], ["nothing.json: no such file"]),
        ([" ; ", "-i", "3,8,8"], ["no layers"]),
    ],
)
def test_bad_networks_give_one_error_line(run: Run, args: list[str], needles: list[str]) -> None:
    result = run("net", *args)
    if not needles:
        assert result.exit_code == 0
        return
    assert_error(result, 1, *needles)


def test_channel_mismatch_names_the_layer(run: Run, tmp_path) -> None:
    text = tmp_path / "model.txt"
    text.write_text(
        "Sequential(\n  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (1): ReLU()\n  (2): Conv2d(32, 64, kernel_size=(3, 3), stride=(1, 1))\n)\n"
    )
    assert_error(
        run("net", str(text), "-i", "3,8,8"),
        1,
        "layer 3 (conv 2): expects 32 input channels, gets 64",
    )
    assert_error(
        run("net", str(text), "-i", "1,8,8"),
        1,
        "layer 1 (conv 0): expects 3 input channels, gets 1",
    )


def test_input_shape_is_a_usage_error_when_missing_or_malformed(run: Run) -> None:
    assert_error(run("net", "conv 8 k3"), 2, "Missing option '--input-shape'")
    assert_error(run("net", "conv 8 k3", "-i", "3"), 2, "--input-shape")
    assert_error(run("net", "conv 8 k3", "-i", "3,a"), 2, "--input-shape")


def test_a_200_layer_network_is_summarised_quickly(run: Run) -> None:
    text = "; ".join(["conv 16 k3 p1", "bn", "relu", "conv 16 k3 p1 g4"] * 50)
    start = time.perf_counter()
    result = run("net", text, "-i", "16,64,64", "-f", "table", "--explain")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0
    assert result.stdout.count("\nlayer ") == 200
    assert elapsed < 0.5, elapsed


def test_markdown_explains_each_layer_as_a_list(run: Run) -> None:
    result = run("net", "conv 2 k3 s2", "-i", "1,9,9", "-f", "markdown", "-e")
    assert result.stdout.endswith(
        "**layer 1 conv (conv1): 1×9×9 → 2×4×4**\n\n"
        "- `h' = ⌊(h + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(9 + 0 − 2 − 1) / 2⌋ + 1 = 4`\n"
        "- `w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(9 + 0 − 2 − 1) / 2⌋ + 1 = 4`\n"
        "- `r = r_in + d·(k−1)·j_in = 1 + 1·(3−1)·1 = 3`\n"
        "- `j = j_in·s = 1·2 = 2`\n"
        "- `start = start_in + (d·(k−1)/2 − p₁)·j_in = 0 + (1·(3−1)/2 − 0)·1 = 1`\n"
        "- `P = P_in + p₁·j_in = 0 + 0·1 = 0`\n"
        "- `params = 2·1·3·3 + 2 = 20`\n"
        "- `multiply-adds = 2·4·4·1·3·3 = 288`\n"
    )


def test_net_loads_neither_numpy_nor_rich() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.argv = ['convcli', 'net', 'conv 8 k3; fc 2', '-i', '3,8,8', '-f', 'table']\n"
        "from convcli.cli.base import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'rich') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"


TOKENS = ["conv", "tconv", "maxpool", "fc", "gap", "flatten", "add", "8", "k3", "k0", "s2",
          "p1", "p9", "psame", "op1", "d2", "g2", "g0", "0", "ceil", "@a", ";", "x", "k3,3,3",
          "adaptiveavgpool", "lppool", "bn", "relu", ".json", "p-1"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12),
    st.sampled_from(["1,6", "2,7,7", "1,3,5,5"]),
)
def test_any_layer_text_gives_a_result_or_one_error_line(words: list[str], shape: str) -> None:
    from typer.testing import CliRunner

    from convcli.cli import app

    result = CliRunner().invoke(app, ["net", " ".join(words), "-i", shape, "-f", "json"])
    assert result.exit_code in (0, 1), (words, result.output)
    if result.exit_code == 1:
        assert_error(result, 1)
