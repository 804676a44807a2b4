"""``convcli quiz``: questions on a terminal, answers checked for scripts, or a worksheet.

On a terminal (stdin and stdout, format table) it asks each question and reads the
answer; ``--answer`` checks answers without asking (exit 1 when one is wrong); anywhere
else it writes a worksheet with its answer key. Loaded only when run: ``--help`` and the
other commands never import the quiz (numpy comes with it).
"""

from __future__ import annotations

import random
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from convcli.cli import options as O
from convcli.cli.base import app, guarded
from convcli.cli.output import Result, emit, write

if TYPE_CHECKING:
    from convcli.model import Document
    from convcli.quiz import Question
    from convcli.typography import Typeset

DEFAULT_QUESTIONS = 5


class Topic(StrEnum):
    size = "size"
    cell = "cell"
    padding = "padding"
    transpose = "transpose"
    dilation = "dilation"
    mixed = "mixed"


class Given(NamedTuple):
    """An ``--answer`` as typed (it is read again, exactly, when checked)."""

    text: str


def _answer(text: str) -> Given:
    if not isinstance(text, str):  # Typer passes defaults through the parser too
        return text
    from convcli.quiz import parse_answer

    try:
        parse_answer(text)
    except ValueError:
        msg = f"cannot read {text!r}: give one or two numbers such as 7, 7 7, 7,7 or 3/2"
        raise typer.BadParameter(msg) from None
    return Given(text)


@app.command()
def quiz(
    topic: Annotated[
        Topic,
        typer.Option("--topic", "-t", help="size, cell, padding, transpose, dilation or mixed."),
    ] = Topic.mixed,
    level: Annotated[
        int,
        typer.Option(
            "--level",
            "-l",
            min=1,
            max=3,
            help="1: stride 1, no padding; 2: padding and stride; 3: dilation, H≠W, fractions.",
        ),
    ] = 1,
    count: Annotated[
        int | None,
        typer.Option(
            "--questions",
            "-n",
            min=1,
            max=100,
            metavar="N",
            help=f"How many questions [default: {DEFAULT_QUESTIONS}, or one per --answer].",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Draw the same questions again [default: random]."),
    ] = None,
    answers: Annotated[
        list[Given] | None,
        typer.Option(
            "--answer",
            "-a",
            metavar="A",
            help="Check this answer to the next question (repeat; exit 1 if one is wrong).",
            parser=_answer,
        ),
    ] = None,
    lang: O.LangOpt = None,
    fmt: O.LessonFormatOpt = None,
) -> None:
    """Questions on convolution arithmetic, checked exactly, with worked solutions.

    \b
    Examples:
      convcli quiz
      convcli quiz --topic cell --level 2 --seed 7
      convcli quiz --topic size --seed 1 --answer 4 --answer 5x5
      convcli quiz --level 3 -n 10 --seed 3 --format latex > worksheet.tex
    """
    from convcli import quiz as Q
    from convcli.phrases import phrase

    with guarded():
        if answers and count is not None and count != len(answers):
            raise O.refuse(
                "--answer", f"give one per question: {count} asked, {len(answers)} given"
            )
        language = (lang or O.default_lang()).value
        drawn = seed if seed is not None else random.randrange(1_000_000)
        n = len(answers) if answers else count or DEFAULT_QUESTIONS
        qs = Q.questions(topic.value, level, n, seed=drawn, lang=language)
        name = Q.topic_name(language, topic.value)
        head = {"topic": name, "level": level, "seed": drawn}
        form = O.Format(fmt.value) if fmt else O.Format.table
        if answers:
            given = [a.text for a in answers]
            title = phrase(language, "quiz_check_title", **head)
            document, right = Q.checked(qs, given, title=title, lang=language)
            payload = Q.payload(
                qs,
                topic=topic.value,
                level=level,
                seed=drawn,
                lang=language,
                given=given,
                right=right,
            )
            emit(Result("quiz", payload, document=lambda _: document), form)
            if not all(right):
                raise typer.Exit(1)
            return
        if form is O.Format.table and sys.stdin.isatty() and sys.stdout.isatty():
            _ask(qs, phrase(language, "quiz_check_title", **head), language)
            return
        document = Q.worksheet(qs, title=phrase(language, "quiz_title", **head), lang=language)
        payload = Q.payload(qs, topic=topic.value, level=level, seed=drawn, lang=language)
        emit(Result("quiz", payload, document=lambda _: document), form)


def _ask(qs: list[Question], title: str, lang: str) -> None:
    """Ask each question, read the answer, say whether it is right and show the solution;
    the score at the end, or at EOF (exit 0). Ctrl-C ends it with exit 130."""
    from convcli import model as M
    from convcli import quiz as Q
    from convcli.phrases import phrase
    from convcli.typography import Typeset

    typeset = Typeset()
    show(M.Document((M.prose(phrase(lang, "quiz_intro")),), title, lang), typeset)
    right = answered = 0
    try:
        for n, q in enumerate(qs, 1):
            show(M.Document(Q.question_blocks(q, n, len(qs), lang), lang=lang), typeset)
            text = _read(lang)
            if text is None:
                write("\n")
                break
            ok = Q.check(q, Q.parse_answer(text))
            right, answered = right + ok, answered + 1
            show(M.Document(Q.feedback_blocks(q, text, ok, lang), lang=lang), typeset)
    except KeyboardInterrupt:
        write("\n")
        raise typer.Exit(130) from None
    show(M.Document((Q.score_block(right, answered, lang),), lang=lang), typeset)


def _read(lang: str) -> str | None:
    """One readable answer (asked again until it is), or None at the end of input."""
    from convcli import quiz as Q
    from convcli.phrases import phrase

    while True:
        write(phrase(lang, "quiz_prompt"))
        line = sys.stdin.readline()
        if not line:
            return None
        text = line.strip()
        if not text:
            continue
        try:
            Q.parse_answer(text)
        except ValueError:
            write(phrase(lang, "quiz_unreadable", text=text) + "\n")
            continue
        return text


def show(document: Document, typeset: Typeset) -> None:
    from convcli import render

    write(render.document_text(document, typeset))
