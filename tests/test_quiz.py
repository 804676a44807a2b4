"""`convcli quiz`: every generated answer equals an oracle written here (a naive loop
convolution, the textbook size formula, brute force for paddings and transposed sizes,
d·(k−1)+1 for receptive fields); --answer exit codes; reproducible seeds; the worksheet
formats (LaTeX compiled); Chinese; the interactive mode in a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from convcli import quiz
from tests.conftest import ROOT, Run, assert_error, json_out

TOPICS = ["size", "cell", "padding", "transpose", "dilation"]
SEEDS = range(30)


# --- the oracles (none of them calls convcli) ----------------------------------------------


def textbook_size(n: int, k: int, s: int, d: int, p: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def windows_that_fit(n: int, k: int, s: int, d: int, p: int) -> int:
    """Count the window positions one by one: starts 0, s, 2s, … whose last tap is inside."""
    return sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)


def brute_padding(n: int, k: int, s: int, d: int, target: int) -> int:
    return next(p for p in range(0, 1000) if windows_that_fit(n, k, s, d, p) == target)


def brute_transpose(n: int, k: int, s: int, d: int, p: int, op: int) -> int:
    """Scatter every input cell's kernel and see how far the output reaches, then crop."""
    reached = {a * s + i * d for a in range(n) for i in range(k)}
    return max(reached) + 1 + op - 2 * p


def naive_cell(
    x: list[list[Any]], w: list[list[Any]], s: int, p: int, d: int, r: int, c: int
) -> Fraction:
    def at(i: int, j: int) -> Fraction:
        i, j = i - p, j - p
        inside = 0 <= i < len(x) and 0 <= j < len(x[0])
        return Fraction(x[i][j]) if inside else Fraction(0)

    return sum(
        (
            at(r * s + i * d, c * s + j * d) * Fraction(w[i][j])
            for i in range(len(w))
            for j in range(len(w[0]))
        ),
        Fraction(0),
    )


def naive_average(x: list[list[int]], window: int, s: int, r: int, c: int) -> Fraction:
    cells = [x[r * s + i][c * s + j] for i in range(window) for j in range(window)]
    return Fraction(sum(cells), len(cells))


def number(value: Any) -> Fraction:
    return Fraction(value)  # JSON writes a fraction as "a/b"


def oracle(topic: str, params: dict[str, Any]) -> tuple[Fraction, ...]:
    """The answer, from the question's parameters alone."""
    if topic == "cell":
        r, c = params["cell"]
        if params["op"] == "avg":
            return (naive_average(params["input"], params["window"], params["stride"], r, c),)
        x = [[number(v) for v in row] for row in params["input"]]
        w = [[number(v) for v in row] for row in params["kernel"]]
        return (naive_cell(x, w, params["stride"], params["padding"], params["dilation"], r, c),)
    axes = range(2)
    if topic == "dilation":
        return tuple(Fraction(params["dilation"][a] * (params["kernel"][a] - 1) + 1) for a in axes)
    n, k, s, d = (params[key] for key in ("input", "kernel", "stride", "dilation"))
    if topic == "size":
        p = params["padding"]
        return tuple(Fraction(textbook_size(n[a], k[a], s[a], d[a], p[a])) for a in axes)
    if topic == "padding":
        t = params["target"]
        return tuple(Fraction(brute_padding(n[a], k[a], s[a], d[a], t[a])) for a in axes)
    p, op = params["padding"], params["output_padding"]
    return tuple(Fraction(brute_transpose(n[a], k[a], s[a], d[a], p[a], op[a])) for a in axes)


# --- every topic and level against the oracle -----------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("topic", TOPICS)
def test_answers_equal_the_oracle(topic: str, level: int) -> None:
    for seed in SEEDS:
        for q in quiz.questions(topic, level, 3, seed=seed, lang="en"):
            assert q.topic == topic
            assert tuple(map(Fraction, q.answer)) == oracle(topic, q.parameters), (seed, q.prompt)
            assert quiz.check(q, oracle(topic, q.parameters))


def test_the_levels_are_what_the_readme_says() -> None:
    for seed in SEEDS:
        for q in quiz.questions("size", 1, 2, seed=seed, lang="en"):
            assert q.parameters["stride"] == [1, 1]
            assert q.parameters["padding"] == [0, 0]
        for q in quiz.questions("size", 2, 2, seed=seed, lang="en"):
            assert max(q.parameters["padding"]) >= 1  # padding, and a whole division
            n, k, s, p = (q.parameters[key][0] for key in ("input", "kernel", "stride", "padding"))
            assert (n + 2 * p - k) % s == 0
        for q in quiz.questions("size", 3, 2, seed=seed, lang="en"):
            n, k, s, d, p = (
                q.parameters[key] for key in ("input", "kernel", "stride", "dilation", "padding")
            )
            assert max(d) > 1
            assert any(
                (n[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1) % s[a] for a in range(2)
            )  # not whole
            assert "is not whole" in " ".join(quiz.M.plain(t.line) for t in q.solution)
        for q in quiz.questions("dilation", 3, 2, seed=seed, lang="en"):
            assert (q.parameters["kernel"][0], q.parameters["dilation"][0]) != (
                q.parameters["kernel"][1],
                q.parameters["dilation"][1],
            )
    fractions = [
        q.answer[0] for seed in SEEDS for q in quiz.questions("cell", 3, 2, seed=seed, lang="en")
    ]
    assert any(isinstance(a, Fraction) and a.denominator > 1 for a in fractions)


def test_mixed_asks_every_topic_and_a_worksheet_does_not_repeat_itself() -> None:
    qs = quiz.questions("mixed", 2, 40, seed=5, lang="en")
    assert {q.topic for q in qs} == set(TOPICS)
    seen = [json.dumps(q.parameters, default=str) for q in qs]
    assert len(seen) == len(set(seen))


def test_a_cell_solution_is_the_lessons_arithmetic() -> None:
    (q,) = quiz.questions("cell", 1, 1, seed=2, lang="en")
    lines = [quiz.M.plain(t.line) for t in q.solution]
    r, c = q.parameters["cell"]
    assert lines[-1].startswith(f"out[{r},{c}] = ")
    assert lines[-1].endswith(f"= {quiz.TYPESET.number(q.answer[0])}")
    assert lines[-1].count("×") == len(q.parameters["kernel"]) ** 2  # one product per tap


# --- reading answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("7", (7,)),
        (" 7 7 ", (7, 7)),
        ("7,7", (7, 7)),
        ("7×5", (7, 5)),
        ("7x5", (7, 5)),
        ("3/2", (Fraction(3, 2),)),
        ("−3/2", (Fraction(-3, 2),)),
        ("-2", (-2,)),
        ("2.5", (Fraction(5, 2),)),
        ("4，5", (4, 5)),
    ],
)
def test_answers_are_read_exactly(text: str, values: tuple[Any, ...]) -> None:
    assert quiz.parse_answer(text) == tuple(Fraction(v) for v in values)


@pytest.mark.parametrize("text", ["", "seven", "1 2 3", "3/0", "1/2/3", "0x1F", "1e3"])
def test_unreadable_answers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"numbers|division"):
        quiz.parse_answer(text)


def test_one_number_answers_a_square_but_not_a_rectangle() -> None:
    (square,) = quiz.questions("dilation", 1, 1, seed=0, lang="en")
    (oblong,) = [
        q for q in quiz.questions("dilation", 3, 5, seed=0, lang="en") if len(set(q.answer)) == 2
    ][:1]
    side = Fraction(square.answer[0])
    assert quiz.check(square, (side,))
    assert quiz.check(square, (side, side))
    assert not quiz.check(square, (side + 1,))
    assert not quiz.check(oblong, (Fraction(oblong.answer[0]),))
    assert quiz.check(oblong, tuple(map(Fraction, oblong.answer)))


# --- the command: --answer, seeds, formats, languages --------------------------------------


def worksheet_json(run: Run, *args: str) -> dict[str, Any]:
    return json_out(run("quiz", *args, "--format", "json"))


def oracle_answers(data: dict[str, Any]) -> list[str]:
    """Each question's answer as a person types it, from the oracle."""
    out = []
    for q in data["questions"]:
        values = oracle(q["topic"], q["parameters"])
        out.append(" ".join(str(v) for v in values))
    return out


def test_json_worksheet_has_the_promised_keys(run: Run) -> None:
    data = worksheet_json(run, "--topic", "mixed", "--level", "3", "-n", "6", "--seed", "11")
    assert data["command"] == "quiz"
    assert data["seed"] == 11
    assert len(data["questions"]) == 6
    for q in data["questions"]:
        assert {"topic", "question", "answer", "solution"} <= set(q)
        assert isinstance(q["question"], str)
        assert all(isinstance(line, str) for line in q["solution"])
        expected = oracle(q["topic"], q["parameters"])
        answer = q["answer"] if isinstance(q["answer"], list) else [q["answer"]]
        assert tuple(Fraction(a) for a in answer) == expected


def test_right_answers_exit_0_with_the_score(run: Run) -> None:
    data = worksheet_json(run, "--topic", "mixed", "--level", "2", "-n", "4", "--seed", "3")
    answers = [arg for a in oracle_answers(data) for arg in ("--answer", a)]
    result = run("quiz", "--topic", "mixed", "--level", "2", "--seed", "3", *answers)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.count("Right: ") == 4
    assert result.stdout.rstrip().endswith("Score: 4 of 4.")


def test_a_wrong_answer_exits_1_and_shows_the_solution(run: Run) -> None:
    data = worksheet_json(run, "--topic", "size", "--level", "1", "-n", "2", "--seed", "4")
    right, other = oracle_answers(data)
    wrong = str(Fraction(other.split()[0]) + 1)
    result = run("quiz", "--topic", "size", "--seed", "4", "--answer", right, "--answer", wrong)
    assert result.exit_code == 1
    assert result.stderr == ""
    side = other.split()[0]
    assert f"Not quite: you answered {wrong}; the answer is {side}×{side}." in result.stdout
    assert "h' = ⌊(h + 2p − d·(k−1) − 1) / s⌋ + 1 = " in result.stdout
    assert result.stdout.rstrip().endswith("Score: 1 of 2.")


def test_fractions_and_the_unicode_minus_are_checked_exactly(run: Run) -> None:
    seed = next(
        s
        for s in range(100)
        if isinstance(quiz.questions("cell", 3, 1, seed=s, lang="en")[0].answer[0], Fraction)
    )
    data = worksheet_json(run, "--topic", "cell", "--level", "3", "-n", "1", "--seed", str(seed))
    (value,) = oracle("cell", data["questions"][0]["parameters"])
    assert value.denominator > 1
    exact = run("quiz", "-t", "cell", "-l", "3", "--seed", str(seed), "--answer", str(value))
    assert exact.exit_code == 0
    close = run(
        "quiz", "-t", "cell", "-l", "3", "--seed", str(seed), "--answer", f"{float(value):.3f}"
    )
    assert close.exit_code == 1
    negative = next(
        s for s in range(200) if quiz.questions("cell", 1, 1, seed=s, lang="en")[0].answer[0] < 0
    )
    (answer,) = quiz.questions("cell", 1, 1, seed=negative, lang="en")[0].answer
    text = f"−{-answer}"
    assert run("quiz", "-t", "cell", "--seed", str(negative), "-a", text).exit_code == 0


def test_answers_as_json_carry_the_verdicts(run: Run) -> None:
    result = run("quiz", "-t", "dilation", "--seed", "1", "-a", "1", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["questions"][0]["given"] == "1"
    assert data["questions"][0]["right"] is False
    assert data["score"] == {"right": 0, "total": 1}


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--answer", "seven"], "--answer"),
        (["-n", "2", "--answer", "3"], "--answer"),
        (["--level", "4"], "--level"),
        (["--topic", "pool"], "--topic"),
        (["-n", "0"], "--questions"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_usage_errors_name_the_option(run: Run, args: list[str], option: str) -> None:
    result = run("quiz", *args)
    assert_error(result, 2)
    assert option in result.stderr or option.lstrip("-") in result.stderr


def test_a_seed_reproduces_the_worksheet_and_json_names_the_seed(run: Run) -> None:
    first = run("quiz", "--level", "3", "-n", "5", "--seed", "42")
    again = run("quiz", "--level", "3", "-n", "5", "--seed", "42")
    other = run("quiz", "--level", "3", "-n", "5", "--seed", "43")
    assert first.stdout == again.stdout
    assert first.stdout != other.stdout
    drawn = worksheet_json(run, "-n", "3")
    assert drawn == worksheet_json(run, "-n", "3", "--seed", str(drawn["seed"]))
    assert "(seed 42)" in first.stdout.splitlines()[0]


def test_the_table_worksheet_asks_then_answers(run: Run) -> None:
    text = run("quiz", "-t", "transpose", "-l", "2", "-n", "3", "--seed", "8").stdout
    questions, key = text.split("Answer key")
    assert "Questions" in questions
    assert len(re.findall(r"│ \d\. A transposed convolution", questions)) == 3
    assert len(re.findall(r"│ \d\. \d+×\d+ ", key)) == 3
    assert key.count("h' = (h − 1)·s − p₁ − p₂ + d·(k−1) + op + 1") == 3


def test_markdown_worksheet_has_questions_then_the_key(run: Run) -> None:
    result = run("quiz", "-t", "cell", "-l", "2", "-n", "2", "--seed", "7", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "# Worksheet: a cell's value, level 2 (seed 7)"
    assert lines.index("## Questions") < lines.index("## Answer key")
    asked = lines[lines.index("## Questions") : lines.index("## Answer key")]
    assert [line[:3] for line in asked if re.match(r"\d\. ", line)] == ["1. ", "2. "]
    assert sum(line == "*input*" for line in asked) == 2  # each cell question shows its matrices
    key = lines[lines.index("## Answer key") :]
    assert next(line for line in key if re.match(r"\*\*\d\. ", line)).startswith("**1. ")
    sums = [line for line in key if line.startswith("`out[")]
    assert len(sums) == 2


def test_latex_worksheet_compiles(run: Run, tmp_path: Path) -> None:
    result = run("quiz", "-t", "mixed", "-l", "3", "-n", "8", "--seed", "2", "--format", "latex")
    assert result.exit_code == 0
    tex = result.stdout
    assert tex.startswith("\\documentclass{article}")
    assert tex.rstrip().endswith("\\end{document}")
    assert "\\subsection*{Answer key}" in tex
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    (tmp_path / "sheet.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "sheet.pdf").stat().st_size > 0


def test_chinese_asks_the_same_questions_in_chinese(run: Run) -> None:
    en = worksheet_json(run, "-t", "mixed", "-l", "2", "-n", "5", "--seed", "9", "--lang", "en")
    zh = worksheet_json(run, "-t", "mixed", "-l", "2", "-n", "5", "--seed", "9", "--lang", "zh")
    assert [q["answer"] for q in zh["questions"]] == [q["answer"] for q in en["questions"]]
    assert [q["parameters"] for q in zh["questions"]] == [q["parameters"] for q in en["questions"]]
    text = run("quiz", "-t", "size", "-l", "2", "-n", "1", "--seed", "9", "--lang", "zh").stdout
    assert text.startswith("练习：输出尺寸，难度2（种子9）")
    assert "题目" in text
    assert "答案" in text
    assert "的输入图像" in text
    assert "输出尺寸是多少？" in text
    checked = run("quiz", "-t", "dilation", "--seed", "1", "--lang", "zh", "-a", "1")
    assert "不对：你的答案是1，正确答案是" in checked.stdout
    assert "得分：1题答对0题。" in checked.stdout
    latex = run("quiz", "--lang", "zh", "-n", "1", "--seed", "1", "--format", "latex").stdout
    assert "\\usepackage{ctex}" in latex


def test_quiz_is_listed_and_its_help_stays_light(run: Run) -> None:
    from tests.test_startup import loaded

    assert "quiz" in run("--help").stdout
    assert loaded("quiz", "--help") == []


# --- the interactive mode, in a pseudo-terminal --------------------------------------------

PROMPT = "Your answer: "


def _session(args: list[str], replies: list[str]) -> tuple[int, str]:
    """Run convcli on a terminal; at each prompt type the next reply ("EOF": Ctrl-D,
    "INT": Ctrl-C)."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "convcli", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        env=env,
    )
    os.close(secondary)
    screen, sent, deadline = b"", 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.1)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            screen += data
        elif proc.poll() is not None:
            break
        text = screen.decode(errors="replace")
        if sent < len(replies) and text.count(PROMPT) > sent and text.endswith(PROMPT):
            reply = replies[sent]
            sent += 1
            if reply == "INT":
                proc.send_signal(signal.SIGINT)
            else:
                os.write(primary, b"\x04" if reply == "EOF" else reply.encode() + b"\n")
    os.close(primary)
    return proc.wait(timeout=30), screen.decode(errors="replace")


def _answers(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "convcli", "quiz", *args, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return oracle_answers(json.loads(proc.stdout))


def test_interactive_right_wrong_then_eof() -> None:
    args = ["quiz", "-t", "dilation", "-l", "2", "-n", "3", "--seed", "5"]
    right, second, _ = _answers(*args[1:])
    wrong = str(int(second.split()[0]) + 2)
    code, screen = _session(args, [right, "seven", wrong, "EOF"])
    assert code == 0
    assert "Traceback" not in screen
    assert "Question 1 of 3" in screen
    assert "Question 3 of 3" in screen
    assert "Right: " in screen
    assert "Cannot read “seven”" in screen  # asked again, not counted
    assert f"Not quite: you answered {wrong}; the answer is" in screen
    assert "d·(k−1) + 1 = " in screen  # the solution is shown
    assert "Score: 1 of 2." in screen  # the two answered before EOF


def test_interactive_all_right_to_the_end() -> None:
    args = ["quiz", "-t", "size", "-n", "2", "--seed", "6"]
    code, screen = _session(args, _answers(*args[1:]))
    assert code == 0
    assert screen.count("Right: ") == 2
    assert "Score: 2 of 2." in screen


def test_interactive_ctrl_c_exits_130_without_a_traceback() -> None:
    code, screen = _session(["quiz", "-n", "2", "--seed", "1"], ["INT"])
    assert code == 130
    assert "Traceback" not in screen
    assert "Score" not in screen
