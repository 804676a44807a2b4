"""``convcli explain``: the step-by-step lesson, in a terminal or as a document."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import Result, emit
from convcli.cli.shared import (
    bias_values,
    check_stdin_once,
    conv_geometry,
    load,
    load_input,
    pick_cells,
    plane_cells,
    pool_setup,
)

if TYPE_CHECKING:
    from convcli.lessons import Lesson

# The course notes' example ("valid-4x4-k3" in tests/data/worked_examples.json).
NOTES_INPUT = [[1, 2, 0, 2], [1, 0, 3, -1], [2, 2, 2, 0], [3, 1, -2, 0]]
NOTES_KERNEL = [[0, 1, -1], [-1, 0, 1], [1, 0, 1]]
NOTES_POOL = [[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]]
NOTES_TRANSPOSE = [[1, 2], [3, 4]]
# explain --dims 3 without an input: a 3×3×3 volume and a 2×2×2 kernel.
NOTES_VOLUME = [
    [[1, 2, 0], [1, 0, 3], [2, 2, 2]],
    [[0, 1, 1], [3, -1, 0], [1, 2, 0]],
    [[2, 0, 1], [1, 1, -2], [0, 3, 1]],
]
NOTES_VOLUME_KERNEL = [[[1, 0], [0, -1]], [[0, 1], [1, 0]]]
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


CONV_ONLY = "applies to --op conv, dilate or transpose, not to pooling"
POOL_ONLY = "applies only with --op pool"


@app.command()
def explain(
    inputs: O.InputOpt = None,
    kernels: O.KernelOpt = None,
    op: Annotated[Op, typer.Option("--op", help="conv, transpose, dilate or pool.")] = Op.conv,
    stride: O.StrideOpt = None,
    padding: O.PaddingOpt = None,
    dilation: O.SpreadDilationOpt = None,
    groups: O.GroupsOpt = None,
    bias: O.BiasOpt = None,
    padding_mode: O.PaddingModeOpt = None,
    pad_value: O.PadValueOpt = None,
    flip: O.FlipOpt = False,
    output_padding: O.OutputPaddingOpt = None,
    pool: Annotated[
        O.PoolCommandOp | None,
        typer.Option("--pool", help="With --op pool: max, avg, min or lp."),
    ] = None,
    norm_type: O.NormTypeOpt = None,
    window: O.LessonWindowOpt = None,
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="With --op pool.")] = False,
    count_include_pad: Annotated[
        bool | None,
        typer.Option(
            "--count-include-pad/--no-count-include-pad", help="With --op pool --pool avg."
        ),
    ] = None,
    cell: O.CellOpt = None,
    every: O.AllOpt = False,
    dims: O.InputDimsOpt = None,
    list_lessons: Annotated[
        bool,
        typer.Option(
            "--list", help="List the lessons: each relationship of the guide, with its command."
        ),
    ] = False,
    step: Annotated[int | None, typer.Option("--step", min=1, help="Show only step N.")] = None,
    animate: Annotated[
        bool,
        typer.Option(
            "--animate",
            help="Play the steps on a terminal: → or space next, ← back, a number and Enter "
            "to jump, q quit.",
        ),
    ] = False,
    delay: Annotated[
        float | None,
        typer.Option(
            "--delay",
            min=0.0,
            help="With --animate: also move on every D seconds. Without it the steps wait "
            "for keys (or move every 1.5 s when stdin is no terminal).",
        ),
    ] = None,
    lang: O.LangOpt = None,
    allow_nan: O.AllowNanOpt = False,
    grey: O.GreyOpt = False,
    fmt: O.LessonFormatOpt = None,
    precision: O.PrecisionOpt = None,
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
      convcli explain --op pool --pool lp --norm-type 2
      convcli explain -i "1 2 3 4 5" -k "1 0 -1" -p 1
      convcli explain --dims 3 --cell 0,0,0
      convcli explain --format markdown > lesson.md
      convcli explain --list
    """
    from convcli.typography import Typeset

    with guarded():
        form = O.Format(fmt.value) if fmt else O.Format.table
        if list_lessons:
            others = {"--input": inputs, "--kernel": kernels, "--cell": cell, "--step": step}
            O.check_applies(others, "--list shows the lessons; give it alone (or with --lang)")
            emit(_catalogue((lang or O.default_lang()).value), form)
            return
        _check_applies(op, locals())
        check_stdin_once(inputs, kernels)
        language, typeset = (lang or O.default_lang()).value, Typeset(precision)
        notes: list[str] = []
        lesson, n = _lesson(op, locals(), notes, language, typeset)
        if step is not None:
            if step > len(lesson.steps):
                raise O.refuse("--step", f"this lesson has {len(lesson.steps)} steps")
            lesson = lesson.only(step)
        document = lesson.document(language)
        if form is O.Format.table and animate and _animated(document, typeset, delay):
            return
        payload = lesson.payload()
        if n == 1:
            from convcli import lens

            payload = lens.line_payload(payload)
        result = Result("explain", payload, document=lambda _: document, notes=notes)
        emit(result, form, precision=precision)


def _catalogue(lang: str) -> Result:
    from convcli import lessons

    rows, document = lessons.catalogue(lang)
    return Result("explain", {"command": "explain", "lessons": rows}, document=lambda _: document)


def _animated(document: Any, typeset: Any, delay: float | None) -> bool:
    from convcli import render

    return render.animate(document, typeset, delay)


def _check_applies(op: Op, given: dict[str, Any]) -> None:
    pool_options = {
        "--pool": given["pool"],
        "--window": given["window"],
        "--ceil-mode": given["ceil_mode"],
        "--count-include-pad": given["count_include_pad"],
        "--norm-type": given["norm_type"],
    }
    conv_options = {
        "--kernel": given["kernels"],
        "--dilation": given["dilation"],
        "--groups": given["groups"],
        "--bias": given["bias"],
        "--padding-mode": given["padding_mode"],
        "--pad-value": given["pad_value"],
        "--flip": given["flip"],
        "--output-padding": given["output_padding"],
    }
    if op is Op.pool:
        O.check_applies(conv_options, CONV_ONLY)
    else:
        O.check_applies(pool_options, POOL_ONLY)
    if op is not Op.transpose and given["output_padding"] is not None:
        raise O.refuse("--output-padding", "applies only with --op transpose")
    if given["norm_type"] is not None and given["pool"] is not O.PoolCommandOp.lp:
        raise O.refuse("--norm-type", "applies only with --pool lp")
    if given["delay"] is not None and not given["animate"]:
        raise O.refuse("--delay", "applies only with --animate")
    if given["inputs"] and not given["kernels"] and op is not Op.pool:
        raise O.refuse("--kernel", "missing: a lesson on your --input needs a --kernel too")


def _lesson(
    op: Op, o: dict[str, Any], notes: list[str], lang: str, typeset: Any
) -> tuple[Lesson, int]:
    """The lesson of ``op`` on the user's matrices, or on the notes' example; 1-D work is
    taught in the plane, its cells named without the row (see convcli.lens)."""
    from convcli import core, lens, lessons

    limit = 10**9 if o["every"] else 16
    dims = o["dims"] or 2
    if dims == 3:
        return _volume_lesson(op, o, notes, lang, typeset, limit), 3
    if op is Op.pool:
        x: Any = NOTES_POOL
        if o["inputs"]:
            x, dims = load_input(o["inputs"], o["allow_nan"], notes, o["dims"])
        psetup = pool_setup(
            x, o["window"], o["stride"], o["padding"], o["pool"], o["ceil_mode"],
            o["count_include_pad"], dims=dims, norm_type=o["norm_type"],
        )  # fmt: skip
        output = core.run_pool(psetup)
        cells = _cells(psetup.output_shape, plane_cells(o["cell"], dims))
        lesson = lessons.pool_lesson(
            psetup, output, cells, lang=lang, typeset=typeset, limit=limit, line=dims == 1
        )
        return lesson, dims
    default_x = {Op.transpose: NOTES_TRANSPOSE, Op.dilate: NOTES_DILATE}.get(op, NOTES_INPUT)
    x = default_x
    if o["inputs"]:
        x, dims = load_input(o["inputs"], o["allow_nan"], notes, o["dims"])
    w: Any = NOTES_KERNEL
    if o["kernels"]:
        w = load(o["kernels"], "--kernel", o["allow_nan"], notes, dims)
    if dims == 1:
        x, w = lens.plane(x), lens.plane(w)
    dilation = o["dilation"] or (O.Axes((2,), "dilation") if op is Op.dilate else None)
    params = conv_geometry(
        dims, o["stride"], o["padding"], dilation, o["groups"], o["padding_mode"], o["pad_value"],
        o["flip"],
    ).params  # fmt: skip
    bias = bias_values(o["bias"])
    chosen = plane_cells(o["cell"], dims)
    if op is Op.transpose:
        extra: Any = o["output_padding"].of(dims) if o["output_padding"] else 0
        if dims == 1 and extra:
            extra = lens.axes(extra, row=0)
        tsetup = core.prepare_transpose(x, w, params=params, output_padding=extra, bias=bias)
        output = core.run_transpose(tsetup)
        lesson = lessons.transpose_lesson(
            tsetup, output, _cells(tsetup.output_shape, chosen), lang=lang, typeset=typeset,
            limit=limit, line=dims == 1,
        )  # fmt: skip
        return lesson, dims
    csetup = core.prepare_conv(x, w, params=params, bias=bias)
    output = core.run_conv(csetup)
    lesson = lessons.conv_lesson(
        csetup, output, _cells(csetup.output_shape, chosen), lang=lang, typeset=typeset,
        dilated=op is Op.dilate, limit=limit, line=dims == 1,
    )  # fmt: skip
    return lesson, dims


def _volume_lesson(
    op: Op, o: dict[str, Any], notes: list[str], lang: str, typeset: Any, limit: int
) -> Lesson:
    """explain --dims 3: the lesson on volumes (the notes' volume when no input is given)."""
    from convcli import core, volume_lessons

    x: Any = NOTES_VOLUME
    if o["inputs"]:
        x = load_input(o["inputs"], o["allow_nan"], notes, 3)[0]
    cells = plane_cells(o["cell"], 3)
    if op is Op.pool:
        psetup = pool_setup(
            x, o["window"], o["stride"], o["padding"], o["pool"], o["ceil_mode"],
            o["count_include_pad"], dims=3, norm_type=o["norm_type"],
        )  # fmt: skip
        output = core.run_pool(psetup)
        return volume_lessons.pool_volume_lesson(
            psetup, output, _cells(psetup.output_shape, cells), lang=lang, typeset=typeset,
            limit=limit,
        )  # fmt: skip
    w: Any = NOTES_VOLUME_KERNEL
    if o["kernels"]:
        w = load(o["kernels"], "--kernel", o["allow_nan"], notes, 3)
    dilation = o["dilation"] or (O.Axes((2,), "dilation") if op is Op.dilate else None)
    geometry = conv_geometry(
        3, o["stride"], o["padding"], dilation, o["groups"], o["padding_mode"], o["pad_value"],
        o["flip"],
    )  # fmt: skip
    bias = bias_values(o["bias"])
    setup: Any
    if op is Op.transpose:
        extra = o["output_padding"].of(3) if o["output_padding"] else 0
        setup = core.prepare_transpose(
            x, w, params=geometry.params, output_padding=extra, bias=bias,
            geometry=geometry.axes,
        )  # fmt: skip
        output = core.run_transpose(setup)
    else:
        setup = core.prepare_conv(x, w, params=geometry.params, bias=bias, geometry=geometry.axes)
        output = core.run_conv(setup)
    return volume_lessons.conv_volume_lesson(
        setup, output, _cells(setup.output_shape, cells), lang=lang, typeset=typeset,
        limit=limit, dilated=op is Op.dilate,
    )  # fmt: skip


def _cells(shape: tuple[int, ...], cell: list[O.CellIndex] | None) -> list[tuple[int, ...]] | None:
    if not cell:
        return None
    return pick_cells(shape, cell, every=False, explain=True, limited=False)[0]
