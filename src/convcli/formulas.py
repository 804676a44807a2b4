"""Size formulas written as a teacher writes them, substituted with the user's numbers.

Pure text from :mod:`convcli.shape` results; no numpy, no Rich.

>>> print(conv_line("w", conv_axis(4, 3, 1, 1, 1, 1)))
w' = ⌊(w + 2p − d·(k−1) − 1) / s⌋ + 1 = ⌊(4 + 2 − 2 − 1) / 1⌋ + 1 = 4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from convcli.shape import AxisArithmetic, TransposeAxis, ceil_div, conv_axis, effective_kernel

__all__ = [
    "ASCII_SIGNS",
    "LATEX_SIGNS",
    "UNICODE_SIGNS",
    "Signs",
    "conv_axis",
    "conv_line",
    "pool_line",
    "same_line",
    "transpose_line",
    "unread_line",
]


class Signs(NamedTuple):
    """Typography of the formulas, with an ASCII fallback."""

    minus: str = "−"
    dot: str = "·"
    floor: tuple[str, str] = ("⌊", "⌋")
    ceil: tuple[str, str] = ("⌈", "⌉")
    pads: tuple[str, str] = ("p₁", "p₂")
    arrow: str = "→"
    words: tuple[str, str] = ("", "")  # around the prose inside a formula (LaTeX: \text{…})
    max: str = "max"
    op: str = "op"

    def fix(self, text: str) -> str:
        return text if self.minus == "−" else text.replace("−", self.minus)

    def prose(self, text: str) -> str:
        return f"{self.words[0]}{text}{self.words[1]}"


UNICODE_SIGNS = Signs()
ASCII_SIGNS = Signs(
    minus="-", dot="*", floor=("floor(", ")"), ceil=("ceil(", ")"), pads=("p1", "p2")
)
# Math-mode LaTeX (amsmath): the lines compile inside align*; prose goes in \text{}.
LATEX_SIGNS = Signs(
    minus="-",
    dot=r" \cdot ",
    floor=(r"\left\lfloor ", r" \right\rfloor"),
    ceil=(r"\left\lceil ", r" \right\rceil"),
    pads=("p_1", "p_2"),
    arrow=r"\to",
    words=(r"\text{", "}"),
    max=r"\max",
    op=r"\mathrm{op}",
)


def conv_line(name: str, axis: AxisArithmetic, signs: Signs = UNICODE_SIGNS) -> str:
    """``w' = ⌊(w + p₁ + p₂ − d·(k−1) − 1) / s⌋ + 1 = ⌊(…numbers…) / s⌋ + 1 = out``."""
    lo, hi = signs.floor
    p1, p2 = signs.pads
    symmetric = axis.pad_before == axis.pad_after
    pads = "2p" if symmetric else f"{p1} + {p2}"
    values = str(2 * axis.pad_before) if symmetric else f"{axis.pad_before} + {axis.pad_after}"
    generic = f"{name}' = {lo}({name} + {pads} − d{signs.dot}(k−1) − 1) / s{hi} + 1"
    taps = axis.dilation * (axis.kernel - 1)
    numbers = f"{lo}({axis.size} + {values} − {taps} − 1) / {axis.stride}{hi} + 1"
    return signs.fix(f"{generic} = {numbers} = {axis.output}")


def pool_line(
    name: str, axis: AxisArithmetic, ceil_mode: bool, signs: Signs = UNICODE_SIGNS
) -> str:
    """The pooled size: ``⌊(w + 2p − k) / s⌋ + 1`` (⌈…⌉ with ceil mode; p₁ + p₂ for padding
    on one side, d·(k−1) + 1 for a dilated window)."""
    lo, hi = signs.ceil if ceil_mode else signs.floor
    d = signs.dot
    if axis.pad_before == axis.pad_after:
        pads, values = "2p", f"2{d}{axis.pad_before}"
    else:
        p1, p2 = signs.pads
        pads, values = f"{p1} + {p2}", f"{axis.pad_before} + {axis.pad_after}"
    if axis.dilation == 1:
        window, taps = "k", str(axis.kernel)
    else:
        window, taps = f"d{d}(k−1) − 1", f"{axis.dilation}{d}({axis.kernel}−1) − 1"
    generic = f"{name}' = {lo}({name} + {pads} − {window}) / s{hi} + 1"
    numbers = f"{lo}({axis.size} + {values} − {taps}) / {axis.stride}{hi} + 1"
    raw = (
        ceil_div(axis.numerator, axis.stride) if ceil_mode else axis.numerator // axis.stride
    ) + 1
    tail = f" = {raw}"
    if raw != axis.output:
        why = signs.prose("(the last window would start in the right padding)")
        tail += f" − 1 = {axis.output} {why}"
    return signs.fix(f"{generic} = {numbers}{tail}")


def transpose_line(name: str, axis: TransposeAxis, signs: Signs = UNICODE_SIGNS) -> str:
    """``w' = (w − 1)·s − p₁ − p₂ + d·(k−1) + op + 1 = … = out``."""
    d = signs.dot
    p1, p2 = signs.pads
    generic = f"{name}' = ({name} − 1){d}s − {p1} − {p2} + d{d}(k−1) + {signs.op} + 1"
    numbers = (
        f"({axis.size} − 1){d}{axis.stride} − {axis.pad_before} − {axis.pad_after} + "
        f"{axis.dilation}{d}({axis.kernel}−1) + {axis.output_padding} + 1"
    )
    return signs.fix(f"{generic} = {numbers} = {axis.output}")


def same_line(name: str, axis: AxisArithmetic, signs: Signs = UNICODE_SIGNS) -> str:
    """How 'same' padding was split: total = max((⌈in/s⌉ − 1)·s + d·(k−1) + 1 − in, 0)."""
    lo, hi = signs.ceil
    d = signs.dot
    span = effective_kernel(axis.kernel, axis.dilation)
    total = axis.pad_before + axis.pad_after
    sides = {"D": ("front", "back"), "h": ("top", "bottom")}.get(name, ("left", "right"))
    head = signs.prose(f"same padding ({name}):")
    return signs.fix(
        f"{head} {signs.max}(({lo}{axis.size}/{axis.stride}{hi} − 1){d}{axis.stride} + "
        f"{span} − {axis.size}, 0) = {total} {signs.arrow} {axis.pad_before}"
        f"{signs.prose(' ' + sides[0])}, {axis.pad_after}{signs.prose(' ' + sides[1])}"
    )


def unread_line(name: str, axis: AxisArithmetic, lang: str = "en") -> str:
    """Why a floor dropped cells: the remainder and which padded rows are never read,
    indexed as the tables index a padded input (the input's first row is 0, padding −p).

    >>> print(unread_line("h", conv_axis(6, 3, 2, 1, 1, 1)))
    h: 5 / 2 is not whole (remainder 1): row 6 of the padded input is never read
    """
    from convcli.phrases import phrase

    noun = {"D": "plane", "h": "row"}.get(name, "column")
    first = axis.padded - axis.unread - axis.pad_before
    last = axis.padded - 1 - axis.pad_before
    cells = (
        phrase(lang, f"{noun}_at", i=first)
        if axis.unread == 1
        else phrase(lang, f"{noun}s_at", i=first, j=last)
    )
    verb = "is" if axis.unread == 1 else "are"
    return phrase(
        lang, "shape_unread", name=name, num=axis.numerator, s=axis.stride, r=axis.unread,
        cells=cells, verb=verb,
    )  # fmt: skip


def unread_note(
    names: Sequence[str], axes: Sequence[AxisArithmetic], lang: str = "en"
) -> list[str]:
    """At most one note for all axes (an empty list when every division is whole)."""
    parts = [unread_line(n, a, lang) for n, a in zip(names, axes, strict=True) if a.unread]
    return ["; ".join(parts) if lang == "en" else "；".join(parts)] if parts else []
