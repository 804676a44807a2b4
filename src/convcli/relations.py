"""The named relationships of Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (2016): which one a layer's axis is, and its closed form with the numbers in.

Relationships 1–6 are convolutions (no padding, zero padding, half, full, strided), 7 is
pooling, 8–14 are the transposed convolutions of 1–6 (13 and 14 with a stride, 14 with an
output padding a), 15 is dilation. Pure text; every sentence comes from
:mod:`convcli.phrases`.

>>> print(conv_relation("w", conv_axis(5, 3, 1, 1, 1, 1)))
w: half padding (relationship 3): k odd, p = ⌊k/2⌋ = 1, so o = i = 5
>>> print(transpose_relations("w", transpose_axis(5, 3, 1, 1, 1, 1, 0))[0][:64])
w: the transpose of half padding is half padding again (relation
"""

from __future__ import annotations

from typing import NamedTuple

from convcli.phrases import phrase
from convcli.shape import AxisArithmetic, TransposeAxis, conv_axis, transpose_axis

__all__ = [
    "CATALOGUE",
    "conv_axis",
    "conv_relation",
    "pool_relation",
    "transpose_axis",
    "transpose_relations",
]


def conv_relation(name: str, axis: AxisArithmetic, lang: str = "en") -> str | None:
    """The named case of a convolution axis (relationships 1–6 and 15), or None for
    asymmetric padding, which the guide does not name."""
    i, k, s, d, p = axis.size, axis.kernel, axis.stride, axis.dilation, axis.pad_before
    o = axis.output
    if axis.pad_before != axis.pad_after:
        return None
    if d > 1:
        span = axis.span
        key, values = "rel15", {"d": d, "kd": span, "p2": 2 * p}
    elif s == 1 and p == 0:
        key, values = "rel1", {}
    elif s == 1 and k % 2 and 2 * p == k - 1:
        key, values = "rel3", {}
    elif s == 1 and p == k - 1:
        key, values = "rel4", {"k1": k - 1}
    elif s == 1:
        key, values = "rel2", {"p2": 2 * p}
    elif p == 0:
        key, values = "rel5", {}
    else:
        key, values = "rel6", {"p2": 2 * p}
    text = phrase(lang, key, i=i, k=k, s=s, p=p, o=o, **values)
    if axis.unread and s > 1:
        text += phrase(lang, "rel_odd", a=axis.unread)
    return f"{name}: {text}"


def merged(lines_per_axis: list[list[str]], names: tuple[str, ...]) -> list[str]:
    """One line for all axes where their lines read the same but for the axis name.

    >>> merged([["h: o = 3"], ["w: o = 3"]], ("h", "w"))
    ['h, w: o = 3']
    """
    bodies = [[line.split(": ", 1)[1] for line in lines] for lines in lines_per_axis]
    if all(b == bodies[0] for b in bodies):
        return [f"{', '.join(names)}: {body}" for body in bodies[0]]
    return [line for lines in lines_per_axis for line in lines]


def pool_relation(name: str, axis: AxisArithmetic, lang: str = "en") -> str | None:
    """Relationship 7 (pooling without padding, rounding down)."""
    i, k, s, o = axis.size, axis.kernel, axis.stride, axis.output
    if axis.pad_before or axis.pad_after or (i - k) // s + 1 != o:  # padded, or ceil mode
        return None
    return f"{name}: " + phrase(lang, "rel7", i=i, k=k, s=s, o=o)


def transpose_relations(name: str, axis: TransposeAxis, lang: str = "en") -> list[str]:
    """Which forward convolution this transposes (relationships 8–14), the equivalent
    direct convolution's padding p′ = d·(k−1) − p, and what the output padding a picks."""
    i, k, s, d = axis.size, axis.kernel, axis.stride, axis.dilation
    p, a, o = axis.pad_before, axis.output_padding, axis.output
    lines: list[str] = []
    if axis.pad_before == axis.pad_after and d == 1:
        values = {"i": i, "k": k, "s": s, "p": p, "o": o, "a": a, "q": k - p - 1}
        if s == 1 and p == 0:
            key = "rel8"
        elif s == 1 and k % 2 and 2 * p == k - 1:
            key = "rel10"
        elif s == 1 and p == k - 1:
            key = "rel11"
        elif s == 1:
            key = "rel9"
        elif a:
            key = "rel14"
        else:
            key = "rel12" if p == 0 else "rel13"
        lines.append(f"{name}: " + phrase(lang, key, **values))
    if s > 1:
        first = (i - 1) * s - axis.pad_before - axis.pad_after + d * (k - 1) + 1
        lines.append(
            f"{name}: " + phrase(lang, "rel_a", lo=first, hi=first + s - 1, i=i, a=a, o=o, s=s)
        )
    return lines


class Lesson(NamedTuple):
    """One entry of ``explain --list``: what it teaches and the command that shows it."""

    key: str
    command: str


# The guide's fifteen relationships, then the other lessons, each with one command.
CATALOGUE = (
    Lesson("rel1", "convcli shape -w 4 -k 3"),
    Lesson("rel2", "convcli shape -w 5 -k 4 -p 2"),
    Lesson("rel3", "convcli shape -w 5 -k 3 -p 1"),
    Lesson("rel4", "convcli shape -w 5 -k 3 -p 2"),
    Lesson("rel5", "convcli shape -w 5 -k 3 -s 2"),
    Lesson("rel6", "convcli shape -w 5 -k 3 -s 2 -p 1"),
    Lesson("rel7", "convcli shape -w 5 -k 3 -s 1 --pool"),
    Lesson("rel8", "convcli shape -w 2 -k 3 --transpose"),
    Lesson("rel9", "convcli shape -w 6 -k 4 -p 2 --transpose"),
    Lesson("rel10", "convcli shape -w 5 -k 3 -p 1 --transpose"),
    Lesson("rel11", "convcli shape -w 7 -k 3 -p 2 --transpose"),
    Lesson("rel12", "convcli shape -w 2 -k 3 -s 2 --transpose"),
    Lesson("rel13", "convcli shape -w 3 -k 3 -s 2 -p 1 --transpose"),
    Lesson("rel14", "convcli shape -w 3 -k 3 -s 2 -p 1 --transpose --output-padding 1"),
    Lesson("rel15", "convcli shape -w 7 -k 3 -d 2"),
    Lesson("lesson_conv", "convcli explain"),
    Lesson("lesson_padding", "convcli explain -p 1"),
    Lesson("lesson_stride", "convcli explain -p 1 -s 2"),
    Lesson("lesson_transpose", "convcli explain --op transpose -s 2"),
    Lesson("lesson_dilate", "convcli explain --op dilate"),
    Lesson("lesson_pool", "convcli explain --op pool --pool avg"),
    Lesson(
        "lesson_channels",
        "convcli explain -i samples/rgb.csv -k samples/rgb_kernel.csv -b 1 --cell 0,0",
    ),
    Lesson(
        "lesson_groups",
        'convcli explain -i "1 2; 3 4 | 5 6; 7 8" -k "1 1; 1 1" -k "1 -1; -1 1" -g 2',
    ),
)
