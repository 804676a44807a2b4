"""Issue 10: the fifteen relationships of Dumoulin & Visin's guide, each reproduced by one
command (``explain --list``), named in words in both languages, its numbers checked
against the naive oracle of tests/reference.py."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from convcli.relations import CATALOGUE
from tests.conftest import Run, assert_error
from tests.reference import ref_output_size

SHAPES = [e for e in CATALOGUE if e.key.startswith("rel")]


def _options(command: str) -> dict[str, str]:
    words = shlex.split(command)[2:]
    options: dict[str, str] = {}
    for i, word in enumerate(words):
        if word.startswith("-"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            options[word] = "" if nxt.startswith("-") or not nxt else nxt
    return options


def _oracle(command: str) -> int:
    o = _options(command)
    size, k = int(o["-w"]), int(o["-k"])
    s = int(o.get("-s") or (k if "--pool" in o else 1))
    p, d = int(o.get("-p") or 0), int(o.get("-d") or 1)
    if "--transpose" in o:
        op = int(o.get("--output-padding") or 0)
        return ref_output_size(size, k, s, p, d, transposed=True, output_padding=op)
    return ref_output_size(size, k, s, p, d)


def test_the_list_has_the_fifteen_relationships(run: Run) -> None:
    out = json.loads(run("explain", "--list", "-f", "json").stdout)
    keys = [row["key"] for row in out["lessons"]]
    assert keys[:15] == [f"rel{n}" for n in range(1, 16)]
    assert all(row["command"].startswith("convcli ") for row in out["lessons"])


@pytest.mark.parametrize("entry", SHAPES, ids=[e.key for e in SHAPES])
@pytest.mark.parametrize(("lang", "word"), [("en", "relationship"), ("zh", "关系")])
def test_each_relationship_command_names_it_and_its_numbers_are_right(
    run: Run, entry: object, lang: str, word: str
) -> None:
    key, command = entry.key, entry.command  # type: ignore[attr-defined]
    n = key[3:]
    args = [*shlex.split(command)[1:], "--lang", lang]
    data = json.loads(run(*args, "-f", "json").stdout)
    expected = _oracle(command)
    assert data["output"] == [expected, expected]
    named = [line for line in data["relations"] if re.search(rf"{word} {n}\b", line)]
    assert named, data["relations"]
    assert (
        named[0].rstrip().endswith(f"= {expected}")
        or f"picks {expected}" in " ".join(data["relations"])
        or f"选出 {expected}" in " ".join(data["relations"])
    )


@pytest.mark.parametrize(
    "entry", [e for e in CATALOGUE if not e.key.startswith("rel")], ids=lambda e: e.key
)
def test_each_lesson_command_runs(run: Run, entry: object) -> None:
    result = run(*shlex.split(entry.command)[1:], "-f", "json")  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["steps"]


def test_transposed_output_padding_is_the_forward_remainder(run: Run) -> None:
    data = json.loads(
        run(
            "shape",
            "-w",
            "3",
            "-k",
            "3",
            "-s",
            "2",
            "-p",
            "1",
            "--transpose",
            "--output-padding",
            "1",
            "-f",
            "json",
        ).stdout
    )
    line = next(t for t in data["relations"] if "--output-padding" in t)
    lo, hi = map(int, re.findall(r"from (\d+) to (\d+)", line)[0])
    # every forward input size in lo..hi gives 3 cells: the oracle agrees, and a picks lo + a
    assert {ref_output_size(n, 3, 2, 1) for n in range(lo, hi + 1)} == {3}
    assert data["output"] == [lo + 1, lo + 1]


def test_list_refuses_other_options(run: Run) -> None:
    assert_error(run("explain", "--list", "--step", "2"), 2, "--step")


def test_ceil_mode_pooling_is_not_called_relationship_7(run: Run) -> None:
    data = json.loads(
        run("shape", "-w", "7", "-k", "2", "--pool", "--ceil-mode", "-f", "json").stdout
    )
    assert data["output"] == [4, 4]  # ⌈5/2⌉ + 1, where relationship 7 would give 3
    assert not any("relationship 7" in line for line in data["relations"])


def test_pool_lesson_shows_the_padded_input_and_keeps_the_size_text_by_its_formulas(
    run: Run,
) -> None:
    out = json.loads(
        run("explain", "--op", "pool", "--pool", "avg", "-p", "1", "-f", "json").stdout
    )
    align = next(s for s in out["steps"] if s["kind"] == "align")
    grid = align["grids"][0]
    assert grid["label"] == "padded input"
    assert grid["offset"] == [-1, -1]
    assert len(grid["values"]) == 4 + 2  # the notes' 4×4 with a border of 1
    size_at = align["lines"].index("Output size per axis:")
    assert align["lines"][size_at + 1].startswith("h' = ")
    # the grids come after the first line only: the size text sits with its formulas
    assert size_at > 0
    cell = next(s for s in out["steps"] if s["kind"] == "cell")
    lit = [(r, c) for r, c, m in cell["grids"][0]["marks"] if m == "window"]
    assert lit == [(0, 0), (0, 1), (1, 0), (1, 1)]  # out[0,0]'s window starts in the padding


def test_the_readme_table_lists_each_relationship_with_its_command() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for entry in SHAPES:
        assert f"| {entry.key[3:]}: " in readme
        assert f"`{entry.command}`" in readme


def test_pool_lesson_with_padding_on_one_side(run: Run) -> None:
    # 3 + 0 + 1 − 2 = 2, ⌊2/2⌋ + 1 = 2 per axis (the padding only at the bottom and right)
    out = json.loads(
        run(
            "explain", "--op", "pool", "-i", "1 2 3; 4 5 6; 7 8 9", "-p", "0,1,0,1", "-f", "json"
        ).stdout
    )
    align = next(s for s in out["steps"] if s["kind"] == "align")
    assert align["lines"][0].startswith("Padding adds 0 rows on top, 1 row at the bottom")
    assert "h' = ⌊(h + p₁ + p₂ − k) / s⌋ + 1 = ⌊(3 + 0 + 1 − 2) / 2⌋ + 1 = 2" in align["lines"]
    assert align["grids"][0]["label"] == "padded input"
    assert len(align["grids"][0]["values"]) == 4
    values = [s["lines"][1] for s in out["steps"] if s["kind"] == "cell"]
    assert values[-1] == "out[1,1] = max(9) = 9"
