"""3-D work for people: every volume shown as its depth slices, cells named ``out[d,r,c]``.

A volume ``[D][H][W]`` is shown as D grids titled with their depth (``d=0`` …; a padded
input counts its padding slices from −front, as the 2-D tables count padded rows from
−top). The first explained cell's window is lit on the slices it reads, and the explained
cells are lit on the output slices. A terminal shows at most :data:`MAX_SLICES` slices of
a volume, those around the first explained cell first; csv and json hold every number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convcli import model as M
from convcli.core import ConvSetup, TransposeSetup, dilate_kernel
from convcli.cost import cost_line, setup_cost
from convcli.notes import typeset_index
from convcli.numbers import Array
from convcli.phrases import phrase
from convcli.pooling import PoolSetup
from convcli.reports import arithmetic_block, padding_marks, size, windows_block
from convcli.trace import CellTrace, PoolTrace
from convcli.typography import Typeset

MAX_SLICES = 8
Marks = dict[tuple[int, int], M.Mark]


def _axes_text(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def _shown(depth: int, focus: int | None) -> tuple[range, int]:
    """The depth slices to show (a window of MAX_SLICES around ``focus``) and how many
    are left out."""
    if depth <= MAX_SLICES:
        return range(depth), 0
    start = min(max((focus or 0) - MAX_SLICES // 2, 0), depth - MAX_SLICES)
    return range(start, start + MAX_SLICES), depth - MAX_SLICES


def volume_grids(
    label: str,
    volume: Array,
    marks: dict[int, Marks],
    *,
    first: int = 0,
    offset: tuple[int, int] = (0, 0),
    focus: int | None = None,
) -> tuple[list[M.Grid], int]:
    """The depth slices of one ``[D][H][W]`` volume; ``first`` is the index of slice 0."""
    shown, hidden = _shown(volume.shape[0], None if focus is None else focus - first)
    grids = []
    for k in shown:
        lit = marks.get(k, {})
        spot = next((cell for cell, mark in lit.items() if mark in ("window", "current")), None)
        grids.append(M.Grid(f"{label} d={typeset_index(k + first)}", volume[k], lit, offset, spot))
    return grids, hidden


def _summary(setup: ConvSetup | TransposeSetup, typeset: Typeset, lang: str) -> tuple[str, ...]:
    p = setup.params
    extras = []
    if any(d != 1 for d in setup.dilation):
        extras.append(f"{phrase(lang, 'dilation')} {_axes_text(setup.dilation)}")
    if p.groups != 1:
        extras.append(f"{phrase(lang, 'groups')} {p.groups}")
    if setup.bias is not None:
        extras.append(f"{phrase(lang, 'bias')} " + ",".join(typeset.number(b) for b in setup.bias))
    if p.flip:
        extras.append(phrase(lang, "flipped"))
    if isinstance(setup, TransposeSetup) and any(setup.output_padding):
        extras.append(f"output padding {_axes_text(setup.output_padding)}")
    first = (
        f"{phrase(lang, 'input')} {size(setup.input_shape)}  "
        f"{phrase(lang, 'kernel')} {size(setup.kernel_shape)}  "
        f"{phrase(lang, 'stride')} {_axes_text(setup.stride)}  "
        f"{phrase(lang, 'padding')} {','.join(map(str, setup.pads))}"
    )
    return (
        first + "".join(f"  {e}" for e in extras),
        f"{phrase(lang, 'output')} {size(setup.output_shape)}",
    )


def _split(cell: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    return (cell[0], cell[1:]) if len(cell) == 4 else (0, cell)


def input_volumes(
    setup: ConvSetup | TransposeSetup, traces: Sequence[CellTrace], lang: str
) -> tuple[list[M.Grid], int]:
    """Each input channel's slices: for a convolution padded (padding marked), the first
    traced cell's window lit on the slices it reads."""
    transposed = isinstance(setup, TransposeSetup)
    volume = setup.x if transposed else setup.padded  # type: ignore[union-attr]
    front, _, top, _, left, _ = (0,) * 6 if transposed else setup.pads
    depth, height, width = setup.x.shape[1:]
    grids: list[M.Grid] = []
    hidden = 0
    for channel in range(volume.shape[0]):
        marks: dict[int, Marks] = {}
        if not transposed:
            band = padding_marks((height, width), setup.pads[2:])
            whole = dict.fromkeys(np.ndindex(*volume.shape[2:]), "padding")
            for k in range(volume.shape[1]):
                inside = front <= k < front + depth
                marks[k] = dict(band) if inside else dict(whole)
        focus = None
        mine = [t for t in traces if any(term.channel == channel for term in t.terms)]
        for term in mine[0].terms if mine else ():
            if term.channel == channel:
                k, r, c = term.position
                marks.setdefault(k, {})[(r, c)] = "window"
                focus = k if focus is None else focus
        key = "input" if transposed or not any(setup.pads) else "padded_input"
        label = phrase(lang, key)
        if volume.shape[0] > 1:
            label += f" {phrase(lang, 'channel')} {channel}"
        part, left_out = volume_grids(
            label, volume[channel], marks, first=-front, offset=(-top, -left), focus=focus
        )
        grids += part
        hidden += left_out
    return grids, hidden


def kernel_volumes(weight: Array, lang: str) -> list[M.Grid]:
    grids = []
    out_channels, in_channels = weight.shape[:2]
    for o, c in np.ndindex(out_channels, in_channels):
        label = phrase(lang, "kernel") + (f" {o}" if out_channels > 1 else "")
        label += f" {phrase(lang, 'channel')} {c}" if in_channels > 1 else ""
        grids += volume_grids(label, weight[o, c], {})[0]
    return grids[: 3 * MAX_SLICES]


def _output_volumes(
    output: Array, label: str, chosen: Sequence[tuple[int, ...]]
) -> tuple[list[M.Grid], int]:
    maps = output if output.ndim == 4 else output[None]
    grids, hidden = [], 0
    for o in range(maps.shape[0]):
        marks: dict[int, Marks] = {}
        focus = None
        for cell in chosen:
            channel, (k, r, c) = _split(cell)
            if channel == o or len(cell) == 3:
                marks.setdefault(k, {})[(r, c)] = "current"
                focus = k if focus is None else focus
        name = label + (f" {o}" if maps.shape[0] > 1 else "")
        part, left_out = volume_grids(name, maps[o], marks, focus=focus)
        grids += part
        hidden += left_out
    return grids, hidden


def _slices_note(hidden: int, lang: str) -> list[M.Block]:
    if not hidden:
        return []
    return [M.note(phrase(lang, "slices_hidden", n=hidden))]


def conv_volumes(
    command: str,
    setup: ConvSetup | TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    highlight: bool,
    typeset: Typeset,
    lang: str,
    notes: Sequence[str] = (),
) -> M.Document:
    """Summary, the input's depth slices (padded, the first explained cell's window lit),
    the kernels' slices, the output's slices, the cost, each explained cell's sum."""
    chosen = [t.cell for t in traces] if highlight else []
    inputs, hidden_in = input_volumes(setup, traces, lang)
    name = phrase(lang, "output" if command == "transpose" else "feature_map")
    outputs, hidden_out = _output_volumes(output, name, chosen)
    cost = setup_cost(setup)
    blocks: list[M.Block] = [
        M.Heading(command, _summary(setup, typeset, lang)),
        M.Grids((*inputs, *kernel_volumes(setup.weight, lang), *outputs)),
        M.note(cost_line(cost, lang, transposed=isinstance(setup, TransposeSetup), dims=3)),
        *_slices_note(hidden_in + hidden_out, lang),
        *(M.note(n) for n in notes),
        *arithmetic_block(traces, typeset, lang),
    ]
    return M.Document(tuple(blocks))


def dilate_volumes(kernel: Array, dilated: Array, dilation: Sequence[int], lang: str) -> M.Document:
    """A 3-D kernel and its dilation, slice by slice, the holes marked."""
    spans = dilated.shape[-3:]
    lines = (
        phrase(lang, "dilate_heading", d=_axes_text(dilation)),
        f"{size(kernel.shape[-3:])} → {size(spans)}",
    )
    flat = kernel.reshape((-1, *kernel.shape[-3:]))
    spread = dilate_kernel(flat, dilation)
    grids: list[M.Grid] = []
    dd, dh, dw = dilation
    for n in range(flat.shape[0]):
        suffix = f" {n}" if flat.shape[0] > 1 else ""
        grids += volume_grids(phrase(lang, "kernel") + suffix, flat[n], {})[0]
        holes: dict[int, Marks] = {
            k: {
                (r, c): "hole"
                for r in range(spans[1])
                for c in range(spans[2])
                if k % dd or r % dh or c % dw
            }
            for k in range(spans[0])
        }
        grids += volume_grids(phrase(lang, "dilated_kernel") + suffix, spread[n], holes)[0]
    return M.Document((M.Heading("dilate", lines), M.Grids(tuple(grids))))


def pool_volumes(
    setup: PoolSetup,
    output: Array,
    traces: Sequence[PoolTrace],
    *,
    highlight: bool,
    typeset: Typeset,
    lang: str,
    notes: Sequence[str] = (),
    indices: Array | None = None,
) -> M.Document:
    """3-D pooling: the input's slices (the first window lit), the pooled slices, each
    window's arithmetic."""
    axes = setup.axes
    shown_in = setup.x.shape[1:] if setup.squeeze else setup.x.shape
    first = (
        f"{phrase(lang, 'pool_' + setup.op) if setup.op != 'lp' else 'Lp'}  "
        f"{phrase(lang, 'input')} {size(shown_in)}  "
        f"{phrase(lang, 'window')} {size([a.kernel for a in axes])}  "
        f"{phrase(lang, 'stride')} {_axes_text([a.stride for a in axes])}  "
        f"{phrase(lang, 'padding')} "
        + ",".join(str(p) for a in axes for p in (a.pad_before, a.pad_after))
    )
    summary = (first, f"{phrase(lang, 'output')} {size(output.shape)}")
    chosen = list(traces) if highlight else []
    grids: list[M.Grid] = []
    hidden = 0
    for channel in range(setup.x.shape[0]):
        mine = [t for t in chosen if len(t.cell) == 3 or t.cell[0] == channel]
        marks: dict[int, Marks] = {}
        focus = None
        for k, r, c in mine[0].positions if mine else ():
            if 0 <= k < axes[0].size and 0 <= r < axes[1].size and 0 <= c < axes[2].size:
                marks.setdefault(k, {})[(r, c)] = "window"
                focus = k if focus is None else focus
        label = phrase(lang, "input") + (
            f" {phrase(lang, 'channel')} {channel}" if setup.x.shape[0] > 1 else ""
        )
        part, left_out = volume_grids(label, setup.x[channel], marks, focus=focus)
        grids += part
        hidden += left_out
    cells = [t.cell for t in chosen]
    for values, key in ((output, "pooled"), (indices, "indices")):
        if values is not None:
            part, left_out = _output_volumes(values, phrase(lang, key), cells)
            grids += part
            hidden += left_out
    blocks: list[M.Block] = [
        M.Heading("pool", summary),
        M.Grids(tuple(grids)),
        *_slices_note(hidden, lang),
        *(M.note(n) for n in notes),
        *windows_block(setup, traces, typeset, lang),
    ]
    return M.Document(tuple(blocks))
