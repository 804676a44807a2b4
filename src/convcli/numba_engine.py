"""The optional integer engine: numba-compiled int64 correlation (``pip install
'convcli[numba]'``).

OpenCV has no int64 filter, so integers reached it cast to float64 and back, a block of
rows at a time, within the exact bound (2**53) and under its DFT threshold: 2048² ⋆ 3×3
took 4.5 times the float64 filter (17 ms against 3.7), 11×11 on numpy's int64 paths
135 ms against 42. numba compiles one loop that reads int64 and writes int64 on every
core: the loop alone 2.8 ms and 27 ms; ``conv2d`` end to end 7.6 and 30-33 ms against
float64's 6.7-6.8 and 49-52 in the benchmark's runs (2-core machine,
``benchmarks/bench.py --wave2-int``, where other libraries' threads share the cores).

Exactness: it sums in int64, which :func:`convcli.core.prepare_conv` proved cannot
overflow for this work (else the input would be Python integers), so the result is the
exact sum in any order: no float bound, no tap limit.

Cost: importing numba and loading the compiled loops take ~0.5 s (the first run ever
compiles them, ~2 s, and caches them on disk), so they are loaded only when one piece
of work pays for that (:data:`IMPORT_MACS`), or by :func:`load`: a long-running
process that convolves many integer images calls it once. Once loaded, every int64
single-channel 2-D correlation at stride 1 uses them, and :func:`extremes` measures
the exactness bound of large int64 inputs in one parallel pass instead of numpy's two.
Concurrent calls share one lock: numba's ``workqueue`` threading layer (its fallback
where neither TBB nor OpenMP is found) must not be entered by two threads at once.
"""

from __future__ import annotations

import functools
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from convcli import engines
from convcli.numbers import Array, max_abs

if TYPE_CHECKING:
    import threading

# loading takes ~0.55 s in a command; the engine saves 0.065-0.21 ns a multiply-add over
# numpy's int64 paths (1500² ⋆ 31×31: 100 vs 235 ms; 11×11: 15 vs 71), so from ~10¹⁰
IMPORT_MACS = 10_000_000_000
EXTREMES_CELLS = 1 << 20  # smaller inputs: numpy's min and max are as quick
DISABLE = "CONVCLI_NO_NUMBA"  # set (to anything) to keep numba out, e.g. to compare
LOOPS = "convcli.numba_loops"  # loaded: every int64 correlation the engine can run uses it
INT32_MAGNITUDE = 2**31 - 1  # |v| up to this: v is an int32


def allowed() -> bool:
    """Whether numba is installed and not kept out by CONVCLI_NO_NUMBA."""
    return not os.environ.get(DISABLE) and engines.installed("numba")


def wanted(macs: int) -> bool:
    """Whether the engine is allowed, and loaded or worth loading for ``macs`` (small
    work asks nothing more: a small command's start-up does not look for numba)."""
    return (LOOPS in sys.modules or macs >= IMPORT_MACS) and allowed()


def load() -> bool:
    """Load the compiled loops now (a long-running process calls this once, so that
    all its integer work uses them); False when numba is missing, kept out or cannot
    load here."""
    return allowed() and _loops() is not None


def extremes(x: Array) -> tuple[int, int] | None:
    """(min, max) of a large C-contiguous int64 array in one pass on every core, when
    the loops are loaded; None: numpy measures it."""
    if x.size < EXTREMES_CELLS or x.dtype != np.int64 or not x.flags.c_contiguous:
        return None
    loops = _loops() if LOOPS in sys.modules and allowed() else None
    if loops is None:
        return None
    with _lock():
        low, high = loops.extremes_int64(x.reshape(-1))
    return int(low), int(high)


def correlate(
    x: Array,
    weight: Array,
    top: int,
    left: int,
    out_shape: tuple[int, int],
    largest_x: int | None = None,
) -> Array | None:
    """The stride-1 correlation of the int64 matrix ``x`` by the int64 ``weight`` with
    ``top`` and ``left`` rows and columns of zero padding (as many more at the bottom
    and right as ``out_shape`` implies), read in place: cells outside ``x`` are zeros.
    ``largest_x``: max|x| when the caller knows it (then products of values within
    int32 take the 32-bit multiply). None when numba cannot load here."""
    loops = _loops()
    if loops is None:
        return None
    result = np.empty(out_shape, dtype=np.int64)
    source = np.ascontiguousarray(x, dtype=np.int64)
    kernel = np.ascontiguousarray(weight, dtype=np.int64)
    with _lock():
        loops.correlate_int64(source, kernel, top, left, narrow(largest_x, kernel), result)
    return result


def narrow(largest_x: int | None, weight: Array) -> bool:
    """Whether every input value (max|x| = ``largest_x``) and weight lies in int32."""
    return (
        largest_x is not None
        and largest_x <= INT32_MAGNITUDE
        and int(max_abs(weight)) <= INT32_MAGNITUDE
    )


@functools.cache
def _lock() -> threading.Lock:
    """The one lock of the compiled loops (made on first use: importing threading
    costs a small command's start-up time)."""
    import threading

    return threading.Lock()


@functools.cache
def _loops() -> ModuleType | None:
    """The compiled loops (numba compiles them on first use and caches them on disk
    between runs), or None where numba cannot load: a numba release that does not
    support this numpy, or no folder it may write its cache to. Then the other paths
    compute the work, as without numba."""
    try:
        from convcli import numba_loops
    except (ImportError, RuntimeError, OSError):
        return None
    return numba_loops
