"""A lesson on a large input shows each step's grids as a window around the cell being
explained (at most STEP_WINDOW rows and columns), so that ``explain --all`` costs what it
shows: each window holds the input's own values at the indices its offset gives, the
kernel's footprint, and the current output cell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from convcli.model import STEP_WINDOW
from tests.conftest import Run

KERNEL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]


def test_every_step_of_a_40x40_lesson_is_a_window(run: Run, tmp_path: Path) -> None:
    x = np.random.default_rng(5).integers(-9, 10, (40, 40))
    source = tmp_path / "x.csv"
    np.savetxt(source, x, fmt="%d", delimiter=",")
    kernel = "; ".join(" ".join(map(str, row)) for row in KERNEL)
    result = run("explain", "-i", str(source), "-k", kernel, "-p", "1", "--all", "-f", "json")
    assert result.exit_code == 0, result.stderr
    steps = [s for s in json.loads(result.stdout)["steps"] if s["kind"] == "cell"]
    assert len(steps) == 40 * 40
    for step in steps[::37]:  # a spread of cells, edges and middle
        r, c = map(int, step["title"].split("out[")[1].rstrip("]").split(","))
        padded, so_far = step["grids"][0], step["grids"][-1]
        for grid in (padded, so_far):
            values = np.asarray(grid["values"])
            assert values.shape[0] <= STEP_WINDOW
            assert values.shape[1] <= STEP_WINDOW
        top, left = padded["offset"]
        for i, row in enumerate(padded["values"]):
            for j, value in enumerate(row):
                a, b = top + i, left + j
                assert value == (x[a, b] if 0 <= a < 40 and 0 <= b < 40 else 0)
        window = {(top + i, left + j) for i, j, mark in padded["marks"] if mark == "window"}
        assert window == {(r - 1 + i, c - 1 + j) for i in range(3) for j in range(3)}
        out_top, out_left = so_far["offset"]
        current = [(out_top + i, out_left + j) for i, j, m in so_far["marks"] if m == "current"]
        assert current == [(r, c)]
