"""The kernel presets' catalogue written out: csv, Markdown and LaTeX (the table and JSON
are the generic writers'). Pure text, no numpy, no Rich."""

from __future__ import annotations

CATALOGUE_HEADER = ("name", "size", "purpose")


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
    from convcli.docs import tex_escape  # docs reaches numpy: only for this format

    lines = [
        "\\begin{tabular}{lll}",
        "\\hline",
        " & ".join(CATALOGUE_HEADER) + " \\\\",
        "\\hline",
        *(" & ".join(tex_escape(cell) for cell in row) + " \\\\" for row in rows),
        "\\hline",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"
