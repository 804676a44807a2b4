"""The arithmetic of one output cell as a styled line, the way the course notes write it.

>>> from convcli.trace import CellTrace, Term
>>> trace = CellTrace((0, 0), (Term(0, (0, 0), (0, 0), None, 0, 2),
...                            Term(0, (0, 1), (0, 1), (0, 0), -1, 3)), 1, -2)
>>> plain(cell_sum(trace))
'out[0,0] = 0ₚ×2 + (−1)×3 + 1 (bias) = −2'
"""

from __future__ import annotations

from collections.abc import Mapping

from convcli.model import Line, Segment, plain
from convcli.trace import CellTrace, PoolTrace
from convcli.typography import PAD_MARK, Typeset

__all__ = ["cell_label", "cell_sum", "plain", "pool_sum"]

PLAIN = Typeset()


def cell_label(cell: tuple[int, ...]) -> str:
    return f"out[{','.join(str(i) for i in cell)}]"


def cell_sum(
    trace: CellTrace, typeset: Typeset = PLAIN, words: Mapping[str, str] | None = None
) -> Line:
    """``out[r,c] = x×w + … (+ bias) = value``; a multi-channel sum one line per channel.

    ``words`` may translate ``bias`` and ``ch`` (the word before a channel number).
    """
    bias_word = (words or {}).get("bias", "bias")
    channel_word = (words or {}).get("ch", "ch")
    label = cell_label(trace.label)
    channels = trace.channel_sums()
    segments: list[Segment] = [(label, "label")]
    if len(channels) <= 1:
        segments += [(" = ", None), *_products(trace, None, typeset)]
    else:
        indent = " " * len(label)
        for n, (channel, partial) in enumerate(channels):
            segments += [
                (" = " if n == 0 else f"\n{indent} + ", None),
                (f"{channel_word}{channel}: ", "channel"),
                *_products(trace, channel, typeset),
                (" = ", None),
                (typeset.number(partial), "partial"),
            ]
        total = " + ".join(typeset.number(p, bracket=True) for _, p in channels)
        segments.append((f"\n{indent} = {total}", None))
    if trace.bias is not None:
        bias = typeset.number(trace.bias, bracket=True)
        segments += [(" + ", None), (f"{bias} ({bias_word})", "bias")]
    return (*segments, (" = ", None), (typeset.number(trace.value), "value"))


def _products(trace: CellTrace, channel: int | None, typeset: Typeset) -> list[Segment]:
    segments: list[Segment] = []
    terms = [t for t in trace.terms if channel is None or t.channel == channel]
    for n, term in enumerate(terms):
        if n:
            segments.append((" + ", None))
        x = typeset.number(term.x, bracket=True)
        w = typeset.number(term.w, bracket=True)
        if term.source is None:
            segments.append((f"{x}{PAD_MARK}×{w}", "pad"))
        else:
            segments.append((f"{x}×{w}", None))
    if not terms:
        segments.append(("0", "pad"))
    return segments


def pool_sum(trace: PoolTrace, op: str, typeset: Typeset = PLAIN, *, norm_type: float = 2) -> Line:
    """``out[r,c] = max(2, 5, 2, 3) = 5``, ``(2 + 5 + 0ₚ + 3)/4 = 5/2``, or for Lp
    pooling ``(|2|^2 + |−5|^2 + 0ₚ)^(1/2) = …`` (``|2| + |−5| + 0ₚ = 7`` when P = 1).

    The power is written with ``^``, not superscripts, so that the line survives a stream
    that can only carry ASCII and a P such as 2.5 reads the same way as 2.

    >>> plain(pool_sum(PoolTrace((0, 0), (3, -4, None), ((0, 0), (0, 1), (0, 2)), 3, 5.0),
    ...                "lp"))
    'out[0,0] = (|3|^2 + |−4|^2 + 0ₚ)^(1/2) = 5'
    """
    label = cell_label(trace.label)
    value = typeset.number(trace.value)
    if op == "lp":
        power = typeset.number(norm_type)
        mark = "" if norm_type == 1 else f"^{power}"
        terms = " + ".join(
            f"|{typeset.number(v)}|{mark}" if v is not None else f"0{PAD_MARK}"
            for v in trace.values
        )
        body = terms if norm_type == 1 else f"({terms})^(1/{power})"
    elif op == "avg":
        terms = " + ".join(
            typeset.number(v, bracket=True) if v is not None else f"0{PAD_MARK}"
            for v in trace.values
        )
        body = f"({terms})/{trace.divisor}"
    else:
        body = f"{op}({', '.join(typeset.number(v) for v in trace.values if v is not None)})"
    return ((label, "label"), (f" = {body} = ", None), (value, "value"))
