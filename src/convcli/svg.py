"""A figure as SVG, written with the standard library (:mod:`xml.etree.ElementTree`).

Each step is a ``<g class="step" data-cell="r,c">``; in it every cell is a ``rect`` whose
``class`` says what it is: ``input``, ``padding``, ``hole`` (a zero inserted by a
transposed stride, or a dilation hole inside the window), ``window`` (a cell under one
of the kernel's taps), ``output`` or ``current`` (the output cell this step computes).
Colours are presentation attributes, not CSS, so every SVG reader draws them; the one
stylesheet is the animation's. Steps are drawn one under another, or, with ``animate``,
in one place, each shown in turn by a CSS animation (browsers play it; a reader without
CSS animations shows the last step).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from convcli import figure as F
from convcli.style import CELL, FONT, STYLES, lay_out

if TYPE_CHECKING:
    from convcli.typography import Typeset

SVG_NS = "http://www.w3.org/2000/svg"


def _number(value: float) -> str:
    return f"{value:g}"


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
    heights = [f.height for f in frames]
    height = max(heights) if animate else sum(heights)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _number(width),
            "height": _number(height),
            "viewBox": f"0 0 {_number(width)} {_number(height)}",
            "font-family": FONT,
        },
    )
    ET.SubElement(root, "title").text = f"convcli figure {figure.operation}"
    if animate and len(steps) > 1:
        slot = 100 / len(steps)
        ET.SubElement(root, "style").text = (
            f"@keyframes convcli-step {{ 0% {{ visibility: visible }} "
            f"{slot:.4f}% {{ visibility: hidden }} 100% {{ visibility: hidden }} }}"
            f" .step {{ animation: convcli-step {len(steps) * delay:g}s step-end infinite; }}"
        )
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "#FFFFFF"})
    top = 0.0
    for index, (step, frame) in enumerate(zip(steps, frames, strict=True)):
        attrs = {"class": "step", "data-cell": step.label(figure.dims)}
        if not animate:
            attrs["transform"] = f"translate(0 {_number(top)})"
            top += frame.height
        elif len(steps) > 1:
            # a negative delay: every step's animation runs from the start, in its own slot
            attrs["style"] = f"animation-delay: {(index - len(steps)) * delay:g}s"
        group = ET.SubElement(root, "g", attrs)
        parts = {
            name: ET.SubElement(group, "g", {"class": name})
            for name in ("plane", "footprint", "outputs")
        }
        for box in frame.boxes:
            look = STYLES[box.look]
            rect = {
                "class": box.kind,
                "x": _number(box.x),
                "y": _number(box.y),
                "width": str(CELL),
                "height": str(CELL),
                "fill": look.fill,
                "stroke": look.stroke,
                "stroke-width": "3" if box.look in ("current", "gap") else "1.5",
            }
            if look.dash:
                rect["stroke-dasharray"] = look.dash
            ET.SubElement(parts[box.group], "rect", rect)
        texts = ET.SubElement(group, "g", {"class": "text"})
        for label in frame.labels:
            attrs = {
                "x": _number(label.x),
                "y": _number(label.y),
                "font-size": str(label.size),
                "fill": label.colour,
                "text-anchor": label.anchor,
            }
            if label.bold:
                attrs["font-weight"] = "bold"
            ET.SubElement(texts, "text", attrs).text = label.text
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
