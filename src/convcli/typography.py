"""One typography policy: views are built in Unicode; numbers are typeset for people here;
text is translated to ASCII once, at output, when the stream cannot encode it.

>>> from fractions import Fraction
>>> Typeset().number(-3), Typeset().number(Fraction(-1, 2), bracket=True)
('−3', '(−1/2)')
>>> Typeset(precision=3).number(2 / 3), Typeset().number(2 / 3)
('0.667', '0.666667')
>>> to_ascii("out[0,0] = 0ₚ×1 + 2×(−1) = −2"), to_ascii("input 4×4  h' = ⌊7/2⌋")
('out[0,0] = pad(0)*1 + 2*(-1) = -2', "input 4x4  h' = floor(7/2)")
>>> to_ascii("│ 1 │ · │  d·(k−1)")  # a table's empty cell stays one character wide
'│ 1 │ . │  d*(k-1)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TABLE_PRECISION = 6  # significant digits of a float in tables and explanations by default
PAD_MARK = "ₚ"  # after a padding cell's value where colour cannot show it
HOLE_MARK = "ₕ"  # after a hole (a zero inserted by dilation or a transposed stride)


@dataclass(frozen=True)
class Typeset:
    """How numbers read in a view: the real minus sign, floats to ``precision`` significant
    digits (default :data:`TABLE_PRECISION`; exact values are never rounded)."""

    precision: int | None = None

    def number(self, value: object, *, bracket: bool = False) -> str:
        """A value for prose and tables; negatives and fractions bracketed in products."""
        if isinstance(value, float):  # np.float64 too
            text = f"{value:.{self.precision or TABLE_PRECISION}g}"
        else:
            from convcli.numbers import format_number  # numpy: not for shape's start-up

            text = format_number(value)
        if text.startswith("-"):
            text = "−" + text[1:]
            return f"({text})" if bracket else text
        # a fraction a/b is bracketed in a product (Fraction is not imported: shape's start-up)
        if bracket and not isinstance(value, int) and getattr(value, "denominator", 1) != 1:
            return f"({text})"
        return text


# A product with a padding cell reads "pad(0)*1" in ASCII; elsewhere the signs map one to
# one, so tables keep their alignment.
_PADDED_PRODUCT = re.compile(r"(\(?[^\s(]+?\)?)ₚ×")
_ASCII = str.maketrans(
    {"×": "x", "−": "-", "–": "-", "·": "*", "…": "...", "→": "->", "⌊": "floor(", "⌋": ")",
     "⌈": "ceil(", "⌉": ")", "ₚ": "p", "ₕ": "h", "₁": "1", "₂": "2", "°": " deg", "ᵀ": "^T",
     "⋅": "*", "≥": ">=", "≤": "<=", "←": "<-", "′": "'", "↑": "^", "↓": "v"}
)  # fmt: skip
_LONE_DOT = re.compile(r"(?<=\s)·(?=\s)")
_PRODUCT = re.compile(r"(?<=[\w)])×(?=[\w(−-])")


def to_ascii(text: str) -> str:
    """The text with ASCII signs: products as ``*``, sizes as ``x``, a padding product as
    ``pad(v)*w``."""
    text = _PADDED_PRODUCT.sub(lambda m: f"pad({m.group(1)})×", text)
    # products in arithmetic have spaces around the sum's '+' and '='; a size like 4×4
    # sits in prose: tell them apart by the line holding an '=' and a '+'
    lines = []
    for line in text.split("\n"):
        if " = " in line and ("+" in line or "(" in line):
            line = _PRODUCT.sub("*", line)
        lines.append(line)
    # a lone · is a table's empty or zero cell, not a product
    return _LONE_DOT.sub(".", "\n".join(lines)).translate(_ASCII)


def encodable(text: str, encoding: str | None) -> bool:
    try:
        text.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def for_stream(text: str, encoding: str | None) -> str:
    """``text`` as a stream with ``encoding`` can carry it: ASCII signs, then ``?``."""
    if encodable(text, encoding):
        return text
    name = encoding or "ascii"
    return to_ascii(text).encode(name, "replace").decode(name)
