"""Named kernel presets: exact integer or fraction matrices with a one-line purpose.

numpy is imported only where a matrix is built: ``convcli kernels`` lists the presets
without it (start-up).

>>> get_kernel("gaussian-3")[1, 1]
Fraction(1, 4)
>>> get_kernel("box-2").tolist()
[[Fraction(1, 4), Fraction(1, 4)], [Fraction(1, 4), Fraction(1, 4)]]
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from convcli.errors import ParseError

if TYPE_CHECKING:
    from convcli.numbers import Array, Number


@dataclass(frozen=True)
class Preset:
    """A named kernel: integer rows, an exact scale, and what it is for."""

    name: str
    rows: tuple[tuple[int, ...], ...]
    purpose: str
    scale: Fraction = Fraction(1)

    def matrix(self) -> Array:
        from convcli.numbers import array_from_values

        values: list[Number] = [
            v * self.scale if self.scale != 1 else v for row in self.rows for v in row
        ]
        return array_from_values(values, (len(self.rows), len(self.rows[0])))


def _binomial(n: int) -> tuple[int, ...]:
    return tuple(math.comb(n - 1, i) for i in range(n))


def _outer(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(x * y for y in b) for x in a)


_PRESETS = (
    Preset("identity", ((0, 0, 0), (0, 1, 0), (0, 0, 0)), "returns the input unchanged"),
    Preset("box-3", _outer((1,) * 3, (1,) * 3), "3×3 mean blur", Fraction(1, 9)),
    Preset("box-5", _outer((1,) * 5, (1,) * 5), "5×5 mean blur", Fraction(1, 25)),
    Preset(
        "gaussian-3",
        _outer(_binomial(3), _binomial(3)),
        "3×3 binomial Gaussian blur",
        Fraction(1, 16),
    ),
    Preset(
        "gaussian-5",
        _outer(_binomial(5), _binomial(5)),
        "5×5 binomial Gaussian blur",
        Fraction(1, 256),
    ),
    Preset("sobel-x", ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)), "horizontal gradient (vertical edges)"),
    Preset("sobel-y", ((-1, -2, -1), (0, 0, 0), (1, 2, 1)), "vertical gradient (horizontal edges)"),
    Preset(
        "scharr-x", ((-3, 0, 3), (-10, 0, 10), (-3, 0, 3)), "horizontal gradient, rotation-exact"
    ),
    Preset("scharr-y", ((-3, -10, -3), (0, 0, 0), (3, 10, 3)), "vertical gradient, rotation-exact"),
    Preset("prewitt-x", ((-1, 0, 1), (-1, 0, 1), (-1, 0, 1)), "horizontal gradient, unweighted"),
    Preset("prewitt-y", ((-1, -1, -1), (0, 0, 0), (1, 1, 1)), "vertical gradient, unweighted"),
    Preset("laplacian-4", ((0, 1, 0), (1, -4, 1), (0, 1, 0)), "second derivative, 4-neighbour"),
    Preset("laplacian-8", ((1, 1, 1), (1, -8, 1), (1, 1, 1)), "second derivative, 8-neighbour"),
    Preset("sharpen", ((0, -1, 0), (-1, 5, -1), (0, -1, 0)), "sharpens: identity minus Laplacian"),
    Preset("emboss", ((-2, -1, 0), (-1, 1, 1), (0, 1, 2)), "relief effect along the diagonal"),
    Preset("outline", ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)), "edges in every direction"),
)
PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}

_BOX = re.compile(r"box-([0-9]+)")
_GAUSSIAN = re.compile(r"gaussian:([0-9]+),([0-9]*\.?[0-9]+)")
MAX_PRESET_SIZE = 99


def catalogue() -> list[tuple[str, str, str]]:
    """(name, size, purpose) of every preset and of the sized families."""
    rows = [(p.name, f"{len(p.rows)}×{len(p.rows[0])}", p.purpose) for p in PRESETS.values()]
    return [
        *rows,
        ("box-N", "N×N", "mean blur of any size"),
        ("gaussian:SIZE,SIGMA", "SIZE×SIZE", "sampled Gaussian (floats, sums to 1)"),
    ]


def is_kernel_name(text: str) -> bool:
    """True when ``text`` looks like a preset name rather than a matrix or a path."""
    return bool(re.fullmatch(r"[a-z][a-z0-9-]*(:[0-9.,]+)?", text.strip().lower()))


def get_kernel(name: str) -> Array:
    """The matrix of a named kernel; ``ParseError`` with the closest names otherwise."""
    key = name.strip().lower()
    if key in PRESETS:
        return PRESETS[key].matrix()
    box = _BOX.fullmatch(key)
    if box:
        n = _preset_size(int(box.group(1)), name)
        return Preset(key, _outer((1,) * n, (1,) * n), "", Fraction(1, n * n)).matrix()
    gaussian = _GAUSSIAN.fullmatch(key)
    if gaussian:
        return sampled_gaussian(
            _preset_size(int(gaussian.group(1)), name), float(gaussian.group(2))
        )
    close = difflib.get_close_matches(key, [*PRESETS, "box-N", "gaussian:SIZE,SIGMA"], n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "see 'convcli kernels' for the names"
    msg = f"unknown kernel name {name!r}"
    raise ParseError(msg, hint=hint)


def _preset_size(size: int, name: str) -> int:
    if not 1 <= size <= MAX_PRESET_SIZE:
        msg = f"kernel {name!r}: the size must be from 1 to {MAX_PRESET_SIZE}"
        raise ParseError(msg)
    return size


def sampled_gaussian(size: int, sigma: float) -> Array:
    """A size×size Gaussian sampled at integer offsets from the centre, summing to 1 (float64)."""
    if sigma <= 0:
        msg = f"gaussian:{size},{sigma}: sigma must be positive"
        raise ParseError(msg)
    import numpy as np

    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(offsets**2) / (2 * sigma * sigma))
    kernel: Array = np.outer(g, g)
    normalised: Array = kernel / kernel.sum()
    return normalised
