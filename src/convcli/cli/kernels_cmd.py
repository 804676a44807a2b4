"""``convcli kernels``: the named kernel presets."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from convcli.cli.base import (
    Format,
    app,
    emit,
    guarded,
    output_format,
)
from convcli.cli.shared import matrix_writer


class KernelsFormat(StrEnum):
    """The formats ``kernels`` writes: the shared ones but ``plain`` (a shape's two numbers)."""

    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"


KernelsFormatOpt = Annotated[
    KernelsFormat | None,
    typer.Option(
        "--format", "-f", help="Output format; default: table on a terminal, csv in a pipe."
    ),
]

CATALOGUE_HEADER = ("name", "size", "purpose")


@app.command()
def kernels(
    name: Annotated[
        str | None, typer.Argument(help="A preset to show (e.g. sobel-x, box-5, gaussian:7,1.5).")
    ] = None,
    fmt: KernelsFormatOpt = None,
) -> None:
    """List the named kernel presets, or show one.

    \b
    Examples:
      convcli kernels
      convcli kernels gaussian-3
      convcli kernels sobel-x --format json
      convcli kernels --format markdown
    """
    from convcli import kernels as presets
    from convcli import matrix_io

    with guarded():
        form = output_format(None if fmt is None else Format(fmt.value))
        if name is None:
            _write_catalogue(presets.catalogue(), form)
            return
        matrix = presets.get_kernel(name)
        if form is Format.json:
            emit(matrix_io.format_json({"command": "kernels", "name": name, "kernel": matrix}))
        elif form is Format.table:
            from convcli import render

            emit(render.show(lambda console: render.matrix_block(matrix, name, console)))
        else:
            emit(matrix_writer(form)(matrix))


def _write_catalogue(rows: list[tuple[str, str, str]], form: Format) -> None:
    """The list of presets in the chosen format, a header row first in csv, markdown, latex."""
    from convcli import matrix_io

    if form is Format.json:
        kernels = [{"name": n, "size": s, "purpose": p} for n, s, p in rows]
        emit(matrix_io.format_json({"command": "kernels", "kernels": kernels}))
    elif form is Format.table:
        from convcli import render

        emit(render.show(lambda console: [render.kernel_list(rows)]))
    elif form is Format.markdown:
        emit(catalogue_markdown(rows))
    elif form is Format.latex:
        emit(catalogue_latex(rows))
    else:
        emit(catalogue_csv(rows))


def catalogue_csv(rows: list[tuple[str, str, str]]) -> str:
    """RFC 4180 CSV: a purpose holding a comma is quoted. Sizes read ``3x3`` (ASCII).

    >>> print(catalogue_csv([("a", "3×3", "x, y")]), end="")
    name,size,purpose
    a,3x3,"x, y"
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CATALOGUE_HEADER)
    writer.writerows((n, s.replace("×", "x"), p) for n, s, p in rows)
    return out.getvalue()


def catalogue_markdown(rows: list[tuple[str, str, str]]) -> str:
    r"""A GitHub pipe table, columns padded; ``|`` and ``\`` in a cell are escaped.

    >>> print(catalogue_markdown([("a|b", "3×3", "x")]), end="")
    | name | size | purpose |
    | ---- | ---- | ------- |
    | a\|b | 3×3  | x       |
    """
    table = [CATALOGUE_HEADER, *(tuple(_markdown_cell(c) for c in row) for row in rows)]
    widths = [max(3, *(len(row[c]) for row in table)) for c in range(len(CATALOGUE_HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |\n"

    rule = "| " + " | ".join("-" * w for w in widths) + " |\n"
    return line(table[0]) + rule + "".join(line(row) for row in table[1:])


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def catalogue_latex(rows: list[tuple[str, str, str]]) -> str:
    r"""A ``tabular`` (no package needed), LaTeX's special characters escaped.

    >>> print(catalogue_latex([("box-N", "N×N", "50% & more_{x}")]), end="")
    \begin{tabular}{lll}
    \hline
    name & size & purpose \\
    \hline
    box-N & N$\times$N & 50\% \& more\_\{x\} \\
    \hline
    \end{tabular}
    """
    lines = [
        "\\begin{tabular}{lll}",
        "\\hline",
        " & ".join(CATALOGUE_HEADER) + " \\\\",
        "\\hline",
        *(" & ".join(latex_text(cell) for cell in row) + " \\\\" for row in rows),
        "\\hline",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


_LATEX_SPECIALS = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "×": r"$\times$",
    }
)


def latex_text(text: str) -> str:
    r"""Text as LaTeX typesets it literally (one pass: an escape is never escaped again).

    >>> print(latex_text(r"a\b ~^ #1 $2"))
    a\textbackslash{}b \textasciitilde{}\textasciicircum{} \#1 \$2
    """
    return text.translate(_LATEX_SPECIALS)
