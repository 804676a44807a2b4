"""Optional accelerated engines, used where a measured library beats numpy.

OpenCV (``pip install 'convcli[fast]'``): ``cv2.filter2D`` and ``cv2.sepFilter2D`` for
single-channel 2-D work at stride 1 without dilation, in float64. It is imported only
when the work pays for its import (about 16 ms on the reference machine), or when
something else already imported it; without it everything runs on numpy.

Exactness rules, as everywhere in convcli:

* float64: OpenCV's direct filter rounds like any other order of the same sums; from
  :data:`DFT_TAPS` taps on, ``filter2D`` switches to a DFT, whose error is of the same
  kind as our own FFT method's (relative to max|x|·Σ|w|);
* integers: only when max|x|·max|w|·taps ≤ 2**53 (every partial sum is then an exact
  float64 integer, in any order) and never through the DFT (fewer than DFT_TAPS taps,
  or a rank-1 kernel run as two exact 1-D passes); larger integer kernels stay on
  numpy's int64 paths, which were measured faster than splitting them into bands of
  direct filters. Integers with zero padding are cast, filtered and cast back a block
  of rows at a time (:func:`_integer_blocks`). Where the numba engine is loaded
  (:mod:`convcli.numba_engine`), integers go there instead: exact in int64, faster.

Borders: PyTorch's ``zeros`` (pad value 0), ``reflect`` and ``replicate`` are OpenCV's
``BORDER_CONSTANT``, ``BORDER_REFLECT_101`` and ``BORDER_REPLICATE``, so the input is
filtered where it lies, never copied into a padded array first. ``circular`` (OpenCV's
filters have no wrap border) and other pad values take the padded input.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from convcli.numbers import Array, max_abs

EXACT_FLOAT_BOUND = 2**53
DFT_TAPS = 50  # from this many taps OpenCV's filter2D works through a DFT (not exact)
IMPORT_MACS = 20_000_000  # numpy spends ~20 ms on this many multiply-adds: the import pays
LOADED_MACS = 20_000  # once cv2 is loaded, smaller work still gains from it
DISABLE = "CONVCLI_NO_OPENCV"  # set (to anything) to keep OpenCV out, e.g. to compare

_BORDERS = {"zeros": "BORDER_CONSTANT", "reflect": "BORDER_REFLECT_101",
            "replicate": "BORDER_REPLICATE"}  # fmt: skip


@functools.cache
def installed(module: str) -> bool:
    """Whether an optional module can be imported (looked up once, not imported)."""
    import importlib.util  # here: its import costs every small command start-up time

    return importlib.util.find_spec(module) is not None


def opencv(macs: int) -> Any | None:
    """The cv2 module when it is installed, allowed and worth using for ``macs``."""
    if os.environ.get(DISABLE) or not installed("cv2"):
        return None
    loaded = "cv2" in sys.modules
    if macs < (LOADED_MACS if loaded else IMPORT_MACS):
        return None
    import cv2

    return cv2


def rank_one(weight: Array) -> tuple[Array, Array] | None:
    """(column u, row v) with ``weight == outer(u, v)``, or None.

    Integers are factored exactly (v is the first non-zero row over the gcd of its
    entries, and every row must be an integer multiple of it); floats by their largest
    singular pair, kept only when it rebuilds the kernel to within float64 rounding
    (after a quick test that the first and last rows are parallel, or one is zero).
    """
    if weight.ndim != 2 or min(weight.shape) < 2:
        return None
    if weight.dtype == np.int64:
        rows = np.flatnonzero(weight.any(axis=1))
        if rows.size == 0:
            return None
        first = weight[rows[0]]
        v = first // np.gcd.reduce(first)
        pivot = int(np.flatnonzero(v)[0])
        u = weight[:, pivot] // v[pivot]
        if not np.array_equal(np.outer(u, v), weight):
            return None
        return u, v
    if weight.dtype != np.float64 or not _ends_parallel(weight):
        return None
    left, sigma, right = np.linalg.svd(weight)
    u, v = left[:, 0] * math.sqrt(sigma[0]), right[0] * math.sqrt(sigma[0])
    scale = float(np.abs(weight).max())
    if scale == 0 or float(np.abs(np.outer(u, v) - weight).max()) > 4e-16 * scale * weight.size:
        return None
    return u, v


def _ends_parallel(weight: Array) -> bool:
    """A cheap first test (most kernels are not rank 1): the first and last rows are
    parallel, or one is zero, and every entry is finite. Small kernels in Python
    floats: numpy's calls would cost more than OpenCV's whole filter of a 256² input."""
    if weight.size <= 64:
        first: list[float] = weight[0].tolist()
        last: list[float] = weight[-1].tolist()
        dot = first_norm = last_norm = 0.0
        for a, b in zip(first, last, strict=True):
            dot, first_norm, last_norm = dot + a * b, first_norm + a * a, last_norm + b * b
        # a NaN makes the comparison false; an inf in them or elsewhere fails the check
        parallel = abs(dot) >= 0.999 * math.sqrt(first_norm * last_norm)
        return parallel and bool(np.isfinite(weight).all())
    if not np.isfinite(weight).all():
        return False
    first_row, last_row = weight[0], weight[-1]
    dot_rows = abs(float(first_row @ last_row))
    return dot_rows >= 0.999 * float(np.sqrt((first_row @ first_row) * (last_row @ last_row)))


# OpenCV's filter of a float64 image anchored at (x, y), into ``dst`` when one is given
Filter = Callable[[Array, tuple[int, int], Array | None], Array]
# float64 rows a block: 2048² ⋆ 3×3 int64 (quiet machine) took 18 ms in blocks of 8 MiB,
# 20-21 in 1-4 MiB, 31 as whole arrays. Each block is filtered into one reused buffer: a
# fresh output per call cost more than the filter (2048 rows in 64-row calls: 27.7 ms
# allocating, 7.7 ms reusing).
BLOCK_BYTES = 1 << 23


def _filter(cv2: Any, weight: Array, factors: tuple[Array, Array] | None, flag: int) -> Filter:
    """OpenCV's filter of a float64 image by this kernel, anchored at (x, y)."""
    if factors is not None:
        u, v = (f.astype(np.float64) for f in factors)
        return lambda image, anchor, dst: cv2.sepFilter2D(
            image, -1, v, u, dst=dst, anchor=anchor, borderType=flag
        )
    kernel = weight.astype(np.float64, copy=False)
    return lambda image, anchor, dst: cv2.filter2D(
        image, -1, kernel, dst=dst, anchor=anchor, borderType=flag
    )


def _integer_blocks(
    run: Filter, x: Array, kh: int, pads: tuple[int, int], out: tuple[int, int]
) -> Array:
    """Integers with zero padding, by blocks of output rows: each block's input rows
    (with the kh−1 more its windows reach) are cast to float64 into one reused buffer,
    filtered into another and written back as int64, so no block allocates (fresh pages
    cost more than the filter) and the casts stay in cache. ``pads``: the top and left
    zero padding, each under the kernel's size, given to OpenCV as the anchor (its
    constant border adds the zeros)."""
    (top, left), (out_h, out_w) = pads, out
    rows = max(8 * (kh - 1), 16, BLOCK_BYTES // (8 * x.shape[1]))
    result = np.empty(out, dtype=np.int64)
    floats = np.empty((min(rows + kh - 1, x.shape[0]), x.shape[1]))
    filtered = np.empty_like(floats)
    for first in range(0, out_h, rows):
        last = min(first + rows, out_h)
        # output row r reads padded rows r…r+kh−1, input rows r−top…r+kh−1−top
        start, stop = max(first - top, 0), min(last + kh - 1 - top, x.shape[0])
        block, into = floats[: stop - start], filtered[: stop - start]
        np.copyto(block, x[start:stop], casting="unsafe")
        # OpenCV writes into ``into`` (same shape and type); what it returns is read
        done = run(block, (left, max(top - first, 0)), into)
        np.copyto(result[first:last], done[: last - first, :out_w], casting="unsafe")
    return result


def fits(
    x: Array, weight: Array, separable: bool, pad_value: object = 0, bound: int | None = None
) -> bool:
    """Whether OpenCV computes this single-channel correlation within the rules."""
    if x.dtype == np.float64:
        return True
    if x.dtype != np.int64 or weight.dtype != np.int64:
        return False
    if not separable and weight.size >= DFT_TAPS:
        # filter2D would take its DFT (not exact); bands of rows, each a direct filter,
        # measured twice the time of numpy's int64 paths (2048² ⋆ 9×9: 283 ms vs 130)
        return False
    if not isinstance(pad_value, int):
        return False
    if bound is not None:  # the caller's bound (convcli.core's, pad value included)
        return bound <= EXACT_FLOAT_BOUND
    largest = max(int(max_abs(x)), abs(pad_value))
    return largest * int(max_abs(weight)) * weight.size <= EXACT_FLOAT_BOUND


def correlate(
    x: Array,
    weight: Array,
    pads: tuple[int, ...],
    mode: str,
    pad_value: object,
    bound: int | None = None,
) -> Array | None:
    """The stride-1 correlation of the 2-D ``x`` by the 2-D ``weight`` with PyTorch's
    padding ``pads`` (top, bottom, left, right) in ``mode``; None when OpenCV is not
    the engine for it (not installed, too little work, or outside the rules).
    ``bound``: integers only, max|Σ x·w| over any cell when the caller knows it (it
    saves the passes over ``x`` that measure it)."""
    kh, kw = weight.shape
    top, bottom, left, right = pads
    out_h, out_w = x.shape[0] + top + bottom - kh + 1, x.shape[1] + left + right - kw + 1
    if out_h <= 0 or out_w <= 0:
        return None
    cv2 = opencv(out_h * out_w * kh * kw)
    if cv2 is None:
        return None
    factors = rank_one(weight)
    if not fits(x, weight, factors is not None, pad_value, bound):
        return None
    if mode == "circular" and (max(top, bottom) > x.shape[0] or max(left, right) > x.shape[1]):
        return None  # the core refuses it, with its own message
    if mode == "reflect" and (max(top, bottom) >= x.shape[0] or max(left, right) >= x.shape[1]):
        return None
    source = x
    # in place: the border is OpenCV's when the padding lies within the kernel's reach
    border = _BORDERS.get(mode) if mode != "zeros" or pad_value == 0 else None
    within = top + bottom < kh and left + right < kw
    if border is None or not within:
        if any(pads):
            return None  # a padding OpenCV cannot give: the numpy paths pad and run
        border, top, left = "BORDER_CONSTANT", 0, 0
    flag = getattr(cv2, border)
    run = _filter(cv2, weight, factors, flag)
    if x.dtype != np.float64 and border == "BORDER_CONSTANT":
        return _integer_blocks(run, x, weight.shape[0], (top, left), (out_h, out_w))
    if x.dtype != np.float64:
        source = x.astype(np.float64)
    result: Array = run(source, (left, top), None)[:out_h, :out_w]
    # a DFT spreads a NaN everywhere and two passes can overflow where one sum does
    # not: any non-finite output goes back to the direct numpy sums
    rounded = factors is not None or weight.size >= DFT_TAPS
    if x.dtype == np.float64 and rounded and not math.isfinite(float(result.sum())):
        return None
    if x.dtype != np.float64:
        return result.astype(np.int64)
    return result
