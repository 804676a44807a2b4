"""Everything Rich: a :class:`~convcli.model.Document` as terminal text.

The only module that imports Rich. It maps marks and text kinds to styles and nothing
more: what is shown, and every word of it, comes from the builders. Tables never cut a
number: wide grids are split into column pages, and a grid larger than a screen is shown
as a window around its focus cell with a note saying how to get all of it. Without
colour (``NO_COLOR``, ``TERM=dumb``, a pipe) the marks become text: ``[v]`` for a window
or the current cell, ``vₚ`` for padding, ``vₕ`` for a hole, ``·`` for a cell not computed
yet.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeAlias

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from convcli import model as M
from convcli.phrases import phrase
from convcli.typography import HOLE_MARK, PAD_MARK, Typeset

MAX_ROWS = 40  # a grid up to this many rows (and 3 column pages) is shown whole
MAX_COLUMN_PAGES = 3
WINDOW_ROWS = 20  # a larger one is shown as a window of this many rows around its focus
MAX_COLUMNS = 160  # no more columns are ever formatted (3 pages of the narrowest cells)
SMALL_GRID = 400  # cells: a grid this small is always shown whole, in as many pages as needed
TEXT_STYLES = {
    "pad": "dim italic",
    "bias": "magenta",
    "value": "bold green",
    "partial": "green",
    "label": "bold cyan",
    "channel": "cyan",
}
MARK_STYLES: dict[str, str] = {
    "padding": "dim italic",
    "hole": "dim magenta",
    "window": "bold black on yellow",
    "current": "bold black on green",
    "zero": "dim",
}


EXPORT_WIDTH = 100  # columns of the terminal that --format svg and html draw
_EXPORTING: ContextVar[bool] = ContextVar("convcli_exporting", default=False)


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout or stderr; NO_COLOR, FORCE_COLOR, TERM and COLUMNS are Rich's,
    except while :func:`recording`: then stdout is a colour terminal of a fixed width."""
    if _EXPORTING.get() and not stderr:
        return Console(
            force_terminal=True, color_system="truecolor", no_color=False, width=EXPORT_WIDTH,
            height=10_000, highlight=False, soft_wrap=False, emoji=False,
        )  # fmt: skip
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


@contextmanager
def recording() -> Iterator[None]:
    """Render the table view as a colour terminal of :data:`EXPORT_WIDTH` columns would
    show it, whatever stdout is, for :func:`export`."""
    token = _EXPORTING.set(True)
    try:
        yield
    finally:
        _EXPORTING.reset(token)


def export(text: str, kind: str, *, title: str) -> str:
    """Terminal text (ANSI colours) as an SVG picture of a terminal or an HTML page:
    Rich's ``Console(record=True)`` ``export_svg`` / ``export_html``."""
    shown = Text.from_ansi(text.rstrip("\n"))
    width = max([EXPORT_WIDTH // 2, *(cell_len(line) for line in shown.plain.splitlines())])
    console = Console(
        record=True, file=io.StringIO(), force_terminal=True, color_system="truecolor",
        no_color=False, width=width, highlight=False, emoji=False,
    )  # fmt: skip
    console.print(shown, soft_wrap=True)
    if kind == "svg":
        return console.export_svg(title=title)
    return console.export_html(inline_styles=True)


def colourless(console: Console) -> bool:
    return console.no_color or console.color_system is None


def styled(line: M.Line) -> Text:
    text = Text()
    for chunk, style in line:
        text.append(chunk, style=TEXT_STYLES.get(style or "", ""))
    return text


# --- grids ----------------------------------------------------------------------------------


def _start(focus: int, total: int, span: int) -> int:
    """The first index of a ``span``-long window over ``total`` that holds ``focus``."""
    return max(0, min(focus - span // 2, total - span))


def _cell_text(value: object, mark: str | None, typeset: Typeset, plain: bool) -> str:
    if mark in ("blank", "zero"):
        return "·"
    text = typeset.number(value)
    if not plain or mark is None:
        return text
    if mark == "padding":
        return text + PAD_MARK
    if mark == "hole":
        return text + HOLE_MARK
    return f"[{text}]"


class SizedGroup(Group):
    """A group that knows its width, so layout needs no costly measuring pass."""

    def __init__(self, *renderables: RenderableType, width: int) -> None:
        super().__init__(*renderables)
        self.width = width


@dataclass(frozen=True)
class _Page:
    """One table of a grid: its title, row and column labels, and each shown cell's text
    and style (rows of the shown columns)."""

    title: str
    index: list[str]
    labels: list[str]
    cells: list[list[tuple[str, str]]]


def _pages(
    grid: M.Grid,
    typeset: Typeset,
    width: int,
    *,
    plain: bool,
    lang: str,
    complete: Sequence[str],
) -> tuple[list[_Page], str | None]:
    """The tables of a grid that fit ``width`` (whole, in column pages, or a window around
    its focus cell) and the note that says what a window leaves out."""
    height, total_cols = grid.values.shape
    focus_r, focus_c = grid.focus or (0, 0)
    rows_whole = height <= MAX_ROWS
    r0 = 0 if rows_whole else _start(focus_r, height, WINDOW_ROWS)
    r1 = height if rows_whole else r0 + WINDOW_ROWS
    c0 = _start(focus_c, total_cols, MAX_COLUMNS) if total_cols > MAX_COLUMNS else 0
    c1 = min(total_cols, c0 + MAX_COLUMNS)
    block = grid.values[r0:r1, c0:c1].tolist()
    marks = grid.marks
    typed: dict[tuple[int, str | None], tuple[str, str]] = {}  # an int's text, by mark

    def cell(value: object, mark: str | None) -> tuple[str, str]:
        if type(value) is not int:  # 0.0 == -0.0 == 0 == False: only ints are keys
            return _cell_text(value, mark, typeset, plain), MARK_STYLES.get(mark or "", "")
        key = (value, mark)
        if key not in typed:
            typed[key] = _cell_text(value, mark, typeset, plain), MARK_STYLES.get(mark or "", "")
        return typed[key]

    cells = [
        [cell(v, marks.get((r0 + i, c0 + j))) for j, v in enumerate(row)]
        for i, row in enumerate(block)
    ]
    cell_width = max((len(c) for row in cells for c, _ in row), default=1) + 2
    label_width = max(len(str(c1 + grid.offset[1])), 1)
    index_width = len(str(r1 + grid.offset[0])) + 1
    per_page = max(1, (width - index_width - 4) // (max(cell_width, label_width) + 3))
    pages = [range(s, min(s + per_page, c1)) for s in range(c0, c1, per_page)]
    few = len(pages) <= MAX_COLUMN_PAGES or height * total_cols <= SMALL_GRID
    whole = rows_whole and (c0, c1) == (0, total_cols) and few
    if not whole:
        pages = [next((p for p in pages if focus_c in p), pages[0])]
    index = [str(r + grid.offset[0]).replace("-", "−") for r in range(r0, r1)]
    shown: list[_Page] = []
    for columns in pages:
        title = grid.label
        if whole and len(pages) > 1:
            first, last = columns.start + grid.offset[1], columns.stop - 1 + grid.offset[1]
            part = "columns_part" if last > first else "column_part"
            title += " " + phrase(lang, part, first=first, last=last)
        labels = [str(c + grid.offset[1]).replace("-", "−") for c in columns]
        page = [row[columns.start - c0 : columns.stop - c0] for row in cells]
        shown.append(_Page(title, index, labels, page))
    if whole:
        return shown, None
    note = phrase(
        lang,
        "showing",
        r0=r0 + grid.offset[0],
        r1=r1 - 1 + grid.offset[0],
        rows=height,
        c0=pages[0].start + grid.offset[1],
        c1=pages[0].stop - 1 + grid.offset[1],
        cols=total_cols,
        formats=phrase(lang, "or").join(f"--format {f}" for f in complete),
    )
    return shown, note


def grid_tables(
    grid: M.Grid,
    typeset: Typeset,
    width: int,
    *,
    plain: bool,
    lang: str,
    complete: Sequence[str] = ("csv", "json"),
) -> list[RenderableType]:
    """The grid as tables that fit ``width``: whole, in column pages, or a window around
    its focus cell with a note. Never a cut number."""
    pages, note = _pages(grid, typeset, width, plain=plain, lang=lang, complete=complete)
    tables: list[RenderableType] = [_table(page) for page in pages]
    if note is not None:
        tables.append(Text(note, style="dim"))
    return tables


def _table(page: _Page) -> SizedGroup:
    table = Table(box=box.ROUNDED, show_lines=False, pad_edge=True, border_style="dim")
    table.add_column("", style="dim", justify="right", no_wrap=True)
    widths = [max(map(len, page.index), default=0)]
    for j, label in enumerate(page.labels):
        table.add_column(label, justify="right", header_style="dim", overflow="fold")
        widths.append(max([len(label), *(len(row[j][0]) for row in page.cells)]))
    for label, row in zip(page.index, page.cells, strict=True):
        table.add_row(label, *(Text(text, style=style) for text, style in row))
    table_width = sum(w + 2 for w in widths) + len(widths) + 1
    return SizedGroup(
        Text(page.title, style="bold"), table, width=max(table_width, len(page.title))
    )


GAP = 3  # columns between tables shown side by side


def _size(console: Console, item: RenderableType) -> int:
    if isinstance(item, SizedGroup):
        return item.width
    return Measurement.get(console, console.options, item).maximum


def _pack(sizes: Sequence[int], width: int) -> list[list[int]]:
    """Indices of blocks ``sizes`` wide, packed left to right into rows that fit ``width``."""
    rows: list[list[int]] = []
    used = width + 1
    for i, size in enumerate(sizes):
        if rows and used + GAP + size <= width:
            rows[-1].append(i)
            used += GAP + size
        else:
            rows.append([i])
            used = size
    return rows


def flow(console: Console, items: Sequence[RenderableType], width: int) -> list[RenderableType]:
    """Pack blocks left to right into rows that fit ``width`` (tables side by side)."""
    out: list[RenderableType] = []
    for row in _pack([_size(console, item) for item in items], width):
        grid = Table.grid(padding=(0, GAP, 0, 0))
        for _ in row:
            grid.add_column(vertical="top")
        grid.add_row(*(items[i] for i in row))
        out.append(grid)
    return out


# --- a lesson's step, drawn directly ----------------------------------------------------------

_Lines: TypeAlias = list[list[Segment]]
_NEWLINE = Segment.line()


@dataclass(frozen=True)
class _Memo:
    """What the steps of one document share: the cell widths of texts, and each line of
    text drawn (most steps repeat their first line)."""

    widths: dict[str, int] = field(default_factory=dict)
    texts: dict[tuple[object, ...], _Lines] = field(default_factory=dict)


class StepPanel:
    """A lesson's step in its frame: the lines Rich's ``Panel`` of a ``Group`` of texts
    and of :func:`flow` rows of :func:`grid_tables` draws, segment for segment, built
    directly. Rich's layout measures and pads every cell of every table again at each
    level (~30 ms for a step with two 12×12 grids), which made ``explain --all`` on a
    40×40 input take a minute; built here a step costs about what it shows. A step is
    built when it is printed, so a long lesson is never held whole. What this does not
    draw the way Rich would (a narrow terminal, a table wider than the panel, a block
    other than text and grids) is left to Rich."""

    def __init__(
        self,
        panel: M.Panel,
        document: M.Document,
        typeset: Typeset,
        width: int,
        *,
        plain: bool,
        memo: _Memo,
    ) -> None:
        self.panel = panel
        self.memo = memo
        self.lang = document.lang
        self.complete = document.complete
        self.typeset = typeset
        self.width = width
        self.plain = plain

    def rich_panel(self, console: Console) -> Panel:
        """The step as Rich lays it out (what :meth:`lines` draws the same)."""
        inner = M.Document(self.panel.blocks, lang=self.lang, complete=self.complete)
        width = max(self.width - 4, 20)
        group = Group(*renderables(inner, console, self.typeset, width=width))
        title = escape(self.panel.title)
        return Panel(group, title=title, title_align="left", border_style="blue")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.lines(console, options)
        if lines is None:
            yield self.rich_panel(console)
            return
        plain = console.color_system is None  # no style is drawn: a line is one segment
        for line in lines:
            if plain:
                yield Segment("".join(segment.text for segment in line))
            else:
                yield from _merged(line)
            yield Segment.line()

    def lines(self, console: Console, options: ConsoleOptions) -> _Lines | None:
        """The step's lines, or None where only Rich's own layout draws it right."""
        width = options.max_width
        title = f" {self.panel.title} "
        if width != self.width or width < 24 or cell_len(title) > width - 4:
            return None
        if any(c in title for c in "\n\t") or Text.from_markup(escape(title)).plain != title:
            return None
        inner = width - 4
        frame = box.ROUNDED.substitute(options, safe=console.safe_box)
        border = console.get_style("blue")
        body_options = options.update(width=inner, height=None, highlight=False)
        body: _Lines = []
        for block in self.panel.blocks:
            if isinstance(block, M.Text):
                key = (id(console), inner, block.line, block.kind)
                if key not in self.memo.texts:
                    self.memo.texts[key] = console.render_lines(_text(block), body_options)
                body += self.memo.texts[key]
            elif isinstance(block, M.Grids):
                rows = self._grids(console, body_options, block)
                if rows is None:
                    return None
                body += rows
            else:
                return None
        excess = width - 4 - cell_len(title)
        top = [Segment(frame.top_left + frame.top, border), Segment(title, border)]
        if excess:
            top.append(Segment(frame.top * excess, border))
        top.append(Segment(frame.top + frame.top_right, border))
        left, right, pad = (
            Segment(frame.mid_left, border),
            Segment(frame.mid_right, border),
            Segment(" "),
        )
        framed = [[left, pad, *line, pad, right] for line in body]
        return [top, *framed, [Segment(frame.get_bottom([width - 2]), border)]]

    def _grids(self, console: Console, options: ConsoleOptions, block: M.Grids) -> _Lines | None:
        """A row of grids as :func:`flow` packs them into ``Table.grid`` rows."""
        width = options.max_width
        items: list[_Page | Text] = []
        for grid in block.grids:
            pages, note = _pages(
                grid, self.typeset, width, plain=self.plain, lang=self.lang,
                complete=self.complete,
            )  # fmt: skip
            items += pages
            if note is not None:
                items.append(Text(note, style="dim"))
        if any("\n" in item.plain for item in items if isinstance(item, Text)):
            return None
        sizes = [
            _size(console, item) if isinstance(item, Text) else _page_size(item) for item in items
        ]
        out: _Lines = []
        for row in _pack(sizes, width):
            drawn: list[tuple[_Lines, int]] = []  # each item's lines, all as wide, and gap
            for k, i in enumerate(row):
                item = items[i]
                if isinstance(item, Text):
                    shown = cell_len(item.plain)
                    note_options = options.update(
                        width=shown, justify="left", no_wrap=False, overflow="ellipsis"
                    )
                    lines = console.render_lines(item, note_options, pad=True)
                else:
                    shown, lines = _page_lines(console, options, item, self.memo.widths)
                gap = GAP if k < len(row) - 1 else 0
                drawn.append((lines, shown + gap))
                if gap:
                    after = Segment(" " * gap)
                    for drawn_line in lines:
                        drawn_line.append(after)
            used = sum(w for _, w in drawn)
            if used > width:  # Rich would narrow the columns: its layout, not this one
                return None
            fill = [Segment(" " * (width - used))] if used < width else []
            for n in range(max(len(lines) for lines, _ in drawn)):
                line: list[Segment] = []
                for lines, w in drawn:
                    line += lines[n] if n < len(lines) else [Segment(" " * w)]
                out.append(line + fill)
        return out


def _text(block: M.Text) -> Text:
    text = styled(block.line)
    if block.kind == "title":
        text.stylize("bold")
    elif block.kind == "note":
        text.stylize("dim")
    return text


def _merged(line: Sequence[Segment]) -> Iterator[Segment]:
    """``line`` with each run of unstyled segments joined (drawn alike, in fewer pieces)."""
    run: list[str] = []
    for segment in line:
        if segment.style:
            if run:
                yield Segment("".join(run))
                run = []
            yield segment
        else:
            run.append(segment.text)
    if run:
        yield Segment("".join(run))


def _page_size(page: _Page) -> int:
    """The width :func:`flow` packs a page's table by (that of its ``SizedGroup``)."""
    widths = [max(map(len, page.index), default=0)]
    widths += [
        max([len(label), *(len(row[j][0]) for row in page.cells)])
        for j, label in enumerate(page.labels)
    ]
    return max(sum(w + 2 for w in widths) + len(widths) + 1, len(page.title))


def _page_lines(
    console: Console, options: ConsoleOptions, page: _Page, widths: dict[str, int]
) -> tuple[int, _Lines]:
    """A page's title and table as ``Table(box=ROUNDED, border_style="dim")`` with its
    columns right-justified draws them: its width and lines (the title's as wide). Where
    no style is drawn, none is kept (a line is then one segment); ``widths``: the cell
    widths of texts met so far."""
    frame = box.ROUNDED.substitute(options, safe=console.safe_box)
    plain = console.color_system is None

    def style(name: str) -> Style | None:
        return None if plain else console.get_style(name)

    def cell_width(text: str) -> int:
        if text not in widths:
            widths[text] = cell_len(text)
        return widths[text]

    border = style("dim")
    head = console.get_style("table.header")
    head_index = None if plain else head + console.get_style("")
    head_cells = None if plain else head + console.get_style("dim")
    index_style, cell_style = style("dim"), style("")
    marks = {name: style(name) for name in {s for row in page.cells for _, s in row} if name}
    columns = [max((cell_width(label) for label in page.index), default=0)]
    columns += [
        max([cell_width(label), *(cell_width(row[j][0]) for row in page.cells)])
        for j, label in enumerate(page.labels)
    ]
    spans = [w + 2 for w in columns]
    table_width = sum(spans) + len(spans) + 1
    shown = max(table_width, cell_len(page.title))
    pad = Segment(" " * (shown - table_width)) if shown > table_width else None
    lines: _Lines = [[Segment(page.title + " " * (shown - cell_len(page.title)), style("bold"))]]

    def cell(text: str, width: int, outer: Style | None, inner: Style | None) -> list[Segment]:
        space = Segment(" ", outer)
        return [space, Segment(" " * (width - cell_width(text)) + text, inner), space]

    def row(cells: list[list[Segment]], ends: tuple[str, str, str]) -> list[Segment]:
        left, right, divider = (Segment(end, border) for end in ends)
        line = [left]
        for n, drawn in enumerate(cells):
            if n:
                line.append(divider)
            line += drawn
        line.append(right)
        return list(_merged(line))

    header = [cell("", columns[0], head_index, head_index)]
    header += [
        cell(label, w, head_cells, head_cells)
        for label, w in zip(page.labels, columns[1:], strict=True)
    ]
    lines.append([Segment(frame.get_top(spans), border)])
    lines.append(row(header, (frame.head_left, frame.head_right, frame.head_vertical)))
    lines.append([Segment(frame.get_row(spans, "head", edge=True), border)])
    last = len(page.index) - 1
    if plain:  # no style is drawn: each line as one string
        for r, (label, values) in enumerate(zip(page.index, page.cells, strict=True)):
            left, right, divider = (
                (frame.foot_left, frame.foot_right, frame.foot_vertical)
                if r == last
                else (frame.mid_left, frame.mid_right, frame.mid_vertical)
            )
            texts = [label, *(text for text, _ in values)]
            padded = [
                " " * (w - cell_width(text) + 1) + text + " "
                for text, w in zip(texts, columns, strict=True)
            ]
            lines.append([Segment(left + divider.join(padded) + right)])
        lines.append([Segment(frame.get_bottom(spans), border)])
        if pad is not None:
            for line in lines[1:]:
                line.append(pad)
        return shown, lines
    for r, (label, values) in enumerate(zip(page.index, page.cells, strict=True)):
        cells = [cell(label, columns[0], index_style, index_style)]
        cells += [
            cell(text, w, cell_style, marks.get(name))
            for (text, name), w in zip(values, columns[1:], strict=True)
        ]
        ends = (
            (frame.foot_left, frame.foot_right, frame.foot_vertical)
            if r == last
            else (frame.mid_left, frame.mid_right, frame.mid_vertical)
        )
        lines.append(row(cells, ends))
    lines.append([Segment(frame.get_bottom(spans), border)])
    if pad is not None:
        for line in lines[1:]:
            line.append(pad)
    return shown, lines


# --- documents ------------------------------------------------------------------------------


def renderables(
    document: M.Document, console: Console, typeset: Typeset, *, width: int | None = None
) -> list[RenderableType]:
    """Each block of ``document`` as Rich renderables."""
    width = width or console.width
    plain = colourless(console)
    lang = document.lang
    memo = _Memo()
    out: list[RenderableType] = [Text(document.title, style="bold")] if document.title else []
    for block in document.blocks:
        if isinstance(block, M.Heading):
            body = Text("\n".join(block.lines))
            out.append(Panel(body, title=escape(block.title), expand=False, border_style="blue"))
        elif isinstance(block, M.Grids):
            tables: list[RenderableType] = []
            for grid in block.grids:
                tables += grid_tables(
                    grid, typeset, width, plain=plain, lang=lang, complete=document.complete
                )
            out += flow(console, tables, width)
        elif isinstance(block, M.Text):
            out.append(_text(block))
        else:
            out.append(StepPanel(block, document, typeset, width, plain=plain, memo=memo))
    return out


class _Memory(io.StringIO):
    """A text buffer that reports an encoding, as Rich picks box characters by it."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding_name = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding_name


def to_text(console: Console, items: Iterable[RenderableType]) -> str:
    """Render to a string first, so a failure never leaves half a table on stdout.

    The rendering console is a twin of ``console`` (same terminal, colours, width and
    encoding) that writes to memory.
    """
    buffer = _Memory(console.encoding)
    twin = Console(
        file=buffer,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
        no_color=console.no_color,
        width=console.width,
        height=console.height,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    for item in items:
        if isinstance(item, StepPanel) and twin.color_system is None:
            # nothing to style: the step's lines go to the buffer as they are drawn
            drawn = item.lines(twin, twin.options)
            if drawn is not None:
                buffer.write("".join(s.text for line in drawn for s in (*line, _NEWLINE)))
                continue
        # prose is never wrapped by us: a terminal wraps it, a file keeps it whole
        twin.print(item, soft_wrap=isinstance(item, Text))
    return buffer.getvalue()


def document_text(document: M.Document, typeset: Typeset) -> str:
    """The document as it shows on stdout (colour and width as Rich finds them)."""
    console = make_console()
    return to_text(console, renderables(document, console, typeset))


def animate(document: M.Document, typeset: Typeset, delay: float | None) -> bool:
    """Play a lesson's panels on a terminal (:mod:`convcli.player`): keys move, and with a
    ``delay`` a timer does too. False when stdout is no terminal: print the steps then."""
    console = make_console()
    # a dumb terminal cannot move its cursor: the steps are printed one after another
    if not console.is_terminal or not sys.stdout.isatty() or console.is_dumb_terminal:
        return False
    from convcli import player

    total = sum(isinstance(b, M.Panel) for b in document.blocks)

    def frame(index: int, width: int, height: int | None) -> list[str]:
        return step_lines(document, index, typeset, width, height)

    player.play(total, frame, lang=document.lang, delay=delay)
    return True


@contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner on stderr while slow work runs (terminals only)."""
    console = make_console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(Text(message), spinner="dots"):
        yield


@contextmanager
def progress(message: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (terminals only); yields ``advance(done, total)``."""
    console = make_console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(escape(message), total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def show(build: Callable[[Console], Sequence[RenderableType]]) -> str:
    """The text of what ``build`` makes for a stdout console."""
    console = make_console()
    return to_text(console, build(console))


def kernel_list(rows: Sequence[tuple[str, str, str]]) -> Table:
    """The kernel presets as a table (names and purposes printed literally)."""
    table = Table(title="kernel presets", title_justify="left")
    for name in ("name", "size", "purpose"):
        table.add_column(name, overflow="fold")  # fold a long word, never cut it
    for row in rows:
        table.add_row(*(escape(v) for v in row))
    return table


# --- one step on a screen (the player) --------------------------------------------------------


def step_lines(
    document: M.Document, index: int, typeset: Typeset, width: int, height: int | None = None
) -> list[str]:
    """Panel ``index`` of ``document`` as terminal lines ``width`` columns wide.

    With ``height``, a taller panel shows fewer rows of its grids (those around the window
    and the current cell, with a note), then none; never fewer words: the title, the
    prose and the ``out[…] = …`` lines are the point of a step, the grids illustrate
    them. Words that do not fit even without grids come back whole (the player scrolls).
    """
    panel = [b for b in document.blocks if isinstance(b, M.Panel)][index]
    console = make_console()
    console.width = width

    def render(blocks: tuple[M.Block, ...]) -> list[str]:
        shown = M.Document(
            (M.Panel(panel.title, blocks),), lang=document.lang, complete=document.complete
        )
        return to_text(console, renderables(shown, console, typeset)).splitlines()

    lines = render(panel.blocks)
    if height is None or len(lines) <= height:
        return lines
    note = M.note(phrase(document.lang, "player_cut"))
    tallest = max(
        (g.values.shape[0] for b in panel.blocks if isinstance(b, M.Grids) for g in b.grids),
        default=0,
    )
    fewer, more = 0, tallest  # this many rows fit (0: no grids at all), this many do not
    best: list[str] | None = None
    while more - fewer > 1:
        rows = (fewer + more) // 2
        tried = render(_with_rows(panel.blocks, rows, note))
        if len(tried) <= height:
            fewer, best = rows, tried
        else:
            more = rows
    return best or render(_with_rows(panel.blocks, 0, note))


def _with_rows(blocks: tuple[M.Block, ...], rows: int, note: M.Text) -> tuple[M.Block, ...]:
    """``blocks`` with each grid cut to ``rows`` rows around its focus (none: no grids),
    and ``note`` after them."""
    out: list[M.Block] = []
    for block in blocks:
        if not isinstance(block, M.Grids):
            out.append(block)
            continue
        if rows > 0:
            out.append(M.Grids(tuple(_rows_around(g, rows) for g in block.grids)))
        out.append(note)
    return tuple(out)


def _rows_around(grid: M.Grid, rows: int) -> M.Grid:
    """``rows`` rows of ``grid``: its window or current cell in the middle, else its focus."""
    height = grid.values.shape[0]
    if height <= rows:
        return grid
    marked = sorted(r for (r, _), mark in grid.marks.items() if mark in ("window", "current"))
    if marked:
        first, last = marked[0], marked[-1]
        r0 = max(0, min(first - max(rows - (last - first + 1), 0) // 2, height - rows))
    else:
        r0 = _start(grid.focus[0] if grid.focus else 0, height, rows)
    marks = {(r - r0, c): m for (r, c), m in grid.marks.items() if r0 <= r < r0 + rows}
    focus = None if grid.focus is None else (grid.focus[0] - r0, grid.focus[1])
    offset = (grid.offset[0] + r0, grid.offset[1])
    return M.Grid(grid.label, grid.values[r0 : r0 + rows], marks, offset, focus)
