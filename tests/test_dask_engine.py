"""convcli.dask_engine on a local dask.distributed cluster of two workers.

Oracles: the loop-by-loop reference for exact data, scipy.ndimage for floats, and the
in-memory ``conv2d`` (the engine must change nothing but where the work runs).
"""

from __future__ import annotations

import builtins
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.ndimage as ndi

from convcli import conv2d
from convcli.errors import ConvError, ParseError, ShapeError
from convcli.matrix_io.sources import load_matrix
from tests.conftest import ROOT
from tests.reference import ref_conv2d

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

from convcli import dask_engine  # noqa: E402 - after the skips
from convcli.dask_engine import conv_dask, conv_dask_array  # noqa: E402

MODES = ("zeros", "reflect", "replicate", "circular")
SCIPY_MODES = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    """A scheduler address, as ``--scheduler ADDRESS`` will pass it: two workers of one
    thread each, in this process (worker processes would re-import the test session)."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def _saved(tmp_path: Path, array: Any, name: str = "x.npy") -> Path:
    np.save(tmp_path / name, np.asarray(array))
    return tmp_path / name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("stride", "dilation", "padding", "chunk_rows"),
    [(1, 1, 1, 2), (2, 1, (3, 1, 0, 2), 1), (3, 2, 2, 3), (1, 2, "same", 4), (2, 2, 0, None)],
)
def test_integers_on_two_workers_equal_the_reference(
    address: str,
    tmp_path: Path,
    mode: str,
    stride: int,
    dilation: int,
    padding: Any,
    chunk_rows: int | None,
) -> None:
    rng = np.random.default_rng([MODES.index(mode), stride, dilation])
    x = rng.integers(-9, 10, size=(2, 17, 11))
    k = rng.integers(-3, 4, size=(3, 2, 3, 2))
    options = {"stride": stride, "dilation": dilation, "padding": padding, "padding_mode": mode}
    out = tmp_path / "y.npy"
    result = conv_dask(
        _saved(tmp_path, x),
        k,
        out,
        scheduler_address=address,
        chunk_rows=chunk_rows,
        bias=[1, 0, -1],
        **options,
    )
    want = ref_conv2d(x.tolist(), k.tolist(), bias=[1, 0, -1], **options)
    got = np.load(out)
    assert got.dtype == np.int64
    assert got.tolist() == want
    assert result.shape == got.shape
    if chunk_rows is not None and len(want[0]) > 2 * chunk_rows:
        assert result.chunks > 1


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    x = np.random.default_rng(16).standard_normal((3000, 2000))
    path = tmp_path_factory.mktemp("dask") / "big.npy"
    np.save(path, x)
    return path, x


@pytest.mark.parametrize("mode", MODES)
def test_3000_by_2000_floats_to_zarr_equal_the_in_memory_result(
    address: str, big: tuple[Path, Any], tmp_path: Path, mode: str
) -> None:
    path, x = big
    k = np.random.default_rng(5).standard_normal((3, 3))
    out = tmp_path / "y.zarr"
    result = conv_dask(
        path, k, out, scheduler_address=address, padding=1, padding_mode=mode, chunk_rows=250
    )
    assert (result.format, result.chunks, result.shape) == ("zarr", 12, (3000, 2000))
    got = np.asarray(zarr.open_array(str(out), mode="r")[:])
    assert np.array_equal(got, conv2d(x, k, padding=1, padding_mode=mode))
    oracle = ndi.correlate(x, k, mode=SCIPY_MODES[mode])
    np.testing.assert_allclose(got, oracle, rtol=0, atol=1e-12)


def test_a_zarr_input_strided_to_npy(address: str, tmp_path: Path) -> None:
    x = np.random.default_rng(6).standard_normal((3, 200, 150))
    store = tmp_path / "x.zarr"
    da.from_array(x, chunks=(1, 37, 50)).to_zarr(str(store))  # chunks unlike the engine's
    k = np.random.default_rng(7).standard_normal((2, 3, 5, 3))
    out = tmp_path / "y.npy"
    options = {"stride": 2, "padding": (2, 2, 1, 1), "padding_mode": "reflect"}
    conv_dask(store, k, out, scheduler_address=address, chunk_rows=9, **options)
    got = np.load(out)
    np.testing.assert_allclose(got, conv2d(x, k, **options), rtol=0, atol=1e-13)


def test_the_lazy_array_and_local_schedulers(tmp_path: Path) -> None:
    x = np.arange(40 * 30).reshape(40, 30) % 23 - 11
    y = conv_dask_array(_saved(tmp_path, x), [[1, 2], [3, 4]], padding=1, chunk_rows=6)
    assert y.shape == (41, 31)
    assert y.chunks[0] == (6, 6, 6, 6, 6, 6, 5)
    want = ref_conv2d(x.tolist(), [[1, 2], [3, 4]], padding=1)
    assert y.compute(scheduler="synchronous").tolist() == want
    out = tmp_path / "y.npy"
    conv_dask(x, [[1, 2], [3, 4]], out, scheduler_address="threads", padding=1)
    assert np.load(out).tolist() == want


def test_a_nan_is_refused_as_the_loader_refuses_it(address: str, tmp_path: Path) -> None:
    x = np.ones((30, 5))
    x[17, 3] = np.inf
    path = _saved(tmp_path, x)
    with pytest.raises(ParseError) as loading:
        load_matrix(str(path))
    out = tmp_path / "y.npy"
    with pytest.raises(ParseError) as computing:
        conv_dask(path, [[1]], out, scheduler_address=address, chunk_rows=4,
                  label=f"--input {str(path)!r}")  # fmt: skip
    assert str(computing.value) == str(loading.value)
    assert str(computing.value).endswith(": [17][3]: 'inf' is not a finite number "
                                         "(pass --allow-nan to accept it)")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]  # nothing half written
    conv_dask(path, [[1]], out, scheduler_address=address, chunk_rows=4, allow_nan=True)
    assert np.isinf(np.load(out)[17, 3])


def test_errors_are_those_of_the_in_memory_path(tmp_path: Path) -> None:
    x = np.arange(5 * 3).reshape(5, 3)
    for options, kernel in [
        ({"padding": 5, "padding_mode": "reflect"}, [[1]]),
        ({}, np.ones((9, 2))),
        ({"groups": 2}, np.ones((2, 2, 1, 1))),
    ]:
        with pytest.raises(ConvError) as memory:
            conv2d(x, kernel, **options)
        with pytest.raises(type(memory.value)) as engine:
            conv_dask_array(x, kernel, **options)
        assert str(engine.value) == str(memory.value)


def test_what_the_engine_refuses(
    address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.arange(12).reshape(4, 3)
    from fractions import Fraction

    with pytest.raises(ConvError) as fractions:
        conv_dask_array(x, [[Fraction(1, 3)]])
    assert "exact fractions" in str(fractions.value)
    assert fractions.value.hint == "run it without the dask engine, or give the kernel as decimals"
    (tmp_path / "y.zarr").mkdir()
    with pytest.raises(ConvError, match=r"y\.zarr: already exists; remove it first"):
        conv_dask(x, [[1]], tmp_path / "y.zarr", scheduler_address=address)
    with pytest.raises(ConvError, match="the dask engine writes npy or zarr, not 'csv'"):
        conv_dask(x, [[1]], tmp_path / "y.csv", fmt="csv")
    monkeypatch.setattr(dask_engine, "CONNECT_SECONDS", 0.5)
    with pytest.raises(
        ConvError, match=r"cannot reach the dask scheduler at tcp://127\.0\.0\.1:9 "
    ):
        conv_dask(x, [[1]], tmp_path / "y.npy", scheduler_address="tcp://127.0.0.1:9")
    with pytest.raises(ParseError, match=r"nothing: not a \.npy file or a zarr array"):
        conv_dask_array(tmp_path / "nothing", [[1]])
    with pytest.raises(ShapeError, match="a 1-D array"):
        conv_dask_array(_saved(tmp_path, np.arange(3)), [[1]])
    with pytest.raises(ConvError, match="chunk rows must be 1 or more, got 0"):
        conv_dask_array(x, [[1]], chunk_rows=0)


def test_without_dask_the_engine_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "dask" or name.startswith(("dask.", "distributed")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ConvError) as missing:
        conv_dask_array(np.ones((3, 3)), [[1]])
    assert str(missing.value) == "the dask engine needs dask, which is not installed"
    assert missing.value.hint == "pip install 'convcli[dask]'"


def test_importing_the_engine_does_not_import_dask() -> None:
    code = "import sys, convcli.dask_engine; print('dask' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout == "False\n"
