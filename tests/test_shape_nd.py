"""`convcli shape --dims 1|2|3`: every axis against the textbook formulas written here."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from tests.conftest import Run, assert_error

LETTERS = {1: ("w",), 2: ("h", "w"), 3: ("D", "h", "w")}  # d is the dilation
NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# --- the oracle: Dumoulin & Visin's formulas, one axis at a time -----------------------------


def word_pads(word: str, n: int, k: int, s: int, d: int) -> tuple[int, int]:
    span = d * (k - 1) + 1
    if word == "valid":
        return (0, 0)
    if word == "full":
        return (d * (k - 1), d * (k - 1))
    out = -(-n // s)  # TensorFlow's SAME: ⌈n/s⌉ outputs
    total = max((out - 1) * s + span - n, 0)
    small, large = total // 2, total - total // 2
    return (small, large) if word == "same" else (large, small)


def conv_out(n: int, k: int, s: int, d: int, before: int, after: int) -> int:
    return (n + before + after - d * (k - 1) - 1) // s + 1


def transpose_out(n: int, k: int, s: int, d: int, before: int, after: int, op: int) -> int:
    return (n - 1) * s - before - after + d * (k - 1) + op + 1


def pool_out(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    top = n + 2 * p - k
    out = (-(-top // s) if ceil_mode else top // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # PyTorch: the last window starts inside
        out -= 1
    return out


def csv(values: list[int]) -> str:
    return ",".join(map(str, values))


def shape_json(run: Run, *args: str) -> dict[str, Any]:
    result = run("shape", *args, "--format", "json")
    assert result.exit_code == 0, (args, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def layer(rng: random.Random, dims: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Random sizes, kernels, strides, dilations where every axis has an output."""
    kernels = [rng.randint(1, 5) for _ in range(dims)]
    dilations = [rng.randint(1, 3) for _ in range(dims)]
    strides = [rng.randint(1, 4) for _ in range(dims)]
    sizes = [d * (k - 1) + 1 + rng.randint(0, 20) for k, d in zip(kernels, dilations, strict=True)]
    return sizes, kernels, strides, dilations


DIMS_SEEDS = [(dims, seed) for dims in (1, 2, 3) for seed in range(12)]


@pytest.mark.parametrize(("dims", "seed"), DIMS_SEEDS)
def test_convolution_sizes_match_the_formula_on_every_axis(run: Run, dims: int, seed: int) -> None:
    rng = random.Random(seed * 10 + dims)
    sizes, kernels, strides, dilations = layer(rng, dims)
    form = rng.choice(["one", "n", "2n", "valid", "same", "same-lower", "full"])
    if form == "one":
        p = rng.randint(0, 3)
        text, pads = str(p), [(p, p)] * dims
    elif form == "n":
        ps = [rng.randint(0, 3) for _ in range(dims)]
        text, pads = csv(ps), [(p, p) for p in ps]
    elif form == "2n":
        flat = [rng.randint(0, 3) for _ in range(2 * dims)]
        text, pads = csv(flat), [(flat[2 * i], flat[2 * i + 1]) for i in range(dims)]
    else:
        text = form
        pads = [
            word_pads(form, *axis) for axis in zip(sizes, kernels, strides, dilations, strict=True)
        ]
    args = ["--dims", str(dims), "--size", csv(sizes), "-k", csv(kernels)]
    args += ["-s", csv(strides), "-d", csv(dilations), "-p", text]
    expected = [
        conv_out(n, k, s, d, b, a)
        for n, k, s, d, (b, a) in zip(sizes, kernels, strides, dilations, pads, strict=True)
    ]
    out = shape_json(run, *args)
    assert out["input"] == sizes
    assert out["output"] == expected
    assert out["padding"] == [side for pair in pads for side in pair]
    assert out["kernel"] == kernels
    assert out["stride"] == strides
    assert out["dilation"] == dilations
    assert run("shape", *args, "-f", "plain", "-q").stdout == " ".join(map(str, expected)) + "\n"
    table = run("shape", *args, "-f", "table", "-q").stdout.splitlines()
    assert table[0].startswith("input " + "×".join(map(str, sizes)) + "  kernel ")
    assert table[-1] == "output " + "×".join(map(str, expected))
    formulas = [line for line in table if "' = " in line]
    assert [line.split("'")[0] for line in formulas] == list(LETTERS[dims])
    assert [int(line.rsplit("= ", 1)[1]) for line in formulas] == expected


@pytest.mark.parametrize(("dims", "seed"), DIMS_SEEDS)
def test_transposed_sizes_with_output_padding(run: Run, dims: int, seed: int) -> None:
    rng = random.Random(1000 + seed * 10 + dims)
    sizes, kernels, strides, dilations = layer(rng, dims)
    ops = [rng.randint(0, max(s, d) - 1) for s, d in zip(strides, dilations, strict=True)]
    pads = [(rng.randint(0, 2), rng.randint(0, 2)) for _ in range(dims)]
    expected = [
        transpose_out(n, k, s, d, b, a, op)
        for n, k, s, d, (b, a), op in zip(
            sizes, kernels, strides, dilations, pads, ops, strict=True
        )
    ]
    if min(expected) < 1:
        pads = [(0, 0)] * dims
        expected = [
            transpose_out(n, k, s, d, 0, 0, op)
            for n, k, s, d, op in zip(sizes, kernels, strides, dilations, ops, strict=True)
        ]
    flat = [side for pair in pads for side in pair]
    out = shape_json(
        run, "-D", str(dims), "-n", csv(sizes), "-k", csv(kernels), "-s", csv(strides),
        "-d", csv(dilations), "-p", csv(flat), "--transpose", "--output-padding", csv(ops),
    )  # fmt: skip
    assert out["output"] == expected
    assert out["output_padding"] == ops
    assert out["padding"] == flat


@pytest.mark.parametrize(("dims", "seed"), DIMS_SEEDS)
def test_pooling_sizes(run: Run, dims: int, seed: int) -> None:
    rng = random.Random(2000 + seed * 10 + dims)
    windows = [rng.randint(1, 4) for _ in range(dims)]
    strides = [rng.randint(1, 4) for _ in range(dims)]
    pads = [rng.randint(0, w // 2) for w in windows]
    sizes = [w + rng.randint(0, 15) for w in windows]
    ceil_mode = rng.random() < 0.5
    args = ["-D", str(dims), "-n", csv(sizes), "-k", csv(windows), "-s", csv(strides)]
    args += ["-p", csv(pads), "--pool", *(["--ceil-mode"] if ceil_mode else [])]
    out = shape_json(run, *args)
    assert out["output"] == [
        pool_out(n, k, s, p, ceil_mode)
        for n, k, s, p in zip(sizes, windows, strides, pads, strict=True)
    ]
    assert out["padding"] == [p for p in pads for _ in (0, 1)]


def test_pool_stride_defaults_to_the_window_on_every_axis(run: Run) -> None:
    out = shape_json(run, "-D", "3", "-n", "9,8,7", "-k", "3,2,1", "--pool")
    assert out["stride"] == [3, 2, 1]
    assert out["output"] == [3, 4, 7]


@pytest.mark.parametrize(("dims", "seed"), DIMS_SEEDS)
@pytest.mark.parametrize("transpose", [False, True])
def test_target_solutions_reach_the_target(run: Run, dims: int, seed: int, transpose: bool) -> None:
    rng = random.Random(3000 + seed * 10 + dims + transpose)
    sizes, kernels, strides, dilations = layer(rng, dims)
    if transpose:
        goals = [
            transpose_out(n, k, s, d, 0, 0, 0) - rng.randint(0, 3)
            for n, k, s, d in zip(sizes, kernels, strides, dilations, strict=True)
        ]
    else:
        goals = [
            conv_out(n, k, s, d, 0, 0) + rng.randint(0, 2)
            for n, k, s, d in zip(sizes, kernels, strides, dilations, strict=True)
        ]
    goals = [max(g, 1) for g in goals]
    args = ["--dims", str(dims), "-n", csv(sizes), "-k", csv(kernels), "-s", csv(strides)]
    args += ["-d", csv(dilations), "--target", csv(goals), *(["--transpose"] if transpose else [])]
    out = shape_json(run, *args)
    assert out["target"] == goals
    assert out["output"] == goals
    assert list(out["solutions"]) == list(NAMES[dims])
    pads = out["padding"]
    assert len(pads) == 2 * dims
    ops = out.get("output_padding", [0] * dims)
    for i, (n, k, s, d) in enumerate(zip(sizes, kernels, strides, dilations, strict=True)):
        b, a = pads[2 * i], pads[2 * i + 1]
        reached = (
            transpose_out(n, k, s, d, b, a, ops[i]) if transpose else conv_out(n, k, s, d, b, a)
        )
        assert reached == goals[i]
        for j, (b2, a2) in enumerate(out["solutions"][NAMES[dims][i]]["paddings"]):
            op = out["solutions"][NAMES[dims][i]]["output_paddings"][j] if transpose else 0
            again = (
                transpose_out(n, k, s, d, b2, a2, op) if transpose else conv_out(n, k, s, d, b2, a2)
            )
            assert again == goals[i]
    plain = run("shape", *args, "-f", "plain", "-q").stdout
    assert plain == " ".join(map(str, pads)) + "\n"
    table = run("shape", *args, "-f", "table", "-q").stdout
    use = f"use: --padding {csv(pads)}"
    if transpose:
        use += f" --output-padding {csv(ops)}"
    assert table.splitlines()[-1] == use


# --- exact text of the 1-D and 3-D forms ------------------------------------------------------


def test_one_d_is_the_width_alone(run: Run) -> None:
    args = ("shape", "--dims", "1", "-w", "10", "-k", "3", "-s", "2")
    assert run(*args, "-f", "plain").stdout == "4\n"
    assert run(*args, "-f", "csv").stdout == "width\n4\n"
    assert run(*args, "-f", "table", "-q").stdout == (
        "input 10  kernel 3\n"
        "w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(10 + 0 − 2 − 1) / 2⌋ + 1 = 4\n"
        "w: no padding, stride 2 (relationship 5): o = ⌊(i − k) / s⌋ + 1 = ⌊(10 − 3) / 2⌋ + 1 = 4;"
        " the remainder (i + 2p − k) mod s = 1 is padded input that no window reaches\n"
        "output 4\n"
    )
    assert run(*args, "-f", "plain").stderr == (
        "note: w: 7 / 2 is not whole (remainder 1): column 9 of the padded input is never read\n"
    )
    assert run("shape", "-D", "1", "--size", "10", "-k", "3", "-f", "plain").stdout == "8\n"


def test_three_d_formats(run: Run) -> None:
    args = ("shape", "-D", "3", "--size", "7,6,5", "-k", "3", "-p", "same-lower", "-s", "2")
    assert run(*args, "-f", "csv").stdout == "depth,height,width\n4,3,3\n"
    table = run(*args, "-f", "table").stdout
    assert table == (
        "input 7×6×5  kernel 3×3×3\n"
        "D' = ⌊(D + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(7 + 2 − 2 − 1) / 2⌋ + 1 = 4\n"
        "h' = ⌊(h + p₁ + p₂ − d·(k−1) − 1) / s⌋ + 1 = ⌊(6 + 1 + 0 − 2 − 1) / 2⌋ + 1 = 3\n"
        "w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(5 + 2 − 2 − 1) / 2⌋ + 1 = 3\n"
        "D: zero padding, stride 2 (relationship 6): o = ⌊(i + 2p − k) / s⌋ + 1"
        " = ⌊(7 + 2 − 3) / 2⌋ + 1 = 4\n"
        "w: zero padding, stride 2 (relationship 6): o = ⌊(i + 2p − k) / s⌋ + 1"
        " = ⌊(5 + 2 − 3) / 2⌋ + 1 = 3\n"
        "output 4×3×3\n"
    )
    markdown = run(*args, "-f", "markdown").stdout
    assert markdown.count("- `") == 5  # three formulas, two relationships
    assert markdown.endswith("**output 4×3×3**\n")
    latex = run(*args, "-f", "latex").stdout
    assert r"\text{input} &= 7 \times 6 \times 5, \quad \text{kernel } 3 \times 3 \times 3" in latex
    assert r"\text{output} &= 4 \times 3 \times 3" in latex
    assert latex.count("' &= ") == 3


def test_three_d_same_names_front_and_back_and_depth_planes(run: Run) -> None:
    table = run(
        "shape", "-D", "3", "-n", "6,6,6", "-k", "4", "-s", "1", "-p", "same", "-f", "table"
    )
    assert "same padding (D): max((⌈6/1⌉ − 1)·1 + 4 − 6, 0) = 3 → 1 front, 2 back" in table.stdout
    assert "→ 1 top, 2 bottom" in table.stdout
    assert "→ 1 left, 2 right" in table.stdout
    result = run("shape", "-D", "3", "-n", "6,7,6", "-k", "3", "-s", "2", "-f", "plain")
    assert result.stdout == "2 3 2\n"
    assert result.stderr == (
        "note: D: 3 / 2 is not whole (remainder 1): plane 5 of the padded input is never read; "
        "w: 3 / 2 is not whole (remainder 1): column 5 of the padded input is never read\n"
    )


def test_three_d_target_in_chinese_names_depth(run: Run) -> None:
    args = ("shape", "-D", "3", "-n", "8,8,8", "-k", "3", "--target", "8", "--lang", "zh")
    table = run(*args, "-f", "table").stdout
    assert table.splitlines()[0].startswith("深 8：")
    out = shape_json(run, *args[1:])
    assert list(out["solutions"]) == ["depth", "height", "width"]


def test_transposed_target_names_the_pytorch_class_of_the_dims(run: Run) -> None:
    args = ("shape", "-D", "1", "-w", "3", "-k", "3", "-s", "2", "--transpose", "--target", "6")
    assert run(*args, "-f", "table").stdout == (
        "width 6: padding before,after = 1,1 (output padding 1) [PyTorch], "
        "0,1 (output padding 0)\n"
        "[PyTorch]: ConvTranspose1d takes the padding as it is (the same before and after)\n"
        "use: --padding 1,1 --output-padding 1\n"
    )


def test_default_dims_is_two(run: Run) -> None:
    args = ("-w", "9", "-H", "7", "-k", "3", "-s", "2")
    assert run("shape", *args, "-f", "plain").stdout == "3 4\n"
    assert run("shape", "-D", "2", *args, "-f", "plain").stdout == "3 4\n"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-D", "3", "-n", "5,5"], "'--size' / '-n': size takes one number or 3 (D,H,W), got 2"),
        (["-D", "3", "-n", "5", "-k", "3,3"], "'--kernel-size' / '-k': kernel-size takes one"),
        (["-D", "3", "-n", "5", "-s", "1,2,1,2"], "'--stride' / '-s': stride takes one number"),
        (["-D", "3", "-n", "5", "-d", "1,2"], "'--dilation' / '-d': dilation takes one number"),
        (["-D", "3", "-n", "5", "--target", "2,2"], "'--target': target takes one number"),
        (["-D", "3", "-n", "5", "--transpose", "--output-padding", "0,0"], "'--output-padding'"),
        (["-D", "3", "-n", "5", "-p", "1,1,1,1"], "'--padding' / '-p': padding takes 1, 3"),
        (["-D", "1", "-w", "5", "-s", "1,2"], "'--stride' / '-s': stride takes one number with"),
        (["-D", "1", "-w", "5", "-p", "1,1,1"], "'--padding' / '-p': padding takes 1 or 2"),
        (["-D", "2", "-w", "5", "-k", "3,3,3"], "kernel-size takes one number or an H,W pair"),
        (["-D", "1", "-w", "5", "-H", "4"], "'--height': a 1-D input has no height"),
        (["-D", "3", "-w", "5"], "'--width': -w and -H give a 1-D or 2-D size"),
        (["-D", "3", "-n", "5", "-H", "5"], "'--height'"),
        (["-D", "3"], "Missing option '--size'"),
        (["-D", "1"], "Missing option '--width' (or '--size W')"),
        (["-D", "1", "-w", "5", "-n", "5"], "'--width': give the input size once"),
        (["-D", "4", "-w", "5"], "'--dims' / '-D'"),
        (["-D", "0", "-w", "5"], "'--dims' / '-D'"),
        (["-D", "3", "-n", "5", "--pool", "-k", "3", "-p", "same"], "'--padding': pooling"),
        (["-D", "3", "-n", "5", "--transpose", "-p", "same"], "'--padding': a transposed"),
        (["-D", "3", "-n", "5", "-p", "wide"], "'--padding' / '-p': padding must be N, D,H,W"),
    ],
)
def test_wrong_counts_are_usage_errors_naming_the_option(
    run: Run, args: list[str], needle: str
) -> None:
    assert_error(run("shape", *args), 2, needle)


def test_three_d_data_errors_name_the_axis(run: Run) -> None:
    result = run("shape", "-D", "3", "-n", "2,9,9", "-k", "3")
    assert_error(result, 1, "the kernel depth 3 is larger than the padded input depth 2")
    result = run("shape", "-D", "3", "-n", "4,4,4", "-k", "3", "--target", "1,2,2")
    assert_error(result, 1, "no padding gives a depth of 1 from 4: even with no padding")
