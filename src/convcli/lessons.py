"""The ``explain`` lesson as data: a list of steps, each with matrices to show (cells
marked as padding, window, hole or new) and lines of text. Pure: no Rich, no printing.

The six steps of the course notes: define the kernel; align it (padding, and the size
formula with the numbers in); multiply and add, one step per output cell; then the
result with a summary of what the stride and the padding did. Transposed convolutions
scatter one input cell per step and end with the equivalent direct convolution;
pooling shows one window per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from convcli import model as M
from convcli import relations as rel
from convcli.arithmetic import cell_label, cell_sum, pool_sum
from convcli.core import ConvSetup, PoolSetup, TransposeSetup, dilate_kernel, transpose_as_direct
from convcli.cost import cost_line, setup_cost
from convcli.formulas import conv_line, pool_line, same_line, transpose_line
from convcli.model import Grid, Line, Mark
from convcli.numbers import Array
from convcli.phrases import count, phrase
from convcli.reports import hole_marks, inserted_marks, padding_marks
from convcli.trace import (
    CellTrace,
    PoolTrace,
    all_cells,
    conv_window,
    trace_conv,
    trace_pool,
    trace_transpose,
)
from convcli.typography import Typeset


@dataclass(frozen=True)
class Step:
    """One panel of the lesson: its first line, its grids, then the other lines."""

    kind: str  # kernel, align, cell, scatter, direct, result
    title: str
    grids: tuple[Grid, ...]
    lines: tuple[Line, ...]

    def blocks(self) -> tuple[M.Block, ...]:
        def block(line: Line) -> M.Block:
            math = any(style for _, style in line) or M.plain(line).startswith(
                ("out[", "h' =", "w' =", "same ")
            )
            return M.Text(line, "math" if math else "prose")

        grids: tuple[M.Block, ...] = (M.Grids(self.grids),) if self.grids else ()
        return (*map(block, self.lines[:1]), *grids, *map(block, self.lines[1:]))


@dataclass(frozen=True)
class Lesson:
    """The steps of a lesson; ``only(n)`` keeps step n with its place in the whole."""

    title: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()
    first: int = 1  # the number of steps[0]
    total: int = 0  # steps in the whole lesson (0: len(steps))

    def numbered(self) -> list[tuple[int, int, Step]]:
        """(n, total, step) for each step."""
        total = self.total or len(self.steps)
        return [(self.first + i, total, step) for i, step in enumerate(self.steps)]

    def only(self, n: int) -> Lesson:
        return Lesson(self.title, (self.steps[n - 1],), (), n, len(self.steps))

    def document(self, lang: str) -> M.Document:
        """The lesson as panels, "Step n of N · title" (a large grid points to the
        formats ``explain`` writes whole)."""
        panels: list[M.Block] = [
            M.Panel(f"{phrase(lang, 'step', n=n, total=total)} · {step.title}", step.blocks())
            for n, total, step in self.numbered()
        ]
        blocks = (*panels, *map(M.note, self.notes))
        return M.Document(blocks, self.title, lang, complete=("markdown", "json"))

    def payload(self) -> dict[str, Any]:
        """The JSON of ``explain``: each step's kind, title, lines and marked grids."""
        return {
            "command": "explain",
            "title": self.title,
            "steps": [
                {
                    "kind": s.kind,
                    "title": s.title,
                    "lines": [M.plain(line) for line in s.lines],
                    "grids": [
                        {
                            "label": g.label,
                            "values": g.values,
                            "offset": list(g.offset),
                            "marks": [[r, c, m] for (r, c), m in sorted(g.marks.items())],
                        }
                        for g in s.grids
                    ],
                }
                for s in self.steps
            ],
            "notes": list(self.notes),
        }


_text = M.text


def _size(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape)


def _pair(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]},{pair[1]}"


def _pads_text(pads: Sequence[int]) -> str:
    return str(pads[0]) if len(set(pads)) == 1 else ",".join(map(str, pads))


# --- convolution (and dilated convolution) ---------------------------------------------


Traced = TypeVar("Traced", CellTrace, PoolTrace)


def _named(traces: list[Traced], line: bool) -> list[Traced]:
    """1-D work's traces named without the plane's row (``out[3]``)."""
    from convcli import lens

    return lens.named(traces) if line else traces


def conv_lesson(
    setup: ConvSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None,
    *,
    lang: str,
    typeset: Typeset,
    dilated: bool = False,
    limit: int = 16,
    line: bool = False,
) -> Lesson:
    """The walkthrough of a computed convolution; ``cells`` None: the first ``limit``;
    ``line``: 1-D work in the plane, its cells named without the row."""
    chosen, hidden = choose_cells(output.shape, cells, limit)
    op = phrase(lang, "op_dilate" if dilated else "op_conv")
    steps = [_kernel_step(setup, lang, typeset), _align_step(setup, lang)]
    for trace in _named(trace_conv(setup, output, chosen), line):
        steps.append(_cell_step(setup, output, trace, chosen, lang, typeset))
    steps.append(_result_step(setup, output, lang))
    notes = (phrase(lang, "more_cells", n=hidden),) if hidden else ()
    return Lesson(phrase(lang, "title", op=op), tuple(steps), notes)


def choose_cells(
    shape: tuple[int, ...], cells: Sequence[tuple[int, ...]] | None, limit: int
) -> tuple[list[tuple[int, ...]], int]:
    if cells is not None:
        return list(cells), 0
    everything = list(all_cells(shape))
    return everything[:limit], max(len(everything) - limit, 0)


def _kernel_step(setup: ConvSetup, lang: str, typeset: Typeset) -> Step:
    out_ch, per_group, kh, kw = setup.weight.shape
    grids = [
        Grid(_kernel_label(lang, o, c, out_ch, per_group), setup.weight[o, c])
        for o in range(min(out_ch, 4))
        for c in range(per_group)
    ]
    lines = [_text(phrase(lang, "kernel_text", size=f"{kh}×{kw}"))]
    if per_group > 1:
        lines.append(_text(phrase(lang, "kernel_channels", c=per_group, kh=kh, kw=kw)))
    if out_ch > 1:
        lines.append(_text(phrase(lang, "kernel_outputs", o=out_ch)))
    if setup.params.groups > 1:
        lines.append(_text(phrase(lang, "kernel_groups", g=setup.params.groups, per=per_group)))
    if setup.params.flip:
        lines.append(_text(phrase(lang, "kernel_flip")))
    dh, dw = setup.params.dilation
    if (dh, dw) != (1, 1):
        dilated = dilate_kernel(setup.weight[0, 0], (dh, dw))
        holes = hole_marks(dilated.shape, (dh, dw))
        grids.append(Grid(phrase(lang, "dilated_kernel"), dilated, holes))
        span = f"{dilated.shape[0]}×{dilated.shape[1]}"
        lines.append(
            _text(phrase(lang, "dilation_text", d=_pair((dh, dw)), span=span, taps=kh * kw))
        )
    if setup.bias is not None:
        bias = ", ".join(typeset.number(b) for b in setup.bias)
        lines.append(_text(phrase(lang, "kernel_bias", b=bias)))
    return Step("kernel", phrase(lang, "kernel_title"), tuple(grids), tuple(lines))


def _kernel_label(lang: str, o: int, c: int, out_ch: int, per_group: int) -> str:
    if out_ch == 1 and per_group == 1:
        return phrase(lang, "kernel")
    return phrase(lang, "kernel_slice", o=o, c=c)


def _padded_grids(
    setup: ConvSetup, lang: str, windows: dict[int, list[tuple[int, int]]]
) -> list[Grid]:
    padded = setup.padded
    marks = padding_marks(setup.x.shape[-2:], setup.pads)
    top, _, left, _ = setup.pads
    channels = padded.shape[0]
    grids = []
    for c in range(channels):
        cell_marks = dict(marks)
        window = windows.get(c, [])
        cell_marks.update(dict.fromkeys(window, "window"))
        padded_word = any(setup.pads)
        if channels == 1:
            label = phrase(lang, "padded_input" if padded_word else "input")
        else:
            label = phrase(lang, "padded_input_channel" if padded_word else "input_channel", c=c)
        focus = window[0] if window else None
        grids.append(Grid(label, padded[c], cell_marks, (-top, -left), focus))
    return grids


def _align_step(setup: ConvSetup, lang: str) -> Step:
    p = setup.params
    lines = []
    if any(setup.pads):
        top, bottom, left, right = setup.pads
        mode = p.padding_mode if p.pad_value == 0 else f"{p.padding_mode}, {p.pad_value}"
        rows = [count(lang, n, "row") for n in (top, bottom)]
        cols = [count(lang, n, "column") for n in (left, right)]
        text = phrase(
            lang, "align_pad", mode=mode, top=rows[0], bottom=rows[1], left=cols[0], right=cols[1]
        )
        lines.append(_text(text))
    else:
        lines.append(_text(phrase(lang, "align_valid")))
    if p.padding == "same":
        lines.append(_text(phrase(lang, "align_same")))
        lines += [_text(same_line(n, a)) for n, a in (("h", setup.rows), ("w", setup.cols))]
    sh, sw = count(lang, p.stride[0], "row"), count(lang, p.stride[1], "column")
    lines.append(_text(phrase(lang, "align_start", sh=sh, sw=sw)))
    lines.append(_text(phrase(lang, "size_text")))
    lines += [_text(conv_line(n, a)) for n, a in (("h", setup.rows), ("w", setup.cols))]
    named = [rel.conv_relation(n, a, lang) for n, a in (("h", setup.rows), ("w", setup.cols))]
    lines += [_text(t) for t in rel.merged([[n] if n else [] for n in named], ("h", "w"))]
    return Step(
        "align", phrase(lang, "align_title"), tuple(_padded_grids(setup, lang, {})), tuple(lines)
    )


def _so_far(
    output: Array, done: Sequence[tuple[int, ...]], new: tuple[int, ...], label: str
) -> list[Grid]:
    maps = output if output.ndim == 3 else output[None]
    grids = []
    seen = {c if len(c) == 3 else (0, *c) for c in done}
    new3 = new if len(new) == 3 else (0, *new)
    # only the part a step shows is marked (M.windowed): the cost stays with what is shown
    r0, r1 = M.span(new3[1], maps.shape[1])
    c0, c1 = M.span(new3[2], maps.shape[2])
    for o in range(maps.shape[0]):
        marks: dict[tuple[int, int], Mark] = {}
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (o, r, c) == new3:
                    marks[(r, c)] = "current"
                elif (o, r, c) not in seen:
                    marks[(r, c)] = "blank"
        name = label if maps.shape[0] == 1 else f"{label} {o}"
        focus = (new3[1], new3[2])
        grids.append(M.windowed(Grid(name, maps[o], marks, focus=focus)))
    return grids


def _cell_step(
    setup: ConvSetup,
    output: Array,
    trace: CellTrace,
    chosen: Sequence[tuple[int, ...]],
    lang: str,
    typeset: Typeset,
) -> Step:
    window = conv_window(setup, trace.cell)
    channels = sorted({t.channel for t in trace.terms})
    grids = _padded_grids(setup, lang, dict.fromkeys(channels, window))
    o = trace.cell[0] if len(trace.cell) == 3 else 0
    per_group = setup.weight.shape[1]
    grids += [
        Grid(_kernel_label(lang, o, c, setup.weight.shape[0], per_group), setup.weight[o, c])
        for c in range(per_group)
    ]
    done = chosen[: chosen.index(trace.cell) + 1]
    name = phrase(lang, "so_far", name=phrase(lang, "feature_map"))
    grids += _so_far(output, done, trace.cell, name)
    intro = phrase(lang, "cell_channels" if len(channels) > 1 else "cell_text")
    words = {"bias": phrase(lang, "bias"), "channel": phrase(lang, "ch")}
    lines = [_text(intro), cell_sum(trace, typeset, words)]
    label = cell_label(trace.label)
    return Step(
        "cell", phrase(lang, "cell_title", name=label), tuple(map(M.windowed, grids)),
        tuple(lines),
    )  # fmt: skip


def _result_step(setup: ConvSetup, output: Array, lang: str) -> Step:
    name = phrase(lang, "feature_map")
    maps = output if output.ndim == 3 else output[None]
    grids = [
        Grid(name if maps.shape[0] == 1 else f"{name} {o}", maps[o]) for o in range(maps.shape[0])
    ]
    p = setup.params
    rows, cols = setup.rows, setup.cols
    kh, kw = setup.weight.shape[-2:]
    lines = [
        _text(
            phrase(
                lang,
                "summary_size",
                input=_size((rows.size, cols.size)),
                kernel=_size((kh, kw)),
                stride=_pair(p.stride),
                padding=_pads_text(setup.pads),
                output=_size(output.shape[-2:]),
                target=name,
            )
        )
    ]
    valid = ((rows.size - rows.span) // rows.stride + 1, (cols.size - cols.span) // cols.stride + 1)
    if any(setup.pads):
        kept = valid != (rows.output, cols.output) and (rows.output, cols.output) == (
            rows.size,
            cols.size,
        )
        key = "summary_padding_kept" if kept else "summary_padding_grew"
        shown = _size(valid) if min(valid) >= 1 else "—"
        lines.append(_text(phrase(lang, key, valid=shown)))
    elif p.stride == (1, 1):
        lines.append(
            _text(
                phrase(
                    lang,
                    "summary_no_padding",
                    shrink=phrase(lang, "list_sep").join(map(str, (rows.span - 1, cols.span - 1))),
                )
            )
        )
    if p.stride != (1, 1):
        lines.append(_text(phrase(lang, "summary_stride", stride=_pair(p.stride))))
    unread = [
        phrase(lang, key, n=count(lang, n, noun))
        for key, noun, n in (
            ("unread_rows", "row", rows.unread),
            ("unread_cols", "column", cols.unread),
        )
        if n
    ]
    if unread:
        verb = phrase(
            lang, "verb_is" if len(unread) == 1 and 1 in (rows.unread, cols.unread) else "verb_are"
        )
        lines.append(_text(phrase(lang, "summary_unread", what=", ".join(unread), verb=verb)))
    if setup.x.shape[0] > 1:
        lines.append(_text(phrase(lang, "summary_channels", c=setup.x.shape[0])))
    lines.append(_text(cost_line(setup_cost(setup), lang)))
    return Step("result", phrase(lang, "result_title"), tuple(grids), tuple(lines))


# --- transposed convolution --------------------------------------------------------------


def transpose_lesson(
    setup: TransposeSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None = None,
    *,
    lang: str,
    typeset: Typeset,
    limit: int = 16,
    line: bool = False,
) -> Lesson:
    """Scatter each input cell, step by step; then the same output as the kernel (rotated)
    sliding over the stretched, padded input, one output cell per step."""
    name = phrase(lang, "output")
    kh, kw = setup.weight.shape[-2:]
    kernel_grids = [
        Grid(phrase(lang, "kernel"), setup.weight[c, o])
        for c in range(min(setup.weight.shape[0], 4))
        for o in range(setup.weight.shape[1])
    ]
    stride = count(lang, _pair(setup.params.stride), "cell")
    intro = phrase(lang, "kernel_text_transpose", size=f"{kh}×{kw}", stride=stride)
    steps = [Step("kernel", phrase(lang, "kernel_title"), tuple(kernel_grids), (_text(intro),))]
    axes = (("h", setup.rows), ("w", setup.cols))
    named = rel.merged([rel.transpose_relations(n, a, lang) for n, a in axes], ("h", "w"))
    formula = tuple(_text(line) for line in [*(transpose_line(n, a) for n, a in axes), *named])
    inputs = tuple(Grid(phrase(lang, "input"), setup.x[c]) for c in range(setup.x.shape[0]))
    align = (
        _text(phrase(lang, "align_transpose", stride=stride)),
        _text(phrase(lang, "size_text")),
    )
    steps.append(Step("align", phrase(lang, "align_title"), inputs, (*align, *formula)))
    partial = np.zeros_like(output if output.ndim == 3 else output[None])
    positions = [
        (c, a, b)
        for c in range(setup.x.shape[0])
        for a in range(setup.x.shape[1])
        for b in range(setup.x.shape[2])
    ]
    for c, a, b in positions[:limit]:
        steps.append(_scatter_step(setup, partial, (c, a, b), lang, typeset, name))
    steps.append(_direct_step(setup, lang))
    steps += _direct_cell_steps(setup, output, cells, lang, typeset, limit, line)
    traces = _named(trace_transpose(setup, output, list(all_cells(output.shape))[:limit]), line)
    words = {"bias": phrase(lang, "bias"), "ch": phrase(lang, "ch")}
    result_lines = [cell_sum(t, typeset, words) for t in traces]
    (sh, sw) = setup.params.stride
    summary = _text(
        phrase(
            lang,
            "summary_transpose",
            stride=_pair((sh, sw)),
            input=_size(setup.x.shape[-2:]),
            output=_size(output.shape[-2:]),
        )
    )
    maps = output if output.ndim == 3 else output[None]
    grids = tuple(Grid(name, maps[o]) for o in range(maps.shape[0]))
    cost = _text(cost_line(setup_cost(setup), lang, transposed=True))
    result = (summary, cost, *result_lines)
    steps.append(Step("result", phrase(lang, "result_title"), grids, result))
    hidden = max(len(positions) - limit, 0)
    notes = (phrase(lang, "more_cells", n=hidden),) if hidden else ()
    return Lesson(phrase(lang, "title", op=phrase(lang, "op_transpose")), tuple(steps), notes)


def _direct_cell_steps(
    setup: TransposeSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None,
    lang: str,
    typeset: Typeset,
    limit: int,
    line: bool = False,
) -> list[Step]:
    """The guide's picture of a transposed convolution: the rotated kernel sliding over the
    stretched, padded input with stride 1, each output cell's sum written out."""
    from convcli.core import prepare_conv
    from convcli.params import ConvParams

    stretched, kernel, pads = transpose_as_direct(setup)
    params = ConvParams.build(dilation=setup.params.dilation, groups=setup.params.groups)
    direct = prepare_conv(stretched, kernel, params=params, bias=setup.bias)
    chosen, _ = choose_cells(output.shape, cells, limit)
    marks = inserted_marks(stretched.shape[-2:], setup, pads)
    words = {"bias": phrase(lang, "bias"), "ch": phrase(lang, "ch")}
    steps = []
    for trace in _named(trace_conv(direct, output, chosen), line):
        window = conv_window(direct, trace.cell)
        o = trace.cell[0] if len(trace.cell) == 3 else 0
        channels = sorted({t.channel for t in trace.terms}) or [0]
        grids = [
            Grid(
                phrase(lang, "stretched_input"),
                stretched[channels[0]],
                {**marks, **dict.fromkeys(window, "window")},
                focus=window[0],
            ),
            Grid(phrase(lang, "kernel_rotated"), kernel[o, 0]),
        ]
        done = chosen[: chosen.index(trace.cell) + 1]
        grids += _so_far(
            output, done, trace.cell, phrase(lang, "so_far", name=phrase(lang, "output"))
        )
        lines = (_text(phrase(lang, "direct_cell_text")), cell_sum(trace, typeset, words))
        title = phrase(lang, "direct_cell_title", name=cell_label(trace.label))
        steps.append(Step("direct_cell", title, tuple(map(M.windowed, grids)), lines))
    return steps


def _scatter_step(
    setup: TransposeSetup,
    partial: Array,
    where: tuple[int, int, int],
    lang: str,
    typeset: Typeset,
    name: str,
) -> Step:
    c, a, b = where
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
    top, _, left, _ = setup.pads
    kh, kw = setup.weight.shape[-2:]
    value = setup.x[c, a, b]
    groups = setup.params.groups
    per_in, per_out = setup.x.shape[0] // groups, setup.weight.shape[1]
    first_out = (c // per_in) * per_out
    touched: dict[tuple[int, int], Mark] = {}
    for o in range(per_out):
        for i in range(kh):
            for j in range(kw):
                r, col = a * sh + i * dh - top, b * sw + j * dw - left
                if 0 <= r < partial.shape[1] and 0 <= col < partial.shape[2]:
                    partial[first_out + o, r, col] += value * setup.weight[c, o, i, j]
                    touched[(r, col)] = "current"
    r0, c0 = a * sh - top, b * sw - left
    rows = f"{typeset.number(r0)}…{typeset.number(r0 + dh * (kh - 1))}"
    cols = f"{typeset.number(c0)}…{typeset.number(c0 + dw * (kw - 1))}"
    cell = f"x[{a},{b}]" if setup.x.shape[0] == 1 else f"x[{c},{a},{b}]"
    input_marks: dict[tuple[int, int], Mark] = {(a, b): "window"}
    grids = [
        Grid(phrase(lang, "input"), setup.x[c], input_marks),
        Grid(phrase(lang, "kernel"), setup.weight[c, 0]),
    ]
    grids += [
        Grid(phrase(lang, "so_far", name=name), partial[first_out + o].copy(), touched)
        for o in range(min(per_out, 2))
    ]
    lines = [
        _text(
            phrase(
                lang, "scatter_text", name=cell, value=typeset.number(value), rows=rows, cols=cols
            )
        )
    ]
    if any(setup.pads):
        lines.append(_text(phrase(lang, "scatter_outside")))
    return Step(
        "scatter", phrase(lang, "scatter_title", name=cell), tuple(map(M.windowed, grids)),
        tuple(lines),
    )  # fmt: skip


def _direct_step(setup: TransposeSetup, lang: str) -> Step:
    stretched, kernel, pads = transpose_as_direct(setup)
    sh, sw = setup.params.stride
    gap = count(lang, _pair((sh - 1, sw - 1)), "zero")
    grids = (
        Grid(
            phrase(lang, "stretched_input"),
            stretched[0],
            inserted_marks(stretched.shape[-2:], setup, pads),
        ),
        Grid(phrase(lang, "kernel"), kernel[0, 0]),
    )
    text = phrase(lang, "direct_text", gap=gap, pads=",".join(map(str, pads)))
    return Step("direct", phrase(lang, "direct_title"), grids, (_text(text),))


# --- pooling -------------------------------------------------------------------------------


def pool_lesson(
    setup: PoolSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None,
    *,
    lang: str,
    typeset: Typeset,
    limit: int = 16,
    line: bool = False,
) -> Lesson:
    """The window and its op, the size formula, one window per step, the result."""
    chosen, hidden = choose_cells(output.shape, cells, limit)
    power = Typeset().number(setup.norm_type)  # Lp pooling's P (the other ops ignore it)
    what = phrase(lang, f"what_{setup.op}", p=power)
    rows, cols = setup.rows, setup.cols
    window = f"{rows.kernel}×{cols.kernel}"
    first = Step(
        "kernel",
        phrase(lang, "window_title"),
        (),
        (_text(phrase(lang, "window_text", size=window, what=what)),),
    )
    axes = (("h", rows), ("w", cols))
    named = [rel.pool_relation(n, a, lang) for n, a in axes]
    formula = tuple(
        _text(line)
        for line in [
            *(pool_line(n, a, setup.ceil_mode) for n, a in axes),
            *rel.merged([[n] if n else [] for n in named], ("h", "w")),
        ]
    )
    inputs = tuple(_pool_input(setup, c, lang, []) for c in range(setup.x.shape[0]))
    sh, sw = count(lang, rows.stride, "row"), count(lang, cols.stride, "column")
    placing = (
        _text(
            phrase(
                lang,
                f"pool_pad_{setup.op}",
                top=count(lang, rows.pad_before, "row"),
                bottom=count(lang, rows.pad_after, "row"),
                left=count(lang, cols.pad_before, "column"),
                right=count(lang, cols.pad_after, "column"),
            )
        )
        if rows.pad_before or rows.pad_after or cols.pad_before or cols.pad_after
        else _text(phrase(lang, "pool_no_pad"))
    )
    align_lines = (
        placing,
        _text(phrase(lang, "window_start", sh=sh, sw=sw)),
        _text(phrase(lang, "size_text")),
        *formula,
    )
    steps = [first, Step("align", phrase(lang, "align_window_title"), inputs, align_lines)]
    name = phrase(lang, "output")
    for trace in _named(trace_pool(setup, output, chosen), line):
        channel = trace.cell[0] if len(trace.cell) == 3 else 0
        grids = [_pool_input(setup, channel, lang, trace.positions)]
        done = chosen[: chosen.index(trace.cell) + 1]
        grids += _so_far(output, done, trace.cell, phrase(lang, "so_far", name=name))
        lines = (
            _text(phrase(lang, "pool_cell_text", what=what)),
            pool_sum(trace, setup.op, typeset, norm_type=setup.norm_type),
        )
        label = cell_label(trace.label)
        title = phrase(lang, "pool_cell_title", name=label)
        steps.append(Step("cell", title, tuple(map(M.windowed, grids)), lines))
    maps = output if output.ndim == 3 else output[None]
    summary = _text(
        phrase(
            lang,
            "summary_pool",
            window=window,
            stride=_pair((rows.stride, cols.stride)),
            input=_size((rows.size, cols.size)),
            output=_size(output.shape[-2:]),
        )
    )
    steps.append(
        Step("result", phrase(lang, "result_title"), tuple(Grid(name, m) for m in maps), (summary,))
    )
    notes = (phrase(lang, "more_cells", n=hidden),) if hidden else ()
    kind = phrase(lang, f"kind_{setup.op}", p=power)
    return Lesson(phrase(lang, "title", op=phrase(lang, "op_pool", kind=kind)), tuple(steps), notes)


def catalogue(lang: str) -> tuple[list[dict[str, str]], M.Document]:
    """``explain --list``: each of the guide's relationships and each lesson, with the one
    command that shows it, as JSON rows and as a document."""
    rows = []
    for entry in rel.CATALOGUE:
        title = phrase(lang, f"t_{entry.key}")
        if entry.key.startswith("rel"):
            title = f"{phrase(lang, 'relationship', n=entry.key[3:])}: {title}"
        rows.append({"key": entry.key, "title": title, "command": entry.command})
    blocks: list[M.Block] = [M.title(phrase(lang, "list_title"))]
    for row in rows:
        blocks += [M.prose(row["title"]), M.math(f"  {row['command']}")]
    return rows, M.Document(tuple(blocks), lang=lang)


def _pool_input(
    setup: PoolSetup, channel: int, lang: str, window: Sequence[tuple[int, ...]]
) -> Grid:
    """The input of one channel with its padding: 0ₚ where an average may count it, ·
    where a max or min never picks it; the window's cells (input coordinates) lit."""
    top, left = setup.rows.pad_before, setup.cols.pad_before
    bottom, right = setup.rows.pad_after, setup.cols.pad_after
    x = setup.x[channel]
    height, width = x.shape
    values = np.zeros((height + top + bottom, width + left + right), dtype=x.dtype)
    values[top : top + height, left : left + width] = x
    band = padding_marks((height, width), (top, bottom, left, right))
    fill: Mark = "padding" if setup.op in ("avg", "lp") else "blank"
    marks: dict[tuple[int, int], Mark] = dict.fromkeys(band, fill)
    lit = [
        (a + top, b + left)
        for a, b in window
        if -top <= a < height + bottom and -left <= b < width + right
    ]
    marks.update(dict.fromkeys(lit, "window"))
    label = phrase(lang, "padded_input" if top or left or bottom or right else "input")
    return Grid(label, values, marks, (-top, -left), focus=lit[0] if lit else None)
