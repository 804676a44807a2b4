"""numba-compiled loops of :mod:`convcli.numba_engine` (importing this imports numba)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def correlate_int64(x: Any, w: Any, top: int, left: int, out: Any) -> None:
    """out[i, j] = Σ w[a, b]·x[i + a − top, j + b − left] over the cells inside x."""
    height, width = x.shape
    out_h, out_w = out.shape
    kh, kw = w.shape
    for i in prange(out_h):  # rows on every core; each row's taps run along it
        row = out[i]
        for j in range(out_w):
            row[j] = 0
        for a in range(kh):
            r = i + a - top
            if r < 0 or r >= height:
                continue  # a padding row: zeros add nothing
            source = x[r]
            for b in range(kw):
                tap = w[a, b]
                if tap == 0:
                    continue
                shift = b - left  # output j reads column j + shift, inside x only
                first, last = max(0, -shift), min(out_w, width - shift)
                if last <= first:
                    continue
                into, read = row[first:last], source[first + shift : last + shift]
                for j in range(last - first):  # an index ≥ 0: no wrap-around test, SIMD
                    into[j] += tap * read[j]


EXTREMES_PARTS = 64  # pieces of the array, spread over the cores


@njit(parallel=True, cache=True, nogil=True)
def extremes_int64(flat: Any) -> tuple[int, int]:
    """(min, max) of a non-empty 1-D int64 array, each piece's on its own core."""
    n = flat.size
    step = (n + EXTREMES_PARTS - 1) // EXTREMES_PARTS
    lows = np.empty(EXTREMES_PARTS, dtype=np.int64)
    highs = np.empty(EXTREMES_PARTS, dtype=np.int64)
    for p in prange(EXTREMES_PARTS):
        start, stop = min(p * step, n - 1), min((p + 1) * step, n)
        part = flat[start:stop]  # a view, so that the index is ≥ 0: no wrap-around test
        low = high = flat[start]
        for j in range(part.size):
            value = part[j]
            low = min(low, value)
            high = max(high, value)
        lows[p], highs[p] = low, high
    return lows.min(), highs.max()
