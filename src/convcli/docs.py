"""A :class:`~convcli.model.Document` as Markdown or LaTeX a student can paste into notes.

Window and current cells are bold, padding italic, holes italic with an ``h`` mark, cells
not computed yet ``·``; arithmetic and formulas are code (Markdown) or display math
(LaTeX). The LaTeX is a complete document (``amsmath``; ``ctex`` for Chinese, compiled
with xelatex), matrices as ``bmatrix``, the floor brackets as ``\\left\\lfloor … \\right\\rfloor``.
"""

from __future__ import annotations

import re
from fractions import Fraction

from convcli import model as M
from convcli.typography import Typeset

TYPESET = Typeset()


# --- Markdown ------------------------------------------------------------------------------


def _md_cell(value: object, mark: str | None, typeset: Typeset) -> str:
    if mark in ("blank", "zero"):
        return "·"
    text = typeset.number(value)
    if mark in ("window", "current"):
        return f"**{text}**"
    if mark == "padding":
        return f"*{text}*"
    if mark == "hole":
        return f"*{text}*ₕ"
    return text


def _md_grid(grid: M.Grid, typeset: Typeset) -> str:
    rows, cols = grid.values.shape
    r0, c0 = grid.offset
    head = "| | " + " | ".join(str(c + c0) for c in range(cols)) + " |"
    rule = "|---:|" + "---:|" * cols
    values = grid.values.tolist()
    body = [
        f"| {r + r0} | "
        + " | ".join(_md_cell(values[r][c], grid.marks.get((r, c)), typeset) for c in range(cols))
        + " |"
        for r in range(rows)
    ]
    return "\n".join([f"*{grid.label}*", "", head, rule, *body])


def _md_blocks(blocks: tuple[M.Block, ...], typeset: Typeset) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, M.Heading):
            out += [f"**{block.title}**", "", "```text", *block.lines, "```", ""]
        elif isinstance(block, M.Grids):
            out += [part for grid in block.grids for part in (_md_grid(grid, typeset), "")]
        elif isinstance(block, M.Panel):
            out += [f"## {block.title}", "", *_md_blocks(block.blocks, typeset)]
        else:
            text = M.plain(block.line)
            if block.kind == "math":
                out += ["```text", text, "```"] if "\n" in text else [f"`{text}`"]
            else:
                out.append({"title": f"**{text}**", "note": f"*{text}*"}.get(block.kind, text))
            out.append("")
    return out


def markdown(document: M.Document, typeset: Typeset = TYPESET) -> str:
    """The document as Markdown: headings, tables, the arithmetic as code, one per line."""
    out = [f"# {document.title}", ""] if document.title else []
    out += _md_blocks(document.blocks, typeset)
    return "\n".join(out).rstrip() + "\n"


# --- LaTeX ---------------------------------------------------------------------------------

_TEX_ESCAPES = {
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
    # signs of the prose that pdflatex's text fonts lack
    "−": "-",
    "…": r"\ldots{}",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "→": r"$\to$",
    "⌈": r"$\lceil$",
    "⌉": r"$\rceil$",
    "⌊": r"$\lfloor$",
    "⌋": r"$\rfloor$",
    "°": r"$^\circ$",
    "ₚ": r"$_p$",
    "ₕ": r"$_h$",
    "′": r"$'$",
    "\ue000": r"$\hat{k}$",
    "ᵀ": r"$^{\mathsf{T}}$",  # Cᵀ of the matrix view
}


def tex_escape(text: str) -> str:
    text = text.replace("k\u0302", "\ue000")  # k̂, the dilated kernel's span
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def tex_number(value: object, typeset: Typeset = TYPESET) -> str:
    """A number in math mode: fractions as \\frac, the minus as -."""
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    return typeset.number(value).replace("−", "-")


def _tex_cell(value: object, mark: str | None, typeset: Typeset) -> str:
    if mark in ("blank", "zero"):
        return r"\cdot"
    text = tex_number(value, typeset)
    if mark in ("window", "current"):
        return f"\\mathbf{{{text}}}"
    if mark == "padding":
        return f"\\mathit{{{text}}}"
    if mark == "hole":
        return f"\\mathit{{{text}}}_h"
    return text


def _tex_grid(grid: M.Grid, typeset: Typeset) -> str:
    values = grid.values.tolist()
    body = " \\\\\n".join(
        " & ".join(_tex_cell(v, grid.marks.get((r, c)), typeset) for c, v in enumerate(row))
        for r, row in enumerate(values)
    )
    return f"{tex_escape(grid.label)}: $\\begin{{bmatrix}}\n{body}\n\\end{{bmatrix}}$"


_MATH_SIGNS = [
    ("⌊", r"\left\lfloor "),
    ("⌋", r" \right\rfloor"),
    ("⌈", r"\left\lceil "),
    ("⌉", r" \right\rceil"),
    ("×", r" \times "),
    ("·", r" \cdot "),
    ("−", "-"),
    ("→", r" \to "),
    ("ₚ", r"_{p}"),
    ("p₁", "p_1"),
    ("p₂", "p_2"),
    ("k\u0302", r"\hat{k}"),
    ("′", "'"),
]


def tex_math(text: str) -> str:
    """A formula or an arithmetic line as display math (×, ⌊⌋, ·, − translated)."""
    for old, new in sorted(_MATH_SIGNS, key=lambda pair: -len(pair[0])):
        text = text.replace(old, new)
    text = re.sub(r"(\d+)/(\d+)", r"\\frac{\1}{\2}", text)
    text = text.replace("out[", r"\mathrm{out}[").replace(" op ", r" \mathrm{op} ")
    text = re.sub(r"\(([^()]*?) ?(bias|偏置)\)", r"\\,(\\text{\2})", text)
    text = re.sub(r"(ch|通道)(\d+): ", r"\\text{\1}_{\2}\\colon ", text)
    return text


TERMS_PER_LINE = 5


def _aligned(math: str) -> str:
    """One align* row per few terms, aligned on the first '=', so long sums fit the page."""
    head, eq, rest = math.partition(" = ")
    if not eq:
        return math
    terms = rest.split(" + ")
    if len(terms) <= TERMS_PER_LINE + 1:
        return f"{head} &= {rest}"
    chunks = [
        " + ".join(terms[i : i + TERMS_PER_LINE]) for i in range(0, len(terms), TERMS_PER_LINE)
    ]
    return f"{head} &= " + " \\\\\n&\\quad + ".join(chunks)


def _is_formula(text: str) -> bool:
    return bool(re.match(r"^(out\[|[hw]' =)", text))


def _tex_math_block(text: str) -> list[str]:
    rows = " \\\\\n".join(_aligned(tex_math(part.strip())) for part in text.split("\n"))
    return ["\\begin{align*}", rows, "\\end{align*}", ""]


def _tex_blocks(blocks: tuple[M.Block, ...], typeset: Typeset) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, M.Heading):
            out.append(f"\\paragraph{{{tex_escape(block.title)}}}")
            for line in block.lines:
                out += _tex_math_block(line) if _is_formula(line) else [tex_escape(line), ""]
        elif isinstance(block, M.Grids):
            out += [part for grid in block.grids for part in (_tex_grid(grid, typeset), "")]
        elif isinstance(block, M.Panel):
            out += [f"\\subsection*{{{tex_escape(block.title)}}}", ""]
            out += _tex_blocks(block.blocks, typeset)
        else:
            text = M.plain(block.line)
            if block.kind == "math":
                out += _tex_math_block(text)
            elif block.kind == "title":
                out += [f"\\paragraph{{{tex_escape(text)}}}", ""]
            elif block.kind == "note":
                out += [f"\\emph{{{tex_escape(text)}}}", ""]
            else:
                out += [tex_escape(text), ""]
    return out


def latex(document: M.Document, typeset: Typeset = TYPESET) -> str:
    """The document as a complete LaTeX document (pdflatex; xelatex for Chinese)."""
    head = [r"\documentclass{article}", r"\usepackage{amsmath}"]
    if document.lang == "zh":
        head.append(r"\usepackage{ctex}  % compile with xelatex")
    head.append(r"\setcounter{MaxMatrixCols}{200}")
    out = [*head, r"\begin{document}"]
    if document.title:
        out += [f"\\section*{{{tex_escape(document.title)}}}", ""]
    out += _tex_blocks(document.blocks, typeset)
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
