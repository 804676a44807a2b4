"""Everything Rich: consoles, matrix tables with padding and windows marked, explanations.

The only module that imports Rich. Tables never truncate a number: wide matrices are
split into column pages and very large ones are shown as a window with a note saying
how to get the whole result (``--format csv`` or ``json``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from convcli.core import ConvSetup, TransposeSetup
from convcli.numbers import Array
from convcli.report import ASCII, UNICODE, Segment, Symbols, arithmetic, pool_arithmetic

if TYPE_CHECKING:
    from convcli.core import PoolSetup
    from convcli.trace import CellTrace, PoolTrace
    from convcli.walkthrough import Grid, Lesson

MAX_ROWS = 40  # a matrix up to this many rows (and 3 column pages) is shown whole
MAX_COLUMN_PAGES = 3
WINDOW_ROWS = 20  # a larger one is shown as a window: the top-left corner, one page
MAX_COLUMNS = 160  # no more columns are ever formatted (3 pages of the narrowest cells)
SMALL_MATRIX = 400  # cells: a matrix this small is always shown whole, in as many pages as needed
STYLES = {
    "pad": "dim italic",
    "bias": "magenta",
    "value": "bold green",
    "partial": "green",
    "label": "bold cyan",
    "channel": "cyan",
    "new": "bold black on green",
}
WINDOW_STYLES = ("bold black on yellow", "bold black on cyan", "bold black on magenta")


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout or stderr; NO_COLOR, FORCE_COLOR, TERM and COLUMNS are Rich's."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


def symbols_for(console: Console) -> Symbols:
    """Unicode signs when the output encoding can carry them, ASCII otherwise."""
    plain = console.color_system is None
    try:
        "×−·ₚ…│".encode(console.encoding)
    except (UnicodeEncodeError, LookupError):
        return replace(ASCII, plain=plain)
    return replace(UNICODE, plain=plain)


def styled(segments: Iterable[Segment]) -> Text:
    text = Text()
    for chunk, style in segments:
        text.append(chunk, style=STYLES.get(style or "", ""))
    return text


@dataclass
class MatrixView:
    """A 2-D matrix to show: its values as text and per-cell styles."""

    title: str
    cells: list[list[str]]
    styles: dict[tuple[int, int], str] = field(default_factory=dict)
    row_offset: int = 0  # index shown for row 0 (−pad for a padded input)
    col_offset: int = 0
    minus: str = "−"
    pad_mark: str = "ₚ"
    plain_marks: bool = False  # no colour: brackets for windows, a subscript for padding

    def text(self, r: int, c: int) -> str:
        value = self.cells[r][c]
        style = self.styles.get((r, c), "")
        if not self.plain_marks or not style:
            return value
        if style == STYLES["pad"]:
            return value + self.pad_mark if value != "·" else value
        return f"[{value}]"


def matrix_view(
    array: Array,
    title: str,
    symbols: Symbols,
    *,
    styles: Mapping[tuple[int, int], str] | None = None,
    offset: tuple[int, int] = (0, 0),
) -> MatrixView:
    rows = min(array.shape[0], MAX_ROWS)
    cells = [[symbols.number(v) for v in array[r, :MAX_COLUMNS].tolist()] for r in range(rows)]
    return MatrixView(
        title,
        cells,
        dict(styles or {}),
        offset[0],
        offset[1],
        symbols.minus,
        symbols.pad,
        symbols.plain,
    )


def matrix_tables(view: MatrixView, total_shape: Sequence[int], width: int) -> list[RenderableType]:
    """The matrix as tables that fit ``width``: whole, in column pages, or — when it is
    larger than a screen — a window of its top-left corner with a note. Never a cut number.
    """
    n_cols = len(view.cells[0]) if view.cells else 0
    cell_width = max((len(c) for row in view.cells for c in row), default=1) + 2
    index_width = len(str(len(view.cells) + view.row_offset)) + 1
    per_page = max(1, (width - index_width - 4) // (max(cell_width, len(str(n_cols))) + 3))
    pages = [range(start, min(start + per_page, n_cols)) for start in range(0, n_cols, per_page)]
    few = len(pages) <= MAX_COLUMN_PAGES or total_shape[0] * total_shape[1] <= SMALL_MATRIX
    whole = total_shape[0] <= MAX_ROWS and total_shape[1] <= n_cols and few
    shown = pages if whole else pages[:1]
    rows = len(view.cells) if whole else min(len(view.cells), WINDOW_ROWS)
    tables: list[RenderableType] = []
    for columns in shown:
        part = f" (columns {columns.start + view.col_offset}–{columns.stop - 1 + view.col_offset})"
        title = view.title + (part if len(pages) > 1 and whole else "")
        tables.append(_table(view, columns, title, rows))
    if not whole:
        tables.append(
            Text(
                f"showing {rows} of {total_shape[0]} rows and {shown[0].stop} of "
                f"{total_shape[1]} columns; use --format csv or --format json for all of it",
                style="dim",
            )
        )
    return tables


class SizedGroup(Group):
    """A group that knows its width, so layout needs no costly measuring pass."""

    def __init__(self, *renderables: RenderableType, width: int) -> None:
        super().__init__(*renderables)
        self.width = width


def _table(view: MatrixView, columns: range, title: str, rows: int) -> SizedGroup:
    table = Table(box=box.ROUNDED, show_lines=False, pad_edge=True, border_style="dim")
    index = [str(r + view.row_offset).replace("-", view.minus) for r in range(rows)]
    table.add_column("", style="dim", justify="right", no_wrap=True)
    widths = [max(map(len, index), default=0)]
    for c in columns:
        label = str(c + view.col_offset).replace("-", view.minus)
        table.add_column(label, justify="right", header_style="dim", overflow="fold")
        widths.append(max([len(label), *(len(view.text(r, c)) for r in range(rows))]))
    for r in range(rows):
        items = [Text(view.text(r, c), style=view.styles.get((r, c), "")) for c in columns]
        table.add_row(index[r], *items)
    table_width = sum(w + 2 for w in widths) + len(widths) + 1
    return SizedGroup(Text(title, style="bold"), table, width=max(table_width, len(title)))


def flow(console: Console, items: Sequence[RenderableType], width: int) -> list[RenderableType]:
    """Pack blocks left to right into rows that fit ``width`` (tables side by side)."""
    gap = 3
    rows: list[list[RenderableType]] = []
    used = width + 1
    for item in items:
        if isinstance(item, SizedGroup):
            size = item.width
        else:
            size = Measurement.get(console, console.options, item).maximum
        if rows and used + gap + size <= width:
            rows[-1].append(item)
            used += gap + size
        else:
            rows.append([item])
            used = size
    out: list[RenderableType] = []
    for row in rows:
        grid = Table.grid(padding=(0, gap, 0, 0))
        for _ in row:
            grid.add_column(vertical="top")
        grid.add_row(*row)
        out.append(grid)
    return out


def heading(text: str, subtitle: str | None = None) -> Panel:
    return Panel(
        Text(text), title=escape(subtitle) if subtitle else None, expand=False, border_style="blue"
    )


def note(text: str) -> Text:
    return Text(text, style="dim")


class _Memory(io.StringIO):
    """A text buffer that reports an encoding, as Rich picks box characters by it."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding_name = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding_name


def to_text(console: Console, renderables: Iterable[RenderableType]) -> str:
    """Render everything to a string first, so a failure never leaves half a table.

    The rendering console is a twin of ``console`` (same terminal, colours, width and
    encoding) that writes to memory: stdout is touched only by the caller, once.
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
    for item in renderables:
        # prose lines are never wrapped by us: a terminal wraps them, a file keeps them whole
        twin.print(item, soft_wrap=isinstance(item, Text))
    return buffer.getvalue()


def columns_available(console: Console) -> int:
    """The width tables must fit: the terminal's, COLUMNS, or Rich's 80 off a terminal."""
    return console.width


def _size(shape: Sequence[int], symbols: Symbols) -> str:
    return symbols.times.join(str(n) for n in shape)


def _padded_styles(
    shape: tuple[int, int], pads: Sequence[int], windows: Sequence[Sequence[tuple[int, int]]]
) -> dict[tuple[int, int], str]:
    top, _, left, _ = pads
    height, width = shape
    styles = {  # only where a table can show it
        (r, c): STYLES["pad"]
        for r in range(min(height + pads[0] + pads[1], MAX_ROWS))
        for c in range(min(width + pads[2] + pads[3], MAX_COLUMNS))
        if not (top <= r < top + height and left <= c < left + width)
    }
    for n, window in enumerate(windows):
        for position in window:
            styles[position] = WINDOW_STYLES[n % len(WINDOW_STYLES)]
    return styles


def result_report(
    command: str,
    setup: ConvSetup | TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    highlight: bool,
    console: Console,
    notes: Sequence[str] = (),
    views: Sequence[str] = (),
) -> list[RenderableType]:
    """The table view of a ``conv``, ``dilate`` or ``transpose`` result."""
    if isinstance(setup, TransposeSetup):
        return transpose_report(setup, output, traces, console=console, notes=notes, views=views)
    return conv_report(
        setup, output, traces, highlight=highlight, console=console, notes=notes, title=command
    )


def conv_report(
    setup: ConvSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    highlight: bool,
    console: Console,
    notes: Sequence[str] = (),
    title: str = "conv",
) -> list[RenderableType]:
    """Heading, padded input (padding dim, chosen windows lit), kernels, feature map, arithmetic."""
    from convcli.trace import conv_window

    symbols = symbols_for(console)
    width = columns_available(console)
    chosen = list(traces) if highlight else []
    parts: list[RenderableType] = [heading(conv_summary(setup, symbols), title)]
    padded = setup.padded_input()
    top, _, left, _ = setup.pads
    blocks: list[RenderableType] = []
    for channel in range(padded.shape[0]):
        windows = [
            conv_window(setup, t.cell) for t in chosen if _reads_channel(setup, t.cell, channel)
        ]
        styles = _padded_styles(setup.x.shape[-2:], setup.pads, windows)
        title = f"input{f' channel {channel}' if padded.shape[0] > 1 else ''}"
        title += " (padded)" if any(setup.pads) else ""
        view = matrix_view(padded[channel], title, symbols, styles=styles, offset=(-top, -left))
        blocks += matrix_tables(view, padded.shape[-2:], width)
    blocks += _kernel_tables(setup.weight, symbols, width)
    if setup.params.dilation != (1, 1):
        blocks += _dilated_tables(setup.weight, setup.params.dilation, symbols, width)
    blocks += _feature_maps(output, chosen, symbols, width)
    parts += flow(console, blocks, width)
    parts += [note(n) for n in notes]
    if traces:
        parts.append(
            Text(
                "arithmetic"
                + (f" ({symbols.pad} marks a padding cell)" if _any_pad(traces) else ""),
                style="bold",
            )
        )
        parts += [styled(arithmetic(t, symbols)) for t in traces]
    return parts


def _reads_channel(setup: ConvSetup, cell: tuple[int, ...], channel: int) -> bool:
    groups = setup.params.groups
    o = cell[0] if len(cell) == 3 else 0
    per_in, per_out = setup.x.shape[0] // groups, setup.weight.shape[0] // groups
    return bool(o // per_out == channel // per_in)


def _any_pad(traces: Sequence[CellTrace]) -> bool:
    return any(term.source is None for t in traces for term in t.terms)


MAX_KERNEL_TABLES = 12


def _kernel_tables(weight: Array, symbols: Symbols, width: int) -> list[RenderableType]:
    out_channels, in_channels = weight.shape[:2]
    tables: list[RenderableType] = []
    for o in range(out_channels):
        for c in range(in_channels):
            label = "kernel" + (f" {o}" if out_channels > 1 else "")
            label += f" channel {c}" if in_channels > 1 else ""
            view = matrix_view(weight[o, c], label, symbols)
            tables += matrix_tables(view, weight.shape[-2:], width)
    if len(tables) > MAX_KERNEL_TABLES:
        hidden = len(tables) - MAX_KERNEL_TABLES
        tables = [*tables[:MAX_KERNEL_TABLES], note(f"{hidden} more kernel tables not shown")]
    return tables


def _feature_maps(
    output: Array, chosen: Sequence[CellTrace], symbols: Symbols, width: int
) -> list[RenderableType]:
    maps = output if output.ndim == 3 else output[None]
    parts: list[RenderableType] = []
    for o in range(maps.shape[0]):
        styles: dict[tuple[int, int], str] = {}
        for n, trace in enumerate(chosen):
            if len(trace.cell) == 2 or trace.cell[0] == o:
                styles[(trace.cell[-2], trace.cell[-1])] = WINDOW_STYLES[n % len(WINDOW_STYLES)]
        title = "feature map" + (f" {o}" if maps.shape[0] > 1 else "")
        title += f" ({_size(maps.shape[-2:], symbols)})"
        parts += matrix_tables(
            matrix_view(maps[o], title, symbols, styles=styles), maps.shape[-2:], width
        )
    return parts


def conv_summary(setup: ConvSetup, symbols: Symbols) -> str:
    p = setup.params
    pads = ",".join(str(n) for n in setup.pads)
    word = f" ({p.padding})" if isinstance(p.padding, str) else ""
    mode = f", {p.padding_mode}" if p.padding_mode != "zeros" else ""
    value = f", value {symbols.number(p.pad_value)}" if p.pad_value != 0 else ""
    extras = []
    if p.dilation != (1, 1):
        extras.append(f"dilation {_pair(p.dilation)}")
    if p.groups != 1:
        extras.append(f"groups {p.groups}")
    if setup.bias is not None:
        extras.append("bias " + ",".join(symbols.number(b) for b in setup.bias))
    if p.flip:
        extras.append("flipped kernel (true convolution)")
    return (
        f"input {_size(setup.input_shape, symbols)}  kernel {_size(setup.kernel_shape, symbols)}  "
        f"stride {_pair(p.stride)}  padding {pads}{word}{mode}{value}"
        + "".join(f"  {e}" for e in extras)
        + f"\noutput {_size(setup.output_shape, symbols)}"
    )


def _pair(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]},{pair[1]}"


def _arithmetic_parts(
    traces: Sequence[CellTrace], symbols: Symbols, title: str
) -> list[RenderableType]:
    if not traces:
        return []
    legend = f" ({symbols.pad} marks a padding cell)" if _any_pad(traces) else ""
    return [Text(title + legend, style="bold"), *(styled(arithmetic(t, symbols)) for t in traces)]


def transpose_report(
    setup: TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace],
    *,
    console: Console,
    notes: Sequence[str] = (),
    views: Sequence[str] = (),
) -> list[RenderableType]:
    """Input, kernel and output of a transposed convolution, with the views asked for."""
    from convcli.core import conv_matrix, transpose_as_direct
    from convcli.formulas import transpose_line

    symbols = symbols_for(console)
    width = columns_available(console)
    p = setup.params
    summary = (
        f"input {_size(setup.input_shape, symbols)}  kernel {_size(setup.kernel_shape, symbols)}  "
        f"stride {_pair(p.stride)}  padding {','.join(map(str, setup.pads))}  "
        f"output padding {_pair(setup.output_padding)}  dilation {_pair(p.dilation)}"
    )
    formulas = "\n".join(transpose_line(n, a) for n, a in (("h", setup.rows), ("w", setup.cols)))
    parts: list[RenderableType] = [heading(summary + "\n" + formulas, "transpose")]
    blocks: list[RenderableType] = []
    for channel in range(setup.x.shape[0]):
        title = "input" + (f" channel {channel}" if setup.x.shape[0] > 1 else "")
        blocks += matrix_tables(
            matrix_view(setup.x[channel], title, symbols), setup.x.shape[-2:], width
        )
    blocks += _kernel_tables(setup.weight, symbols, width)
    blocks += _feature_maps(output, traces if len(traces) <= 3 else [], symbols, width)
    parts += flow(console, blocks, width)
    parts += [note(n) for n in notes]
    if "scatter" in views:
        parts.append(
            Text(
                "scatter view: each input cell times the kernel, added into the output",
                style="bold",
            )
        )
        parts += _scatter_lines(setup, symbols)
        parts += _arithmetic_parts(traces, symbols, "contributions to each output cell")
    if "direct" in views:
        parts += _direct_view(console, setup, symbols, width, transpose_as_direct)
    if "matrix" in views:
        parts += _matrix_view(setup, symbols, width, conv_matrix)
    return parts


MAX_SCATTER_LINES = 16


def _scatter_lines(setup: TransposeSetup, symbols: Symbols) -> list[RenderableType]:
    (sh, sw), (dh, dw) = setup.params.stride, setup.params.dilation
    kh, kw = setup.weight.shape[-2:]
    top, _, left, _ = setup.pads
    lines: list[RenderableType] = []
    channels, height, width = setup.x.shape
    for c in range(channels):
        for a in range(height):
            for b in range(width):
                r0, c0 = a * sh - top, b * sw - left
                r1, c1 = r0 + dh * (kh - 1), c0 + dw * (kw - 1)
                rows_at = f"{symbols.number(r0)}..{symbols.number(r1)}"
                cols_at = f"{symbols.number(c0)}..{symbols.number(c1)}"
                where = f"x[{c},{a},{b}]" if channels > 1 else f"x[{a},{b}]"
                lines.append(
                    Text(
                        f"{where} = {symbols.number(setup.x[c, a, b])}: "
                        f"{symbols.number(setup.x[c, a, b], bracket=True)}{symbols.dot}kernel "
                        f"added at rows {rows_at}, columns {cols_at}"
                        + (f" (step {dh},{dw})" if (dh, dw) != (1, 1) else "")
                    )
                )
    if len(lines) > MAX_SCATTER_LINES:
        lines = [
            *lines[:MAX_SCATTER_LINES],
            note(f"{len(lines) - MAX_SCATTER_LINES} more input cells"),
        ]
    if any(setup.pads):
        lines.append(note("(negative or too-large indices fall in the cropped padding)"))
    return lines


def _direct_view(
    console: Console, setup: TransposeSetup, symbols: Symbols, width: int, direct: Any
) -> list[RenderableType]:
    stretched, kernel, pads = direct(setup)
    (sh, sw), p = setup.params.stride, pads
    parts: list[RenderableType] = [
        Text(
            f"direct view: {sh - 1},{sw - 1} zeros inserted between input cells, padded by "
            f"d{symbols.dot}(k{symbols.minus}1){symbols.minus}p = {p[0]},{p[1]},{p[2]},{p[3]} "
            f"(top,bottom,left,right, output padding included), kernel rotated 180°, stride 1",
            style="bold",
        )
    ]
    blocks: list[RenderableType] = []
    for channel in range(stretched.shape[0]):
        title = "stretched input" + (f" channel {channel}" if stretched.shape[0] > 1 else "")
        blocks += matrix_tables(
            matrix_view(stretched[channel], title, symbols), stretched.shape[-2:], width
        )
    blocks += _kernel_tables(kernel, symbols, width)
    parts += flow(console, blocks, width)
    parts.append(note("an ordinary convolution of these two gives the output above"))
    return parts


MAX_MATRIX_CELLS = 64


def _matrix_view(
    setup: TransposeSetup, symbols: Symbols, width: int, build: Any
) -> list[RenderableType]:
    in_cells = setup.x.shape[-1] * setup.x.shape[-2]
    out_cells = setup.rows.output * setup.cols.output
    if (
        setup.x.shape[0] != 1
        or setup.weight.shape[1] != 1
        or max(in_cells, out_cells) > MAX_MATRIX_CELLS
    ):
        return [
            note(f"matrix view: only for one channel and at most {MAX_MATRIX_CELLS} cells per side")
        ]
    matrix = build(setup)
    return [
        Text(
            "matrix view: the forward convolution is vec(y) = C·vec(x) with C below "
            f"({_size(matrix.shape, symbols)}, rows and columns in row-major order); "
            "the transposed convolution is vec(out) = Cᵀ·vec(input)",
            style="bold",
        ),
        *matrix_tables(matrix_view(matrix, "C", symbols), matrix.shape, width),
    ]


def dilate_report(
    kernel: Array, dilated: Array, dilation: tuple[int, int], console: Console
) -> list[RenderableType]:
    """The kernel, the dilated kernel with its holes dim, the effective size."""
    symbols = symbols_for(console)
    width = columns_available(console)
    dh, dw = dilation
    kh, kw = kernel.shape[-2:]
    eh, ew = dilated.shape[-2:]
    d, m = symbols.dot, symbols.minus
    parts: list[RenderableType] = [
        heading(
            f"dilation {_pair(dilation)}: effective size d{d}(k{m}1)+1 per axis\n"
            f"height {dh}{d}({kh}{m}1)+1 = {eh}, width {dw}{d}({kw}{m}1)+1 = {ew}\n"
            f"one layer sees a {eh}{symbols.times}{ew} receptive field through {kh * kw} taps",
            "dilate",
        )
    ]
    flat = kernel.reshape((-1, kh, kw))
    blocks: list[RenderableType] = []
    for n in range(min(flat.shape[0], MAX_KERNEL_TABLES)):
        suffix = f" {n}" if flat.shape[0] > 1 else ""
        blocks += matrix_tables(matrix_view(flat[n], "kernel" + suffix, symbols), (kh, kw), width)
    blocks += _dilated_tables(kernel, dilation, symbols, width)
    return parts + flow(console, blocks, width)


def _dilated_tables(
    kernel: Array, dilation: tuple[int, int], symbols: Symbols, width: int
) -> list[RenderableType]:
    """Each kernel slice dilated, the holes (inserted zeros) dim."""
    from convcli.core import dilate_kernel

    dh, dw = dilation
    dilated = dilate_kernel(kernel, dilation)
    eh, ew = dilated.shape[-2:]
    holes = {(r, c): STYLES["pad"] for r in range(eh) for c in range(ew) if r % dh or c % dw}
    flat = dilated.reshape((-1, eh, ew))
    tables: list[RenderableType] = []
    for n in range(min(flat.shape[0], MAX_KERNEL_TABLES)):
        suffix = f" {n}" if flat.shape[0] > 1 else ""
        view = matrix_view(flat[n], f"dilated kernel{suffix} (holes dim)", symbols, styles=holes)
        tables += matrix_tables(view, (eh, ew), width)
    return tables


def pool_report(
    setup: PoolSetup,
    output: Array,
    traces: Sequence[PoolTrace],
    *,
    highlight: bool,
    console: Console,
    notes: Sequence[str] = (),
) -> list[RenderableType]:
    """Input (windows lit for chosen cells), pooled map, each window's arithmetic."""
    symbols = symbols_for(console)
    width = columns_available(console)
    rows, cols = setup.rows, setup.cols
    output_in = setup.x.shape[1:] if setup.squeeze else setup.x.shape
    summary = (
        f"{setup.op} pooling  input {_size(output_in, symbols)}  "
        f"window {rows.kernel}{symbols.times}{cols.kernel}  "
        f"stride {_pair((rows.stride, cols.stride))}  "
        f"padding {_pair((rows.pad_before, cols.pad_before))}"
        + ("  ceil mode" if setup.ceil_mode else "")
        + ("" if setup.count_include_pad or setup.op != "avg" else "  padding not counted")
        + f"\noutput {_size(output.shape, symbols)}"
    )
    parts: list[RenderableType] = [heading(summary, "pool")]
    chosen = list(traces) if highlight else []
    for channel in range(setup.x.shape[0]):
        styles: dict[tuple[int, int], str] = {}
        for n, t in enumerate(chosen):
            if len(t.cell) == 2 or t.cell[0] == channel:
                for a, b in t.positions:
                    styles[(a, b)] = WINDOW_STYLES[n % len(WINDOW_STYLES)]
        title = "input" + (f" channel {channel}" if setup.x.shape[0] > 1 else "")
        view = matrix_view(setup.x[channel], title, symbols, styles=styles)
        parts += matrix_tables(view, setup.x.shape[-2:], width)
    maps = output if output.ndim == 3 else output[None]
    for o in range(maps.shape[0]):
        title = "pooled" + (f" channel {o}" if maps.shape[0] > 1 else "")
        parts += matrix_tables(matrix_view(maps[o], title, symbols), maps.shape[-2:], width)
    parts += [note(n) for n in notes]
    if traces:
        parts.append(Text("windows", style="bold"))
        parts += [Text(pool_arithmetic(t, setup.op, symbols)) for t in traces]
    return parts


def kernel_list(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(title="kernel presets", title_justify="left")
    for name in ("name", "size", "purpose"):
        table.add_column(name, overflow="fold")  # fold a long word, never cut it
    for row in rows:
        table.add_row(*(escape(v) for v in row))
    return table


MARK_STYLES = {
    "pad": STYLES["pad"],
    "hole": STYLES["pad"],
    "window": WINDOW_STYLES[0],
    "new": STYLES["new"],
}


def grid_tables(grid: Grid, symbols: Symbols, width: int) -> list[RenderableType]:
    """A lesson grid as tables: marks become styles, not-yet-computed cells show as ·."""
    view = matrix_view(grid.values, grid.label, symbols, offset=grid.offset)
    for (r, c), mark in grid.marks.items():
        if r >= len(view.cells):
            continue
        if mark == "blank":
            view.cells[r][c] = "·"
        elif mark in MARK_STYLES:
            view.styles[(r, c)] = MARK_STYLES[mark]
    return matrix_tables(view, grid.values.shape, width)


def lesson_panels(lesson: Lesson, console: Console, lang_step: str) -> list[RenderableType]:
    """One Rich panel per step, titled 'Step n of N · title'."""
    symbols = symbols_for(console)
    width = max(console.width - 4, 20)
    panels: list[RenderableType] = []
    for n, total, step in lesson.numbered():
        blocks: list[RenderableType] = []
        for grid in step.grids:
            blocks += grid_tables(grid, symbols, width)
        body: list[RenderableType] = [styled(line) for line in step.lines[:1]]
        body += flow(console, blocks, width) if blocks else []
        body += [styled(line) for line in step.lines[1:]]
        title = f"{lang_step.format(n=n, total=total)} · {step.title}"
        panels.append(
            Panel(Group(*body), title=escape(title), title_align="left", border_style="blue")
        )
    return panels


@contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner with the elapsed time on stderr while slow work runs (terminals only)."""
    console = make_console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(Text(message), spinner="dots"):
        yield


def show(build: Callable[[Console], Sequence[RenderableType]]) -> str:
    """The text of what ``build`` makes for a stdout console (colour and width decided by Rich)."""
    console = make_console()
    return to_text(console, build(console))


def matrix_block(matrix: Array, title: str, console: Console) -> list[RenderableType]:
    """One matrix as tables that fit the console."""
    view = matrix_view(matrix, title, symbols_for(console))
    return matrix_tables(view, matrix.shape, columns_available(console))
