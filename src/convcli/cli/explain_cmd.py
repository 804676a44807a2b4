"""``convcli explain``: the step-by-step lesson, in a terminal or as a document."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convcli import params as P
from convcli.cli.base import (
    AllOpt,
    AllowNanOpt,
    BiasOpt,
    CellOpt,
    FlipOpt,
    Format,
    FormatOpt,
    GroupsOpt,
    InputOpt,
    KernelOpt,
    PaddingModeOpt,
    PaddingOpt,
    PadValueOpt,
    StrideOpt,
    app,
    emit,
    guarded,
    parsed,
    stdout_encodes,
)
from convcli.cli.shared import bias_values, check_stdin_once, conv_params, load, pick_cells

if TYPE_CHECKING:
    from convcli.walkthrough import Lesson

# The course notes' example (shared/examples/worked_examples.json, "valid-4x4-k3").
NOTES_INPUT = [[1, 2, 0, 2], [1, 0, 3, -1], [2, 2, 2, 0], [3, 1, -2, 0]]
NOTES_KERNEL = [[0, 1, -1], [-1, 0, 1], [1, 0, 1]]
NOTES_POOL = [[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]]
NOTES_TRANSPOSE = [[1, 2], [3, 4]]
# A 6×6 input for dilation 2 (the notes' 4×4 is too small for a 3×3 kernel spread to 5×5).
NOTES_DILATE = [
    [1, 2, 0, 2, 1, 0],
    [1, 0, 3, -1, 0, 2],
    [2, 2, 2, 0, 1, 1],
    [3, 1, -2, 0, 2, 0],
    [0, 1, 1, 2, 0, 1],
    [2, 0, 1, 1, 3, -1],
]


class Op(StrEnum):
    conv = "conv"
    transpose = "transpose"
    dilate = "dilate"
    pool = "pool"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


class PoolKind(StrEnum):
    max = "max"
    avg = "avg"
    min = "min"


@dataclass(frozen=True)
class Request:
    """The options that shape a lesson, as the command received them."""

    allow_nan: bool
    bias: str | None
    ceil_mode: bool
    cell: Sequence[str] | None
    count_include_pad: bool
    dilation: str | None
    every: bool
    flip: bool
    groups: int
    inputs: Sequence[str] | None
    kernels: Sequence[str] | None
    lang: Lang
    op: Op
    output_padding: str
    pad_value: str
    padding: str
    padding_mode: str
    pool: PoolKind
    stride: str
    window: str


@app.command()
def explain(
    ctx: typer.Context,
    inputs: InputOpt = None,
    kernels: KernelOpt = None,
    op: Annotated[Op, typer.Option("--op", help="conv, transpose, dilate or pool.")] = Op.conv,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    dilation: Annotated[
        str | None,
        typer.Option(
            "--dilation", "-d", metavar="D|H,W", help="Dilation [default: 1; 2 with --op dilate]."
        ),
    ] = None,
    groups: GroupsOpt = 1,
    bias: BiasOpt = None,
    padding_mode: PaddingModeOpt = "zeros",
    pad_value: PadValueOpt = "0",
    flip: FlipOpt = False,
    output_padding: Annotated[
        str, typer.Option("--output-padding", metavar="OP|H,W", help="With --op transpose.")
    ] = "0",
    pool: Annotated[
        PoolKind, typer.Option("--pool", help="With --op pool: max, avg or min.")
    ] = PoolKind.max,
    window: Annotated[
        str, typer.Option("--window", metavar="K|H,W", help="With --op pool: the window.")
    ] = "2",
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="With --op pool.")] = False,
    count_include_pad: Annotated[
        bool,
        typer.Option(
            "--count-include-pad/--no-count-include-pad", help="With --op pool --pool avg."
        ),
    ] = True,
    cell: CellOpt = None,
    every: AllOpt = False,
    step: Annotated[int | None, typer.Option("--step", min=1, help="Show only step N.")] = None,
    animate: Annotated[
        bool, typer.Option("--animate", help="Play the steps in place on a terminal.")
    ] = False,
    delay: Annotated[
        float, typer.Option("--delay", min=0.0, help="Seconds per step with --animate.")
    ] = 1.5,
    lang: Annotated[
        Lang, typer.Option("--lang", help="Language of the lesson: en or zh.")
    ] = Lang.en,
    allow_nan: AllowNanOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Walk through a convolution step by step (the notes' example when no input is given).

    \b
    Examples:
      convcli explain
      convcli explain --lang zh --step 3
      convcli explain -i samples/input.csv -k samples/kernel.csv -p 1 -s 2
      convcli explain -i samples/rgb.csv -k samples/rgb_kernel.csv -b 1 --cell 0,0
      convcli explain --op transpose -s 2
      convcli explain --op pool --pool avg
      convcli explain --format markdown > lesson.md
    """
    from convcli.phrases import phrase

    with guarded():
        form = fmt or Format.table
        if form in (Format.csv, Format.plain):
            msg = "explain writes table, markdown, latex or json"
            raise typer.BadParameter(msg, ctx=ctx, param_hint="'--format'")
        check_stdin_once(ctx, inputs, kernels)
        request = Request(
            allow_nan=allow_nan,
            bias=bias,
            ceil_mode=ceil_mode,
            cell=cell,
            count_include_pad=count_include_pad,
            dilation=dilation,
            every=every,
            flip=flip,
            groups=groups,
            inputs=inputs,
            kernels=kernels,
            lang=lang,
            op=op,
            output_padding=output_padding,
            pad_value=pad_value,
            padding=padding,
            padding_mode=padding_mode,
            pool=pool,
            stride=stride,
            window=window,
        )
        lesson = _lesson(ctx, request)
        step_word = phrase(lang.value, "step", n="{n}", total="{total}")
        if step is not None:
            if step > len(lesson.steps):
                msg = f"--step {step}: this lesson has {len(lesson.steps)} steps"
                raise typer.BadParameter(msg, ctx=ctx, param_hint="'--step'")
            lesson = lesson.only(step)
        _write(lesson, form, step_word, lang.value, animate=animate, delay=delay)


def _lesson(ctx: typer.Context, o: Request) -> Lesson:
    """Build the lesson for the chosen operation."""
    from convcli import core, walkthrough
    from convcli.formulas import ASCII_SIGNS, UNICODE_SIGNS
    from convcli.report import ASCII, UNICODE

    ascii_only = not stdout_encodes("×−·ₚ⌊⌋")
    symbols, signs = (ASCII, ASCII_SIGNS) if ascii_only else (UNICODE, UNICODE_SIGNS)
    lang = o.lang.value
    op: Op = o.op
    limit = 10**9 if o.every else 16
    if op is Op.pool:
        x = load(ctx, o.inputs, "--input", o.allow_nan) if o.inputs else NOTES_POOL
        setup = core.prepare_pool(
            x,
            parsed(ctx, "--window", P.parse_pair, o.window, "window"),
            stride=parsed(ctx, "--stride", P.parse_pair, o.stride, "stride")
            if o.stride != "1"
            else None,
            padding=parsed(ctx, "--padding", P.parse_padding, o.padding),
            op=o.pool.value,
            ceil_mode=o.ceil_mode,
            count_include_pad=o.count_include_pad,
        )
        cells = _cells(ctx, setup.output_shape, o)
        return walkthrough.pool_lesson(
            setup, cells, lang=lang, symbols=symbols, signs=signs, limit=limit
        )
    dilation = o.dilation or ("2" if op is Op.dilate else "1")
    params = conv_params(
        ctx,
        o.stride,
        o.padding,
        dilation,
        o.groups,
        o.padding_mode,
        o.pad_value,
        o.flip,
    )
    default_x = {Op.transpose: NOTES_TRANSPOSE, Op.dilate: NOTES_DILATE}.get(op, NOTES_INPUT)
    x = load(ctx, o.inputs, "--input", o.allow_nan) if o.inputs else default_x
    w = load(ctx, o.kernels, "--kernel", o.allow_nan) if o.kernels else NOTES_KERNEL
    if op is Op.transpose:
        out_pad = parsed(
            ctx, "--output-padding", P.parse_pair, o.output_padding, "output padding", minimum=0
        )
        tsetup = core.prepare_transpose(
            x, w, params=params, output_padding=out_pad, bias=bias_values(ctx, o.bias)
        )
        return walkthrough.transpose_lesson(
            tsetup, lang=lang, symbols=symbols, signs=signs, limit=limit
        )
    csetup = core.prepare_conv(x, w, params=params, bias=bias_values(ctx, o.bias))
    cells = _cells(ctx, csetup.output_shape, o)
    return walkthrough.conv_lesson(
        csetup, cells, lang=lang, symbols=symbols, signs=signs, dilated=op is Op.dilate, limit=limit
    )


def _cells(ctx: typer.Context, shape: tuple[int, ...], o: Request) -> list[tuple[int, ...]] | None:
    if not o.cell:
        return None
    cells, _ = pick_cells(ctx, shape, o.cell, False, True, Format.json)
    return cells


def _write(
    lesson: Lesson, form: Format, step_word: str, lang: str, *, animate: bool, delay: float
) -> None:
    from convcli import docs

    if form is Format.markdown:
        emit(docs.lesson_markdown(lesson, step_word))
    elif form is Format.latex:
        emit(docs.lesson_latex(lesson, step_word, lang))
    elif form is Format.json:
        from convcli.matrix_io import format_json

        emit(format_json(_lesson_json(lesson)))
    else:
        _show(lesson, step_word, animate=animate, delay=delay)


def _show(lesson: Lesson, step_word: str, *, animate: bool, delay: float) -> None:
    from rich.text import Text

    from convcli import render

    console = render.make_console()
    panels = render.lesson_panels(lesson, console, step_word)
    head = Text(lesson.title, style="bold")
    tail = [render.note(n) for n in lesson.notes]
    if not (animate and console.is_terminal):
        emit(render.to_text(console, [head, *panels, *tail]))
        return
    from rich.live import Live

    with Live(panels[0], console=console, auto_refresh=False, transient=False) as live:
        for panel in panels[1:]:
            time.sleep(delay)
            live.update(panel, refresh=True)


def _lesson_json(lesson: Lesson) -> dict[str, Any]:
    return {
        "command": "explain",
        "title": lesson.title,
        "steps": [
            {
                "kind": s.kind,
                "title": s.title,
                "lines": ["".join(t for t, _ in line) for line in s.lines],
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
            for s in lesson.steps
        ],
        "notes": list(lesson.notes),
    }
