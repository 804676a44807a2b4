"""The figures' one style, shared by the SVG and the raster writers.

Colours are from Okabe and Ito's palette, chosen to stay apart under every common
colour-vision deficiency; no meaning rests on colour alone: padding has a dashed border,
holes a dotted one and a lighter fill, the window white numbers, the current output cell
a thick border. Cells are large and numbers are sans-serif at about half a cell, so a
figure reads from the back of a lecture room.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from convcli.figure import Plan, Step
    from convcli.typography import Typeset

CELL = 44  # pixels per cell
GAP = 2 * CELL  # between the plane and the output
SLICE_GAP = CELL // 2  # between the depth slices of 3-D work
MARGIN = 16
TITLE = 34  # height of the line above a step
LABEL = 26  # height of a line of text under the grids
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
NUMBER_SIZE = 18
WEIGHT_SIZE = 11
TEXT_SIZE = 15
INK = "#1A1A1A"


class CellStyle(NamedTuple):
    fill: str
    stroke: str
    dash: str | None  # SVG stroke-dasharray
    text: str  # colour of the number in the cell


# Okabe–Ito: sky blue #56B4E9, blue #0072B2, bluish green #009E73, orange #E69F00,
# reddish purple #CC79A7, grey #999999.
STYLES: dict[str, CellStyle] = {
    "input": CellStyle("#56B4E9", INK, None, INK),
    "padding": CellStyle("#FFFFFF", "#999999", "6 3", "#777777"),
    "hole": CellStyle("#EDEDED", "#CC79A7", "2 3", "#777777"),
    "window": CellStyle("#0072B2", INK, None, "#FFFFFF"),
    # the window over a padding cell or a hole keeps that cell's border pattern
    "window-padding": CellStyle("#0072B2", "#FFFFFF", "6 3", "#FFFFFF"),
    "window-hole": CellStyle("#0072B2", "#FFFFFF", "2 3", "#FFFFFF"),
    "output": CellStyle("#009E73", INK, None, INK),
    "pending": CellStyle("#FFFFFF", "#009E73", None, INK),  # an output cell not computed yet
    "current": CellStyle("#E69F00", INK, None, INK),
    "gap": CellStyle("none", "#0072B2", "5 4", INK),  # a dilation hole inside the window
}


def rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as a tuple (for Pillow and for tests)."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


# --- layout: one step as rectangles and text, for both writers ---------------------------


class Box(NamedTuple):
    """A cell: ``kind`` is its class in the SVG, ``look`` the key of its style."""

    x: float
    y: float
    kind: str
    look: str
    group: str  # plane, footprint or outputs
    order: int = -1  # an output cell's place in reading order


class Label(NamedTuple):
    x: float
    y: float
    text: str
    size: int
    colour: str
    anchor: str = "middle"  # SVG text-anchor: start, middle or end
    bold: bool = False
    part: str = "step"  # plane (the same in every step), footprint, outputs or step
    order: int = -1  # an output cell's place in reading order


class Frame(NamedTuple):
    """One step, laid out from the step's top-left corner."""

    boxes: list[Box]
    labels: list[Label]
    width: float
    height: float


def _size(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def _axes(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def describe(figure: Plan) -> str:
    """The line under the plane: what it is and the layer's numbers."""
    dims = figure.dims
    pads = figure.padding
    pad_text = str(pads[0]) if len(set(pads)) == 1 else ",".join(map(str, pads))
    stride = figure.stride[3 - dims :]
    dilation = figure.dilation[3 - dims :]
    kernel = _size(figure.kernel[3 - dims :])
    if figure.operation == "transpose":
        shape = _size(figure.input_shape)
        return f"input {shape}, zeros inserted, padded · kernel {kernel} flipped"
    parts = [f"input {_size(figure.input_shape)}", f"kernel {kernel}"]
    if figure.operation == "pool":
        parts[1] = f"{figure.pool} pool {kernel}"
    if any(pads):
        parts.append(f"padding {pad_text}")
    if max(stride) > 1:
        parts.append(f"stride {_axes(stride)}")
    if max(dilation) > 1:
        parts.append(f"dilation {_axes(dilation)}")
    return " · ".join(parts)


def arithmetic(figure: Plan, step: Step, typeset: Typeset) -> str:
    """The sum under the output: ``out[r,c] = x×w + … = v`` (a pool's op for pools)."""
    name = f"out[{step.label(figure.dims)}]"
    if step.terms is None:
        return ""
    number = typeset.number
    value = number(step.value)
    if figure.operation == "pool":
        xs = [number(x) for x, _ in step.terms]
        if figure.pool == "avg":
            return f"{name} = ({' + '.join(xs)}) / {len(xs)} = {value}"
        return f"{name} = {figure.pool}({', '.join(xs)}) = {value}"
    products = " + ".join(
        f"{number(x, bracket=True)}×{number(w, bracket=True)}" for x, w in step.terms
    )
    return f"{name} = {products} = {value}"


def lay_out(figure: Plan, step: Step, total: int, outputs: list[Any], typeset: Typeset) -> Frame:
    """One step: the plane with the window over it, the output with the current cell."""
    depth, rows, cols = figure.plane
    slice_width = cols * CELL + SLICE_GAP
    plane_width = depth * slice_width - SLICE_GAP
    out_depth, out_rows, out_cols = figure.output
    out_left = MARGIN + plane_width + GAP
    out_slice = out_cols * CELL + SLICE_GAP
    boxes: list[Box] = []
    labels: list[Label] = []
    show = figure.values is not None

    def at(
        z: int, y: int, x: int, left: float = MARGIN, width: float = slice_width
    ) -> tuple[float, float]:
        return (left + z * width + x * CELL, TITLE + y * CELL)

    def number(x: float, y: float, value: Any, look: str, part: str, index: int = -1) -> None:
        text = typeset.number(value)
        # a long number (a float, a fraction) gets a smaller font to stay inside its cell
        size = min(NUMBER_SIZE, max(8, int(CELL * 0.92 / (0.6 * len(text)))))
        labels.append(
            Label(x + CELL / 2, y + CELL / 2 + size * 0.36, text, size, STYLES[look].text,
                  part=part, order=index)
        )  # fmt: skip

    for z in range(depth):
        for y in range(rows):
            for x in range(cols):
                kind = figure.kinds[z][y][x]
                boxes.append(Box(*at(z, y, x), kind, kind, "plane"))
    taps = set(step.taps)
    for z, y, x in step.gaps:
        boxes.append(Box(*at(z, y, x), "hole", "gap", "footprint"))
    for z, y, x in step.taps:
        under = figure.kinds[z][y][x]
        look: str = "window" if under == "input" else f"window-{under}"
        boxes.append(Box(*at(z, y, x), "window", look, "footprint"))
    if show:
        assert figure.values is not None
        for z in range(depth):
            for y in range(rows):
                for x in range(cols):
                    tapped = (z, y, x) in taps
                    look = "window" if tapped else figure.kinds[z][y][x]
                    part = "footprint" if tapped else "plane"
                    number(*at(z, y, x), figure.values[z][y][x], look, part)
        if step.terms is not None and figure.operation != "pool":
            for (z, y, x), (_, w) in zip(step.taps, step.terms, strict=True):
                left, top = at(z, y, x)
                labels.append(
                    Label(left + CELL - 4, top + CELL - 4, typeset.number(w), WEIGHT_SIZE,
                          STYLES["window"].text, anchor="end", part="footprint")
                )  # fmt: skip
    for index, (z, y, x) in enumerate(
        itertools.product(range(out_depth), range(out_rows), range(out_cols))
    ):
        look = "current" if index == step.index else "output" if index < step.index else "pending"
        left, top = at(z, y, x, out_left, out_slice)
        role = "current" if look == "current" else "output"
        boxes.append(Box(left, top, role, look, "outputs", index))
        if show and index <= step.index:
            number(left, top, outputs[index], look, "outputs", index)
    if depth > 1:
        for z in range(depth):
            labels.append(
                Label(
                    at(z, 0, 0)[0], TITLE - 8, f"depth {z}", TEXT_SIZE, INK, "start", part="plane"
                )
            )
        for z in range(out_depth):
            left = at(z, 0, 0, out_left, out_slice)[0]
            labels.append(
                Label(left, TITLE - 8, f"depth {z}", TEXT_SIZE, INK, "start", part="plane")
            )
    grid_bottom = TITLE + max(rows, out_rows) * CELL
    out_width = out_depth * out_slice - SLICE_GAP
    name = f"out[{step.label(figure.dims)}]"
    title = (
        f"{figure.operation} · {name} · step {step.index + 1} of {total} · "
        f"output {_size(figure.output_shape)}"
    )
    heading = Label(MARGIN, TITLE - 12, title, TEXT_SIZE, INK, "start", bold=True)
    labels.append(
        Label(MARGIN, grid_bottom + 20, describe(figure), TEXT_SIZE, INK, "start", part="plane")
    )
    height: float = grid_bottom + LABEL + MARGIN
    width: float = out_left + out_width + MARGIN
    sum_text = arithmetic(figure, step, typeset)
    if sum_text:
        labels.append(Label(out_left, grid_bottom + 20 + LABEL, sum_text, TEXT_SIZE, INK, "start"))
        height += LABEL
        width = max(width, out_left + len(sum_text) * TEXT_SIZE * 0.6 + MARGIN)
    width = max(width, MARGIN + len(describe(figure)) * TEXT_SIZE * 0.6 + MARGIN)
    if depth > 1:
        height += 16
        boxes = [b._replace(y=b.y + 16) for b in boxes]
        labels = [lab._replace(y=lab.y + 16) for lab in labels]
    return Frame(boxes, [heading, *labels], width, height)
