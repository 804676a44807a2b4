"""Convolution of inputs larger than memory: a memory-mapped ``.npy`` read in row blocks.

:func:`conv_npy` filters a 2-D input ``[H][W]`` or ``[C][H][W]`` held in a ``.npy`` file
(or any array, a memory map included) and writes the result block by block to an
``.npy`` file or as CSV rows to a file or binary stream. Each block of output rows is
computed by :func:`convcli.core.prepare_conv` and :func:`convcli.core.run_conv` on the
input rows it reads plus a halo of ``d·(k−1)`` rows (the effective kernel − 1), with the
padding rows at the array's top and bottom made exactly as the in-memory path makes them
(constant, reflect, replicate, circular); the columns are padded by the core itself. So
every output cell is computed from the same padded values by the same core:

* integers and fractions: the result equals ``conv2d`` in memory exactly;
* floats: the same sums of the same products, so within float64 rounding of the
  in-memory result; bit for bit when the core sums a block as it sums the whole array
  (measured: one channel with 3×3 and 5×5 kernels), not when it picks its FFT for one of
  them (then within the FFT's bound, ``algorithms.FFT_RTOL · max|x| · Σ|w|``) or groups a
  BLAS product differently (several channels).

Memory: one block of input rows, its padded copy, the core's buffers and one block of
output, whatever the input's size. The resource guards (:mod:`convcli.limits`) apply to
that block, not to the whole input; the default block holds about :data:`BLOCK_BYTES` of
input (and at least :data:`HALO_SHARE` times its halo). The input pages of a memory map
are handed back to the kernel once read (``madvise(MADV_DONTNEED)``) and the output is
written with plain writes, so pages of the files never accumulate in the process's
resident memory.

>>> import io, numpy as np
>>> out = io.BytesIO()
>>> conv_npy(np.arange(12).reshape(4, 3), [[1], [-1]], out, block_rows=1).shape
(3, 3)
>>> print(out.getvalue().decode(), end="")
-3,-3,-3
-3,-3,-3
-3,-3,-3
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import mmap
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from convcli import core, limits
from convcli.errors import ConvError, LimitError, ParseError, ShapeError
from convcli.matrix_io.writers import format_csv, format_json
from convcli.numbers import INT64_MAX, Array, Kind, format_number, kind_of, kind_of_value
from convcli.params import ConvParams, as_axis_padding, resolve_axis_paddings
from convcli.shape import AxisArithmetic, conv_axis

# input rows per block, about: 4096² ⋆ 3×3 took 0.25 s in blocks of 4-8 MiB, 0.29 s of
# 16, 0.32 s of 32 and 0.54 s of 64 (medians of 9: bigger buffers fault in fresh pages)
BLOCK_BYTES = 1 << 23
HALO_SHARE = 4  # a block has at least this many times its halo rows: re-reads stay ≤ 1/4
CSV_CELLS = 1 << 16  # cells formatted at once: their Python floats and strings stay small
Progress = Callable[[int, int], None]  # (output rows done, output rows in all)
# the JSON text before and after the result's nested lists, from the whole setup
Envelope = Callable[[core.ConvSetup], tuple[str, str]]
Output = str | os.PathLike[str] | BinaryIO | IO[bytes]


@dataclass(frozen=True)
class StreamResult:
    """What :func:`conv_npy` wrote."""

    shape: tuple[int, ...]  # of the result: [H'][W'] or [O][H'][W']
    dtype: str  # "float64", "int64", or "object" (exact fractions or big ints: CSV only)
    format: str  # "npy", "csv" or "json"
    blocks: int  # how many row blocks were computed
    block_rows: int  # output rows per block (a block merged at a padded edge has more)


def open_npy(path: str | os.PathLike[str], *, label: str | None = None) -> Array:
    """The array of a ``.npy`` file, memory-mapped read-only (nothing is loaded).

    Raises :class:`ParseError` for an unreadable file, an archive, an array that is not
    of numbers, empty, or not 2-D or 3-D.
    """
    name = label or os.fspath(path)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        msg = f"{name}: no such file"
        raise ParseError(msg) from None
    except Exception as error:  # np.load raises many types on a malformed file
        msg = f"{name}: not a readable .npy file ({error})"
        raise ParseError(msg) from None
    if not isinstance(array, np.ndarray):
        msg = f"{name}: an .npz archive, not a single .npy array"
        raise ParseError(msg)
    if array.dtype.kind not in "iuf":
        msg = f"{name}: an array of {array.dtype}, not of numbers"
        raise ParseError(msg)
    if array.ndim not in (2, 3):
        msg = f"{name}: a {array.ndim}-D array; a streamed input is [H][W] or [C][H][W]"
        raise ShapeError(msg)
    if array.size == 0:
        msg = f"no numbers in {name}: the array is empty (shape {list(array.shape)})"
        raise ParseError(msg)
    return array


@dataclass(frozen=True)
class Plan:
    """A 2-D convolution of a large input, validated without reading the input: what
    every row block (or dask chunk) needs to run the core on its rows."""

    x: Any  # [C][H][W]: an array, a memory map, or a dask array
    flat: bool  # the input was [H][W]
    kernel: Array
    bias: Any
    params: ConvParams  # the padding is replaced per block
    rows: AxisArithmetic
    cols: tuple[int, int]  # left, right padding
    label: str
    allow_nan: bool

    @property
    def height(self) -> int:
        return int(self.x.shape[1])

    def input_rows(self, first: int, last: int) -> tuple[int, int]:
        """The padded-input rows [p0, p1) that output rows [first, last) read."""
        return first * self.rows.stride, (last - 1) * self.rows.stride + self.rows.span

    def real_rows(self, first: int, last: int) -> tuple[int, int]:
        """The input rows [a, b) within them (a ≥ b: the block reads only padding)."""
        p0, p1 = self.input_rows(first, last)
        top = self.rows.pad_before
        return max(p0 - top, 0), min(p1 - top, self.height)


def make_plan(
    x: Any,
    kernel: Any,
    *,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    bias: Any,
    padding_mode: str,
    pad_value: Any,
    flip: bool,
    label: str,
    allow_nan: bool,
) -> Plan:
    """Validate a convolution of ``x`` (an array, memory map or dask array: only its
    shape is read) as the core would, with the same messages."""
    if x.ndim not in (2, 3) or x.size == 0:
        msg = f"{label} must be [H][W] or [C][H][W], got shape {list(x.shape)}"
        raise ShapeError(msg)
    weight = core.as_matrix(kernel, "the kernel", ndims=(2, 3, 4))
    params = ConvParams.build(
        stride=stride,
        padding=0,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        pad_value=pad_value,
        flip=flip,
    )
    sizes = (int(x.shape[-2]), int(x.shape[-1]))
    kernel_size = (int(weight.shape[-2]), int(weight.shape[-1]))
    pads = resolve_axis_paddings(
        as_axis_padding(padding, 2), sizes, kernel_size, params.stride, params.dilation
    )
    top, bottom, left, right = pads
    rows = conv_axis(
        sizes[0], kernel_size[0], params.stride[0], params.dilation[0], top, bottom, axis="height"
    )
    conv_axis(sizes[1], kernel_size[1], params.stride[1], params.dilation[1], left, right)
    if params.padding_mode in ("reflect", "circular"):
        # the core's own check and message, on a view that holds no memory (it raises
        # before padding anything)
        shadow = np.broadcast_to(np.zeros(1), (1, *sizes))
        most = [s - 1 if params.padding_mode == "reflect" else s for s in sizes]
        if max(top, bottom) > most[0] or max(left, right) > most[1]:
            core.pad_input(shadow, pads, params.padding_mode)
    x3 = x if x.ndim == 3 else x[None]
    return Plan(x3, x.ndim == 2, weight, bias, params, rows, (left, right), label, allow_nan)


def _source_rows(rows: Array, height: int, mode: str) -> Array:
    """The input row each padded row copies (rows < 0 or ≥ height are padding)."""
    source: Array
    if mode == "reflect":
        mirrored = np.abs(rows)
        source = np.where(mirrored > height - 1, 2 * (height - 1) - mirrored, mirrored)
    elif mode == "circular":
        source = rows % height
    else:  # replicate
        source = np.clip(rows, 0, height - 1)
    return source


def _block(plan: Plan, first: int, last: int) -> Array:
    """Output rows [first, last), computed by the core on the rows they read."""
    return core.run_conv(_block_setup(plan, first, last))


def _block_setup(plan: Plan, first: int, last: int) -> core.ConvSetup:
    """The core's setup of output rows [first, last) on the input rows they read."""
    p0, p1 = plan.input_rows(first, last)
    a, b = plan.real_rows(first, last)
    top = plan.rows.pad_before
    above, below = max(min(p1, top) - p0, 0), max(p1 - max(p0, top + plan.height), 0)
    mode = plan.params.padding_mode
    if mode == "zeros" or (above == 0 and below == 0):
        rows = np.array(plan.x[:, a:b, :])
    else:
        index = _source_rows(np.arange(p0, p1) - top, plan.height, mode)
        rows, above, below = np.array(plan.x[:, index, :]), 0, 0
    if rows.dtype.kind == "f" and not plan.allow_nan:
        _check_finite(rows, a, plan)
    params = plan.params._replace(padding=(above, below, *plan.cols))
    return core.prepare_conv(
        rows[0] if plan.flat else rows, plan.kernel, params=params, bias=plan.bias
    )


def whole_setup(plan: Plan) -> core.ConvSetup:
    """The setup :func:`convcli.core.prepare_conv` would make for the whole input (its
    shapes, parameters, padding and axes), for what is said about a streamed result; its
    input is a stand-in that holds no memory, and it is never run."""
    first = _block_setup(plan, 0, 1)  # reads the rows of one output row
    shape = tuple(plan.x.shape)
    return dataclasses.replace(
        first,
        x=np.broadcast_to(np.zeros((), dtype=first.x.dtype), shape),
        pads=(plan.rows.pad_before, plan.rows.pad_after, *plan.cols),
        axes=(plan.rows, first.axes[1]),
        input_shape=shape[1:] if plan.flat else shape,
        int64_x=None,
    )


def _check_finite(rows: Array, first: int, plan: Plan) -> None:
    """The message of the in-memory loader, with the cell's index in the whole input."""
    bad = np.argwhere(~np.isfinite(rows))
    if bad.size:
        c, r, col = (int(i) for i in bad[0])
        index = (r + first, col) if plan.flat else (c, r + first, col)
        where = "".join(f"[{i}]" for i in index)
        value = format_number(float(rows[c, r, col]))
        msg = (
            f"{plan.label}: {where}: {value!r} is not a finite number "
            "(pass --allow-nan to accept it)"
        )
        raise ParseError(msg)


def block_bounds(plan_rows: int, per_block: int, reads: Callable[[int, int], bool]) -> list[int]:
    """Boundaries 0 = b₀ < b₁ < … = plan_rows of blocks of ``per_block`` output rows; a
    block for which ``reads(first, last)`` is false (it would read only padding) is
    merged into its neighbour."""
    bounds = [*range(0, plan_rows, max(per_block, 1)), plan_rows]
    changed = True
    while changed and len(bounds) > 2:
        changed = False
        for i in range(len(bounds) - 1):
            if not reads(bounds[i], bounds[i + 1]):
                # merge with the previous block, or with the next for the first one
                del bounds[i if i > 0 else 1]
                changed = True
                break
    return bounds


def _default_rows(plan: Plan) -> int:
    """Output rows per block: about BLOCK_BYTES of input rows, within the cell guard."""
    channels, width = int(plan.x.shape[0]), int(plan.x.shape[2])
    row_bytes = channels * (width + sum(plan.cols)) * 8
    per_block = max(
        BLOCK_BYTES // (row_bytes * plan.rows.stride),
        math.ceil(HALO_SHARE * (plan.rows.span - 1) / plan.rows.stride),
        1,
    )
    outputs = plan.kernel.shape[0] if plan.kernel.ndim == 4 else 1
    while per_block > 1:
        reads = (per_block - 1) * plan.rows.stride + plan.rows.span
        try:
            limits.check(
                cells=channels * reads * (width + sum(plan.cols)) + outputs * per_block * width,
                work=0,
                exact_objects=False,
                what="one block",
            )
        except LimitError:
            per_block //= 2
            continue
        break
    return per_block


def _blocks(
    plan: Plan, per_block: int, release: Callable[[int], None]
) -> Iterator[tuple[int, int, Array]]:
    total = plan.rows.output
    bounds = block_bounds(total, per_block, lambda first, last: _reads(plan, first, last))
    for first, last in itertools.pairwise(bounds):
        block = _block(plan, first, last)
        if last < total:
            release(plan.real_rows(last, min(last + per_block, total))[0])
        yield first, last, block


def _reads(plan: Plan, first: int, last: int) -> bool:
    if plan.params.padding_mode != "zeros":
        return True
    a, b = plan.real_rows(first, last)
    return a < b


class _Pages:
    """Hands the pages of a memory-mapped input back to the kernel once they are read, so
    that they do not stay in the process's resident memory (the file stays cached)."""

    def __init__(self, x: Array) -> None:
        base: Any = x.base
        while isinstance(base, np.ndarray):  # a view of the memory map: find the map
            base = base.base
        ok = isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED")
        self.map: mmap.mmap | None = base if ok and x.flags.c_contiguous else None
        self.start = 0
        if self.map is not None:
            address = x.__array_interface__["data"][0]
            mapped = np.frombuffer(self.map, dtype=np.uint8)
            self.start = address - mapped.__array_interface__["data"][0]
            del mapped
        self.channels, self.height, self.row = x.shape[0], x.shape[1], x.shape[2] * x.itemsize
        self.done = [0] * self.channels  # bytes released per channel, from its start

    def release(self, row: int) -> None:
        """Release the pages of every channel before input row ``row``."""
        if self.map is None:
            return
        page = mmap.PAGESIZE
        for c in range(self.channels):
            base = self.start + c * self.height * self.row
            begin = (base + self.done[c]) // page * page
            end = (base + row * self.row) // page * page
            if end > begin:
                with contextlib.suppress(OSError):
                    self.map.madvise(mmap.MADV_DONTNEED, begin, end - begin)
                self.done[c] = end - base


def result_kind(plan: Plan) -> Kind:
    """The arithmetic of the result: that of the input, kernel, bias and pad value."""
    kinds = [Kind.FLOAT if plan.x.dtype.kind == "f" else Kind.INT, kind_of(plan.kernel)]
    extra = plan.bias if isinstance(plan.bias, Sequence | np.ndarray) else [plan.bias]
    kinds += [kind_of_value(v) for v in extra if v is not None]
    kinds.append(kind_of_value(plan.params.pad_value))
    return max(kinds)


def as_int64(block: Array) -> Array:
    """An integer block as int64 (the core gives Python ints where a bound passed int64);
    a value beyond int64 is an error, as no .npy or zarr array of numbers can hold it."""
    if block.dtype == np.int64:
        return block
    values = [int(v) for v in block.flat]
    if values and (max(values) > INT64_MAX or min(values) < -INT64_MAX - 1):
        msg = (
            "a result is beyond int64, which an .npy file cannot hold; "
            "write CSV instead, which keeps every digit"
        )
        raise ConvError(msg)
    return np.array(values, dtype=np.int64).reshape(block.shape)


def conv_npy(
    source: str | os.PathLike[str] | Array,
    kernel: Any,
    output: Output,
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
    fmt: str | None = None,
    block_rows: int | None = None,
    progress: Progress | None = None,
    allow_nan: bool = False,
    label: str | None = None,
    envelope: Envelope | None = None,
) -> StreamResult:
    """``conv2d`` of a ``.npy`` file (or any array) in row blocks, written as it goes.

    ``source``: a ``.npy`` path (memory-mapped, never loaded whole) or an array, ``[H][W]``
    or ``[C][H][W]``. The kernel and the keyword parameters are those of
    :func:`convcli.core.conv2d`. ``output``: a path (``.npy`` or anything else for CSV,
    unless ``fmt`` says) or a binary stream (CSV). The CSV text is that of
    :func:`convcli.matrix_io.writers.format_csv` for the whole result, byte for byte. An
    ``.npy`` output is float64 or int64; exact fractions and integers beyond int64 need CSV.
    A path is written to a temporary file beside it and renamed at the end, so a failure
    leaves no partial file. ``block_rows``: output rows per block (default: about
    :data:`BLOCK_BYTES` of input). ``progress(done, total)`` is called after every block
    with output rows. ``allow_nan``: accept NaN and infinities in a float input (else a
    :class:`ParseError` names the first one, as the in-memory loader does).
    ``fmt="json"`` (or a ``.json`` path) writes the nested lists of
    :func:`convcli.matrix_io.writers.format_json` inside ``envelope(setup)``'s text
    (default ``{"data": …}``, as ``convcli conv -o out.json`` writes).
    """
    name = label or (os.fspath(source) if not isinstance(source, np.ndarray) else "the input")
    x = source if isinstance(source, np.ndarray) else open_npy(source, label=name)
    chosen = fmt or _format_of(output)
    if chosen not in ("npy", "csv", "json"):
        msg = f"a streamed output is npy, csv or json, not {chosen!r}"
        raise ConvError(msg)
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
    per_block = block_rows if block_rows is not None else _default_rows(plan)
    if per_block < 1:
        msg = f"block rows must be 1 or more, got {per_block}"
        raise ConvError(msg)
    kind = result_kind(plan)
    if chosen == "npy" and kind is Kind.RATIONAL:
        msg = "an .npy file holds int64 or float64 numbers, and this result has exact fractions"
        raise ConvError(msg, hint="write CSV instead, or give the kernel as decimals")
    _engine_for_the_whole(plan)
    wrapping = (envelope or _data_envelope)(whole_setup(plan)) if chosen == "json" else None
    pages = _Pages(plan.x)
    blocks = _blocks(plan, per_block, pages.release)
    total = plan.rows.output
    reporting = _reporting(blocks, total, progress)
    if chosen == "npy":
        if not isinstance(output, str | os.PathLike):
            msg = "an .npy output must be a file path"
            raise ConvError(msg)
        dtype = np.float64 if kind is Kind.FLOAT else np.int64
        shape, count = _write_npy(Path(output), reporting, plan, dtype)
        kept = np.dtype(dtype).name
    else:
        text = _csv_text() if wrapping is None else _json_text(*wrapping)
        shape, count, kept = _write_text_blocks(output, reporting, plan, text)
    return StreamResult(shape, kept, chosen, count, per_block)


def _data_envelope(_setup: core.ConvSetup) -> tuple[str, str]:
    return '{"data": ', "}\n"


def _engine_for_the_whole(plan: Plan) -> None:
    """Load the OpenCV engine (and for integers numba's) when the whole work pays for
    its import: each block alone is too little to load it (4096² ⋆ 3×3 streamed in 17
    blocks ran on numpy)."""
    from convcli import engines, numba_engine

    width = plan.x.shape[2] + sum(plan.cols)
    macs = plan.rows.output * width * plan.kernel.size
    engines.opencv(macs)
    if plan.x.dtype == np.int64 and numba_engine.wanted(macs):
        numba_engine.load()


def _format_of(output: Output) -> str:
    if isinstance(output, str | os.PathLike):
        name = os.fspath(output).lower()
        return "npy" if name.endswith(".npy") else "json" if name.endswith(".json") else "csv"
    return "csv"


def _reporting(
    blocks: Iterator[tuple[int, int, Array]], total: int, progress: Progress | None
) -> Iterator[tuple[int, int, Array]]:
    for first, last, block in blocks:
        yield first, last, block
        if progress is not None:
            progress(last, total)


def _out_shape(plan: Plan, block: Array) -> tuple[int, ...]:
    return (*block.shape[:-2], plan.rows.output, block.shape[-1])


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed to it on success and removed on failure."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _write_npy(
    path: Path, blocks: Iterator[tuple[int, int, Array]], plan: Plan, dtype: Any
) -> tuple[tuple[int, ...], int]:
    """Blocks written in place with plain writes (a writable memory map would keep the
    dirty pages in the process's resident memory)."""
    shape: tuple[int, ...] = ()
    count = 0
    with _replacing(path) as temp:
        handle: BinaryIO | None = None
        try:
            for first, _last, block in blocks:
                if handle is None:
                    shape = _out_shape(plan, block)
                    header = np.lib.format.open_memmap(temp, mode="w+", dtype=dtype, shape=shape)
                    offset = header.offset
                    del header
                    handle = open(temp, "r+b")  # noqa: SIM115 - closed in finally
                values = np.ascontiguousarray(block if dtype == np.float64 else as_int64(block))
                planes = values.reshape(-1, *values.shape[-2:])
                width = shape[-1]
                for o, plane in enumerate(planes):
                    handle.seek(offset + (o * plan.rows.output + first) * width * values.itemsize)
                    handle.write(memoryview(plane).cast("B"))
                count += 1
        finally:
            if handle is not None:
                handle.close()
    return shape, count


def _text_target(stack: contextlib.ExitStack, output: Output) -> tuple[IO[bytes], str]:
    """The stream text is written to (a path: a temporary file renamed over it at the
    end), and a temporary folder for the channels written after the first."""
    if isinstance(output, str | os.PathLike):
        temp = stack.enter_context(_replacing(Path(output)))
        stream: IO[bytes] = stack.enter_context(open(temp, "wb"))  # noqa: SIM115 (the stack closes it)
    else:
        stream = output
    return stream, stack.enter_context(tempfile.TemporaryDirectory(prefix="convcli-"))


def _channel_files(stack: contextlib.ExitStack, spill: str, count: int) -> list[IO[bytes]]:
    """One temporary file per output channel after the first: the text lists the
    channels one after the other, and the blocks come with every channel's rows."""
    return [stack.enter_context(open(Path(spill) / str(o), "w+b")) for o in range(count)]


@dataclass(frozen=True)
class _Text:
    """How a text format lays a streamed result out: what opens and closes it (by the
    result's number of axes), what goes between two blocks' rows of one channel and
    between two channels, and how a matrix's rows are written."""

    opening: Callable[[int], bytes]
    between_blocks: bytes
    between_channels: bytes
    closing: Callable[[int], bytes]
    rows: Callable[[Array, IO[bytes]], None]


def _csv_text() -> _Text:
    """CSV: rows one after the other, the channels one after the other (a blank line)."""
    return _Text(lambda _: b"", b"", b"\n", lambda _: b"", _csv_rows)


def _json_text(head: str, tail: str) -> _Text:
    """JSON: the envelope's head, the result's nested lists, the envelope's tail."""
    return _Text(
        lambda ndim: head.encode() + (b"[" if ndim == 2 else b"[["),
        b", ",
        b"], [",
        lambda ndim: (b"]" if ndim == 2 else b"]]") + tail.encode(),
        _json_rows,
    )


def _write_text_blocks(
    output: Output, blocks: Iterator[tuple[int, int, Array]], plan: Plan, text: _Text
) -> tuple[tuple[int, ...], int, str]:
    """The rows as the blocks come: one output channel straight to the output, several
    through one temporary file each (the text lists the channels one after the other)."""
    with contextlib.ExitStack() as stack:
        stream, spill = _text_target(stack, output)
        targets: list[IO[bytes]] = []
        shape: tuple[int, ...] = ()
        kept = "int64"
        count = 0
        for _first, _last, block in blocks:
            if not shape:
                shape = _out_shape(plan, block)
                planes = 1 if block.ndim == 2 else block.shape[0]
                targets = [stream] if planes == 1 else _channel_files(stack, spill, planes)
                stream.write(text.opening(block.ndim))
            kept = _wider(kept, block)
            for plane, target in zip(block.reshape(-1, *block.shape[-2:]), targets, strict=True):
                if count:
                    target.write(text.between_blocks)
                text.rows(plane, target)
            count += 1
        if len(targets) > 1:
            for o, target in enumerate(targets):
                stream.write(text.between_channels if o else b"")
                target.seek(0)
                shutil.copyfileobj(target, stream)
        stream.write(text.closing(len(shape)))
        stream.flush()
    return shape, count, kept


def _json_rows(matrix: Array, stream: IO[bytes]) -> None:
    """The rows of a matrix as :func:`format_json` writes them in a nested list, comma
    separated, a few rows at a time."""
    step = max(CSV_CELLS // max(matrix.shape[1], 1), 1)
    for first in range(0, matrix.shape[0], step):
        text = format_json({"m": np.asarray(matrix[first : first + step])})
        if first:
            stream.write(b", ")
        stream.write(text[len('{"m": [') : -len("]}\n")].encode())


def _wider(kept: str, block: Array) -> str:
    if kept == "float64" or block.dtype == np.float64:
        return "float64"
    return "object" if block.dtype == object else kept


def write_csv(array: Array, stream: IO[bytes], *, rows: int | None = None) -> None:
    """``format_csv(array)`` written to a binary stream in blocks of rows, so that the
    text of a large result (an in-memory array or a memory map) is never held whole.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> write_csv(np.arange(6).reshape(2, 1, 3), buffer, rows=1)
    >>> buffer.getvalue()
    b'0,1,2\\n\\n3,4,5\\n'
    """
    matrices: Sequence[Array]
    if array.ndim < 2:
        matrices = [array.reshape(1, -1)]
    elif array.ndim == 2:
        matrices = [array]
    else:
        matrices = list(array.reshape(-1, *array.shape[-2:]))
    for k, matrix in enumerate(matrices):
        if k:
            stream.write(b"\n")
        _csv_rows(matrix, stream, rows)


def _csv_rows(matrix: Array, stream: IO[bytes], rows: int | None = None) -> None:
    """The CSV rows of one 2-D matrix, formatted a few rows at a time."""
    step = rows or max(CSV_CELLS // max(matrix.shape[1], 1), 1)
    for first in range(0, matrix.shape[0], step):
        stream.write(format_csv(np.asarray(matrix[first : first + step])).encode())


__all__ = [
    "BLOCK_BYTES",
    "Plan",
    "StreamResult",
    "as_int64",
    "block_bounds",
    "conv_npy",
    "make_plan",
    "open_npy",
    "result_kind",
    "write_csv",
]
