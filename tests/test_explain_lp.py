"""explain's pooling lesson with --pool lp: the Lp norm named with its P, padding that
adds |0|ᴾ = 0, and each window's value equal to a naive Lp norm of its cells."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Run

X = [[3, -4, 1], [1, 2, -2], [0, 5, 1]]


def naive_lp(values: list[int], p: int) -> float:
    return float(sum(abs(v) ** p for v in values) ** (1 / p))


@pytest.mark.parametrize(("p", "padding"), [(1, 0), (2, 1), (3, 0)])
def test_each_window_is_the_lp_norm_of_its_cells(run: Run, p: int, padding: int) -> None:
    matrix = "; ".join(" ".join(map(str, row)) for row in X)
    result = run(
        "explain", "--op", "pool", "--pool", "lp", "--norm-type", str(p), "-i", matrix,
        "--window", "2", "-s", "1", "-p", str(padding), "--all", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lesson = json.loads(result.stdout)
    assert lesson["title"].startswith(f"L{p} pooling")
    cells = [s for s in lesson["steps"] if s["kind"] == "cell"]
    size = 3 + 2 * padding - 1
    assert len(cells) == size * size
    padded = [[0] * (3 + 2 * padding) for _ in range(3 + 2 * padding)]
    for r, row in enumerate(X):
        for c, v in enumerate(row):
            padded[r + padding][c + padding] = v
    for step in cells:
        line = step["lines"][1]
        r, c = map(int, re.match(r"out\[(\d+),(\d+)\]", line).groups())  # type: ignore[union-attr]
        window = [padded[r + i][c + j] for i in (0, 1) for j in (0, 1)]
        value = float(line.rsplit("= ", 1)[1].replace("−", "-"))
        assert value == pytest.approx(naive_lp(window, p), rel=1e-5)
    align = next(s for s in lesson["steps"] if s["kind"] == "align")
    if padding:
        assert "|0|^P = 0, so they add nothing to the norm" in align["lines"][0]


def test_lp_lesson_in_chinese_and_refusals(run: Run) -> None:
    zh = run("explain", "--op", "pool", "--pool", "lp", "--lang", "zh", "--step", "1")
    assert "L2 范数 (Σ|x|^2)^(1/2)" in zh.stdout
    refused = run("explain", "--op", "pool", "--norm-type", "3")
    assert refused.exit_code == 2
    assert "applies only with --pool lp" in refused.stderr
