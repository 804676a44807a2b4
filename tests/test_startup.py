"""Start-up stays light: --help, --version, shape and shell completion never import numpy or
Rich, and machine output never imports Rich (checked in a fresh interpreter)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from typing import Any

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


ALL_MODULES = """
import json, sys
sys.argv = ["convcli", *json.loads(sys.argv[1])]
from convcli.cli.base import main
try:
    main()
except SystemExit:
    pass
print("MODULES=" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

SMALL = ("conv", "-i", "1 2 3 4; 5 6 7 8; 1 2 3 4; 5 6 7 8", "-k", "1 0; 0 -1")
# Imported only for some outputs: the tracer (explanations), the JSON payload and its cost
# (json), the 1-D lens, numpy.typing (annotations only), unicodedata (naming a refused
# character).
LAZY = {
    "convcli.trace",
    "convcli.cost",
    "convcli.payloads",
    "convcli.lens",
    "numpy.typing",
    "unicodedata",
}


def modules(*args: str) -> tuple[set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", ALL_MODULES, json.dumps(args)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    return set(probed(proc.stderr, "MODULES=")), proc.stdout


@pytest.mark.parametrize("extra", [(), ("--format", "csv")])  # a pipe's default is csv
def test_conv_csv_imports_no_tracer_payload_or_lens(extra: tuple[str, ...]) -> None:
    loaded_now, out = modules(*SMALL, *extra)
    assert out == "-5,-5,-5\n3,3,3\n-5,-5,-5\n"  # (4×4 ⋆ [[1,0],[0,-1]], by hand)
    assert loaded_now & LAZY == set()
    assert {"numpy", "convcli.core"} <= loaded_now  # the probe sees what did load


def test_conv_table_imports_no_payload_or_lens() -> None:
    loaded_now, out = modules(*SMALL, "--format", "table")
    assert "│ 1 │  3 │  3 │  3 │" in out  # the feature map's middle row (a table on a terminal)
    assert loaded_now & LAZY == {"convcli.trace", "convcli.cost"}  # the table's report uses them
    assert "rich" in loaded_now


def test_conv_json_still_builds_its_payload() -> None:
    loaded_now, out = modules(*SMALL, "--format", "json", "-s", "2")
    payload = json.loads(out)
    assert payload["output"] == [[-5, -5], [-5, -5]]
    assert payload["cost"] == {"weights": 4, "bias": 0, "macs": 16, "activations": 4}
    assert "convcli.payloads" in loaded_now


def test_the_command_run_is_the_only_one_typer_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """``convcli conv`` leaves out transpose's and dilate's options (same module), and the
    app keeps every command afterwards."""
    import typer.main

    base = importlib.import_module("convcli.cli.base")

    built: list[str] = []
    real = typer.main.get_command_from_info

    def spy(*, command_info: typer.models.CommandInfo, **kwargs: Any) -> Any:
        built.append(base._name(command_info))
        return real(command_info=command_info, **kwargs)

    monkeypatch.setattr(typer.main, "get_command_from_info", spy)
    monkeypatch.setattr(sys, "argv", ["convcli", "conv", "--help"])
    with pytest.raises(SystemExit) as stopped:
        base.main()
    assert stopped.value.code == 0
    assert built == ["conv"]
    names = {base._name(info) for info in base.app.registered_commands}
    assert {"conv", "transpose", "dilate"} <= names


GC_PROBE = """
import gc, importlib, json, sys
sys.argv = ["convcli", *json.loads(sys.argv[1])]
output = importlib.import_module("convcli.cli.output")  # before convcli.cli.base binds it
seen = []
real = output.resume_collection
def spy():
    seen.append({"paused": not gc.isenabled(), "numpy": "numpy" in sys.modules})
    real()
output.resume_collection = spy
from convcli.__main__ import run
try:
    run()
except SystemExit:
    pass
state = {"first": seen[0] if seen else None, "on": gc.isenabled()}
print("GC=" + json.dumps(state), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "paused"),
    [
        ((*SMALL, "--format", "csv"), True),  # conv's imports (numpy's too) load uncollected
        (("conv", "-i", "1 2 3", "-k", "1 -1", "--format", "json"), True),  # 1-D: the lens
        (("shape", "-w", "4", "-k", "3", "--format", "plain"), True),
        (("conv", "--help"), None),  # no work: the collector is back on at exit all the same
    ],
)
def test_console_script_pauses_the_collector_until_the_work(
    args: tuple[str, ...], paused: bool | None
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", GC_PROBE, json.dumps(args)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    state = json.loads(next(x for x in proc.stderr.splitlines() if x.startswith("GC="))[3:])
    assert state["on"] is True
    if paused is None:
        assert state["first"] is None
    else:
        assert state["first"]["paused"] is paused
        assert state["first"]["numpy"] is (args[0] == "conv")
