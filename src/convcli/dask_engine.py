"""The dask engine: a 2-D convolution in row chunks on a dask scheduler, local or remote.

``pip install 'convcli[dask]'`` installs dask (array, distributed) and zarr; this module
imports them only when called, and says how to install them when they are missing.

The input (a ``.npy`` file read through a memory map where each task runs, a zarr array,
or any array) ``[H][W]`` or ``[C][H][W]`` is padded at its top and bottom with the padding
mode (``da.pad``: PyTorch's reflect is numpy's ``reflect``, replicate ``edge``, circular
``wrap``, zeros ``constant`` with the pad value), cut into chunks of whole rows whose
boundaries fall on multiples of the row stride, and each chunk is given the next
``d·(k−1) + 1 − s`` rows of its neighbour (:func:`dask.array.map_overlap`, depth
(0, halo), ``boundary="none"``): exactly the rows its output rows read. Each chunk then
runs :func:`convcli.core.prepare_conv` and :func:`convcli.core.run_conv` with the column
padding, as :mod:`convcli.stream` does for a block: integer results equal the in-memory
``conv2d`` exactly, float results within float64 rounding (bit for bit where the core
sums a chunk as it sums the whole array). The cell guards apply to one chunk.

Results are float64 or int64 (exact fractions and integers beyond int64 need the local
engine and CSV), written to a ``.npy`` file (tasks write their rows in place: workers must
see the same file system) or to a zarr array (any store dask can reach).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convcli import core
from convcli.errors import ConvError, ParseError
from convcli.numbers import Array, Kind, format_number
from convcli.params import ConvParams
from convcli.stream import Plan, as_int64, make_plan, open_npy, result_kind

HINT = "pip install 'convcli[dask]'"
CHUNK_BYTES = 1 << 25  # input rows per chunk, about: 32 MiB (each task costs ~1 ms)
CONNECT_SECONDS = 10.0  # how long to try a scheduler address before giving up
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous", "sync", "single-threaded")
_NP_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _dask_array() -> Any:
    try:
        import dask.array as da
    except ImportError:
        msg = "the dask engine needs dask, which is not installed"
        raise ConvError(msg, hint=HINT) from None
    return da


class NpyRows:
    """A ``.npy`` file as dask reads it: each task memory-maps the file and copies its
    rows, so a task carries the path, never the data."""

    def __init__(self, path: str | os.PathLike[str], *, label: str | None = None) -> None:
        header = open_npy(path, label=label)
        self.path = os.fspath(path)
        self.shape: tuple[int, ...] = tuple(int(n) for n in header.shape)
        self.dtype = header.dtype
        self.ndim = header.ndim
        del header

    def __getitem__(self, index: Any) -> Array:
        return np.array(np.load(self.path, mmap_mode="r")[index])


class NpyTarget:
    """An ``.npy`` file that tasks write their regions into (``dask.array.store``)."""

    def __init__(self, path: str | os.PathLike[str], shape: tuple[int, ...], dtype: Any) -> None:
        self.path = os.fspath(path)
        self.shape = shape
        self.dtype = np.dtype(dtype)
        created = np.lib.format.open_memmap(self.path, mode="w+", dtype=self.dtype, shape=shape)
        del created

    def __setitem__(self, index: Any, value: Array) -> None:
        # a map per write, dropped at once: dirty pages do not pile up in the worker
        target = np.lib.format.open_memmap(self.path, mode="r+")
        target[index] = value
        target.flush()
        del target


def read(source: Any, *, label: str | None = None) -> Any:
    """A dask array of ``source``: a dask or numpy array, a ``.npy`` path, or a zarr path."""
    da = _dask_array()
    if isinstance(source, da.Array):
        return source
    if isinstance(source, np.ndarray):
        return da.from_array(source, chunks=_row_chunks(source.shape, source.dtype))
    path = os.fspath(source)
    if path.lower().endswith(".npy"):
        rows = NpyRows(path, label=label)
        return da.from_array(
            rows, chunks=_row_chunks(rows.shape, rows.dtype), meta=np.empty((0,) * rows.ndim)
        )
    try:
        return da.from_zarr(path)
    except Exception as error:  # zarr raises many types for a path that is not a store
        msg = f"{label or path}: not a .npy file or a zarr array ({error})"
        raise ParseError(msg) from None


def _row_chunks(shape: tuple[int, ...], dtype: Any) -> tuple[int, ...]:
    """Chunks of whole rows of about CHUNK_BYTES (the engine rechunks them to its own
    boundaries, so no task ever reads the whole input)."""
    if len(shape) < 2:
        return (-1,) * len(shape)
    row = math.prod(shape[:-2]) * shape[-1] * np.dtype(dtype).itemsize
    return (*(-1,) * (len(shape) - 2), max(CHUNK_BYTES // max(row, 1), 1), -1)


@dataclass(frozen=True)
class _ChunkWork:
    """What every task needs (small: sent with each task)."""

    kernel: Array
    bias: Any
    params: ConvParams  # padding: (0, 0, left, right)
    flat: bool
    dtype: Any
    check_finite: bool


class _NotFinite(Exception):
    """A chunk holds a NaN or an infinity: the client then finds the first one."""


def _conv_chunk(block: Array, work: _ChunkWork) -> Array:
    if work.check_finite and not np.isfinite(block).all():
        raise _NotFinite
    setup = core.prepare_conv(
        block[0] if work.flat else block, work.kernel, params=work.params, bias=work.bias
    )
    out = core.run_conv(setup)
    out = out.reshape(-1, *out.shape[-2:])
    return out if work.dtype == np.float64 else as_int64(out)


def _chunk_rows(plan: Plan, channels: int, width: int, chunk_rows: int | None) -> int:
    halo = max(plan.rows.span - plan.rows.stride, 0)
    least = max(math.ceil(halo / plan.rows.stride), 1)  # a chunk lends its halo whole
    if chunk_rows is not None:
        if chunk_rows < 1:
            msg = f"chunk rows must be 1 or more, got {chunk_rows}"
            raise ConvError(msg)
        return max(chunk_rows, least)
    row_bytes = channels * (width + sum(plan.cols)) * 8 * plan.rows.stride
    return max(CHUNK_BYTES // row_bytes, least)


def conv_dask_array(
    source: Any,
    kernel: Any,
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
    chunk_rows: int | None = None,
    allow_nan: bool = False,
    label: str | None = None,
) -> Any:
    """The convolution as a lazy dask array (``[H'][W']`` or ``[O][H'][W']``, float64 or
    int64, chunked by rows); parameters as :func:`convcli.stream.conv_npy`. ``chunk_rows``:
    output rows per chunk (default: about :data:`CHUNK_BYTES` of input)."""
    da = _dask_array()
    name = label or (os.fspath(source) if isinstance(source, str | os.PathLike) else "the input")
    x = read(source, label=name)
    plan = make_plan(
        x,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        padding_mode=padding_mode,
        pad_value=pad_value,
        flip=flip,
        label=name,
        allow_nan=allow_nan,
    )
    kind = result_kind(plan)
    if kind is Kind.RATIONAL:
        msg = "the dask engine computes in int64 or float64, and this result has exact fractions"
        raise ConvError(msg, hint="run it without the dask engine, or give the kernel as decimals")
    if kind is Kind.INT and plan.x.dtype == np.uint64:
        msg = "the dask engine reads integers as int64, and this input is uint64"
        raise ConvError(msg, hint="run it without the dask engine, which keeps every digit")
    dtype = np.float64 if kind is Kind.FLOAT else np.int64
    x3 = plan.x.astype(dtype)
    channels, width = int(x3.shape[0]), int(x3.shape[2])
    rows, mode = plan.rows, plan.params.padding_mode
    per_chunk = _chunk_rows(plan, channels, width, chunk_rows)
    work = _ChunkWork(
        kernel=plan.kernel,
        bias=plan.bias,
        params=plan.params._replace(padding=(0, 0, *plan.cols)),
        flat=plan.flat,
        dtype=dtype,
        check_finite=kind is Kind.FLOAT and x.dtype.kind == "f" and not allow_nan,
    )
    # the core's own checks and messages (channels, groups, bias) on a probe of one window
    probe = core.prepare_conv(
        np.zeros((channels, rows.span, width), dtype=dtype)[0 if plan.flat else slice(None)],
        plan.kernel,
        params=work.params,
        bias=plan.bias,
    )
    out_channels, out_width = probe.weight.shape[0], probe.spatial_output[-1]
    if rows.pad_before or rows.pad_after:
        pad_args: dict[str, Any] = {"mode": _NP_MODES[mode]}
        if mode == "zeros":
            pad_args["constant_values"] = np.array(plan.params.pad_value).astype(dtype)
        x3 = da.pad(x3, ((0, 0), (rows.pad_before, rows.pad_after), (0, 0)), **pad_args)
    padded = rows.padded
    out_bounds = [*range(0, rows.output, per_chunk), rows.output]
    halo = max(rows.span - rows.stride, 0)
    if len(out_bounds) > 2 and padded - out_bounds[-2] * rows.stride < halo:
        del out_bounds[-2]  # the last chunk could not lend its whole halo: merged
    starts = [b * rows.stride for b in out_bounds[:-1]]
    in_chunks = tuple(b - a for a, b in zip(starts, [*starts[1:], padded], strict=True))
    out_chunks = tuple(b - a for a, b in itertools.pairwise(out_bounds))
    x3 = x3.rechunk({0: -1, 1: in_chunks, 2: -1})
    y = da.map_overlap(
        functools.partial(_conv_chunk, work=work),
        x3,
        depth={0: 0, 1: (0, halo), 2: 0},
        boundary="none",
        trim=False,
        allow_rechunk=False,
        chunks=((out_channels,), out_chunks, (out_width,)),
        dtype=dtype,
        meta=np.empty((0, 0, 0), dtype=dtype),
    )
    return y[0] if probe.squeeze else y


@dataclass(frozen=True)
class DaskResult:
    """What :func:`conv_dask` wrote."""

    shape: tuple[int, ...]
    dtype: str  # "float64" or "int64"
    format: str  # "npy" or "zarr"
    chunks: int  # row chunks computed


@contextlib.contextmanager
def scheduler(address: str | None, *, timeout: float | None = None) -> Iterator[dict[str, Any]]:
    """Compute options for ``address``: None (dask's default, threads), a local scheduler
    name (``threads``, ``processes``, ``synchronous``), or a dask.distributed scheduler
    address such as ``tcp://10.0.0.5:8786`` (connected for the duration)."""
    if address is None:
        yield {}
        return
    if address in LOCAL_SCHEDULERS:
        yield {"scheduler": address}
        return
    try:
        from distributed import Client
    except ImportError:
        msg = "a scheduler address needs dask.distributed, which is not installed"
        raise ConvError(msg, hint=HINT) from None
    try:
        client = Client(address, timeout=timeout or CONNECT_SECONDS, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        msg = f"cannot reach the dask scheduler at {address} ({error})"
        raise ConvError(msg) from None
    with client:
        yield {"scheduler": client}


def conv_dask(
    source: Any,
    kernel: Any,
    output: str | os.PathLike[str],
    *,
    scheduler_address: str | None = None,
    fmt: str | None = None,
    label: str | None = None,
    **options: Any,
) -> DaskResult:
    """Compute :func:`conv_dask_array` on a scheduler and write it to ``output``: an
    ``.npy`` file, or a zarr array (a path ending ``.zarr``, or ``fmt="zarr"``). The file
    or store is written beside the target and renamed at the end; an existing zarr store is
    refused (remove it first), an existing ``.npy`` file replaced. ``options`` are those of
    :func:`conv_dask_array`."""
    chosen = fmt or ("npy" if os.fspath(output).lower().endswith(".npy") else "zarr")
    if chosen not in ("npy", "zarr"):
        msg = f"the dask engine writes npy or zarr, not {chosen!r}"
        raise ConvError(msg)
    target = Path(output)
    if chosen == "zarr" and target.exists():
        msg = f"{target}: already exists; remove it first"
        raise ConvError(msg)
    source_label = label or (
        os.fspath(source) if isinstance(source, str | os.PathLike) else "the input"
    )
    y = conv_dask_array(source, kernel, label=source_label, **options)
    shape = tuple(int(n) for n in y.shape)
    chunks = len(y.chunks[-2])
    temp = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    )
    try:
        with scheduler(scheduler_address) as compute:
            try:
                if chosen == "npy":
                    store = NpyTarget(temp / "out.npy", shape, y.dtype)
                    y.store(store, lock=False, **compute)
                else:
                    regular = y.rechunk({y.ndim - 2: y.chunks[-2][0]})  # zarr: equal chunks
                    regular.to_zarr(os.fspath(temp / "out.zarr"), compute=False).compute(**compute)
            except _NotFinite:
                first = _first_nonfinite(read(source, label=source_label), source_label, compute)
                raise first from None
        os.replace(temp / f"out.{chosen}", target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return DaskResult(shape, np.dtype(y.dtype).name, chosen, chunks)


def _first_nonfinite(x: Any, label: str, compute: dict[str, Any]) -> ParseError:
    """The in-memory loader's message for the first NaN or infinity of ``x`` (found in
    three small reductions, only when a chunk has one)."""
    bad = ~_dask_array().isfinite(x)
    index: list[int] = []
    while bad.ndim > 1:
        flags = np.asarray(bad.any(axis=tuple(range(1, bad.ndim))).compute(**compute))
        index.append(int(np.argmax(flags)))
        bad = bad[index[-1]]
    index.append(int(np.argmax(np.asarray(bad.compute(**compute)))))
    value = format_number(float(np.asarray(x[tuple(index)].compute(**compute))))
    where = "".join(f"[{i}]" for i in index)
    msg = f"{label}: {where}: {value!r} is not a finite number (pass --allow-nan to accept it)"
    return ParseError(msg)
