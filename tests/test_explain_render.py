"""A lesson's steps in the table format are drawn directly (not through Rich's layout of a
panel of tables), so ``explain --all`` on a 40×40 input takes seconds, not a minute. The
drawing must be the one Rich's own layout gives, character for character and colour for
colour; and every step of the lesson must be there, each with its cell's true value."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from convcli import model as M
from convcli import render
from convcli.typography import Typeset
from tests.conftest import Run

KERNEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def test_every_step_of_a_40x40_all_lesson_is_drawn_with_its_value(run: Run, tmp_path: Path) -> None:
    x = np.random.default_rng(7).integers(-9, 10, (40, 40))
    source = tmp_path / "x.csv"
    np.savetxt(source, x, fmt="%d", delimiter=",")
    kernel = "; ".join(" ".join(map(str, row)) for row in KERNEL)
    result = run("explain", "-i", str(source), "-k", kernel, "--all")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    # the oracle: cross-correlation by numpy's sliding windows
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3))
    expected = np.einsum("ijkl,kl->ij", windows, KERNEL)
    total = 2 + 38 * 38 + 1  # the kernel, the alignment, each cell, the result
    headers = re.findall(r"╭─ Step (\d+) of (\d+) · ", text)
    assert [int(n) for n, _ in headers] == list(range(1, total + 1))
    assert {int(of) for _, of in headers} == {total}
    steps = text.split("╭─ Step ")[1:]
    for n, step in enumerate(steps[2:-1]):
        r, c = divmod(n, 38)
        assert step.startswith(f"{n + 3} of {total} · Multiply and add: out[{r},{c}] ─")
        *body, bottom, end = step.split("\n")[1:]
        assert bottom.startswith("╰")
        assert end == ""
        assert all(line.startswith("│ ") and line.endswith(" │") for line in body)
        words = " ".join(line[2:-2].strip() for line in body)  # a long sum wraps
        value = str(expected[r, c]).replace("-", "−")
        assert re.search(rf"out\[{r},{c}\] = .* = {value}$", words), (r, c, words[-80:])


def _document(title: str, lang: str) -> M.Document:
    """A step as a lesson makes it: prose, a marked input with padding and a window, a
    kernel, a partial feature map, a sum; and a step with a grid too large to show whole."""
    x = np.arange(-12, 24).reshape(6, 6)
    marks: dict[tuple[int, int], M.Mark] = {(0, c): "padding" for c in range(6)}
    marks.update(dict.fromkeys([(1, 1), (1, 2), (2, 1), (2, 2)], "window"))
    so_far = np.array([[3, -14, 0], [0, 0, 0]])
    done: dict[tuple[int, int], M.Mark] = {(0, 1): "current", (0, 2): "blank", (1, 0): "blank"}
    step = M.Panel(
        f"{title} · out[0,1]",
        (
            M.prose(
                "The highlighted window is multiplied by the kernel, cell by cell, and added up:"
            ),
            M.Grids(
                (
                    M.Grid("input", x, marks, (-1, 0), (1, 1)),
                    M.Grid("kernel", KERNEL),
                    M.Grid("feature map so far", so_far, done),
                )
            ),
            M.Text((("out[0,1]", "label"), (" = 1×2 + 0×3 = ", None), ("−14", "value")), "math"),
            M.note("a note under the sum"),
        ),
    )
    large = np.arange(60 * 45).reshape(60, 45) % 17 - 8
    big = M.Panel(
        f"{title} · align",
        (M.Grids((M.Grid("输入图像" if lang == "zh" else "input", large, {}, (0, 0), (30, 20)),)),),
    )
    return M.Document((step, big), "A lesson", lang, complete=("markdown", "json"))


CONSOLES = {
    "pipe": {"force_terminal": False, "color_system": None, "no_color": False},
    "colour": {"force_terminal": True, "color_system": "truecolor", "no_color": False},
    "256": {"force_terminal": True, "color_system": "256", "no_color": False},
    "no-colour": {"force_terminal": True, "color_system": "standard", "no_color": True},
}


@pytest.mark.parametrize("width", [22, 40, 61, 100, 160])
@pytest.mark.parametrize("console_kind", sorted(CONSOLES))
@pytest.mark.parametrize(("title", "lang"), [("Step 3 of 9", "en"), ("第3步（共9步）", "zh")])
def test_a_step_is_drawn_as_rich_lays_out_its_panel(
    width: int, console_kind: str, title: str, lang: str
) -> None:
    document = _document(title, lang)
    for encoding in ("utf-8", "ascii"):  # ascii: Rich's boxes of plain characters
        console = Console(
            file=render._Memory(encoding), width=width, height=50, highlight=False,
            emoji=False, legacy_windows=False, **CONSOLES[console_kind],  # type: ignore[arg-type]
        )  # fmt: skip
        items = render.renderables(document, console, Typeset())
        panels = [item for item in items if isinstance(item, render.StepPanel)]
        assert len(panels) == 2
        drawn = render.to_text(console, items)
        rich = [p.rich_panel(console) if isinstance(p, render.StepPanel) else p for p in items]
        assert drawn == render.to_text(console, rich)
        assert drawn.count("Step 3 of 9" if lang == "en" else "第3步") == 2
