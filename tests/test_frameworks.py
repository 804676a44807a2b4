"""`convcli frameworks`: the rows, the formats, the refusals, and the SciPy, NumPy and
ONNX-reference snippets run on the grid of layers of ``tests/framework_cases.py``. (The
other frameworks' snippets run in tests_frameworks/, where those packages are installed.)"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from convcli import conv2d, conv_transpose2d
from convcli.frameworks import describe, rows
from tests.conftest import Run, assert_error
from tests.framework_cases import CASES, IDS, Case, check

NAMES = ["PyTorch", "TensorFlow", "JAX", "ONNX", "SciPy", "OpenCV"]


def frameworks_json(run: Run, *args: str) -> dict[str, Any]:
    result = run("frameworks", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in data["frameworks"]}


# --- the snippets that run with the test extra --------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_scipy_and_numpy_snippets_give_convclis_output(case: Case) -> None:
    row = check(case, "SciPy")
    assert row.code is not None


def _reference_computes_it(case: Case) -> bool:
    """onnx.reference's MaxPool and AveragePool are wrong on some padded and ceil-mode
    pools, and it fails on grouped ConvTranspose (onnxruntime is right on all of them:
    tests_frameworks/test_onnx.py); the row says so."""
    layer = case.layer()
    if layer.op == "transpose":
        return layer.groups == 1
    return layer.op != "pool" or not (any(layer.pads) or layer.ceil_mode)


@pytest.mark.parametrize(
    "case", [c for c in CASES if _reference_computes_it(c)], ids=lambda c: c.id
)
def test_the_onnx_snippet_gives_convclis_output_in_onnx_reference(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # the snippet's fallback path
    check(case, "ONNX")


@pytest.mark.parametrize(
    "case", [c for c in CASES if not _reference_computes_it(c)], ids=lambda c: c.id
)
def test_the_onnx_row_warns_where_onnx_reference_is_wrong(case: Case) -> None:
    row = next(r for r in rows(case.layer()) if r.name == "ONNX")
    warning = (
        "onnx.reference fails on a grouped ConvTranspose: use onnxruntime"
        if case.op == "transpose"
        else "onnx.reference gets some padded or ceil-mode pools wrong: use onnxruntime"
    )
    assert warning in row.notes


def test_the_grid_covers_what_the_issue_asks() -> None:
    layers = [case.layer() for case in CASES]
    assert {s for layer in layers for s in layer.stride} >= {1, 2, 3}
    assert {d for layer in layers for d in layer.dilation} >= {1, 2}
    assert {layer.word for layer in layers} >= {"valid", "same", "same-lower", "full"}
    assert any(not layer.symmetric for layer in layers)
    assert {k % 2 for layer in layers for k in layer.kernel} == {0, 1}
    assert {layer.groups for layer in layers} >= {1, 2, 3, 4}
    assert any(layer.op == "transpose" and any(layer.output_padding) for layer in layers)
    assert any(layer.op == "pool" and layer.ceil_mode for layer in layers)
    assert {layer.padding_mode for layer in layers} == {"zeros", "reflect", "replicate", "circular"}
    assert {layer.pool_op for layer in layers if layer.op == "pool"} == {"max", "avg", "min"}
    assert {layer.dims for layer in layers} == {1, 2, 3}
    assert any(layer.flip for layer in layers)


# --- the command ------------------------------------------------------------------------------


def test_tensorflow_same_at_stride_2_is_native_there_and_a_pad_in_pytorch(run: Run) -> None:
    data = frameworks_json(run, "-w", "6", "-k", "3", "-s", "2", "-p", "same")
    assert data["command"] == "frameworks"
    assert data["padding"] == [0, 1, 0, 1]  # the extra cell bottom and right
    assert data["output"] == [3, 3]
    rows_ = by_name(data)
    assert list(rows_) == NAMES
    for row in data["frameworks"]:
        assert set(row) == {"name", "native", "output", "code", "notes"}
        assert row["output"] == [3, 3]
    assert rows_["TensorFlow"]["native"] is True
    assert 'tf.nn.conv2d(xt, wt, [1, 2, 2, 1], "SAME"' in rows_["TensorFlow"]["code"]
    torch = rows_["PyTorch"]
    assert torch["native"] is False
    assert 'xt = F.pad(xt, (0, 1, 0, 1), mode="constant")' in torch["code"]
    assert "padding='same' refuses stride > 1" in " ".join(torch["notes"])
    assert 'auto_pad="SAME_UPPER"' in rows_["ONNX"]["code"]
    assert '"SAME"' in rows_["JAX"]["code"]


def test_a_snippet_from_the_command_runs_and_matches_convcli(run: Run) -> None:
    data = frameworks_json(run, "-w", "6", "-k", "3", "-s", "2", "-p", "same")
    x = np.arange(36).reshape(6, 6) % 7 - 3
    w = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    for name in ("SciPy", "ONNX"):
        scope: dict[str, Any] = {"x": x, "w": w, "b": 5}
        exec(by_name(data)[name]["code"], scope)
        want = conv2d(x, w, stride=2, padding="same", bias=5)
        np.testing.assert_array_equal(scope["y"], want)


def test_framework_prints_only_that_snippet(run: Run) -> None:
    data = frameworks_json(run, "-w", "5", "-k", "2", "--transpose", "-s", "2")
    result = run(
        "frameworks", "-w", "5", "-k", "2", "--transpose", "-s", "2", "--framework", "scipy"
    )
    assert result.exit_code == 0
    assert result.stdout == by_name(data)["SciPy"]["code"]
    scope: dict[str, Any] = {"x": np.arange(25).reshape(5, 5), "w": np.array([[1, 2], [3, 4]])}
    exec(result.stdout, scope)
    np.testing.assert_array_equal(scope["y"], conv_transpose2d(scope["x"], scope["w"], stride=2))


def test_a_framework_that_cannot_express_the_layer_says_so(run: Run) -> None:
    data = frameworks_json(run, "-D", "3", "-n", "4,4,4", "-k", "2")
    opencv = by_name(data)["OpenCV"]
    assert opencv == {
        "name": "OpenCV",
        "native": False,
        "output": None,
        "code": None,
        "notes": ["OpenCV cannot express this: filter2D and its pools are 2-D only"],
    }
    result = run("frameworks", "-D", "3", "-n", "4,4,4", "-k", "2", "--framework", "opencv")
    assert_error(result, 1, "OpenCV cannot express this: filter2D and its pools are 2-D only")
    table = run("frameworks", "-D", "3", "-n", "4,4,4", "-k", "2").stdout
    assert "OpenCV      cannot      —" in table


def test_the_table_names_each_framework_and_how(run: Run) -> None:
    result = run("frameworks", "-w", "7", "-k", "2", "--pool", "max", "--ceil-mode")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "max_pool2d 7×7, window 2×2, stride 2×2, padding valid (0,0,0,0), ceil mode"
    assert lines[1] == "convcli's output: 4×4"
    assert "PyTorch     native      4×4" in lines
    assert "SciPy       workaround  4×4" in lines


def test_markdown_has_a_table_and_a_code_block_per_framework(run: Run) -> None:
    result = run("frameworks", "-w", "5", "--pool", "avg", "-k", "3", "-p", "1", "-f", "markdown")
    assert result.exit_code == 0
    text = result.stdout
    assert "| framework | expresses it | output | what differs |" in text
    assert text.count("```python") == 6
    for name in NAMES:
        assert f"### {name}" in text


def test_flip_and_padding_modes_are_named_per_framework(run: Run) -> None:
    data = frameworks_json(run, "-w", "6", "-p", "1", "--padding-mode", "reflect", "--flip")
    rows_ = by_name(data)
    assert "cv2.BORDER_REFLECT_101" in rows_["OpenCV"]["code"]
    assert "BORDER_REFLECT_101 is PyTorch's reflect" in " ".join(rows_["OpenCV"]["notes"])
    assert "signal.convolve(" in rows_["SciPy"]["code"]  # SciPy's convolve flips itself
    assert "torch.flip(wt" in rows_["PyTorch"]["code"]
    assert 'mode="reflect"' in rows_["ONNX"]["code"]
    assert rows_["ONNX"]["native"] is False  # a Pad node before the Conv


def test_channels_and_groups_set_the_layouts(run: Run) -> None:
    data = frameworks_json(run, "-w", "6", "--channels", "4,6", "-g", "2", "-p", "same")
    torch = by_name(data)["PyTorch"]["code"]
    assert ".reshape(1, 4, 6, 6)" in torch
    assert ".reshape(6, 2, 3, 3)" in torch
    assert ".reshape(6, 6, 6)" in torch  # y is [O][H][W]
    transposed = frameworks_json(run, "-w", "3", "--channels", "4,6", "-g", "2", "--transpose")
    assert ".reshape(4, 3, 3, 3)" in by_name(transposed)["PyTorch"]["code"]  # [IN][OUT/g][…]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--ceil-mode"], "--ceil-mode"),
        (["--output-padding", "1"], "--output-padding"),
        (["--transpose", "--pool", "max"], "--pool"),
        (["--transpose", "--padding-mode", "reflect"], "--padding-mode"),
        (["--pool", "max", "--padding-mode", "reflect"], "--padding-mode"),
        (["--pool", "max", "--channels", "2,3"], "--channels"),
        (["--pool", "max", "-d", "2"], "--dilation"),
        (["--pool", "lp"], "--pool"),
        (["--channels", "2,x"], "--channels"),
        (["--channels", "0,2"], "--channels"),
        (["--channels", "3,4", "-g", "2"], "--groups"),
        (["--framework", "matlab"], "--framework"),
        (["--framework", "jax", "--format", "json"], "--format"),
        (["--transpose", "-p", "same"], "--padding"),
        (["-p", "1,2,3"], "--padding"),
        (["-D", "1", "-w", "5", "-H", "4"], "--height"),
    ],
)
def test_options_that_do_not_apply_are_usage_errors(run: Run, args: list[str], option: str) -> None:
    result = run("frameworks", "-w", "5", *args)
    assert_error(result, 2, option)


def test_bad_geometry_is_a_data_error(run: Run) -> None:
    assert_error(run("frameworks", "-w", "2", "-k", "5"), 1, "kernel")
    assert_error(
        run("frameworks", "-w", "3", "--transpose", "-s", "2", "--output-padding", "2"),
        1,
        "output padding 2 must be from 0 to 1",
    )


def test_the_command_imports_no_framework() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['convcli', 'frameworks', '-w', '5', '-f', 'json']\n"
        "from convcli.cli.base import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'torch', 'tensorflow', 'jax', 'onnx', 'onnxruntime', 'cv2', 'scipy'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]"
    assert json.loads(done.stdout)["command"] == "frameworks"


def test_describe_resolves_like_shape() -> None:
    layer = describe("conv", (6,), (4,), stride=(1,), padding="same-lower")
    assert layer.pads == (2, 1)
    assert layer.output == (6,)
