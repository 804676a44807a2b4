"""A figure as SVG, written with the standard library (:mod:`xml.etree.ElementTree`).

Each step is a ``<g class="step" data-cell="r,c">``; every cell is a ``rect`` whose
``class`` says what it is: ``input``, ``padding``, ``hole`` (a zero inserted by a
transposed stride, or a dilation hole inside the window), ``window`` (a cell under one
of the kernel's taps), ``output`` or ``current`` (the output cell this step computes).
Colours are presentation attributes, not CSS, so every SVG reader draws them.

Steps are drawn one under another, each whole (plane, window, output). With ``animate``
they share one place and a CSS animation shows each in turn; what no step changes is
drawn once, so the file stays small: the plane (``<g class="plane">``) under the steps,
and each computed output cell (``<g class="done">``) shown from its step to the end of
the cycle. A step then holds its window, its current cell, its title and its sum.
A reader without CSS animations shows the last step.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING

from convcli import figure as F
from convcli.style import CELL, FONT, STYLES, Box, Frame, Label, lay_out

if TYPE_CHECKING:
    from convcli.typography import Typeset

SVG_NS = "http://www.w3.org/2000/svg"


def _number(value: float) -> str:
    return f"{value:g}"


def _boxes(parent: ET.Element, boxes: Iterable[Box]) -> None:
    for box in boxes:
        look = STYLES[box.look]
        rect = {
            "class": box.kind,
            "x": _number(box.x),
            "y": _number(box.y),
            "width": str(CELL),
            "height": str(CELL),
            "fill": look.fill,
            "stroke": look.stroke,
        }
        if box.look in ("current", "gap"):
            rect["stroke-width"] = "3"
        if look.dash:
            rect["stroke-dasharray"] = look.dash
        ET.SubElement(parent, "rect", rect)


def _labels(parent: ET.Element, labels: Iterable[Label]) -> None:
    for label in labels:
        attrs = {
            "x": _number(label.x),
            "y": _number(label.y),
            "font-size": str(label.size),
            "fill": label.colour,
            "text-anchor": label.anchor,
        }
        if label.bold:
            attrs["font-weight"] = "bold"
        ET.SubElement(parent, "text", attrs).text = label.text


def _group(parent: ET.Element, name: str, boxes: Iterable[Box], labels: Iterable[Label]) -> None:
    group = ET.SubElement(parent, "g", {"class": name})
    _boxes(group, boxes)
    _labels(group, labels)


def draw(
    figure: F.Plan,
    steps: list[F.Step],
    typeset: Typeset,
    *,
    animate: bool = False,
    delay: float = 1.0,
    total: int | None = None,
) -> str:
    """The SVG document of ``steps`` (all of a figure's, or the ones asked for)."""
    total = total if total is not None else len(steps)
    outputs = [s.value for s in F.steps(figure)] if figure.values is not None else []
    frames = [lay_out(figure, s, total, outputs, typeset) for s in steps]
    width = max(f.width for f in frames)
    height = max(f.height for f in frames) if animate else sum(f.height for f in frames)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _number(width),
            "height": _number(height),
            "viewBox": f"0 0 {_number(width)} {_number(height)}",
            "font-family": FONT,
            "stroke-width": "1.5",
        },
    )
    ET.SubElement(root, "title").text = f"convcli figure {figure.operation}"
    background = {"width": "100%", "height": "100%", "fill": "#FFFFFF", "stroke": "none"}
    ET.SubElement(root, "rect", background)
    if animate and len(steps) > 1:
        _animated(root, figure, steps, frames, outputs, typeset, delay)
    else:
        top = 0.0
        for step, frame in zip(steps, frames, strict=True):
            group = ET.SubElement(
                root,
                "g",
                {
                    "class": "step",
                    "data-cell": step.label(figure.dims),
                    "transform": f"translate(0 {_number(top)})",
                },
            )
            top += frame.height
            for part in ("plane", "footprint", "outputs"):
                _group(group, part, (b for b in frame.boxes if b.group == part), ())
            _group(group, "text", (), frame.labels)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _animated(
    root: ET.Element,
    figure: F.Plan,
    steps: list[F.Step],
    frames: list[Frame],
    outputs: list[object],
    typeset: Typeset,
    delay: float,
) -> None:
    """The steps in one place, each shown in its slot of the cycle."""
    count = len(steps)
    cycle = count * delay
    slot = 100 / count
    rules = [
        f"@keyframes convcli-step {{ 0% {{ visibility: visible }} "
        f"{slot:.4f}% {{ visibility: hidden }} 100% {{ visibility: hidden }} }}",
        f".step {{ animation: convcli-step {cycle:g}s step-end infinite; }}",
    ]
    # the plane and the empty output, as before the first step
    blank = F.Step(-1, steps[0].cell, (), (), None)
    base = lay_out(figure, blank, count, outputs, typeset)
    _group(root, "plane", (b for b in base.boxes if b.group == "plane"),
           (lab for lab in base.labels if lab.part == "plane"))  # fmt: skip
    _group(root, "outputs", (b for b in base.boxes if b.group == "outputs"), ())
    # each output cell once computed: visible from the slot after its step to the end
    last = frames[-1]
    for position, step in enumerate(steps[:-1]):
        start = (position + 1) * slot
        name = f"convcli-done-{position}"
        rules.append(
            f"@keyframes {name} {{ 0% {{ visibility: hidden }} "
            f"{start:.4f}% {{ visibility: visible }} 100% {{ visibility: visible }} }}"
        )
        index = step.index
        boxes = [b for b in last.boxes if b.group == "outputs" and b.order == index]
        boxes = [b._replace(kind="output", look="output") for b in boxes]
        labels = [
            lab._replace(colour=STYLES["output"].text)
            for lab in last.labels
            if lab.part == "outputs" and lab.order == index
        ]
        done = ET.SubElement(
            root,
            "g",
            {"class": "done", "style": f"animation: {name} {cycle:g}s step-end infinite"},
        )
        _boxes(done, boxes)
        _labels(done, labels)
    for position, (step, frame) in enumerate(zip(steps, frames, strict=True)):
        # a negative delay: every step's animation runs from the start, in its own slot
        group = ET.SubElement(
            root,
            "g",
            {
                "class": "step",
                "data-cell": step.label(figure.dims),
                "style": f"animation-delay: {(position - count) * delay:g}s",
            },
        )
        _group(group, "footprint", (b for b in frame.boxes if b.group == "footprint"), ())
        current = [b for b in frame.boxes if b.group == "outputs" and b.order == step.index]
        _group(group, "outputs", current, ())
        _group(
            group,
            "text",
            (),
            (
                lab
                for lab in frame.labels
                if lab.part in ("footprint", "step")
                or (lab.part == "outputs" and lab.order == step.index)
            ),
        )
    ET.SubElement(root, "style").text = " ".join(rules)
