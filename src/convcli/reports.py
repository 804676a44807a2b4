"""The table views of ``conv``, ``dilate``, ``transpose``, ``pool`` and a single matrix,
as :class:`~convcli.model.Document` data built from a computed result (never rerun).

Padding cells are marked ``padding``, dilation holes and inserted zeros ``hole``, the
windows of the explained cells ``window`` and those cells ``current``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from convcli import model as M
from convcli.arithmetic import cell_sum, pool_sum
from convcli.core import (
    ConvSetup,
    TransposeSetup,
    conv_matrix,
    dilate_kernel,
    forward_matrix,
    run_conv,
    transpose_as_direct,
    unstrided,
)
from convcli.cost import cost_line, setup_cost
from convcli.errors import LimitError
from convcli.formulas import transpose_line
from convcli.numbers import Array
from convcli.phrases import count, phrase
from convcli.trace import CellTrace, PoolTrace, conv_window
from convcli.typography import PAD_MARK, Typeset

if TYPE_CHECKING:
    from convcli.core import PoolSetup

MAX_KERNEL_GRIDS = 12
MAX_SCATTER_LINES = 16
MAX_MATRIX_CELLS = 64  # rows and columns of the matrix view's C, at most
# the formats that hold all of a matrix view (csv holds only the result)
MATRIX_COMPLETE = ("json", "markdown", "latex")


def size(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape)


def seen(setup: object, values: Sequence[int]) -> tuple[int, ...]:
    """Per-axis values as the user gave them: 1-D work in the plane drops the row's."""
    return tuple(values)[-1:] if getattr(setup, "line", False) else tuple(values)


def seen_shape(setup: object, shape: Sequence[int]) -> tuple[int, ...]:
    """A shape without the plane's row for 1-D work (``[C][1][W]`` → ``[C][W]``)."""
    if not getattr(setup, "line", False):
        return tuple(shape)
    return (*shape[:-2], shape[-1])


def seen_pads(setup: object, pads: Sequence[int]) -> tuple[int, ...]:
    return tuple(pads)[2:] if getattr(setup, "line", False) else tuple(pads)


def pair(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def padding_marks(shape: Sequence[int], pads: Sequence[int]) -> dict[tuple[int, int], M.Mark]:
    """The padding band around a ``shape`` input padded by (top, bottom, left, right)."""
    top, bottom, left, right = pads
    height, width = shape
    rows, cols = height + top + bottom, width + left + right
    band = [(r, c) for r in [*range(top), *range(top + height, rows)] for c in range(cols)]
    band += [
        (r, c) for r in range(top, top + height) for c in [*range(left), *range(left + width, cols)]
    ]
    return dict.fromkeys(band, "padding")


def hole_marks(shape: Sequence[int], dilation: Sequence[int]) -> dict[tuple[int, int], M.Mark]:
    dh, dw = dilation
    return {(r, c): "hole" for r in range(shape[0]) for c in range(shape[1]) if r % dh or c % dw}


def arithmetic_block(traces: Sequence[CellTrace], typeset: Typeset, lang: str) -> list[M.Block]:
    if not traces:
        return []
    padded = any(term.source is None for t in traces for term in t.terms)
    head = phrase(lang, "arithmetic") + (
        " " + phrase(lang, "pad_legend", mark=PAD_MARK) if padded else ""
    )
    words = {"bias": phrase(lang, "bias"), "ch": phrase(lang, "ch")}
    return [M.title(head), *(M.math(cell_sum(t, typeset, words)) for t in traces)]


def kernel_grids(weight: Array, lang: str, dilation: tuple[int, int] = (1, 1)) -> list[M.Grid]:
    """Each kernel slice (and, with dilation, each slice dilated, its holes marked)."""
    out_channels, in_channels = weight.shape[:2]
    grids = []
    for o in range(out_channels):
        for c in range(in_channels):
            label = phrase(lang, "kernel") + (f" {o}" if out_channels > 1 else "")
            label += f" {phrase(lang, 'channel')} {c}" if in_channels > 1 else ""
            grids.append(M.Grid(label, weight[o, c]))
    if dilation != (1, 1):
        spread = dilate_kernel(weight, dilation)
        holes = hole_marks(spread.shape[-2:], dilation)
        flat = spread.reshape((-1, *spread.shape[-2:]))
        for n in range(flat.shape[0]):
            suffix = f" {n}" if flat.shape[0] > 1 else ""
            grids.append(M.Grid(phrase(lang, "dilated_kernel") + suffix, flat[n], holes))
    return grids[:MAX_KERNEL_GRIDS]


def output_grids(
    output: Array, label: str, chosen: Sequence[tuple[int, ...]], typeset: Typeset
) -> list[M.Grid]:
    """Each output channel, the chosen cells marked ``current`` (the first one in focus)."""
    maps = output if output.ndim == 3 else output[None]
    grids = []
    for o in range(maps.shape[0]):
        cells = [(c[-2], c[-1]) for c in chosen if len(c) == 2 or c[0] == o]
        title = label + (f" {o}" if maps.shape[0] > 1 else "") + f" ({size(maps.shape[-2:])})"
        marks: dict[tuple[int, int], M.Mark] = dict.fromkeys(cells, "current")
        grids.append(M.Grid(title, maps[o], marks, focus=cells[0] if cells else None))
    return grids


def conv_summary(setup: ConvSetup, typeset: Typeset, lang: str) -> tuple[str, ...]:
    p = setup.params
    word = f" ({p.padding})" if isinstance(p.padding, str) else ""
    mode = f", {p.padding_mode}" if p.padding_mode != "zeros" else ""
    value = f", {phrase(lang, 'value')} {typeset.number(p.pad_value)}" if p.pad_value != 0 else ""
    extras = []
    if p.dilation != (1, 1):
        extras.append(f"{phrase(lang, 'dilation')} {pair(seen(setup, p.dilation))}")
    if p.groups != 1:
        extras.append(f"{phrase(lang, 'groups')} {p.groups}")
    if setup.bias is not None:
        extras.append(f"{phrase(lang, 'bias')} " + ",".join(typeset.number(b) for b in setup.bias))
    if p.flip:
        extras.append(phrase(lang, "flipped"))
    first = (
        f"{phrase(lang, 'input')} {size(seen_shape(setup, setup.input_shape))}  "
        f"{phrase(lang, 'kernel')} {size(seen_shape(setup, setup.kernel_shape))}  "
        f"{phrase(lang, 'stride')} {pair(seen(setup, p.stride))}  "
        f"{phrase(lang, 'padding')} {','.join(map(str, seen_pads(setup, setup.pads)))}"
        f"{word}{mode}{value}"
    )
    return (
        first + "".join(f"  {e}" for e in extras),
        f"{phrase(lang, 'output')} {size(seen_shape(setup, setup.output_shape))}",
    )


def _reads_channel(setup: ConvSetup, cell: tuple[int, ...], channel: int) -> bool:
    groups = setup.params.groups
    o = cell[0] if len(cell) == 3 else 0
    per_in, per_out = setup.x.shape[0] // groups, setup.weight.shape[0] // groups
    return bool(o // per_out == channel // per_in)


def input_grids(setup: ConvSetup, lang: str, chosen: Sequence[tuple[int, ...]]) -> list[M.Grid]:
    """Each padded input channel: padding marked, the first chosen cell's window marked."""
    padded = setup.padded
    top, _, left, _ = setup.pads
    band = padding_marks(setup.x.shape[-2:], setup.pads)
    grids = []
    for channel in range(padded.shape[0]):
        marks = dict(band)
        reading = [cell for cell in chosen if _reads_channel(setup, cell, channel)]
        for cell in reading[:1]:  # one window: several would hide each other
            marks.update(dict.fromkeys(conv_window(setup, cell), "window"))
        key = "padded_input" if any(setup.pads) else "input"
        label = phrase(lang, key)
        if padded.shape[0] > 1:
            label += f" {phrase(lang, 'channel')} {channel}"
        focus = conv_window(setup, reading[0])[0] if reading else None
        grids.append(M.Grid(label, padded[channel], marks, (-top, -left), focus))
    return grids


def conv_report(
    command: str,
    setup: ConvSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    highlight: bool,
    typeset: Typeset,
    lang: str,
    notes: Sequence[str] = (),
    view: str = "cells",
) -> M.Document:
    """Summary, padded input, kernels, feature map, then the view asked for: each chosen
    cell's arithmetic (``cells``), the convolution as a matrix product (``matrix``) or the
    stride as subsampling of the stride-1 output (``subsample``)."""
    chosen = [t.cell for t in traces] if highlight else []
    grids = [
        *input_grids(setup, lang, chosen),
        *kernel_grids(setup.weight, lang, setup.params.dilation),
        *output_grids(output, phrase(lang, "feature_map"), chosen, typeset),
    ]
    blocks: list[M.Block] = [
        M.Heading(command, conv_summary(setup, typeset, lang)),
        M.Grids(tuple(grids)),
        M.note(cost_line(setup_cost(setup), lang, dims=1 if setup.line else 2)),
        *(M.note(n) for n in notes),
    ]
    if view == "matrix":
        blocks += conv_matrix_view(setup, output, chosen, typeset, lang)
        return M.Document(tuple(blocks), complete=MATRIX_COMPLETE)
    if view == "subsample":
        blocks += subsample_view(setup, output, typeset, lang)
    else:
        blocks += arithmetic_block(traces, typeset, lang)
    return M.Document(tuple(blocks))


def transpose_report(
    setup: TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    views: Sequence[str],
    highlight: bool,
    typeset: Typeset,
    lang: str,
    notes: Sequence[str] = (),
) -> M.Document:
    """Input, kernel and output of a transposed convolution, then the views asked for."""
    p = setup.params
    axes = (("w", setup.cols),) if setup.line else (("h", setup.rows), ("w", setup.cols))
    summary = (
        f"{phrase(lang, 'input')} {size(seen_shape(setup, setup.input_shape))}  "
        f"{phrase(lang, 'kernel')} {size(seen_shape(setup, setup.kernel_shape))}  "
        f"{phrase(lang, 'stride')} {pair(seen(setup, p.stride))}  "
        f"{phrase(lang, 'padding')} {','.join(map(str, seen_pads(setup, setup.pads)))}  "
        f"{phrase(lang, 'output_padding')} {pair(seen(setup, setup.output_padding))}  "
        f"{phrase(lang, 'dilation')} {pair(seen(setup, p.dilation))}",
        *(transpose_line(n, a) for n, a in axes),
    )
    chosen = [t.cell for t in traces] if highlight else []
    inputs = [
        M.Grid(
            phrase(lang, "input")
            + (f" {phrase(lang, 'channel')} {c}" if setup.x.shape[0] > 1 else ""),
            setup.x[c],
        )
        for c in range(setup.x.shape[0])
    ]
    grids = [
        *inputs,
        *kernel_grids(setup.weight, lang),
        *output_grids(output, phrase(lang, "output"), chosen, typeset),
    ]
    blocks: list[M.Block] = [
        M.Heading("transpose", summary),
        M.Grids(tuple(grids)),
        M.note(cost_line(setup_cost(setup), lang, transposed=True, dims=1 if setup.line else 2)),
        *(M.note(n) for n in notes),
    ]
    if "scatter" in views:
        blocks += [M.title(phrase(lang, "scatter_view")), *scatter_lines(setup, typeset, lang)]
        blocks += arithmetic_block(traces, typeset, lang)
    if "direct" in views:
        blocks += direct_view(setup, lang)
    if "matrix" in views:
        blocks += transpose_matrix_view(setup, output, chosen, typeset, lang)
        return M.Document(tuple(blocks), complete=MATRIX_COMPLETE)
    return M.Document(tuple(blocks))


def scatter_lines(setup: TransposeSetup, typeset: Typeset, lang: str) -> list[M.Block]:
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
    kh, kw = setup.weight.shape[-2:]
    top, _, left, _ = setup.pads
    channels, height, width = setup.x.shape
    lines: list[M.Block] = []
    for c in range(channels):
        for a in range(height):
            for b in range(width):
                r0, c0 = a * sh - top, b * sw - left
                where = f"x[{c},{a},{b}]" if channels > 1 else f"x[{a},{b}]"
                value = setup.x[c, a, b]
                rows = f"{typeset.number(r0)}…{typeset.number(r0 + dh * (kh - 1))}"
                cols = f"{typeset.number(c0)}…{typeset.number(c0 + dw * (kw - 1))}"
                step = (
                    f" ({phrase(lang, 'step_of', d=pair((dh, dw)))})" if (dh, dw) != (1, 1) else ""
                )
                lines.append(
                    M.math(
                        phrase(
                            lang,
                            "scatter_line",
                            name=where,
                            value=typeset.number(value),
                            times=typeset.number(value, bracket=True),
                            rows=rows,
                            cols=cols,
                        )
                        + step
                    )
                )
    if len(lines) > MAX_SCATTER_LINES:
        hidden = len(lines) - MAX_SCATTER_LINES
        lines = [*lines[:MAX_SCATTER_LINES], M.note(phrase(lang, "more_input_cells", n=hidden))]
    if any(setup.pads):
        lines.append(M.note(phrase(lang, "scatter_outside")))
    return lines


def direct_view(setup: TransposeSetup, lang: str) -> list[M.Block]:
    """The equivalent stride-1 convolution: zeros inserted (marked as holes), padded."""
    stretched, kernel, pads = transpose_as_direct(setup)
    sh, sw = setup.params.stride
    grids = []
    for channel in range(stretched.shape[0]):
        inserted = inserted_marks(stretched.shape[-2:], setup, pads)
        label = phrase(lang, "stretched_input")
        if stretched.shape[0] > 1:
            label += f" {phrase(lang, 'channel')} {channel}"
        grids.append(M.Grid(label, stretched[channel], inserted))
    grids += kernel_grids(kernel, lang)
    gap = count(lang, pair((sh - 1, sw - 1)), "zero")
    text = phrase(lang, "direct_text", gap=gap, pads=",".join(map(str, pads)))
    return [M.title(phrase(lang, "direct_view")), M.prose(text), M.Grids(tuple(grids))]


def inserted_marks(
    shape: Sequence[int], setup: TransposeSetup, pads: Sequence[int]
) -> dict[tuple[int, int], M.Mark]:
    """Cells of the stretched, padded input that hold no input value: the zeros the stride
    inserts (holes) and the padding around them."""
    (sh, sw) = setup.params.stride
    height, width = setup.x.shape[-2:]
    marks: dict[tuple[int, int], M.Mark] = {}
    for r in range(shape[0]):
        for c in range(shape[1]):
            y, x = r - pads[0], c - pads[2]  # in the stretched input (pads may crop: < 0)
            if not (0 <= y <= (height - 1) * sh and 0 <= x <= (width - 1) * sw):
                marks[(r, c)] = "padding"
            elif y % sh or x % sw:
                marks[(r, c)] = "hole"
    return marks


def matrix_refusal(setup: ConvSetup | TransposeSetup, lang: str) -> str | None:
    """Why the matrix view cannot be shown (several channels, C over the size limit), or
    None when it can."""
    height, width = setup.x.shape[-2:]
    outputs = setup.rows.output * setup.cols.output
    if isinstance(setup, TransposeSetup):
        channels_out = setup.weight.shape[1] * setup.params.groups
        rows, cols = outputs, height * width  # Cᵀ
    else:
        channels_out = setup.weight.shape[0]
        rows, cols = outputs, setup.rows.padded * setup.cols.padded
    if setup.x.shape[0] != 1 or channels_out != 1:
        return phrase(lang, "mv_one_channel", c=setup.x.shape[0], o=channels_out)
    if max(rows, cols) > MAX_MATRIX_CELLS:
        return phrase(lang, "mv_too_big", rows=rows, cols=cols, n=MAX_MATRIX_CELLS)
    return None


def _zero_marks(matrix: Array) -> dict[tuple[int, int], M.Mark]:
    return {(int(r), int(c)): "zero" for r, c in zip(*np.nonzero(matrix == 0), strict=True)}


def _column(values: Array) -> Array:
    return values.reshape((-1, 1))


def _plus_bias(bias: Sequence[object] | None, typeset: Typeset, lang: str) -> str:
    return "" if bias is None else phrase(lang, "mv_bias", b=typeset.number(bias[0]))


def _product_blocks(
    label: str,
    matrix: Array,
    vector: M.Grid,
    output: Array,
    chosen: Sequence[tuple[int, ...]],
    *,
    bias: bool,
    name: str,
    typeset: Typeset,
    lang: str,
) -> list[M.Block]:
    """The matrix, vec(x) and their product side by side (a chosen cell's row and its
    weights lit), then the product put back, row by row, into the output's shape."""
    height, width = output.shape[-2:]
    output = output.reshape((height, width))
    rows = [c[-2] * width + c[-1] for c in chosen]
    marks = _zero_marks(matrix)
    for row in rows:
        marks.update({(row, c): "window" for c in range(matrix.shape[1]) if matrix[row, c] != 0})
    lit: dict[tuple[int, int], M.Mark] = {(row, 0): "current" for row in rows}
    focus = (rows[0], 0) if rows else None
    product = f"{label}·vec(x)" + (" + b" if bias else "")
    grids = (
        M.Grid(label, matrix, marks, focus=focus),
        vector,
        M.Grid(product, _column(output), lit, focus=focus),
    )
    return [
        M.Grids(grids),
        M.prose(phrase(lang, "mv_reshaped", size=size(output.shape), what=name)),
        M.Grids(tuple(output_grids(output, name, chosen, typeset))),
    ]


def conv_matrix_view(
    setup: ConvSetup,
    output: Array,
    chosen: Sequence[tuple[int, ...]],
    typeset: Typeset,
    lang: str,
) -> list[M.Block]:
    """The convolution as vec(y) = C·vec(x) (+ b): C sparse, x the padded input."""
    refusal = matrix_refusal(setup, lang)
    if refusal:
        return [M.note(refusal)]
    matrix = forward_matrix(setup)
    padded = setup.padded[0]
    width = padded.shape[1]
    band = padding_marks(setup.x.shape[-2:], setup.pads)
    vector = M.Grid(
        "vec(x)", _column(padded), {(r * width + c, 0): mark for (r, c), mark in band.items()}
    )
    what = phrase(lang, "padded_input" if any(setup.pads) else "input")
    rows, cols = matrix.shape
    return [
        M.title(phrase(lang, "mv_conv_title", plus_b=_plus_bias(setup.bias, typeset, lang))),
        M.prose(phrase(lang, "mv_conv_text", rows=rows, cols=cols, what=what)),
        *_product_blocks(
            "C",
            matrix,
            vector,
            output,
            chosen,
            bias=setup.bias is not None,
            name=phrase(lang, "feature_map"),
            typeset=typeset,
            lang=lang,
        ),
    ]


def transpose_matrix_view(
    setup: TransposeSetup,
    output: Array,
    chosen: Sequence[tuple[int, ...]],
    typeset: Typeset,
    lang: str,
) -> list[M.Block]:
    """The transposed convolution as vec(y) = Cᵀ·vec(x) (+ b), C the forward convolution's."""
    refusal = matrix_refusal(setup, lang)
    if refusal:
        return [M.note(refusal)]
    matrix = conv_matrix(setup).T
    rows, cols = matrix.shape
    plus_b = _plus_bias(setup.bias, typeset, lang)
    return [
        M.title(phrase(lang, "mv_transpose_title", plus_b=plus_b)),
        M.prose(phrase(lang, "mv_transpose_text", rows=rows, cols=cols)),
        *_product_blocks(
            "Cᵀ",
            matrix,
            M.Grid("vec(x)", _column(setup.x[0])),
            output,
            chosen,
            bias=setup.bias is not None,
            name=phrase(lang, "output"),
            typeset=typeset,
            lang=lang,
        ),
    ]


def subsample_view(setup: ConvSetup, output: Array, typeset: Typeset, lang: str) -> list[M.Block]:
    """The stride-1 output with the cells the stride keeps lit: the strided output is it,
    subsampled."""
    blocks: list[M.Block] = [M.title(phrase(lang, "mv_subsample_title"))]
    sh, sw = setup.params.stride
    if (sh, sw) == (1, 1):
        return [*blocks, M.note(phrase(lang, "mv_stride_is_one"))]
    try:
        full = run_conv(unstrided(setup))
    except LimitError as exc:  # the stride-1 output may be too large where the strided is not
        return [*blocks, M.note(str(exc))]
    kept = [(r * sh, c * sw) for r in range(setup.rows.output) for c in range(setup.cols.output)]
    text = phrase(
        lang,
        "mv_subsample_text",
        full=size(full.shape[-2:]),
        s=pair((sh, sw)),
        sh=sh,
        sw=sw,
        out=size(output.shape[-2:]),
    )
    grids = output_grids(full, phrase(lang, "mv_stride1"), kept, typeset)
    return [*blocks, M.prose(text), M.Grids(tuple(grids))]


def dilate_report(
    kernel: Array, dilated: Array, dilation: tuple[int, int], lang: str, *, line: bool = False
) -> M.Document:
    """The kernel, the dilated kernel with its holes marked, the effective size (``line``:
    a 1-D kernel in the plane, said with one axis)."""
    dh, dw = dilation
    kh, kw = kernel.shape[-2:]
    eh, ew = dilated.shape[-2:]
    lines = (
        phrase(lang, "dilate_heading", d=pair(dilation[1:] if line else dilation)),
        phrase(lang, "dilate_size", d=dw, k=kw, e=ew)
        if line
        else phrase(lang, "dilate_sizes", dh=dh, kh=kh, eh=eh, dw=dw, kw=kw, ew=ew),
        phrase(lang, "dilate_field", size=str(ew) if line else f"{eh}×{ew}", taps=kh * kw),
    )
    flat = kernel.reshape((-1, kh, kw))
    grids = kernel_grids(flat[:, None], lang, dilation)
    return M.Document((M.Heading("dilate", lines), M.Grids(tuple(grids))))


def pool_report(
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
    """Input (the first chosen window marked), pooled map, with ``indices`` a map of the
    flat input index each value came from, each window's arithmetic."""
    rows, cols = setup.rows, setup.cols
    shown_in = seen_shape(setup, setup.x.shape[1:] if setup.squeeze else setup.x.shape)
    pads = seen_pads(setup, (rows.pad_before, rows.pad_after, cols.pad_before, cols.pad_after))
    # one number per axis while each axis is padded alike, else every side
    padding = pair(pads[::2]) if pads[0::2] == pads[1::2] else ",".join(map(str, pads))
    dilation = pair(seen(setup, (rows.dilation, cols.dilation)))
    first = (
        f"{_pool_name(setup, lang)}  {phrase(lang, 'input')} {size(shown_in)}  "
        f"{phrase(lang, 'window')} {size(seen(setup, (rows.kernel, cols.kernel)))}  "
        f"{phrase(lang, 'stride')} {pair(seen(setup, (rows.stride, cols.stride)))}  "
        f"{phrase(lang, 'padding')} {padding}"
        + ("" if dilation == "1" else f"  {phrase(lang, 'dilation')} {dilation}")
        + (f"  {phrase(lang, 'ceil_mode')}" if setup.ceil_mode else "")
        + (
            ""
            if setup.count_include_pad or setup.op != "avg"
            else f"  {phrase(lang, 'pad_not_counted')}"
        )
    )
    summary = (first, f"{phrase(lang, 'output')} {size(seen_shape(setup, output.shape))}")
    chosen = list(traces) if highlight else []
    grids = []
    for channel in range(setup.x.shape[0]):
        mine = [t for t in chosen if len(t.cell) == 2 or t.cell[0] == channel]
        marks: dict[tuple[int, int], M.Mark] = {}
        focus = None
        if mine:
            inside = [
                (a, b) for a, b in mine[0].positions if 0 <= a < rows.size and 0 <= b < cols.size
            ]
            marks = dict.fromkeys(inside, "window")
            focus = inside[0] if inside else None
        label = phrase(lang, "input") + (
            f" {phrase(lang, 'channel')} {channel}" if setup.x.shape[0] > 1 else ""
        )
        grids.append(M.Grid(label, setup.x[channel], marks, focus=focus))
    grids += output_grids(output, phrase(lang, "pooled"), [t.cell for t in chosen], typeset)
    if indices is not None:
        grids += output_grids(indices, phrase(lang, "indices"), [t.cell for t in chosen], typeset)
    blocks: list[M.Block] = [
        M.Heading("pool", summary),
        M.Grids(tuple(grids)),
        *(M.note(n) for n in notes),
        *windows_block(setup, traces, typeset, lang),
    ]
    return M.Document(tuple(blocks))


def windows_block(
    setup: PoolSetup, traces: Sequence[PoolTrace], typeset: Typeset, lang: str
) -> list[M.Block]:
    """Each explained window's arithmetic under a title (nothing when none is)."""
    if not traces:
        return []
    sums = [M.math(pool_sum(t, setup.op, typeset, norm_type=setup.norm_type)) for t in traces]
    return [M.title(phrase(lang, "windows")), *sums]


def _pool_name(setup: PoolSetup, lang: str) -> str:
    """``max pooling`` and the like; Lp pooling names its P (``L2 pooling``)."""
    if setup.op != "lp":
        return phrase(lang, "pool_" + setup.op)
    power = Typeset().number(setup.norm_type)
    return phrase(lang, "pool_lp", p=power)


def matrix_document(matrix: Array, label: str) -> M.Document:
    """One matrix (a kernel preset, say), each channel its own grid."""
    if matrix.ndim == 2:
        return M.Document((M.Grids((M.Grid(label, matrix),)),))
    flat = matrix.reshape((-1, *matrix.shape[-2:]))
    return M.Document((M.Grids(tuple(M.Grid(f"{label} {n}", m) for n, m in enumerate(flat))),))
