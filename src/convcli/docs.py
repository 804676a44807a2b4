"""The ``explain`` lesson as a document a student can paste into notes: Markdown or LaTeX.

Window cells are bold, padding and holes italic, cells not computed yet are ``·``.
The LaTeX is a complete document (``amsmath``; ``ctex`` for Chinese, compiled with
xelatex), matrices as ``bmatrix``, the floor brackets as ``\\left\\lfloor … \\right\\rfloor``.
"""

from __future__ import annotations

import re
from fractions import Fraction

from convcli.numbers import format_number
from convcli.report import Segment
from convcli.walkthrough import Grid, Lesson


def _plain(line: tuple[Segment, ...]) -> str:
    return "".join(text for text, _ in line)


# --- Markdown ------------------------------------------------------------------------------


def _md_cell(value: object, mark: str | None) -> str:
    if mark == "blank":
        return "·"
    text = format_number(value, unicode=True)
    if mark in ("window", "new"):
        return f"**{text}**"
    if mark in ("pad", "hole"):
        return f"*{text}*"
    return text


def _md_grid(grid: Grid) -> str:
    rows, cols = grid.values.shape
    r0, c0 = grid.offset
    head = "| | " + " | ".join(str(c + c0) for c in range(cols)) + " |"
    rule = "|---:|" + "---:|" * cols
    body = [
        f"| {r + r0} | "
        + " | ".join(_md_cell(grid.values[r, c], grid.marks.get((r, c))) for c in range(cols))
        + " |"
        for r in range(rows)
    ]
    return "\n".join([f"*{grid.label}*", "", head, rule, *body])


def lesson_markdown(lesson: Lesson, step_word: str) -> str:
    """The whole lesson as Markdown: a heading per step, tables, the arithmetic in code."""
    out = [f"# {lesson.title}", ""]
    for n, total, step in lesson.numbered():
        out += [f"## {step_word.format(n=n, total=total)}: {step.title}", ""]
        for line in step.lines:
            text = _plain(line)
            out += [f"`{text}`" if _is_math(text) else text, ""]
        for grid in step.grids:
            out += [_md_grid(grid), ""]
    out += list(lesson.notes)
    return "\n".join(out).rstrip() + "\n"


def _is_math(text: str) -> bool:
    return bool(re.match(r"^(out\[|[hw]' =|same )", text)) or "\n" in text


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
    "^": r"\^{}",
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
}


def tex_escape(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def tex_number(value: object) -> str:
    """A number in math mode: fractions as \\frac, the minus as -."""
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    return format_number(value)


def _tex_cell(value: object, mark: str | None) -> str:
    if mark == "blank":
        return r"\cdot"
    text = tex_number(value)
    if mark in ("window", "new"):
        return f"\\mathbf{{{text}}}"
    if mark in ("pad", "hole"):
        return f"\\mathit{{{text}}}"
    return text


def _tex_grid(grid: Grid) -> str:
    rows, cols = grid.values.shape
    body = " \\\\\n".join(
        " & ".join(_tex_cell(grid.values[r, c], grid.marks.get((r, c))) for c in range(cols))
        for r in range(rows)
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
]


def tex_math(text: str) -> str:
    """A formula or an arithmetic line as display math (×, ⌊⌋, ·, − translated)."""
    for old, new in sorted(_MATH_SIGNS, key=lambda pair: -len(pair[0])):
        text = text.replace(old, new)
    text = re.sub(r"(\d+)/(\d+)", r"\\frac{\1}{\2}", text)
    text = text.replace("out[", r"\mathrm{out}[").replace(" op ", r" \mathrm{op} ")
    text = re.sub(r"\(([^()]*?) ?(bias|偏置)\)", r"\\,(\\text{\2})", text)
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


def lesson_latex(lesson: Lesson, step_word: str, lang: str) -> str:
    """The whole lesson as a LaTeX document."""
    head = [r"\documentclass{article}", r"\usepackage{amsmath}"]
    if lang == "zh":
        head.append(r"\usepackage{ctex}  % compile with xelatex")
    out = [*head, r"\begin{document}", f"\\section*{{{tex_escape(lesson.title)}}}", ""]
    for n, total, step in lesson.numbered():
        title = tex_escape(f"{step_word.format(n=n, total=total)}: {step.title}")
        out += [f"\\subsection*{{{title}}}", ""]
        for line in step.lines:
            text = _plain(line)
            if _is_math(text):
                rows = " \\\\\n".join(_aligned(tex_math(part.strip())) for part in text.split("\n"))
                out += ["\\begin{align*}", rows, "\\end{align*}", ""]
            else:
                out += [tex_escape(text), ""]
        for grid in step.grids:
            out += [_tex_grid(grid), ""]
    out += [tex_escape(note) for note in lesson.notes]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
