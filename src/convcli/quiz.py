"""Quiz questions on convolution arithmetic, each with its exact answer and worked solution.

Pure: no printing, no Typer or Rich. Questions come from a ``random.Random(seed)``; every
number is drawn before any word is written, so a seed gives the same questions in every
language. Answers are exact (ints, or a ``Fraction`` for an average or a fractional
kernel) and solutions are written as the lessons write them (:mod:`convcli.formulas`,
:func:`convcli.arithmetic.cell_sum` on a :mod:`convcli.trace` of the computed output).

Levels: 1 is stride 1, no padding, small sizes; 2 adds padding and stride; 3 adds
dilation, different heights and widths, strides that do not divide evenly, fractions.

>>> [q.answer for q in questions("dilation", 1, 2, seed=3, lang="en")]
[(3, 3), (5, 5)]
>>> parse_answer("7,7"), parse_answer("−3/2")
((Fraction(7, 1), Fraction(7, 1)), (Fraction(-3, 2),))
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, TypeAlias

from convcli import model as M
from convcli.arithmetic import cell_label, cell_sum, pool_sum
from convcli.formulas import conv_line, transpose_line, unread_line
from convcli.numbers import json_number
from convcli.phrases import phrase
from convcli.shape import (
    conv_axis,
    effective_kernel,
    solve_conv_padding,
    transpose_axis,
)
from convcli.typography import Typeset

TOPICS = ("size", "cell", "padding", "transpose", "dilation")
LEVELS = (1, 2, 3)
AXES = ("h", "w")
Value: TypeAlias = int | Fraction
AnswerKind = Literal["size", "pair", "number"]  # H×W; H,W (one number when equal); a number
TYPESET = Typeset()


@dataclass(frozen=True)
class Question:
    """One question: its words, the matrices it shows, the exact answer, the solution, and
    the parameters it was drawn with (for JSON and for checking by other means)."""

    topic: str
    level: int
    prompt: str
    answer: tuple[Value, ...]
    kind: AnswerKind
    solution: tuple[M.Text, ...]
    grids: tuple[M.Grid, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def answer_text(self) -> str:
        return shown(self.answer, self.kind)


def shown(values: Sequence[Value], kind: AnswerKind) -> str:
    """An answer as people write it: ``5×7``, ``1,2`` (``1`` when both are 1), ``5/2``."""
    texts = [TYPESET.number(v) for v in values]
    if kind == "size":
        return "×".join(texts)
    if kind == "pair" and len(set(texts)) == 1:
        return texts[0]
    return ",".join(texts)


# --- answers -------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,，、×xX*]+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d+)?|\d+/\d+)", re.ASCII)
_MINUSES = str.maketrans({"−": "-", "–": "-", "－": "-", "／": "/"})


def parse_answer(text: str) -> tuple[Fraction, ...]:
    """One or two exact numbers: ``7``, ``7 7``, ``7,7``, ``7×7``, ``3/2``, ``−2``, ``2.5``;
    ``ValueError`` otherwise."""
    parts = [p for p in _SEPARATORS.split(text.translate(_MINUSES).strip()) if p]
    if not 1 <= len(parts) <= 2 or not all(_NUMBER.fullmatch(p) for p in parts):
        msg = f"not one or two numbers: {text!r}"
        raise ValueError(msg)
    try:
        return tuple(Fraction(p) for p in parts)
    except ZeroDivisionError:
        msg = f"division by zero: {text!r}"
        raise ValueError(msg) from None


def check(question: Question, given: Sequence[Fraction]) -> bool:
    """Whether ``given`` is the answer, exactly; one number stands for a pair of equal ones."""
    expected = question.answer
    if len(given) == 1 and len(expected) == 2:
        given = (given[0], given[0])
    return len(given) == len(expected) and all(
        Fraction(g) == Fraction(e) for g, e in zip(given, expected, strict=True)
    )


# --- how the parameters read ---------------------------------------------------------------


def _pair(values: Sequence[int]) -> str:
    """``2`` for the same value on both axes, ``2,3`` (height, width) otherwise."""
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def _size(values: Sequence[int]) -> str:
    return "×".join(map(str, values))


def _dilation(lang: str, dilation: Sequence[int]) -> str:
    return phrase(lang, "quiz_dilation_part", d=_pair(dilation)) if max(dilation) > 1 else ""


def _pairs_note(lang: str, *pairs: Sequence[int]) -> str:
    """The reminder that ``a,b`` is height,width, when some pair has two values."""
    return phrase(lang, "quiz_pairs") if any(len(set(p)) > 1 for p in pairs) else ""


def _normal(value: Any) -> Value:
    """A Python int or a Fraction (a whole Fraction becomes an int)."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    return int(value)


Axis = tuple[int, ...]  # the numbers drawn for one axis


def _axes(draw: Callable[[], Axis], square: bool, ok: Callable[..., bool]) -> list[Axis]:
    """Per-axis parameters: the same for both axes when ``square``, else two that differ;
    drawn again until ``ok(h, w)`` holds."""
    while True:
        h = draw()
        w = h if square else draw()
        if (square or h != w) and ok(h, w):
            return [h, w]


# --- output size ---------------------------------------------------------------------------


def _size_question(rng: random.Random, level: int, lang: str) -> Question:
    # each axis: (input, kernel, stride, dilation, padding)
    if level == 1:
        axes = _axes(
            lambda: (rng.randint(4, 8), rng.choice((2, 3)), 1, 1, 0), True, lambda h, w: True
        )
    elif level == 2:

        def exact() -> Axis:  # the size that makes the division whole
            k, s, p, o = (
                rng.choice((3, 5)),
                rng.choice((1, 2, 2, 3)),
                rng.randint(1, 2),
                rng.randint(3, 8),
            )
            return ((o - 1) * s + k - 2 * p, k, s, 1, p)

        axes = _axes(exact, True, lambda h, w: h[0] >= h[1])
    else:
        axes = _axes(
            lambda: (
                rng.randint(6, 16),
                rng.choice((2, 3, 4, 5)),
                rng.choice((2, 3)),
                rng.choice((1, 2)),
                rng.randint(0, 2),
            ),
            False,
            lambda h, w: (
                all(effective_kernel(a[1], a[3]) <= a[0] + 2 * a[4] for a in (h, w))
                and any((a[0] + 2 * a[4] - effective_kernel(a[1], a[3])) % a[2] for a in (h, w))
                and max(h[3], w[3]) > 1
            ),
        )
    arithmetic = [conv_axis(n, k, s, d, p, p) for n, k, s, d, p in axes]
    column = list(zip(*axes, strict=True))
    prompt = phrase(
        lang,
        "quiz_size",
        input=_size(column[0]),
        kernel=_size(column[1]),
        stride=_pair(column[2]),
        padding=_pair(column[4]),
        dilation=_dilation(lang, column[3]),
    ) + _pairs_note(lang, column[2], column[4], column[3])
    solution = [M.prose(phrase(lang, "size_text"))]
    solution += [M.math(conv_line(name, a)) for name, a in zip(AXES, arithmetic, strict=True)]
    solution += [
        M.prose(unread_line(name, a, lang))
        for name, a in zip(AXES, arithmetic, strict=True)
        if a.unread
    ]
    parameters = {
        "input": column[0],
        "kernel": column[1],
        "stride": column[2],
        "dilation": column[3],
        "padding": column[4],
    }
    answer = tuple(a.output for a in arithmetic)
    return Question("size", level, prompt, answer, "size", tuple(solution), (), _lists(parameters))


def _lists(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in parameters.items()}


# --- a cell's value ------------------------------------------------------------------------

HALVES = (Fraction(-1), Fraction(-1, 2), Fraction(0), Fraction(1, 2), Fraction(1), Fraction(3, 2))


def _matrix(rng: random.Random, rows: int, cols: int, values: Sequence[Value]) -> list[list[Value]]:
    return [[rng.choice(values) for _ in range(cols)] for _ in range(rows)]


def _cell_question(rng: random.Random, level: int, lang: str) -> Question:
    if level == 3 and rng.random() < 0.5:
        return _pool_question(rng, lang)
    from convcli import core
    from convcli.params import ConvParams
    from convcli.trace import trace_conv

    if level == 1:
        n, k, stride, padding, dilation = rng.choice((3, 4, 5)), rng.choice((2, 3)), 1, 0, 1
        kernel_values: Sequence[Value] = range(-1, 3)
    elif level == 2:
        n, k, stride, padding, dilation = rng.choice((4, 5)), 3, rng.choice((1, 2)), 1, 1
        kernel_values = range(-1, 3)
    else:
        n, k, stride, padding, dilation = (
            rng.choice((5, 6)),
            rng.choice((2, 3)),
            1,
            rng.choice((0, 1)),
            2,
        )
        kernel_values = HALVES
    x = _matrix(rng, n, n, range(-2, 4))
    w = _matrix(rng, k, k, kernel_values)
    params = ConvParams.build(stride=stride, padding=padding, dilation=dilation)
    setup = core.prepare_conv(x, w, params=params)
    cell = (rng.randrange(setup.rows.output), rng.randrange(setup.cols.output))
    output = core.run_conv(setup)
    trace = trace_conv(setup, output, [cell])[0]
    label = cell_label(cell)
    prompt = phrase(
        lang,
        "quiz_cell",
        stride=stride,
        padding=padding,
        dilation=_dilation(lang, (dilation,)),
        cell=label,
    )
    words = {"bias": phrase(lang, "bias"), "ch": phrase(lang, "ch")}
    spread = phrase(
        lang,
        "dilation_text",
        d=dilation,
        span=_size([effective_kernel(k, dilation)] * 2),
        taps=k * k,
    )
    solution = (
        *((M.prose(spread),) if dilation > 1 else ()),
        M.prose(
            phrase(
                lang,
                "quiz_window",
                cell=label,
                r=TYPESET.number(cell[0] * stride - padding),
                c=TYPESET.number(cell[1] * stride - padding),
            )
        ),
        M.math(cell_sum(trace, TYPESET, words)),
    )
    grids = (
        M.Grid(phrase(lang, "input"), setup.x[0]),
        M.Grid(phrase(lang, "kernel"), setup.weight[0, 0]),
    )
    parameters = {
        "op": "conv",
        "input": x,
        "kernel": w,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "cell": list(cell),
    }
    return Question(
        "cell", level, prompt, (_normal(trace.value),), "number", solution, grids, parameters
    )


def _pool_question(rng: random.Random, lang: str) -> Question:
    """An average whose value is a fraction (drawn again until it is not whole)."""
    from convcli import core
    from convcli.trace import trace_pool

    while True:
        n, window, stride = rng.choice((4, 5, 6)), rng.choice((2, 3)), rng.choice((1, 2))
        x = _matrix(rng, n, n, range(10))
        setup = core.prepare_pool(x, window, stride=stride, op="avg")
        cell = (rng.randrange(setup.rows.output), rng.randrange(setup.cols.output))
        output = core.run_pool(setup)
        trace = trace_pool(setup, output, [cell])[0]
        value = _normal(trace.value)
        if isinstance(value, Fraction):
            break
    label = cell_label(cell)
    prompt = phrase(lang, "quiz_pool", window=_size((window, window)), stride=stride, cell=label)
    solution = (
        M.prose(
            phrase(lang, "quiz_pool_window", cell=label, r=cell[0] * stride, c=cell[1] * stride)
        ),
        M.math(pool_sum(trace, "avg", TYPESET)),
    )
    grids = (M.Grid(phrase(lang, "input"), setup.x[0]),)
    parameters = {"op": "avg", "input": x, "window": window, "stride": stride, "cell": list(cell)}
    return Question("cell", 3, prompt, (value,), "number", solution, grids, parameters)


# --- padding for a target size -------------------------------------------------------------


def _padding_question(rng: random.Random, level: int, lang: str) -> Question:
    # each axis: (input, kernel, stride, dilation, a padding that reaches the target)
    if level == 1:
        axes = _axes(
            lambda: (rng.randint(4, 10), rng.choice((3, 5)), 1, 1, 0), True, lambda h, w: True
        )
        axes = [(n, k, s, d, (k - 1) // 2) for n, k, s, d, _ in axes]  # keep the size
    elif level == 2:
        axes = _axes(
            lambda: (
                rng.randint(8, 24),
                rng.choice((3, 5, 7)),
                rng.choice((1, 2)),
                1,
                rng.randint(0, 3),
            ),
            True,
            lambda h, w: h[1] <= h[0],
        )
    else:
        axes = _axes(
            lambda: (
                rng.randint(6, 20),
                rng.choice((3, 5)),
                rng.choice((1, 2)),
                rng.choice((1, 2, 3)),
                rng.randint(0, 4),
            ),
            False,
            lambda h, w: (
                all(effective_kernel(a[1], a[3]) <= a[0] + 2 * a[4] for a in (h, w))
                and max(h[3], w[3]) > 1
            ),
        )
    targets = [conv_axis(n, k, s, d, p, p).output for n, k, s, d, p in axes]
    answer = []
    solution = [M.prose(phrase(lang, "quiz_padding_rule"))]
    checks = []
    for name, (n, k, s, d, _), target in zip(AXES, axes, targets, strict=True):
        found = solve_conv_padding(n, k, s, d, target)
        p = min(before for before, after in found.paddings if before == after)
        answer.append(p)
        solution.append(M.math(_padding_line(name, n, k, s, d, target, p)))
        checks.append(M.math(conv_line(name, conv_axis(n, k, s, d, p, p))))
    column = list(zip(*axes, strict=True))
    prompt = phrase(
        lang,
        "quiz_padding",
        input=_size(column[0]),
        kernel=_size(column[1]),
        stride=_pair(column[2]),
        dilation=_dilation(lang, column[3]),
        target=_size(targets),
    ) + _pairs_note(lang, column[2], column[3])
    parameters = {
        "input": column[0],
        "kernel": column[1],
        "stride": column[2],
        "dilation": column[3],
        "target": targets,
    }
    return Question(
        "padding",
        level,
        prompt,
        tuple(answer),
        "pair",
        (*solution, *checks),
        (),
        _lists(parameters),
    )


def _padding_line(name: str, n: int, k: int, s: int, d: int, target: int, p: int) -> str:
    """``h: p = max(⌈((t − 1)·s + d·(k−1) + 1 − h) / 2⌉, 0) = … = p``."""
    low = (target - 1) * s + d * (k - 1) + 1 - n
    low_text = TYPESET.number(low)
    return (
        f"{name}: p = max(⌈((t − 1)·s + d·(k−1) + 1 − {name}) / 2⌉, 0) = "
        f"max(⌈(({target} − 1)·{s} + {d}·({k}−1) + 1 − {n}) / 2⌉, 0) = max(⌈{low_text}/2⌉, 0) = {p}"
    )


# --- transposed size -----------------------------------------------------------------------


def _transpose_question(rng: random.Random, level: int, lang: str) -> Question:
    # each axis: (input, kernel, stride, dilation, padding, output padding)
    if level == 1:
        axes = _axes(
            lambda: (rng.randint(2, 5), rng.choice((2, 3)), 1, 1, 0, 0), True, lambda h, w: True
        )
    elif level == 2:
        axes = _axes(
            lambda: (
                rng.randint(2, 6),
                rng.choice((2, 3, 4)),
                rng.choice((2, 3)),
                1,
                rng.randint(0, 1),
                0,
            ),
            True,
            lambda h, w: True,
        )
    else:

        def draw() -> Axis:
            s, d = rng.choice((1, 2, 3)), rng.choice((1, 2))
            return (
                rng.randint(2, 6),
                rng.choice((2, 3)),
                s,
                d,
                rng.randint(0, 2),
                rng.randrange(max(s, d)),
            )

        axes = _axes(
            draw,
            False,
            lambda h, w: (
                all(
                    (a[0] - 1) * a[2] - 2 * a[4] + a[3] * (a[1] - 1) + a[5] + 1 >= 1 for a in (h, w)
                )
                and bool(h[5] or w[5] or max(h[3], w[3]) > 1)
            ),
        )
    arithmetic = [transpose_axis(n, k, s, d, p, p, op) for n, k, s, d, p, op in axes]
    column = list(zip(*axes, strict=True))
    prompt = phrase(
        lang,
        "quiz_transpose",
        input=_size(column[0]),
        kernel=_size(column[1]),
        stride=_pair(column[2]),
        padding=_pair(column[4]),
        dilation=_dilation(lang, column[3]),
        op=_pair(column[5]),
    ) + _pairs_note(lang, column[2], column[3], column[4], column[5])
    solution = (
        M.prose(phrase(lang, "size_text")),
        *(M.math(transpose_line(name, a)) for name, a in zip(AXES, arithmetic, strict=True)),
    )
    parameters = {
        "input": column[0],
        "kernel": column[1],
        "stride": column[2],
        "dilation": column[3],
        "padding": column[4],
        "output_padding": column[5],
    }
    answer = tuple(a.output for a in arithmetic)
    return Question("transpose", level, prompt, answer, "size", solution, (), _lists(parameters))


# --- receptive field of a dilated kernel ---------------------------------------------------


def _dilation_question(rng: random.Random, level: int, lang: str) -> Question:
    # each axis: (kernel, dilation)
    if level == 1:
        axes = _axes(lambda: (rng.choice((2, 3)), 2), True, lambda h, w: True)
    elif level == 2:
        axes = _axes(lambda: (rng.choice((3, 5)), rng.choice((2, 3, 4))), True, lambda h, w: True)
    else:
        axes = _axes(
            lambda: (rng.choice((2, 3, 5)), rng.randint(1, 4)),
            False,
            lambda h, w: max(h[1], w[1]) > 1,
        )
    spans = [effective_kernel(k, d) for k, d in axes]
    kernels, dilations = (list(c) for c in zip(*axes, strict=True))
    prompt = phrase(lang, "quiz_dilation", kernel=_size(kernels), d=_pair(dilations)) + _pairs_note(
        lang, dilations
    )
    taps = kernels[0] * kernels[1]
    solution = (
        M.prose(phrase(lang, "dilation_text", d=_pair(dilations), span=_size(spans), taps=taps)),
        *(
            M.math(f"{name}: d·(k−1) + 1 = {d}·({k}−1) + 1 = {span}")
            for name, (k, d), span in zip(AXES, axes, spans, strict=True)
        ),
    )
    parameters = {"kernel": kernels, "dilation": dilations}
    return Question("dilation", level, prompt, tuple(spans), "size", solution, (), parameters)


GENERATORS: dict[str, Callable[[random.Random, int, str], Question]] = {
    "size": _size_question,
    "cell": _cell_question,
    "padding": _padding_question,
    "transpose": _transpose_question,
    "dilation": _dilation_question,
}


def questions(topic: str, level: int, n: int, *, seed: int, lang: str) -> list[Question]:
    """``n`` questions of ``topic`` (or of random topics for ``mixed``) at ``level``.

    A worksheet does not ask the same question twice when another can be drawn.
    """
    rng = random.Random(seed)
    out: list[Question] = []
    for _ in range(n):
        for _attempt in range(20):
            chosen = rng.choice(TOPICS) if topic == "mixed" else topic
            question = GENERATORS[chosen](rng, level, lang)
            if all(q.parameters != question.parameters for q in out):
                break
        out.append(question)
    return out


# --- documents -----------------------------------------------------------------------------


def topic_name(lang: str, topic: str) -> str:
    return phrase(lang, f"quiz_topic_{topic}")


def question_blocks(question: Question, n: int, total: int, lang: str) -> tuple[M.Block, ...]:
    """A question as asked on a terminal: its number, its words, its matrices."""
    grids: tuple[M.Block, ...] = (M.Grids(question.grids),) if question.grids else ()
    return (
        M.title(phrase(lang, "quiz_question", n=n, total=total)),
        M.prose(question.prompt),
        *grids,
    )


def feedback_blocks(question: Question, given: str, right: bool, lang: str) -> tuple[M.Block, ...]:
    """Right or wrong, then the worked solution."""
    if right:
        verdict = phrase(lang, "quiz_right", answer=question.answer_text)
    else:
        verdict = phrase(lang, "quiz_wrong", given=given.strip(), answer=question.answer_text)
    return (M.prose(verdict), M.title(phrase(lang, "quiz_solution")), *question.solution)


def score_block(right: int, total: int, lang: str) -> M.Text:
    return M.title(phrase(lang, "quiz_score", right=right, total=total))


def worksheet(qs: Sequence[Question], *, title: str, lang: str) -> M.Document:
    """The questions, then the answer key with each worked solution."""
    asked: list[M.Block] = []
    key: list[M.Block] = []
    for n, q in enumerate(qs, 1):
        asked.append(M.prose(f"{n}. {q.prompt}"))
        if q.grids:
            asked.append(M.Grids(q.grids))
        key += [M.title(f"{n}. {q.answer_text}"), *q.solution]
    blocks = (
        M.prose(phrase(lang, "quiz_intro")),
        M.Panel(phrase(lang, "quiz_questions"), tuple(asked)),
        M.Panel(phrase(lang, "quiz_key"), tuple(key)),
    )
    return M.Document(blocks, title, lang)


def checked(
    qs: Sequence[Question], given: Sequence[str], *, title: str, lang: str
) -> tuple[M.Document, list[bool]]:
    """Each question with the answer given, right or wrong, and its solution; the score."""
    right = [check(q, parse_answer(text)) for q, text in zip(qs, given, strict=True)]
    panels: list[M.Block] = [
        M.Panel(
            phrase(lang, "quiz_question", n=n, total=len(qs)),
            (*question_blocks(q, n, len(qs), lang)[1:], *feedback_blocks(q, text, ok, lang)),
        )
        for n, (q, text, ok) in enumerate(zip(qs, given, right, strict=True), 1)
    ]
    panels.append(score_block(sum(right), len(qs), lang))
    return M.Document(tuple(panels), title, lang), right


# --- JSON ----------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, str | bool):
        return value
    return json_number(value)


def question_payload(q: Question) -> dict[str, Any]:
    """A question as JSON: the answer a number, or [height, width] for a pair."""
    answer = _json(q.answer[0]) if q.kind == "number" else _json(q.answer)
    return {
        "topic": q.topic,
        "level": q.level,
        "question": q.prompt,
        "answer": answer,
        "answer_text": q.answer_text,
        "solution": [M.plain(t.line) for t in q.solution],
        "matrices": [{"label": g.label, "values": _json(g.values.tolist())} for g in q.grids],
        "parameters": _json(q.parameters),
    }


def payload(
    qs: Sequence[Question],
    *,
    topic: str,
    level: int,
    seed: int,
    lang: str,
    given: Sequence[str] | None = None,
    right: Sequence[bool] | None = None,
) -> dict[str, Any]:
    """The JSON of ``quiz``: the seed that reproduces it and each question; with answers
    given, each one's verdict and the score."""
    entries = [question_payload(q) for q in qs]
    out: dict[str, Any] = {
        "command": "quiz",
        "seed": seed,
        "topic": topic,
        "level": level,
        "lang": lang,
        "questions": entries,
    }
    if given is not None and right is not None:
        for entry, text, ok in zip(entries, given, right, strict=True):
            entry["given"] = text
            entry["right"] = ok
        out["score"] = {"right": sum(right), "total": len(right)}
    return out
