"""What a result says, as plain data: JSON payloads and the expanded arithmetic of a cell.

Nothing here prints or imports Rich; :mod:`convcli.render` styles the segments and
the machine formats take the payloads as they are.

>>> from convcli.trace import CellTrace, Term
>>> trace = CellTrace((0, 0), (Term(0, (0, 0), (0, 0), None, 0, 2),
...                            Term(0, (0, 1), (0, 1), (0, 0), -1, 3)), 1, -2)
>>> plain(arithmetic(trace, ASCII))
'out[0,0] = 0px2 + (-1)x3 + 1 (bias) = -2'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcli.core import TransposeSetup  # trace.py imports the core already
from convcli.numbers import Array, format_number, json_number
from convcli.trace import CellTrace, PoolTrace

if TYPE_CHECKING:
    from convcli.core import ConvSetup, PoolSetup


@dataclass(frozen=True)
class Symbols:
    """The typographic signs, with an ASCII set for terminals that cannot print the others."""

    times: str
    minus: str
    dot: str
    pad: str
    ellipsis: str
    plain: bool = False  # no colour: tables mark windows with [ ] and padding with the pad sign

    def number(self, value: object, *, bracket: bool = False) -> str:
        """A value for prose: real minus sign; negatives and fractions bracketed in products."""
        text = format_number(value)
        if text.startswith("-"):
            text = self.minus + text[1:]
            return f"({text})" if bracket else text
        if bracket and isinstance(value, Fraction) and value.denominator != 1:
            return f"({text})"
        return text


UNICODE = Symbols(times="×", minus="−", dot="·", pad="ₚ", ellipsis="…")
ASCII = Symbols(times="x", minus="-", dot="*", pad="p", ellipsis="...")

Segment = tuple[str, str | None]  # text and a style name: pad, bias, value, label, channel


def arithmetic(
    trace: CellTrace, symbols: Symbols = UNICODE, words: Mapping[str, str] | None = None
) -> list[Segment]:
    """``out[r,c] = x×w + … (+ bias) = value``, multi-channel sums one line per channel.

    ``words`` may translate ``bias`` and ``channel`` (the ``ch`` before a channel number).
    """
    bias_word = (words or {}).get("bias", "bias")
    channel_word = (words or {}).get("channel", "ch")
    label = f"out[{','.join(str(i) for i in trace.cell)}]"
    channels = trace.channel_sums()
    if len(channels) <= 1:
        segments: list[Segment] = [(label, "label"), (" = ", None)]
        segments += _products(trace, None, symbols)
        if trace.bias is not None:
            segments += [
                (" + ", None),
                (f"{symbols.number(trace.bias, bracket=True)} ({bias_word})", "bias"),
            ]
        return [*segments, (" = ", None), (symbols.number(trace.value), "value")]
    indent = " " * len(label)
    segments = [(label, "label")]
    for n, (channel, partial) in enumerate(channels):
        segments += [
            (" = " if n == 0 else f"\n{indent} + ", None),
            (f"{channel_word}{channel}: ", "channel"),
        ]
        segments += [*_products(trace, channel, symbols), (" = ", None)]
        segments.append((symbols.number(partial), "partial"))
    total = " + ".join(symbols.number(p, bracket=True) for _, p in channels)
    segments += [(f"\n{indent} = {total}", None)]
    if trace.bias is not None:
        segments += [
            (" + ", None),
            (f"{symbols.number(trace.bias, bracket=True)} ({bias_word})", "bias"),
        ]
    return [*segments, (" = ", None), (symbols.number(trace.value), "value")]


def _products(trace: CellTrace, channel: int | None, symbols: Symbols) -> list[Segment]:
    segments: list[Segment] = []
    terms = [t for t in trace.terms if channel is None or t.channel == channel]
    for n, term in enumerate(terms):
        if n:
            segments.append((" + ", None))
        x = symbols.number(term.x, bracket=True)
        w = symbols.number(term.w, bracket=True)
        if term.source is None:
            segments.append((f"{x}{symbols.pad}{symbols.times}{w}", "pad"))
        else:
            segments.append((f"{x}{symbols.times}{w}", None))
    if not terms:
        segments.append(("0", "pad"))
    return segments


def plain(segments: list[Segment]) -> str:
    """The segments as unstyled text."""
    return "".join(text for text, _ in segments)


def step(trace: CellTrace) -> dict[str, Any]:
    """One entry of the JSON ``steps`` list."""
    return {
        "cell": list(trace.cell),
        "terms": [[json_number(t.x), json_number(t.w)] for t in trace.terms],
        "bias": None if trace.bias is None else json_number(trace.bias),
        "value": json_number(trace.value),
    }


def describe_unread(axis_name: str, unread: int, padded: int) -> str:
    """A warning that the last padded rows/columns are never visited."""
    what = "row" if axis_name == "height" else "column"
    first = padded - unread
    where = f"{what} {first}" if unread == 1 else f"{what}s {first}–{padded - 1}"
    return (
        f"the stride does not divide evenly: the last {unread} padded {what}"
        f"{'s' * (unread != 1)} ({where} of the padded input) "
        f"{'is' if unread == 1 else 'are'} never read"
    )


def conv_payload(
    command: str,
    setup: ConvSetup | TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace] | None,
) -> dict[str, Any]:
    """The JSON object of ``conv``, ``dilate`` and ``transpose`` (SPEC §4 keys first)."""
    p = setup.params
    payload: dict[str, Any] = {
        "command": command,
        "output": output,
        "output_shape": list(output.shape),
        "input_shape": list(setup.input_shape),
        "kernel_shape": list(setup.kernel_shape),
        "stride": list(p.stride),
        "padding": list(setup.pads),
        "dilation": list(p.dilation),
        "groups": p.groups,
        "exact": setup.exact,
        "bias": None if setup.bias is None else [json_number(b) for b in setup.bias],
        "flip": p.flip,
    }
    if isinstance(setup, TransposeSetup):
        payload["output_padding"] = list(setup.output_padding)
    else:
        payload["padding_mode"] = p.padding_mode
        payload["pad_value"] = json_number(p.pad_value)
    if traces is not None:
        payload["steps"] = [step(t) for t in traces]
    return payload


def dilate_payload(kernel: Array, dilated: Array, dilation: tuple[int, int]) -> dict[str, Any]:
    """The JSON of ``dilate`` without an input: the dilated kernel and its reach."""
    effective = list(dilated.shape[-2:])
    return {
        "command": "dilate",
        "kernel": dilated,
        "kernel_shape": list(kernel.shape),
        "dilation": list(dilation),
        "effective_size": effective,
        "receptive_field": effective,
    }


def pool_arithmetic(trace: PoolTrace, op: str, symbols: Symbols = UNICODE) -> str:
    """``max(2, 5, 2, 3) = 5`` or ``(2 + 5 + 2 + 3)/4 = 3`` (padding cells as 0ₚ or omitted)."""
    label = f"out[{','.join(str(i) for i in trace.cell)}]"
    shown = [
        symbols.number(v, bracket=op == "avg") if v is not None else f"0{symbols.pad}"
        for v in trace.values
    ]
    if op == "avg":
        terms = " + ".join(shown)
        return f"{label} = ({terms})/{trace.divisor} = {symbols.number(trace.value)}"
    real = [symbols.number(v) for v in trace.values if v is not None]
    return f"{label} = {op}({', '.join(real)}) = {symbols.number(trace.value)}"


def pool_payload(
    setup: PoolSetup, output: Array, traces: Sequence[PoolTrace] | None
) -> dict[str, Any]:
    """The JSON object of ``pool``."""
    payload: dict[str, Any] = {
        "command": "pool",
        "op": setup.op,
        "output": output,
        "output_shape": list(output.shape),
        "input_shape": list(setup.x.shape[1:] if setup.squeeze else setup.x.shape),
        "window": [setup.rows.kernel, setup.cols.kernel],
        "stride": [setup.rows.stride, setup.cols.stride],
        "padding": [
            setup.rows.pad_before,
            setup.rows.pad_after,
            setup.cols.pad_before,
            setup.cols.pad_after,
        ],
        "ceil_mode": setup.ceil_mode,
        "count_include_pad": setup.count_include_pad,
        "exact": setup.rows.exact and setup.cols.exact,
    }
    if traces is not None:
        payload["steps"] = [
            {
                "cell": list(t.cell),
                "window": [None if v is None else json_number(v) for v in t.values],
                "divisor": t.divisor,
                "value": json_number(t.value),
            }
            for t in traces
        ]
    return payload
