"""conv on a big .npy input, streamed in row blocks (the threshold lowered with
CONVCLI_STREAM_BYTES), and on a dask scheduler with --engine dask: the same numbers as the
in-memory path, the cell guard applied to a block, and the options that do not apply."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convcli import conv2d, stream
from tests.conftest import Run, assert_error
from tests.reference import ref_conv2d

STREAM = {"CONVCLI_STREAM_BYTES": "1"}  # every .npy input streams
KERNEL = [[[1, 0, -1], [2, 0, -2], [1, 0, -1]], [[0, 1, 0], [1, -4, 1], [0, 1, 0]]]


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(3).integers(-9, 10, size=(2, 301, 257)))
    return path


@pytest.mark.parametrize(
    "options", [[], ["-s", "2", "-p", "1"], ["-p", "2", "--padding-mode", "reflect", "-d", "2"]]
)
def test_a_streamed_npy_equals_the_in_memory_result(
    run: Run, volume: Path, tmp_path: Path, options: list[str]
) -> None:
    kernel = json.dumps(KERNEL)
    out = tmp_path / "y.npy"
    result = run("conv", "-i", str(volume), "-k", kernel, *options, "-o", str(out), env=STREAM)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "note: streamed in" in result.stderr
    stride = 2 if "-s" in options else 1
    padding = int(options[options.index("-p") + 1]) if "-p" in options else 0
    mode = "reflect" if "reflect" in options else "zeros"
    dilation = 2 if "-d" in options else 1
    expected = conv2d(np.load(volume), KERNEL, stride=stride, padding=padding,
                      padding_mode=mode, dilation=dilation)  # fmt: skip
    np.testing.assert_array_equal(np.load(out), expected)
    streamed_csv = run("conv", "-i", str(volume), "-k", kernel, *options, "-f", "csv", env=STREAM)
    in_memory = run("conv", "-i", str(volume), "-k", kernel, *options, "-f", "csv")
    assert streamed_csv.stdout == in_memory.stdout


def test_the_cell_guard_applies_to_a_block(run: Run, tmp_path: Path) -> None:
    """An input larger than CONVCLI_MAX_CELLS streams; in memory it is refused."""
    plane = tmp_path / "plane.npy"
    np.save(plane, np.arange(400 * 300, dtype=np.float64).reshape(400, 300))
    limits = {"CONVCLI_MAX_CELLS": "60000"}
    refused = run("conv", "-i", str(plane), "-k", "1", "-f", "csv", env=limits)
    assert_error(refused, 1, "CONVCLI_MAX_CELLS")
    out = tmp_path / "y.npy"
    done = run("conv", "-i", str(plane), "-k", "1", "-o", str(out), env={**limits, **STREAM})
    assert done.exit_code == 0, done.stderr
    np.testing.assert_array_equal(np.load(out), np.load(plane))


def test_zarr_is_for_the_dask_engine(run: Run, volume: Path, tmp_path: Path) -> None:
    result = run(
        "conv", "-i", str(volume), "-k", json.dumps(KERNEL), "-o", str(tmp_path / "y.zarr")
    )
    assert_error(result, 1, "written by conv --engine dask only")


def test_explanations_and_small_inputs_stay_in_memory(run: Run, volume: Path) -> None:
    kernel = json.dumps(KERNEL)
    explained = run("conv", "-i", str(volume), "-k", kernel, "--cell", "0,0", "-f", "json",
                    env=STREAM)  # fmt: skip
    assert json.loads(explained.stdout)["steps"][0]["cell"] == [0, 0]
    small = run("conv", "-i", str(volume), "-k", kernel, "-f", "csv")
    assert "streamed" not in small.stderr


def test_the_dask_engine_on_a_local_cluster(run: Run, volume: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    kernel = json.dumps(KERNEL)
    expected = conv2d(np.load(volume), KERNEL, stride=2, padding=1)
    out = tmp_path / "d.npy"
    threads = run("conv", "-i", str(volume), "-k", kernel, "-s", "2", "-p", "1",
                  "--engine", "dask", "--scheduler", "threads", "-o", str(out))  # fmt: skip
    assert threads.exit_code == 0, threads.stderr
    np.testing.assert_array_equal(np.load(out), expected)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        zarr_out = tmp_path / "d.zarr"
        done = run("conv", "-i", str(volume), "-k", kernel, "-s", "2", "-p", "1",
                   "--engine", "dask", "--scheduler", cluster.scheduler_address,
                   "-o", str(zarr_out))  # fmt: skip
    assert done.exit_code == 0, done.stderr
    zarr = pytest.importorskip("zarr")
    np.testing.assert_array_equal(np.asarray(zarr.open(str(zarr_out), mode="r")), expected)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--scheduler", "threads"], "--scheduler"),
        (["--engine", "dask"], "--engine"),
        (["--engine", "dask", "-o", "y.csv"], "--engine"),
        (["--engine", "dask", "--explain", "-o", "y.npy"], "--explain"),
    ],
)
def test_engine_options_that_do_not_apply(
    run: Run, volume: Path, args: list[str], option: str
) -> None:
    result = run("conv", "-i", str(volume), "-k", "1", *args)
    assert_error(result, 2, option)


@pytest.mark.parametrize("kernel", [KERNEL, [KERNEL, [[[1, 1, 1]] * 3] * 2]])
def test_json_streams_block_by_block(
    run: Run, volume: Path, tmp_path: Path, kernel: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conv's JSON object on stdout and -o out.json: the in-memory text, byte for byte, with
    # the output written in several row blocks (one or two output channels)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 2 * 257 * 8 * 40)
    text = json.dumps(kernel)
    streamed = run("conv", "-i", str(volume), "-k", text, "-p", "1", "-f", "json", env=STREAM)
    assert streamed.exit_code == 0, streamed.stderr
    assert re.search(r"note: streamed in [3-9] blocks", streamed.stderr)
    in_memory = run("conv", "-i", str(volume), "-k", text, "-p", "1", "-f", "json")
    assert "streamed" not in in_memory.stderr
    assert streamed.stdout == in_memory.stdout
    x = np.load(volume).tolist()
    want = ref_conv2d(x, kernel, padding=1)
    assert json.loads(streamed.stdout)["output"] == want
    out = tmp_path / "y.json"
    written = run("conv", "-i", str(volume), "-k", text, "-p", "1", "-o", str(out), env=STREAM)
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""
    assert json.loads(out.read_text()) == {"data": want}
    memory_file = tmp_path / "z.json"
    assert (
        run("conv", "-i", str(volume), "-k", text, "-p", "1", "-o", str(memory_file)).exit_code == 0
    )
    assert out.read_bytes() == memory_file.read_bytes()
