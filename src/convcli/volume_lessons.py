"""``explain --dims 3``: the step-by-step lesson on volumes, every volume as depth slices.

The steps are those of the 2-D lessons: the kernel (or pooling window), where it starts
and the output size of each axis (d, h, w), one step per output cell (the window lit on
the slices it reads, the output so far, the cell's sum written out as ``out[d,r,c] =
…``), and the result. A transposed convolution's cell step lights the input cells
scattered into it. Slices are shown as :mod:`convcli.volumes` shows them (at most 8 a
volume, around the cell being explained).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from convcli import model as M
from convcli.arithmetic import cell_label, cell_sum, pool_sum
from convcli.core import ConvSetup, PoolSetup, TransposeSetup
from convcli.formulas import conv_line, pool_line, transpose_line
from convcli.lessons import Lesson, Step, choose_cells
from convcli.numbers import Array
from convcli.phrases import phrase
from convcli.reports import size
from convcli.trace import CellTrace, PoolTrace, trace_nd, trace_pool
from convcli.typography import Typeset
from convcli.volumes import Marks, input_volumes, kernel_volumes, volume_grids

AXES = ("D", "h", "w")  # depth D: d is the dilation in every formula
_text = M.text


def _so_far(
    output: Array, done: Sequence[tuple[int, ...]], new: tuple[int, ...], label: str
) -> list[M.Grid]:
    """Each output volume's slices: cells not computed yet blank, the new one current."""
    maps = output if output.ndim == 4 else output[None]
    seen = {c if len(c) == 4 else (0, *c) for c in done}
    new4 = new if len(new) == 4 else (0, *new)
    grids: list[M.Grid] = []
    for o in range(maps.shape[0]):
        marks: dict[int, Marks] = {}
        for k, r, c in itertools.product(*(range(n) for n in maps.shape[1:])):
            if (o, k, r, c) == new4:
                marks.setdefault(k, {})[(r, c)] = "current"
            elif (o, k, r, c) not in seen:
                marks.setdefault(k, {})[(r, c)] = "blank"
        name = label if maps.shape[0] == 1 else f"{label} {o}"
        focus = new4[1] if o == new4[0] else None
        grids += volume_grids(name, maps[o], marks, focus=focus)[0]
    return grids


def _pool_inputs(setup: PoolSetup, trace: PoolTrace | None, lang: str) -> list[M.Grid]:
    grids: list[M.Grid] = []
    sizes = setup.x.shape[1:]
    for channel in range(setup.x.shape[0]):
        marks: dict[int, Marks] = {}
        focus = None
        mine = trace is not None and (len(trace.cell) == 3 or trace.cell[0] == channel)
        for k, r, c in trace.positions if trace is not None and mine else ():
            if 0 <= k < sizes[0] and 0 <= r < sizes[1] and 0 <= c < sizes[2]:
                marks.setdefault(k, {})[(r, c)] = "window"
                focus = k if focus is None else focus
        label = phrase(lang, "input") + (
            f" {phrase(lang, 'channel')} {channel}" if setup.x.shape[0] > 1 else ""
        )
        grids += volume_grids(label, setup.x[channel], marks, focus=focus)[0]
    return grids


def _formulas(setup: ConvSetup | TransposeSetup | PoolSetup) -> list[M.Line]:
    if isinstance(setup, PoolSetup):
        lines = [pool_line(n, a, setup.ceil_mode) for n, a in zip(AXES, setup.axes, strict=True)]
    elif isinstance(setup, TransposeSetup):
        lines = [transpose_line(n, a) for n, a in zip(AXES, setup.axes, strict=True)]
    else:
        lines = [conv_line(n, a) for n, a in zip(AXES, setup.axes, strict=True)]
    return [_text(line) for line in lines]


def conv_volume_lesson(
    setup: ConvSetup | TransposeSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None,
    *,
    lang: str,
    typeset: Typeset,
    limit: int = 16,
    dilated: bool = False,
) -> Lesson:
    """The walkthrough of a 3-D convolution or transposed convolution, computed once."""
    transposed = isinstance(setup, TransposeSetup)
    chosen, hidden = choose_cells(output.shape, cells, limit)
    kernel = size(setup.weight.shape[2:])
    first = Step(
        "kernel",
        phrase(lang, "kernel_title"),
        tuple(kernel_volumes(setup.weight, lang)),
        (_text(phrase(lang, "kernel_text", size=kernel)),),
    )
    align = Step(
        "align",
        phrase(lang, "align_title"),
        tuple(input_volumes(setup, [], lang)[0]),
        (_text(phrase(lang, "size_text")), *_formulas(setup)),
    )
    steps = [first, align]
    words = {"bias": phrase(lang, "bias"), "ch": phrase(lang, "ch")}
    name = phrase(lang, "output" if transposed else "feature_map")
    for trace in trace_nd(setup, output, chosen):
        steps.append(_cell_step(setup, output, trace, chosen, name, lang, typeset, words))
    steps.append(_result_step(output, name, lang))
    op = phrase(lang, "op_transpose" if transposed else "op_dilate" if dilated else "op_conv")
    notes = (phrase(lang, "more_cells", n=hidden),) if hidden else ()
    return Lesson(phrase(lang, "title", op=op), tuple(steps), notes)


def _cell_step(
    setup: ConvSetup | TransposeSetup,
    output: Array,
    trace: CellTrace,
    chosen: list[tuple[int, ...]],
    name: str,
    lang: str,
    typeset: Typeset,
    words: dict[str, str],
) -> Step:
    grids = input_volumes(setup, [trace], lang)[0]
    done = chosen[: chosen.index(trace.cell) + 1]
    grids += _so_far(output, done, trace.cell, phrase(lang, "so_far", name=name))
    lines = (_text(phrase(lang, "cell_text")), cell_sum(trace, typeset, words))
    title = phrase(lang, "cell_title", name=cell_label(trace.label))
    return Step("cell", title, tuple(grids), lines)


def _result_step(output: Array, name: str, lang: str) -> Step:
    maps = output if output.ndim == 4 else output[None]
    grids: list[M.Grid] = []
    for o in range(maps.shape[0]):
        grids += volume_grids(name if maps.shape[0] == 1 else f"{name} {o}", maps[o], {})[0]
    summary = _text(f"{phrase(lang, 'output')} {size(output.shape)}")
    return Step("result", phrase(lang, "result_title"), tuple(grids), (summary,))


def pool_volume_lesson(
    setup: PoolSetup,
    output: Array,
    cells: Sequence[tuple[int, ...]] | None,
    *,
    lang: str,
    typeset: Typeset,
    limit: int = 16,
) -> Lesson:
    """The walkthrough of a 3-D pooling: the window, the sizes, one window per step."""
    chosen, hidden = choose_cells(output.shape, cells, limit)
    power = Typeset().number(setup.norm_type)
    what = phrase(lang, f"what_{setup.op}", p=power)
    window = size([a.kernel for a in setup.axes])
    first = Step(
        "kernel",
        phrase(lang, "window_title"),
        (),
        (_text(phrase(lang, "window_text", size=window, what=what)),),
    )
    align = Step(
        "align",
        phrase(lang, "align_window_title"),
        tuple(_pool_inputs(setup, None, lang)),
        (_text(phrase(lang, "size_text")), *_formulas(setup)),
    )
    steps = [first, align]
    name = phrase(lang, "output")
    for trace in trace_pool(setup, output, chosen):
        grids = _pool_inputs(setup, trace, lang)
        done = chosen[: chosen.index(trace.cell) + 1]
        grids += _so_far(output, done, trace.cell, phrase(lang, "so_far", name=name))
        lines = (
            _text(phrase(lang, "pool_cell_text", what=what)),
            pool_sum(trace, setup.op, typeset, norm_type=setup.norm_type),
        )
        title = phrase(lang, "pool_cell_title", name=cell_label(trace.label))
        steps.append(Step("cell", title, tuple(grids), lines))
    steps.append(_result_step(output, name, lang))
    kind = phrase(lang, f"kind_{setup.op}", p=power)
    notes = (phrase(lang, "more_cells", n=hidden),) if hidden else ()
    return Lesson(phrase(lang, "title", op=phrase(lang, "op_pool", kind=kind)), tuple(steps), notes)
