"""The explanation model: what every human-facing view is made of, as plain data.

A :class:`Document` is a list of blocks: a heading (a summary box), a row of grids
(matrices whose cells carry a semantic :data:`Mark`), lines of text (prose, math, a
note) and panels (a lesson's steps). The builders (:mod:`convcli.reports`,
:mod:`convcli.lessons`) make documents; the renderers (:mod:`convcli.render` for the
terminal, :mod:`convcli.docs` for Markdown and LaTeX) only map marks and kinds to
styles. Nothing here prints or imports Rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from convcli.numbers import Array

# input: an ordinary cell; padding: added by padding; hole: a zero that dilation or a
# transposed convolution's stride inserts; window: read by the cell being explained;
# current: the output cell being explained; blank: an output cell not computed yet; zero:
# a zero entry of a sparse matrix (the matrix view's C), shown as a dot so the weights stand out
Mark = Literal["padding", "hole", "window", "current", "blank", "zero"]
# text styles: label (out[r,c]), value (the result), partial (a channel's sum), bias,
# channel (ch0:), pad (a product with a padding cell)
Segment: TypeAlias = tuple[str, str | None]
Line: TypeAlias = tuple[Segment, ...]
TextKind = Literal["prose", "math", "title", "note"]


def text(*parts: str) -> Line:
    """An unstyled line."""
    return tuple((p, None) for p in parts)


def plain(line: Sequence[Segment]) -> str:
    """A line without its styles."""
    return "".join(chunk for chunk, _ in line)


@dataclass(frozen=True)
class Grid:
    """A 2-D matrix to show, its cells' marks, the index of its first row and column, and
    the cell a windowed view of a large grid must contain (``focus``)."""

    label: str
    values: Array
    marks: dict[tuple[int, int], Mark] = field(default_factory=dict)
    offset: tuple[int, int] = (0, 0)
    focus: tuple[int, int] | None = None


@dataclass(frozen=True)
class Heading:
    """A summary box: a title and a few lines."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Grids:
    """Matrices shown side by side where the width allows."""

    grids: tuple[Grid, ...]


@dataclass(frozen=True)
class Text:
    """One line: prose, a formula or arithmetic (math), a section title, or a note."""

    line: Line
    kind: TextKind = "prose"


@dataclass(frozen=True)
class Panel:
    """A framed group of blocks: one step of a lesson."""

    title: str
    blocks: tuple[Block, ...]


Block: TypeAlias = Heading | Grids | Text | Panel


@dataclass(frozen=True)
class Document:
    """What a command shows a person, in order."""

    blocks: tuple[Block, ...]
    title: str | None = None
    lang: str = "en"  # the language of the words a renderer adds (page notes)
    complete: tuple[str, ...] = ("csv", "json")  # formats that hold all of a large grid


STEP_WINDOW = 12  # rows and columns of a larger grid that one step of a lesson keeps


def span(focus: int, total: int, size: int = STEP_WINDOW) -> tuple[int, int]:
    """The ``size``-long stretch of ``total`` indices that holds ``focus`` near its middle."""
    start = max(0, min(focus - size // 2, total - size))
    return start, min(total, start + size)


def windowed(grid: Grid, size: int = STEP_WINDOW) -> Grid:
    """The part of a large grid around its focus: at most ``size`` rows and columns, the
    marks and the index offset moved with it (a lesson's step shows that much, so that
    ``explain --all`` costs what it shows, not the whole grid once per cell)."""
    height, width = grid.values.shape[:2]
    if height <= size and width <= size:
        return grid
    fr, fc = grid.focus or (0, 0)
    r0, r1 = span(fr, height, size)
    c0, c1 = span(fc, width, size)
    marks = {
        (r - r0, c - c0): mark
        for (r, c), mark in grid.marks.items()
        if r0 <= r < r1 and c0 <= c < c1
    }
    focus = None if grid.focus is None else (fr - r0, fc - c0)
    offset = (grid.offset[0] + r0, grid.offset[1] + c0)
    return Grid(grid.label, grid.values[r0:r1, c0:c1], marks, offset, focus)


def prose(*parts: str) -> Text:
    return Text(text(*parts))


def math(line: str | Line) -> Text:
    return Text(text(line) if isinstance(line, str) else line, "math")


def title(words: str) -> Text:
    return Text(text(words), "title")


def note(words: str) -> Text:
    return Text(text(words), "note")
