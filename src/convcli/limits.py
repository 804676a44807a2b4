"""Resource guards: refuse, before allocating, work that would exhaust memory or time.

The limits are generous for real images and raised with environment variables:

* ``CONVCLI_MAX_CELLS`` (default 200 000 000): cells in any array the work allocates
  (the padded input, the output, a transposed convolution's buffer): 1.6 GB of float64.
* ``CONVCLI_MAX_WORK`` (default 50 000 000 000): multiply-adds. Exact arithmetic with
  Python ints or fractions runs about a hundred times slower, so it gets 1/100 of that.
"""

from __future__ import annotations

import os

from convcli.errors import LimitError

DEFAULT_MAX_CELLS = 200_000_000
DEFAULT_MAX_WORK = 50_000_000_000
SLOW_ARITHMETIC_SHARE = 100


def _limit(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default  # the usual case, without the cost of int("") raising
    try:
        value = int(text)
    except ValueError:
        return default
    return value if value > 0 else default


def check(*, cells: int, work: int, exact_objects: bool, what: str) -> None:
    """Raise :class:`LimitError` when ``cells`` or ``work`` is over its limit."""
    max_cells = _limit("CONVCLI_MAX_CELLS", DEFAULT_MAX_CELLS)
    if cells > max_cells:
        msg = (
            f"{what} needs {cells:,} cells in memory, over the limit of {max_cells:,} "
            "(raise it with CONVCLI_MAX_CELLS)"
        )
        raise LimitError(msg)
    max_work = _limit("CONVCLI_MAX_WORK", DEFAULT_MAX_WORK)
    if exact_objects:
        max_work //= SLOW_ARITHMETIC_SHARE
    if work > max_work:
        kind = " in exact big-number arithmetic" if exact_objects else ""
        msg = (
            f"{what} needs {work:,} multiply-adds{kind}, over the limit of {max_work:,} "
            "(raise it with CONVCLI_MAX_WORK)"
        )
        raise LimitError(msg)
