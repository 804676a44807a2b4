"""Start-up stays light: --help, --version, shape and shell completion never import numpy or
Rich, and machine output never imports Rich (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import json, sys
sys.argv = ["convcli", *json.loads(sys.argv[1])]
from convcli.cli.base import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "rich", "pydantic"})
print("LOADED=" + json.dumps(heavy), file=sys.stderr)
views = sorted({m for m in sys.modules} & {"convcli.reports", "convcli.model", "convcli.lessons"})
print("VIEWS=" + json.dumps(views), file=sys.stderr)
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return probed(proc.stderr, "LOADED=")


def probed(stderr: str, key: str) -> list[str]:
    line = next(x for x in stderr.splitlines() if x.startswith(key))
    return list(json.loads(line.removeprefix(key)))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("shape", "-w", "4", "-k", "3", "-p", "1", "-s", "1", "--format", "plain"),
        ("shape", "-w", "4", "-k", "3", "--format", "table"),
        ("shape", "-w", "32", "-k", "5", "-s", "2", "--target", "16", "--format", "json"),
        ("conv", "--help"),
        ("shape", "--help"),
        ("kernels", "--help"),
        ("kernels", "--format", "csv"),
    ],
)
def test_light_commands_import_neither_numpy_nor_rich(args: tuple[str, ...]) -> None:
    assert loaded(*args) == []


@pytest.mark.parametrize("words", ["convcli ", "convcli conv --", "convcli kernels -f "])
def test_shell_completion_imports_neither_numpy_nor_rich(words: str) -> None:
    # every Tab press runs convcli with every command registered
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    env = {"_CONVCLI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    assert loaded(env=env) == []


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "latex"])
def test_machine_output_does_not_import_rich(fmt: str) -> None:
    assert loaded("conv", "-i", "1 2; 3 4", "-k", "1", "--format", fmt) == ["numpy"]


def test_tables_do_import_rich() -> None:  # the probe itself works
    assert loaded("conv", "-i", "1 2; 3 4", "-k", "1", "--format", "table") == ["numpy", "rich"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_output_does_not_build_views(fmt: str) -> None:
    """conv's csv and json never import the document model or the table views."""
    args = ["conv", "-i", "1 2; 3 4", "-k", "1", "-p", "1", "-s", "2", "--format", fmt]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert probed(proc.stderr, "VIEWS=") == []
    assert "note: the stride does not divide evenly" in proc.stderr  # the note still comes
