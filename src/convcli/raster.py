"""Figures as PNG (one step) and GIF (one frame per step), drawn with Pillow.

Pillow is the optional extra ``convcli[image]``, imported only here and in
:mod:`convcli.images`, and only when a picture is asked for. The frames are laid out by
:func:`convcli.style.lay_out`, the same layout as the SVG, so both show the same figure.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from convcli import figure as F
from convcli.errors import ConvError
from convcli.style import CELL, STYLES, Frame, lay_out
from convcli.typography import to_ascii

if TYPE_CHECKING:
    from convcli.typography import Typeset

PILLOW_HINT = "pip install 'convcli[image]'"
_FONTS = ("DejaVuSans.ttf", "Arial.ttf", "Helvetica.ttc")


def pillow(what: str) -> Any:
    """The ``PIL`` package, or the one-line error saying how to install it."""
    try:
        import PIL.Image
        import PIL.ImageDraw
        import PIL.ImageFont
    except ImportError:
        msg = f"{what} needs Pillow, which is not installed"
        raise ConvError(msg, hint=PILLOW_HINT) from None
    return PIL


class _Fonts:
    """Pillow fonts by size; a system sans-serif when one is found, else Pillow's own
    (which lacks − and ×: text is written in ASCII then)."""

    def __init__(self, pil: Any) -> None:
        self.pil = pil
        self.cache: dict[tuple[int, bool], Any] = {}
        self.ascii = False

    def get(self, size: int, bold: bool = False) -> Any:
        key = (size, bold)
        if key not in self.cache:
            names = [n.replace(".ttf", "-Bold.ttf") for n in _FONTS[:1]] if bold else []
            for name in [*names, *_FONTS]:
                try:
                    self.cache[key] = self.pil.ImageFont.truetype(name, size)
                    break
                except OSError:
                    continue
            else:
                self.ascii = True
                self.cache[key] = self.pil.ImageFont.load_default(size=size)
        return self.cache[key]


def _dashed(
    draw: Any, box: tuple[float, float, float, float], colour: str, dash: str, thick: int
) -> None:
    on, off = (float(v) for v in dash.split())
    x0, y0, x1, y1 = box
    for a, b, horizontal, fixed in ((x0, x1, True, y0), (x0, x1, True, y1),
                                    (y0, y1, False, x0), (y0, y1, False, x1)):  # fmt: skip
        t = a
        while t < b:
            end = min(t + on, b)
            line = (t, fixed, end, fixed) if horizontal else (fixed, t, fixed, end)
            draw.line(line, fill=colour, width=thick)
            t = end + off


def _image(pil: Any, fonts: _Fonts, frame: Frame, width: int, height: int) -> Any:
    image = pil.Image.new("RGB", (width, height), "#FFFFFF")
    draw = pil.ImageDraw.Draw(image)
    for box in frame.boxes:
        look = STYLES[box.look]
        corners = (box.x, box.y, box.x + CELL, box.y + CELL)
        if look.fill != "none":
            draw.rectangle(corners, fill=look.fill)
        if look.dash:
            _dashed(draw, corners, look.stroke, look.dash, 3 if box.look == "gap" else 1)
        else:
            thick = 3 if box.look == "current" else 1
            draw.rectangle(corners, outline=look.stroke, width=thick)
    for label in frame.labels:
        font = fonts.get(label.size, label.bold)
        text = to_ascii(label.text) if fonts.ascii else label.text
        anchor = {"middle": "ms", "start": "ls", "end": "rs"}[label.anchor]
        draw.text((label.x, label.y), text, fill=label.colour, font=font, anchor=anchor)
    return image


def frames(figure: F.Plan, steps: Sequence[F.Step], typeset: Typeset, total: int) -> list[Any]:
    """One RGB image per step, all of one size."""
    pil = pillow("a .png or .gif figure")
    fonts = _Fonts(pil)
    outputs = [s.value for s in F.steps(figure)] if figure.values is not None else []
    laid = [lay_out(figure, s, total, outputs, typeset) for s in steps]
    width = int(max(f.width for f in laid)) + 1
    height = int(max(f.height for f in laid)) + 1
    return [_image(pil, fonts, frame, width, height) for frame in laid]


def png(figure: F.Plan, step: F.Step, typeset: Typeset, total: int) -> bytes:
    buffer = io.BytesIO()
    frames(figure, [step], typeset, total)[0].save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def gif(figure: F.Plan, steps: Sequence[F.Step], typeset: Typeset, delay: float) -> bytes:
    """An animated GIF, one frame per output cell, looping."""
    images = frames(figure, steps, typeset, len(steps))
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(delay * 1000)),
        loop=0,
        disposal=1,
    )
    return buffer.getvalue()
